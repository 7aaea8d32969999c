import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { stat } from 'node:fs/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signWebhook } from '../admin/modules/gateways/service.ts';
import { ensureConfigRepo } from './embedded.ts';
import { installReloadHook, pushedBranches } from './reload-hook.ts';

/**
 * Plain git as a user runs it (hooks of the receiving repo enabled), with a fixed identity. Async: the
 * hook calls the test's own server, which a synchronous spawn would block.
 */
async function userGit(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: cwd,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Ops',
    GIT_AUTHOR_EMAIL: 'ops@example.test',
    GIT_COMMITTER_NAME: 'Ops',
    GIT_COMMITTER_EMAIL: 'ops@example.test',
  };
  const proc = Bun.spawn(['git', ...args], { cwd, env, stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`git ${args.join(' ')}: ${stderr}`);
  return { stdout, stderr };
}

interface Received {
  signature: string | null;
  body: string;
}

describe('embedded config repo reload hook', () => {
  let dir: string;
  let repo: string;
  let work: string;
  let server: ReturnType<typeof Bun.serve>;
  const received: Received[] = [];
  const secret = 'hook-test-secret';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-reload-hook-'));
    repo = (await ensureConfigRepo({ path: join(dir, 'config.git') })).path;
    server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        if (req.method === 'POST' && new URL(req.url).pathname === '/_reload') {
          received.push({ signature: req.headers.get('x-signature-256'), body: await req.text() });
          return Response.json({ outcome: 'queued' }, { status: 202 });
        }
        return new Response('not found', { status: 404 });
      },
    });
    await installReloadHook(repo, { gatewayUrl: `http://127.0.0.1:${server.port}`, webhookSecret: secret, branch: 'main' });
    work = join(dir, 'work');
    await userGit(dir, ['clone', '-q', repo, work]);
  });

  afterAll(async () => {
    server?.stop(true);
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the pushed branches from the post-receive input', () => {
    expect(pushedBranches('a b refs/heads/main\nc d refs/tags/v1\ne f refs/heads/feature/x\n')).toEqual(['main', 'feature/x']);
  });

  it('keeps the webhook secret readable by the owner only', async () => {
    expect((await stat(join(repo, 'hooks', 'reload-hook.json'))).mode & 0o777).toBe(0o600);
  });

  it('sends the signed reload webhook when main is pushed', async () => {
    await writeFile(join(work, 'configs', 'demo', 'note.txt'), 'pushed by ops\n');
    await userGit(work, ['add', '-A']);
    await userGit(work, ['commit', '-qm', 'ops change']);
    const push = await userGit(work, ['push', 'origin', 'main']);
    expect(received.length).toBe(1);
    const [got] = received;
    expect(got?.signature).toBe(signWebhook(got?.body ?? '', secret));
    expect(JSON.parse(got?.body ?? '{}')).toEqual({ reason: 'push to main' });
    expect(push.stderr).toContain('asked to reload');
  });

  it('does not call the gateway when another branch is pushed', async () => {
    await userGit(work, ['checkout', '-qb', 'feature']);
    await writeFile(join(work, 'configs', 'demo', 'note.txt'), 'a feature\n');
    await userGit(work, ['commit', '-qam', 'feature change']);
    await userGit(work, ['push', '-q', 'origin', 'feature']);
    expect(received.length).toBe(1);
  });

  it('never fails a push when the gateway is down', async () => {
    await installReloadHook(repo, { gatewayUrl: 'http://127.0.0.1:9', webhookSecret: secret, branch: 'main' });
    await userGit(work, ['checkout', '-q', 'main']);
    await writeFile(join(work, 'configs', 'demo', 'note.txt'), 'while the gateway is down\n');
    await userGit(work, ['commit', '-qam', 'offline change']);
    const push = await userGit(work, ['push', 'origin', 'main']);
    expect(push.stderr).toContain('next poll');
  });
});
