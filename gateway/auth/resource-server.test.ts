import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createSsrfGuard } from '../tools/ssrf.ts';
import { createResourceServer } from './resource-server.ts';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let keys: KeyPair;
let server: ReturnType<typeof Bun.serve>;
let origin: string;
/** What the metadata document claims as issuer; tests change it. */
let claimedIssuer = '';
let jwksHits = 0;

beforeAll(async () => {
  keys = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256' };
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === '/.well-known/oauth-authorization-server/tenant') return Response.json({ issuer: claimedIssuer, jwks_uri: `${origin}/jwks` });
      if (path === '/jwks') {
        jwksHits++;
        return Response.json({ keys: [jwk] });
      }
      return new Response('no', { status: 404 });
    },
  });
  origin = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server?.stop(true));

const sign = (iss: string, scope = 'a b') =>
  new SignJWT({ scope }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(iss).setAudience('aud').setSubject('s').setExpirationTime('1m').sign(keys.privateKey);

describe('createResourceServer', () => {
  it('finds the keys by RFC 8414 path insertion and accepts a good token', async () => {
    const issuer = `${origin}/tenant`;
    claimedIssuer = issuer;
    const rs = createResourceServer({ issuer, audience: 'aud', requiredScopes: ['b'] }, { guard: createSsrfGuard({ allowedNetworks: ['127.0.0.1'] }) });
    expect(await rs.verify(`Bearer ${await sign(issuer)}`)).toEqual({ ok: true, principal: `${issuer} s` });
    expect(await rs.verify(`bearer ${await sign(issuer, 'a')}`)).toMatchObject({ ok: false, status: 403, error: 'insufficient_scope' });
    expect(await rs.verify('Basic dXNlcjpwdw==')).toEqual({ ok: false, status: 401, message: 'Unauthorized: a bearer token is required' });
  });

  it('refuses metadata naming another issuer, and answers from memory until the retry time', async () => {
    const issuer = `${origin}/tenant`;
    claimedIssuer = 'https://evil.example';
    let now = 1_000_000;
    const logs: string[] = [];
    const rs = createResourceServer(
      { issuer, audience: 'aud' },
      { guard: createSsrfGuard({ allowedNetworks: ['127.0.0.1'] }), now: () => now, retryAfterMs: 5000, log: (_l, _m, f) => logs.push(String(f.reason)) },
    );
    const token = `Bearer ${await sign(issuer)}`;
    expect(await rs.verify(token)).toMatchObject({ ok: false, status: 503 });
    expect(logs[0]).toContain('is not "http://127.0.0.1');
    claimedIssuer = issuer;
    expect(await rs.verify(token)).toMatchObject({ ok: false, status: 503 });
    expect(logs).toHaveLength(1);
    now += 5000;
    expect(await rs.verify(token)).toMatchObject({ ok: true });
  });

  it('never fetches keys from an address the SSRF guard refuses', async () => {
    const before = jwksHits;
    const rs = createResourceServer({ issuer: origin, audience: 'aud', jwksUri: `${origin}/jwks` }, { guard: createSsrfGuard({ allowedNetworks: [] }) });
    expect(await rs.verify(`Bearer ${await sign(origin)}`)).toMatchObject({ ok: false, status: 503 });
    expect(jwksHits).toBe(before);
  });
});
