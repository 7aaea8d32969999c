import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings as loadGatewaySettings } from '../../../gateway/config/settings.ts';
// The gateway runtime, in tests only: the admin talks to a real gateway over HTTP.
import { type RunningGateway, startGateway } from '../../../gateway/gateway.ts';
import { type Harness, harness } from '../../test-support.ts';
import { gatewayStatuses, notifyGateways, signWebhook } from './service.ts';

const SECRET = 'webhook-secret-for-tests';

const config = (description: string) => `name: tickets
tenant: acme
routers:
  - {server: api, prefix: /acme/tickets}
servers:
  - name: api
    description: ${JSON.stringify(description)}
    config: {base: "http://127.0.0.1:9"}
tools:
  - name: ping
    method: GET
    endpoint: "{{ .Config.base }}/ping"
`;

let dir: string;
let gateway: RunningGateway;
/** A closed port: connecting is refused. */
let closedUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-admin-gw-'));
  await mkdir(join(dir, 'repo', 'configs', 'acme'), { recursive: true });
  await writeFile(join(dir, 'repo', 'configs', 'acme', 'tickets.yaml'), config('first'));
  const { settings, issues } = loadGatewaySettings({
    argv: ['--config', join(dir, 'repo'), '--port', '0', '--data-dir', join(dir, 'data'), '--poll-interval', '0', '--log-level', 'error'],
    env: { GATEWAY_WEBHOOK_SECRET: SECRET },
  });
  expect(issues).toEqual([]);
  gateway = await startGateway(settings);
  const probe = Bun.serve({ port: 0, fetch: () => new Response('') });
  closedUrl = `http://127.0.0.1:${probe.port}`;
  await probe.stop(true);
});

afterAll(async () => {
  await gateway?.stop(2000);
  await rm(dir, { recursive: true, force: true });
});

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('gateways', () => {
  it("answers each gateway's Ready condition and applied revision, never its secret", async () => {
    h = await harness({ settings: { gateways: [{ url: gateway.url, webhookSecret: SECRET }, { url: closedUrl, webhookSecret: SECRET }] } });
    const r = await h.call('GET', '/api/gateways', { as: h.admin });
    expect(r.status).toBe(200);
    const [live, down] = r.body;
    expect(live).toMatchObject({ url: gateway.url, ok: true, ready: { status: 'True', reason: 'RevisionApplied' } });
    expect(live.lastAppliedRevision).toBe(gateway.reconciler.status().lastAppliedRevision);
    expect(typeof live.ready.message).toBe('string');
    expect(down).toMatchObject({ url: closedUrl, ok: false, ready: null, lastAppliedRevision: null });
    expect(down.error).toBeString();
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
  });

  it('answers members the Ready status without the message and issues', async () => {
    h = await harness({ settings: { gateways: [{ url: gateway.url, webhookSecret: SECRET }] } });
    const alice = await h.member('alice');
    const r = await h.call('GET', '/api/gateways', { as: alice });
    expect(r.status).toBe(200);
    expect(r.body[0].ready.status).toBe('True');
    expect(r.body[0].ready.message).toBeUndefined();
    expect(r.body[0].ready.issues).toBeUndefined();
    expect((await h.call('GET', '/api/gateways')).status).toBe(401);
  });

  it('gives up on a gateway that does not answer in time', async () => {
    const slow = Bun.serve({ port: 0, fetch: async () => (await Bun.sleep(1000), Response.json({})) });
    try {
      const [r] = await gatewayStatuses([{ url: `http://127.0.0.1:${slow.port}` }], { detailed: true, timeoutMs: 100 });
      expect(r).toMatchObject({ ok: false, error: 'timed out after 100 ms' });
    } finally {
      await slow.stop(true);
    }
  });

  it('sends the signed reload webhook and reports the outcome', async () => {
    await writeFile(join(dir, 'repo', 'configs', 'acme', 'tickets.yaml'), config('second'));
    const before = gateway.reconciler.status().lastAppliedRevision;
    const [r] = await notifyGateways([{ url: gateway.url, webhookSecret: SECRET }], { reason: 'test' });
    expect(r).toMatchObject({ url: gateway.url, ok: true, status: 200 });
    expect(['applied', 'unchanged']).toContain(r?.outcome ?? '');
    // Whether the file watcher or the webhook applied it, the new revision is live now.
    const after = gateway.reconciler.status().lastAppliedRevision;
    expect(after).not.toBe(before);
    if (r?.outcome === 'applied') expect(r.revision).toBe(after ?? null);
  });

  it('reports a refused signature and a missing secret without calling', async () => {
    const outcomes = await notifyGateways([
      { url: gateway.url, webhookSecret: 'not-the-secret' },
      { url: gateway.url },
      { url: closedUrl, webhookSecret: SECRET },
    ]);
    expect(outcomes[0]).toMatchObject({ ok: false, status: 401 });
    expect(outcomes[1]).toEqual({ url: gateway.url, ok: false, status: null, error: 'no webhook secret configured for this gateway' });
    expect(outcomes[2]).toMatchObject({ ok: false, status: null });
    expect(JSON.stringify(outcomes)).not.toContain('not-the-secret');
  });

  it('signs like the gateway expects: sha256=<hex HMAC of the body>', () => {
    expect(signWebhook('{}', 'k')).toBe(`sha256=${new Bun.CryptoHasher('sha256', 'k').update('{}').digest('hex')}`);
  });

  it('lets admins trigger a reload of every gateway, audited; members may not', async () => {
    h = await harness({ settings: { gateways: [{ url: gateway.url, webhookSecret: SECRET }] } });
    const alice = await h.member('alice');
    expect((await h.call('POST', '/api/gateways/reload', { as: alice, body: {} })).status).toBe(403);
    const r = await h.call('POST', '/api/gateways/reload', { as: h.admin, body: { reason: 'manual' } });
    expect(r.status).toBe(200);
    expect(r.body[0]).toMatchObject({ url: gateway.url, ok: true, status: 200 });
    const audit = await h.call('GET', '/api/audit?action=gateway.reload', { as: h.admin });
    expect(audit.body).toHaveLength(1);
    expect(JSON.stringify(audit.body)).not.toContain(SECRET);
  });
});
