import { describe, expect, it } from 'bun:test';
import { createSsrfGuard, forbiddenClass, parseIp } from './ssrf.ts';

/** A resolver that never touches the network: fixed answers per host, counting lookups. */
function fakeResolver(table: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    const answer = table[host];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return { resolve, calls };
}

const refusedByDefault: Array<[string, string]> = [
  ['http://127.0.0.1/', 'loopback address'],
  ['http://127.8.9.10:8080/x', 'loopback address'],
  ['http://10.1.2.3/', 'private address'],
  ['http://172.16.0.1/', 'private address'],
  ['http://172.31.255.255/', 'private address'],
  ['http://192.168.1.1/', 'private address'],
  ['http://169.254.1.1/', 'link-local address'],
  ['http://169.254.169.254/latest/meta-data/', 'link-local address (cloud metadata)'],
  ['http://100.64.0.1/', 'shared address space (CGNAT)'],
  ['http://100.127.255.254/', 'shared address space (CGNAT)'],
  ['http://0.0.0.0/', 'unspecified address'],
  ['http://0/', 'unspecified address'],
  ['http://224.0.0.1/', 'multicast address'],
  ['http://255.255.255.255/', 'broadcast address'],
  ['http://192.0.0.8/', 'IETF protocol assignment address'],
  ['http://198.18.0.1/', 'benchmarking address'],
  ['http://[::1]/', 'loopback address'],
  ['http://[::]/', 'unspecified address'],
  ['http://[fc00::1]/', 'private address'],
  ['http://[fd12:3456::1]/', 'private address'],
  ['http://[fe80::1]/', 'link-local address'],
  ['http://[ff02::1]/', 'multicast address'],
  ['http://[::ffff:127.0.0.1]/', 'loopback address'],
  ['http://[::ffff:7f00:1]/', 'loopback address'],
  ['http://[::ffff:169.254.169.254]/', 'link-local address (cloud metadata)'],
  ['http://[::ffff:100.64.0.1]/', 'shared address space (CGNAT)'],
  ['http://[::127.0.0.1]/', 'loopback address'],
  ['http://[64:ff9b::a00:1]/', 'private address'],
  ['http://[64:ff9b::127.0.0.1]/', 'loopback address'],
  ['http://[2002:a9fe:a9fe::1]/', 'link-local address (cloud metadata)'],
  ['http://2130706433/', 'loopback address'],
  ['http://017700000001/', 'loopback address'],
  ['http://0x7f.1/', 'loopback address'],
  ['http://127.1/', 'loopback address'],
  ['http://0xa9fea9fe/', 'link-local address (cloud metadata)'],
];

