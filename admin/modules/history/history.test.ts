import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Harness, ORIGIN } from '../../test-support.ts';
import { type ConfigStack, configStack, type Person, send, type SendOptions, stackHarness } from '../console/test-stack.ts';

const MEDIA = 'configs/demo/media.yaml';
const ALICE: Person = { name: 'Alice Ops', email: 'alice@example.com' };
const BOB: Person = { name: 'Bob Ops', email: 'bob@example.com' };
const seedMedia = await readFile(resolve(import.meta.dir, '../../../config-repo/configs/demo/media.yaml'), 'utf8');
const ORIGINAL = 'Binary, compressed, failing and slow responses from the demo backend.';
const media = (description: string) => seedMedia.replace(ORIGINAL, description);

const EXTRA = `name: extra
tenant: demo
routers:
  - {server: extra-api, prefix: /demo/extra}
servers:
  - name: extra-api
    config: {base: "http://127.0.0.1:9"}
tools:
  - name: ping
    method: GET
    endpoint: "{{ .Config.base }}/ping"
`;

let fx: ConfigStack;
let h: Harness;
let c1: string;
let c2: string;
let c3: string;
let c4: string;

const req = (method: string, path: string, opts: SendOptions = {}) => send(h.app, ORIGIN, method, path, { as: h.admin, ...opts });
const rows = (html: string): string[] => [...html.matchAll(/data-testid="history-row" data-commit="([0-9a-f]+)"/g)].map((m) => m[1]!);
const baseOf = async (path: string): Promise<string> => (await fx.repo.read(path))?.blob ?? '';

beforeAll(async () => {
  fx = await configStack();
  c1 = await fx.tip();
  c2 = await fx.push(MEDIA, media('First tweak of the media server.'), 'Tweak the media description', ALICE);
  c3 = await fx.push(MEDIA, media('Second tweak of the media server.'), 'Media: <script>alert(1)</script>', BOB);
  c4 = await fx.push('configs/acme/weather.yaml', `${await fx.file('configs/acme/weather.yaml')}\n# touched\n`, 'Unrelated change', ALICE);
  h = await stackHarness(fx);
  await h.tenant('demo', '/demo');
  await h.tenant('acme', '/acme');
});

afterAll(async () => {
  await h?.close();
  await fx?.close();
});

