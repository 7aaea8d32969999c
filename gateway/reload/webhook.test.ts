import { describe, expect, it } from 'bun:test';
import { createHmac } from 'node:crypto';
import { verifyWebhook } from './webhook.ts';

const SECRET = 'webhook-s3cret';
const OPTS = { secret: SECRET, branch: 'main' };
const encoder = new TextEncoder();

function hmac(body: string | Uint8Array, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function request(body: string, headers: Record<string, string>) {
  return { headers: new Headers(headers), body: encoder.encode(body) };
}

const push = (ref: string) => JSON.stringify({ ref, before: '0'.repeat(40), after: 'a'.repeat(40), commits: [] });

describe('verifyWebhook', () => {
  describe('own format', () => {
    it('triggers when X-Signature-256 is the HMAC of the body', () => {
      const body = 'reload please';
      expect(verifyWebhook(request(body, { 'X-Signature-256': `sha256=${hmac(body)}` }), OPTS)).toEqual({
        ok: true,
        trigger: true,
        reason: 'signed reload request',
        source: 'hmac',
      });
    });

    it('triggers for an empty body with an uppercase hex signature', () => {
      const verdict = verifyWebhook(request('', { 'X-Signature-256': `sha256=${hmac('').toUpperCase()}` }), OPTS);
      expect(verdict).toMatchObject({ ok: true, trigger: true, source: 'hmac' });
    });

    it('refuses a signature made with another secret', () => {
      const body = '{}';
      const verdict = verifyWebhook(request(body, { 'X-Signature-256': `sha256=${hmac(body, 'wrong')}` }), OPTS);
      expect(verdict).toEqual({ ok: false, status: 401, reason: 'bad X-Signature-256' });
    });

    it('refuses a signature of another body', () => {
      const verdict = verifyWebhook(request('tampered', { 'X-Signature-256': `sha256=${hmac('original')}` }), OPTS);
      expect(verdict).toMatchObject({ ok: false, status: 401 });
    });

    it('refuses a signature without the sha256= prefix, truncated or not hex', () => {
      const body = 'x';
      for (const value of [hmac(body), `sha256=${hmac(body).slice(0, 62)}`, `sha256=${'z'.repeat(64)}`, 'sha256=']) {
        expect(verifyWebhook(request(body, { 'X-Signature-256': value }), OPTS)).toMatchObject({ ok: false, status: 401 });
      }
    });

    it('refuses a request without any signature', () => {
      const verdict = verifyWebhook(request('x', {}), OPTS);
      expect(verdict).toMatchObject({ ok: false, status: 401 });
      if (!verdict.ok) expect(verdict.reason).toStartWith('missing signature');
    });
  });

  describe('no secret configured', () => {
    it('refuses every request, even a correctly signed one', () => {
      const body = push('refs/heads/main');
      for (const secret of [undefined, '']) {
        const verdict = verifyWebhook(request(body, { 'X-Signature-256': `sha256=${hmac(body, '')}`, 'X-Gitlab-Token': '' }), { secret, branch: 'main' });
        expect(verdict).toEqual({ ok: false, status: 401, reason: 'webhook secret not configured' });
      }
    });
  });

  describe('GitHub', () => {
    const github = (body: string, event: string, secret = SECRET, extra: Record<string, string> = {}) =>
      request(body, { 'X-GitHub-Event': event, 'X-Hub-Signature-256': `sha256=${hmac(body, secret)}`, 'Content-Type': 'application/json', ...extra });

    it('triggers on a push to the followed branch', () => {
      expect(verifyWebhook(github(push('refs/heads/main'), 'push'), OPTS)).toEqual({
        ok: true,
        trigger: true,
        reason: 'push to refs/heads/main',
        source: 'github',
      });
    });

    it('acknowledges a push to another branch without triggering', () => {
      expect(verifyWebhook(github(push('refs/heads/x'), 'push'), OPTS)).toEqual({
        ok: true,
        trigger: false,
        reason: 'push to refs/heads/x ignored',
        source: 'github',
      });
    });

    it('acknowledges a tag push without triggering', () => {
      expect(verifyWebhook(github(push('refs/tags/main'), 'push'), OPTS)).toMatchObject({ ok: true, trigger: false });
    });

    it('acknowledges a ping without triggering', () => {
      const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 1 });
      expect(verifyWebhook(github(body, 'ping'), OPTS)).toEqual({ ok: true, trigger: false, reason: 'ping', source: 'github' });
    });

    it('acknowledges other events without triggering', () => {
      expect(verifyWebhook(github('{}', 'pull_request'), OPTS)).toEqual({
        ok: true,
        trigger: false,
        reason: 'event "pull_request" ignored',
        source: 'github',
      });
    });

    it('reads a form-encoded payload', () => {
      const body = `payload=${encodeURIComponent(push('refs/heads/main'))}`;
      const verdict = verifyWebhook(github(body, 'push', SECRET, { 'Content-Type': 'application/x-www-form-urlencoded' }), OPTS);
      expect(verdict).toMatchObject({ ok: true, trigger: true, source: 'github' });
    });

    it('refuses a signature made with another secret', () => {
      expect(verifyWebhook(github(push('refs/heads/main'), 'push', 'wrong'), OPTS)).toEqual({
        ok: false,
        status: 401,
        reason: 'bad X-Hub-Signature-256',
      });
    });

    it('refuses an event without X-Hub-Signature-256, even with the old sha1 header', () => {
      const body = push('refs/heads/main');
      const sha1 = createHmac('sha1', SECRET).update(body).digest('hex');
      const verdict = verifyWebhook(request(body, { 'X-GitHub-Event': 'push', 'X-Hub-Signature': `sha1=${sha1}` }), OPTS);
      expect(verdict).toMatchObject({ ok: false, status: 401 });
    });

    it('answers 400 for malformed JSON that passed the signature', () => {
      expect(verifyWebhook(github('{"ref": "refs/heads/main"', 'push'), OPTS)).toEqual({
        ok: false,
        status: 400,
        reason: 'malformed JSON in push payload',
      });
    });

    it('answers 400 for a push payload without a ref or not an object', () => {
      expect(verifyWebhook(github('{}', 'push'), OPTS)).toEqual({ ok: false, status: 400, reason: 'push payload has no ref' });
      expect(verifyWebhook(github('[]', 'push'), OPTS)).toMatchObject({ ok: false, status: 400 });
    });

    it('answers 400 for a signed request without X-GitHub-Event', () => {
      const body = push('refs/heads/main');
      expect(verifyWebhook(request(body, { 'X-Hub-Signature-256': `sha256=${hmac(body)}` }), OPTS)).toEqual({
        ok: false,
        status: 400,
        reason: 'missing X-GitHub-Event header',
      });
    });

    it('checks the signature before reading the payload', () => {
      expect(verifyWebhook(github('{not json', 'push', 'wrong'), OPTS)).toMatchObject({ ok: false, status: 401 });
    });
  });

  describe('GitLab', () => {
    const gitlab = (body: string, event: string, token = SECRET) =>
      request(body, { 'X-Gitlab-Event': event, 'X-Gitlab-Token': token, 'Content-Type': 'application/json' });

    it('triggers on a push hook to the followed branch', () => {
      expect(verifyWebhook(gitlab(push('refs/heads/main'), 'Push Hook'), OPTS)).toEqual({
        ok: true,
        trigger: true,
        reason: 'push to refs/heads/main',
        source: 'gitlab',
      });
    });

    it('acknowledges a push to another branch without triggering', () => {
      expect(verifyWebhook(gitlab(push('refs/heads/x'), 'Push Hook'), OPTS)).toEqual({
        ok: true,
        trigger: false,
        reason: 'push to refs/heads/x ignored',
        source: 'gitlab',
      });
    });

    it('triggers on a system hook push and ignores other system hooks', () => {
      const systemPush = JSON.stringify({ event_name: 'push', ref: 'refs/heads/main' });
      expect(verifyWebhook(gitlab(systemPush, 'System Hook'), OPTS)).toMatchObject({ ok: true, trigger: true });
      const created = JSON.stringify({ event_name: 'project_create', status: 'x' });
      expect(verifyWebhook(gitlab(created, 'System Hook'), OPTS)).toMatchObject({ ok: true, trigger: false });
    });

    it('acknowledges other events without triggering', () => {
      expect(verifyWebhook(gitlab('{}', 'Merge Request Hook'), OPTS)).toMatchObject({ ok: true, trigger: false, source: 'gitlab' });
    });

    it('refuses a wrong token, including one that differs only in length', () => {
      for (const token of ['wrong', `${SECRET}x`, SECRET.slice(0, -1), '']) {
        expect(verifyWebhook(gitlab(push('refs/heads/main'), 'Push Hook', token), OPTS)).toEqual({
          ok: false,
          status: 401,
          reason: 'bad X-Gitlab-Token',
        });
      }
    });

    it('refuses an event without X-Gitlab-Token', () => {
      const verdict = verifyWebhook(request(push('refs/heads/main'), { 'X-Gitlab-Event': 'Push Hook' }), OPTS);
      expect(verdict).toEqual({ ok: false, status: 401, reason: 'missing X-Gitlab-Token header' });
    });

    it('answers 400 for malformed JSON with a valid token', () => {
      expect(verifyWebhook(gitlab('not json', 'Push Hook'), OPTS)).toMatchObject({ ok: false, status: 400 });
    });
  });

  describe('Gitea and Forgejo', () => {
    it('triggers on a Gitea push to the followed branch', () => {
      const body = push('refs/heads/main');
      const verdict = verifyWebhook(request(body, { 'X-Gitea-Event': 'push', 'X-Gitea-Signature': hmac(body) }), OPTS);
      expect(verdict).toEqual({ ok: true, trigger: true, reason: 'push to refs/heads/main', source: 'gitea' });
    });

    it('triggers on a Forgejo push to the followed branch', () => {
      const body = push('refs/heads/main');
      const verdict = verifyWebhook(request(body, { 'X-Forgejo-Event': 'push', 'X-Forgejo-Signature': hmac(body) }), OPTS);
      expect(verdict).toMatchObject({ ok: true, trigger: true, source: 'gitea' });
    });

    it('is recognized as Gitea although it also sends GitHub headers', () => {
      const body = push('refs/heads/main');
      const verdict = verifyWebhook(
        request(body, {
          'X-Gitea-Event': 'push',
          'X-Gitea-Signature': hmac(body),
          'X-GitHub-Event': 'push',
          'X-Hub-Signature-256': `sha256=${hmac(body)}`,
        }),
        OPTS,
      );
      expect(verdict).toMatchObject({ ok: true, trigger: true, source: 'gitea' });
    });

    it('acknowledges a push to another branch without triggering', () => {
      const body = push('refs/heads/x');
      const verdict = verifyWebhook(request(body, { 'X-Gitea-Event': 'push', 'X-Gitea-Signature': hmac(body) }), OPTS);
      expect(verdict).toEqual({ ok: true, trigger: false, reason: 'push to refs/heads/x ignored', source: 'gitea' });
    });

    it('refuses a signature made with another secret or a missing one', () => {
      const body = push('refs/heads/main');
      expect(verifyWebhook(request(body, { 'X-Gitea-Event': 'push', 'X-Gitea-Signature': hmac(body, 'wrong') }), OPTS)).toEqual({
        ok: false,
        status: 401,
        reason: 'bad X-Gitea-Signature',
      });
      expect(verifyWebhook(request(body, { 'X-Gitea-Event': 'push' }), OPTS)).toEqual({
        ok: false,
        status: 401,
        reason: 'missing X-Gitea-Signature header',
      });
    });

    it('answers 400 for malformed JSON that passed the signature', () => {
      const body = '{{';
      expect(verifyWebhook(request(body, { 'X-Gitea-Event': 'push', 'X-Gitea-Signature': hmac(body) }), OPTS)).toMatchObject({
        ok: false,
        status: 400,
      });
    });
  });

  it('keeps a ref from the payload short and free of control characters in the reason', () => {
    const body = push(`refs/heads/${'x'.repeat(300)}\n\u001b[31m`);
    const verdict = verifyWebhook(request(body, { 'X-Signature-256': 'none', 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': `sha256=${hmac(body)}` }), OPTS);
    expect(verdict.ok).toBe(true);
    if (verdict.ok) {
      expect(verdict.trigger).toBe(false);
      expect(verdict.reason.length).toBeLessThan(130);
      expect(verdict.reason).not.toMatch(/[\n\u001b]/);
    }
  });
});