describe('ssrf', () => {
  const guard = createSsrfGuard({ allowedNetworks: [], resolve: fakeResolver({}).resolve });

  for (const [url, reason] of refusedByDefault) {
    it(`refuses ${url} as ${reason} when nothing is allowlisted`, async () => {
      expect(await guard.check(new URL(url))).toEqual({ ok: false, reason });
    });
  }

  it('allows a public address literal without pinning when nothing is allowlisted', async () => {
    expect(await guard.check(new URL('http://93.184.215.14/'))).toEqual({ ok: true });
    expect(await guard.check(new URL('https://[2606:4700::1111]/'))).toEqual({ ok: true });
  });

  it('refuses localhost when it resolves to loopback', async () => {
    const real = createSsrfGuard({ allowedNetworks: [] });
    const verdict = await real.check(new URL('http://localhost:1234/x'));
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.reason).toMatch(/^localhost resolves to a loopback address$/);
  });

  it('refuses a host name when any resolved address is private', async () => {
    const { resolve } = fakeResolver({ 'rebind.test': ['93.184.215.14', '10.0.0.7'] });
    const g = createSsrfGuard({ allowedNetworks: [], resolve });
    expect(await g.check(new URL('http://rebind.test/'))).toEqual({ ok: false, reason: 'rebind.test resolves to a private address' });
  });

  it('pins plain http to the checked address and keeps the Host header when the name resolves publicly', async () => {
    const { resolve } = fakeResolver({ 'api.example.com': ['93.184.215.14'] });
    const g = createSsrfGuard({ allowedNetworks: [], resolve });
    const verdict = await g.check(new URL('http://api.example.com:8080/v1/users?q=1'));
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.pinnedUrl?.href).toBe('http://93.184.215.14:8080/v1/users?q=1');
    expect(verdict.hostHeader).toBe('api.example.com:8080');
  });

  it('pins to a bracketed IPv6 address when the name resolves to IPv6', async () => {
    const { resolve } = fakeResolver({ 'v6.example.com': ['2606:4700::1111'] });
    const g = createSsrfGuard({ allowedNetworks: [], resolve });
    const verdict = await g.check(new URL('http://v6.example.com/'));
    expect(verdict.ok && verdict.pinnedUrl?.href).toBe('http://[2606:4700::1111]/');
  });

  it('does not pin https when the name resolves publicly', async () => {
    const { resolve } = fakeResolver({ 'api.example.com': ['93.184.215.14'] });
    const g = createSsrfGuard({ allowedNetworks: [], resolve });
    expect(await g.check(new URL('https://api.example.com/'))).toEqual({ ok: true });
  });

  it('reuses a resolution within the TTL and resolves again after it', async () => {
    const { resolve, calls } = fakeResolver({ 'api.example.com': ['93.184.215.14'] });
    let clock = 0;
    const g = createSsrfGuard({ allowedNetworks: [], resolve, cacheTtlMs: 10_000, now: () => clock });
    await g.check(new URL('http://api.example.com/a'));
    await g.check(new URL('http://api.example.com/b'));
    expect(calls).toEqual(['api.example.com']);
    clock = 10_001;
    await g.check(new URL('http://api.example.com/c'));
    expect(calls).toEqual(['api.example.com', 'api.example.com']);
  });

  it('answers synchronously, without a promise, once the verdict is cached', async () => {
    const { resolve } = fakeResolver({ 'api.example.com': ['93.184.215.14'] });
    const g = createSsrfGuard({ allowedNetworks: ['127.0.0.1/32'], resolve });
    // An IP literal: judged on the spot, and the same frozen verdict object every time.
    const literal = g.check(new URL('http://127.0.0.1:8080/a'));
    expect(literal).not.toBeInstanceOf(Promise);
    expect(g.check(new URL('http://127.0.0.1:8080/b'))).toBe(literal);
    // A host name: a promise while the lookup runs, the cached decision afterwards.
    const first = g.check(new URL('http://api.example.com/a'));
    expect(first).toBeInstanceOf(Promise);
    const pinned = await first;
    const again = g.check(new URL('http://api.example.com/b?q=1'));
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toEqual({ ok: true, pinnedUrl: new URL('http://93.184.215.14/b?q=1'), hostHeader: 'api.example.com' });
    expect(pinned).toEqual({ ok: true, pinnedUrl: new URL('http://93.184.215.14/a'), hostHeader: 'api.example.com' });
    expect(g.check(new URL('https://api.example.com/'))).toEqual({ ok: true });
  });

  it('keeps the cache bounded when many hosts are resolved', async () => {
    const table: Record<string, string[]> = {};
    for (let i = 0; i < 5; i++) table[`h${i}.example.com`] = ['93.184.215.14'];
    const { resolve, calls } = fakeResolver(table);
    const g = createSsrfGuard({ allowedNetworks: [], resolve, cacheSize: 2 });
    for (let i = 0; i < 5; i++) await g.check(new URL(`http://h${i}.example.com/`));
    await g.check(new URL('http://h0.example.com/'));
    expect(calls.length).toBe(6);
  });

  it('refuses with the lookup error code when a name does not resolve', async () => {
    expect(await guard.check(new URL('http://nowhere.test/'))).toEqual({ ok: false, reason: 'cannot resolve nowhere.test: ENOTFOUND' });
  });

  it('refuses non-http schemes', async () => {
    expect((await guard.check(new URL('file:///etc/passwd'))).ok).toBe(false);
  });

  it('allows loopback when the IP is allowlisted', async () => {
    const g = createSsrfGuard({ allowedNetworks: ['127.0.0.1'] });
    expect(await g.check(new URL('http://127.0.0.1:9/'))).toEqual({ ok: true });
    expect(await g.check(new URL('http://[::ffff:127.0.0.1]/'))).toEqual({ ok: true });
    expect((await g.check(new URL('http://127.0.0.2/'))).ok).toBe(false);
  });

  it('allows a private range when its CIDR is allowlisted', async () => {
    const g = createSsrfGuard({ allowedNetworks: ['10.0.0.0/8', 'fd00::/8'] });
    expect(await g.check(new URL('http://10.200.3.4/'))).toEqual({ ok: true });
    expect(await g.check(new URL('http://[fd00::5]/'))).toEqual({ ok: true });
    expect((await g.check(new URL('http://192.168.0.1/'))).ok).toBe(false);
  });

  it('allows a host name that resolves privately when its CIDR is allowlisted and pins it', async () => {
    const { resolve } = fakeResolver({ 'rebind.test': ['10.9.8.7'] });
    const g = createSsrfGuard({ allowedNetworks: ['10.9.0.0/16'], resolve });
    const verdict = await g.check(new URL('http://rebind.test:81/x'));
    expect(verdict.ok && verdict.pinnedUrl?.href).toBe('http://10.9.8.7:81/x');
  });

  it('allows an allowlisted host name without resolving it', async () => {
    const { resolve, calls } = fakeResolver({});
    const g = createSsrfGuard({ allowedNetworks: ['Internal.Example.com'], resolve });
    expect(await g.check(new URL('http://internal.example.com/'))).toEqual({ ok: true });
    expect(await g.check(new URL('http://internal.example.com./'))).toEqual({ ok: true });
    expect(calls).toEqual([]);
  });

  it('allows subdomains but not the apex when a wildcard is allowlisted', async () => {
    const { resolve } = fakeResolver({ 'corp.test': ['10.0.0.1'] });
    const g = createSsrfGuard({ allowedNetworks: ['*.corp.test'], resolve });
    expect(await g.check(new URL('http://api.corp.test/'))).toEqual({ ok: true });
    expect(await g.check(new URL('http://a.b.corp.test/'))).toEqual({ ok: true });
    expect((await g.check(new URL('http://corp.test/'))).ok).toBe(false);
    expect((await g.check(new URL('http://evilcorp.test/'))).ok).toBe(false);
  });

  it('allows localhost when the host name is allowlisted', async () => {
    const g = createSsrfGuard({ allowedNetworks: ['localhost'] });
    expect(await g.check(new URL('http://localhost:1/'))).toEqual({ ok: true });
  });

  it('throws at construction when an allowlist entry is malformed', () => {
    expect(() => createSsrfGuard({ allowedNetworks: ['10.0.0.0/33'] })).toThrow(/allowedNetworks/);
    expect(() => createSsrfGuard({ allowedNetworks: ['not a host'] })).toThrow(/allowedNetworks/);
  });

  it('parses IPv6 forms with embedded IPv4 and rejects garbage', () => {
    expect(parseIp('::ffff:1.2.3.4')?.bytes.slice(10)).toEqual(new Uint8Array([0xff, 0xff, 1, 2, 3, 4]));
    expect(parseIp('1.2.3')).toBeUndefined();
    expect(parseIp('example.com')).toBeUndefined();
    expect(forbiddenClass(parseIp('8.8.8.8')!)).toBeUndefined();
    expect(forbiddenClass(parseIp('2001:4860:4860::8888')!)).toBeUndefined();
  });
});
