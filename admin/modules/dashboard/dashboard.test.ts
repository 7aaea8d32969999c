import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type Harness, harness, ORIGIN } from '../../test-support.ts';
import { type ConfigStack, configStack, send, stackHarness } from '../console/test-stack.ts';

let fx: ConfigStack;
let h: Harness;
/** A loopback port nothing listens on. */
let closedUrl: string;
/** A member of acme only. */
let carol: Awaited<ReturnType<Harness['member']>>;

const get = (as = h.admin) => send(h.app, ORIGIN, 'GET', '/', { as });
/** The sync badge's state of the gateway at `url`. */
const syncOf = (html: string, url: string): string | undefined => {
  const row = html.split('data-testid="gateway-row"').find((r) => r.startsWith(` data-url="${url}"`));
  return row ? /data-testid="gateway-sync" data-state="([a-z-]+)"/.exec(row)?.[1] : undefined;
};

beforeAll(async () => {
  fx = await configStack();
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
  closedUrl = `http://127.0.0.1:${probe.port}`;
  await probe.stop(true);
  h = await stackHarness(fx, [{ url: closedUrl }]);
});

afterAll(async () => {
  await h?.close();
  await fx?.close();
});

describe('dashboard', () => {
  it("shows the repo head, the configs and a gateway up to date when it applied the head", async () => {
    const tip = await fx.tip();
    fx.gateway.applied = `main@sha1:${tip}`;
    const res = await get();
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`data-revision="main@sha1:${tip}"`);
    expect(html).toContain('Seed the config repo');
    expect(html).toContain('Seed Ops');
    expect(syncOf(html, fx.gateway.url)).toBe('current');
    expect(html).toContain('up to date');
    expect(syncOf(html, closedUrl)).toBe('unreachable');
    for (const c of ['demo/users', 'demo/media', 'acme/weather', 'acme/upstreams']) expect(html).toContain(`href="/configs/${c}"`);
    expect(html).toContain('4 configs in 2 tenants');
  });

  it('marks a gateway behind when the repo moved past the revision it applied', async () => {
    const old = await fx.tip();
    fx.gateway.applied = `main@sha1:${old}`;
    const tip = await fx.push('configs/acme/weather.yaml', `${await fx.file('configs/acme/weather.yaml')}\n# moved\n`, 'Move the branch');
    const html = await (await get()).text();
    expect(syncOf(html, fx.gateway.url)).toBe('behind');
    expect(html).toContain(`applied ${old.slice(0, 7)}, head is ${tip.slice(0, 7)}`);
  });

  it('marks a gateway not ready with its reason when its last reload failed', async () => {
    const ready = fx.gateway.ready;
    fx.gateway.ready = { status: 'False', reason: 'ValidationFailed', lastTransitionTime: null, message: 'configs/acme/weather.yaml:3: <bad>' };
    try {
      const html = await (await get()).text();
      expect(syncOf(html, fx.gateway.url)).toBe('not-ready');
      expect(html).toContain('ValidationFailed: configs/acme/weather.yaml:3: &lt;bad&gt;');
    } finally {
      fx.gateway.ready = ready;
    }
  });

  it("shows a member only their tenants' configs and not the gateway's detailed message", async () => {
    const acme = await h.tenant('acme', '/acme');
    carol = await h.member('carol', [acme.id]);
    const ready = fx.gateway.ready;
    fx.gateway.ready = { status: 'False', reason: 'ValidationFailed', lastTransitionTime: null, message: 'configs/demo/users.yaml: secret detail' };
    try {
      const html = await (await get(carol)).text();
      expect(html).toContain('href="/configs/acme/weather"');
      expect(html).not.toContain('/configs/demo/');
      expect(html).not.toContain('secret detail');
      expect(syncOf(html, fx.gateway.url)).toBe('not-ready');
    } finally {
      fx.gateway.ready = ready;
    }
  });

  it("hides the head's subject from a member when the commit touched another tenant", async () => {
    await fx.push('configs/demo/users.yaml', `${await fx.file('configs/demo/users.yaml')}\n# x\n`, 'Tweak configs/demo/users.yaml');
    const mine = await (await get(carol)).text();
    expect(mine).not.toContain('Tweak configs/demo/users.yaml');
    expect(mine).toContain('(a change outside your tenants)');
    expect(await (await get()).text()).toContain('Tweak configs/demo/users.yaml');
  });

  it('says so when no config repo and no gateway are configured', async () => {
    const bare = await harness();
    try {
      const res = await send(bare.app, ORIGIN, 'GET', '/', { as: bare.admin });
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('id="no-repo"');
      expect(html).toContain('id="no-gateways"');
    } finally {
      await bare.close();
    }
  });

  it('sends the browser to sign in when there is no session', async () => {
    const res = await send(h.app, ORIGIN, 'GET', '/');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
  });
});