describe('config history', () => {
  it('lists the commits that touched the config newest first with their authors when asked for its history', async () => {
    const res = await req('GET', '/configs/demo/media/history');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(rows(html)).toEqual([c3, c2, c1]);
    expect(html).not.toContain(c4);
    const authors = [...html.matchAll(/data-testid="history-author">([^<]*)</g)].map((m) => m[1]);
    expect(authors).toEqual(['Bob Ops', 'Alice Ops', 'Seed Ops']);
    // A commit subject is data from whoever pushed: escaped.
    expect(html).toContain('Media: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain(`href="/configs/demo/media/diff?from=${c2}&to=${c3}"`);
    expect(html).toContain(`href="/configs/demo/media/at/${c1}"`);
    expect(html).toContain('id="compare-form"');
  });

  it('shows the changed lines with line numbers when diffing two commits', async () => {
    const res = await req('GET', `/configs/demo/media/diff?from=${c2.slice(0, 7)}&to=${c3}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<html');
    expect(html).toMatch(/<div class="del" data-kind="del"><span class="ln">15<\/span><span class="ln"><\/span><span class="marker">-<\/span><span class="text">    description: First tweak of the media server.<\/span>/);
    expect(html).toMatch(/<div class="add" data-kind="add"><span class="ln"><\/span><span class="ln">15<\/span><span class="marker">\+<\/span><span class="text">    description: Second tweak of the media server.<\/span>/);
    expect(html).toContain('data-kind="hunk"');
    expect(html).toContain('1 added, 1 deleted');
  });

  it('answers the diff alone when htmx asks from the compare form', async () => {
    const res = await req('GET', `/configs/demo/media/diff?from=${c1}&to=${c3}`, { htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<html');
    expect(html).toStartWith('<section id="diff-view"');
    expect(html).toContain(ORIGINAL);
  });

  it('shows the file as it was when viewing an old commit', async () => {
    const res = await req('GET', `/configs/demo/media/at/${c2}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('First tweak of the media server.');
    expect(html).not.toContain('Second tweak');
    expect(html).toContain(`name="commit" value="${c2}"`);
  });

  it('restores the old version with a new commit and keeps every earlier commit when rolling back', async () => {
    const before = await fx.count();
    const tipBefore = await fx.tip();
    const reloads = fx.gateway.reloads.length;
    const res = await req('POST', '/configs/demo/media/rollback', { form: { commit: c2, base: await baseOf(MEDIA) }, csrf: 'field' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(await fx.count()).toBe(before + 1);
    const tip = await fx.tip();
    expect((await fx.repo.log({ limit: 100 })).map((c) => c.commit).slice(1)).toContain(tipBefore);
    expect(await fx.file(MEDIA)).toBe(media('First tweak of the media server.'));
    const head = (await fx.repo.log({ limit: 1 }))[0]!;
    expect(head).toMatchObject({ commit: tip, message: `Roll back ${MEDIA} to ${c2.slice(0, 7)}`, author: { name: 'admin' } });
    // The refreshed history: the rollback on top, the old commits below, and the save result.
    expect(rows(html)).toEqual([tip, c3, c2, c1]);
    expect(html).toContain('id="save-result"');
    expect(html).toContain(`data-revision="main@sha1:${tip}"`);
    // The stand-in gateway pulled the new tip on the webhook, so it reports the revision applied.
    expect(html).toMatch(/data-testid="gateway-result" data-state="applied"/);
    expect(fx.gateway.reloads.length).toBe(reloads + 1);
    const audit = await h.call('GET', '/api/audit?action=config.rollback', { as: h.admin });
    expect(JSON.stringify(audit.body)).toContain('config:demo/media');
  });

  it('deletes the config when rolling back to a commit where it did not exist', async () => {
    const created = await fx.push('configs/demo/extra.yaml', EXTRA, 'Add extra', ALICE);
    const before = await fx.count();
    const res = await req('POST', '/configs/demo/extra/rollback', { form: { commit: c1, base: await baseOf('configs/demo/extra.yaml') }, htmx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('hx-replace-url')).toBe('/configs/demo/extra/history');
    const html = await res.text();
    expect(html).not.toContain('<html');
    expect(await fx.count()).toBe(before + 1);
    expect(await fx.file('configs/demo/extra.yaml')).toBeUndefined();
    expect(rows(html)).toEqual([await fx.tip(), created]);
    expect(html).toContain('no longer exists at the branch tip');
  });

  it('answers 409 and commits nothing when the config changed since the history was shown', async () => {
    const before = await fx.count();
    const stale = 'a'.repeat(40);
    const res = await req('POST', '/configs/demo/media/rollback', { form: { commit: c3, base: stale } });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('Conflict');
    expect(html).toContain('since you opened it');
    expect(await fx.count()).toBe(before);
  });

  it('answers 400 when a commit sha in a URL or form is not hex', async () => {
    for (const path of ['/configs/demo/media/at/HEAD', '/configs/demo/media/at/--output=x', `/configs/demo/media/at/${c2.slice(0, 6)}`]) {
      expect((await req('GET', path)).status).toBe(400);
    }
    expect((await req('GET', `/configs/demo/media/diff?from=main&to=${c3}`)).status).toBe(400);
    expect((await req('GET', `/configs/demo/media/diff?from=${c2}&to=${c3.toUpperCase()}`)).status).toBe(400);
    const before = await fx.count();
    const res = await req('POST', '/configs/demo/media/rollback', { form: { commit: 'main~1', base: await baseOf(MEDIA) } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('is not a commit sha');
    expect(await fx.count()).toBe(before);
  });

  it("answers 404 when a member asks for another tenant's history", async () => {
    const acme = (await h.call('GET', '/api/tenants', { as: h.admin })).body.find((t: { name: string }) => t.name === 'acme');
    const alice = await h.member('alice', [acme.id]);
    expect((await req('GET', '/configs/acme/weather/history', { as: alice })).status).toBe(200);
    expect((await req('GET', '/configs/demo/media/history', { as: alice })).status).toBe(404);
    expect((await req('GET', `/configs/demo/media/at/${c2}`, { as: alice })).status).toBe(404);
    expect((await req('GET', `/configs/demo/media/diff?from=${c2}&to=${c3}`, { as: alice })).status).toBe(404);
    const before = await fx.count();
    const res = await req('POST', '/configs/demo/media/rollback', { as: alice, form: { commit: c1, base: await baseOf(MEDIA) } });
    expect(res.status).toBe(404);
    expect(await fx.count()).toBe(before);
  });

  it('answers 404 when the config never existed', async () => {
    expect((await req('GET', '/configs/demo/nothing/history')).status).toBe(404);
  });

  it('refuses a rollback with 403 when the CSRF token is missing', async () => {
    const before = await fx.count();
    const res = await req('POST', '/configs/demo/media/rollback', { form: { commit: c1, base: await baseOf(MEDIA) }, csrf: 'none' });
    expect(res.status).toBe(403);
    expect(await fx.count()).toBe(before);
  });
});
