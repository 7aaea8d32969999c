import { afterEach, describe, expect, it } from 'bun:test';
import { loadSettings } from '../../settings.ts';
import { ADMIN_PASSWORD, type Harness, harness } from '../../test-support.ts';
import { resolveClientIp, TrustedProxies } from './client-ip.ts';

describe('client address', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '127.0.0.1', 'fd00::/8']);

  it('uses the peer address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(resolveClientIp('198.51.100.9', '203.0.113.7', new TrustedProxies([]))).toBe('198.51.100.9');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(resolveClientIp('198.51.100.9', '203.0.113.7', proxies)).toBe('198.51.100.9');
  });

  it('takes the right-most untrusted hop when the peer is a trusted proxy', () => {
    // The client wrote "1.2.3.4" itself; the first proxy appended the real client address.
    expect(resolveClientIp('127.0.0.1', '1.2.3.4, 203.0.113.7, 10.1.2.3', proxies)).toBe('203.0.113.7');
  });

  it('understands IPv4-mapped IPv6 peers and IPv6 proxies', () => {
    expect(resolveClientIp('::ffff:10.0.0.5', '203.0.113.8', proxies)).toBe('203.0.113.8');
    expect(resolveClientIp('fd00::1', '2001:db8::7', proxies)).toBe('2001:db8::7');
  });

  it('falls back to the peer when X-Forwarded-For holds garbage or only proxies', () => {
    expect(resolveClientIp('10.0.0.5', 'not-an-ip', proxies)).toBe('10.0.0.5');
    expect(resolveClientIp('10.0.0.5', '10.0.0.6, 10.0.0.7', proxies)).toBe('10.0.0.5');
    expect(resolveClientIp(undefined, '203.0.113.7', proxies)).toBe('unknown');
  });

  it('refuses malformed proxy entries in the settings', () => {
    expect(loadSettings({ argv: [], env: { ADMIN_TRUSTED_PROXIES: '10.0.0.0/8, ::1' } }).settings.trustedProxies).toEqual(['10.0.0.0/8', '::1']);
    expect(loadSettings({ argv: ['--trusted-proxies', '10.0.0.0/33'], env: {} }).issues).toEqual(['--trusted-proxies: "10.0.0.0/33" has a bad prefix length']);
    expect(loadSettings({ argv: [], env: { ADMIN_TRUSTED_PROXIES: 'proxy.local' } }).issues).toEqual([
      'ADMIN_TRUSTED_PROXIES: "proxy.local" is not an IP address or CIDR',
    ]);
  });
});

describe('client address of a login over a real socket', () => {
  let h: Harness | undefined;
  let server: { stop(): unknown } | undefined;
  afterEach(async () => {
    await server?.stop();
    await h?.close();
  });

  async function loginIp(trustedProxies: string[]): Promise<unknown> {
    h = await harness({ settings: { trustedProxies } });
    const app = h.app.listen({ hostname: '127.0.0.1', port: 0 });
    server = app.server ?? undefined;
    const res = await fetch(`http://127.0.0.1:${app.server?.port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(res.status).toBe(200);
    const entries = await h.store.audit.list({ limit: 10 });
    return entries.find((e) => e.action === 'auth.login')?.details.ip;
  }

  it('records the forwarded client when the admin sits behind a trusted proxy', async () => {
    expect(await loginIp(['127.0.0.1'])).toBe('203.0.113.7');
  });

  it('records the peer when no proxy is trusted', async () => {
    expect(await loginIp([])).toBe('127.0.0.1');
  });
});
