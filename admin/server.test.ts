import { afterEach, describe, expect, it } from 'bun:test';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from './server.ts';
import { type Harness, harness } from './test-support.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const toOpenApi = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

describe('server', () => {
  it('documents every registered route in the swagger JSON', async () => {
    h = await harness();
    const res = await h.request('GET', '/swagger/json');
    expect(res.status).toBe(200);
    const spec = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(spec.openapi).toStartWith('3.');
    const documented = Object.entries(spec.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    // Every API route; the console's HTML pages are not part of the API.
    const registered = h.app.routes
      .filter((r) => r.path.startsWith('/api/') || r.path === '/health_check')
      .map((r) => `${r.method} ${toOpenApi(r.path)}`)
      .sort();
    expect(registered.length).toBeGreaterThanOrEqual(24);
    expect(documented).toEqual(registered);
  });

  it('documents the body, parameters and tag of each operation', async () => {
    h = await harness();
    const spec = (await (await h.request('GET', '/swagger/json')).json()) as {
      paths: Record<string, Record<string, { tags?: string[]; summary?: string; requestBody?: unknown; parameters?: { name: string; in: string }[] }>>;
    };
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.tags?.length, `${method} ${path} has a tag`).toBeGreaterThan(0);
        expect(op.summary, `${method} ${path} has a summary`).toBeTruthy();
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          expect(op.parameters?.some((p) => p.in === 'path' && `{${p.name}}` === name), `${method} ${path} documents ${name}`).toBe(true);
        }
      }
    }
    expect(spec.paths['/api/tenants']?.post?.requestBody).toBeDefined();
  });

  it('serves a script-free API page at /swagger, without any CDN', async () => {
    h = await harness();
    const res = await h.request('GET', '/swagger');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toStartWith('text/html');
    const html = await res.text();
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('/api/tenants/{id}/members');
  });

  it('puts the security headers on every kind of response', async () => {
    h = await harness();
    const responses = await Promise.all([
      h.request('GET', '/api/auth/me', { as: h.admin }),
      h.request('GET', '/api/auth/me'),
      h.request('GET', '/api/nope'),
      h.request('GET', '/nope'),
      h.request('POST', '/api/tenants', { as: h.admin, body: { name: '' } }),
      h.request('GET', '/swagger'),
      h.request('GET', '/swagger/json'),
      h.request('GET', '/health_check'),
      h.request('POST', '/api/auth/logout', { as: h.admin }),
    ]);
    for (const res of responses) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name), `${name} on ${res.url} ${res.status}`).toBe(value);
    }
    expect(SECURITY_HEADERS['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });

  it('marks API answers Cache-Control: no-store', async () => {
    h = await harness();
    expect((await h.request('GET', '/api/auth/me', { as: h.admin })).headers.get('cache-control')).toBe('no-store');
    expect((await h.request('GET', '/api/nope')).headers.get('cache-control')).toBe('no-store');
  });

  it('answers errors as JSON with a stable code', async () => {
    h = await harness();
    const missing = await h.call('GET', '/api/nope', { as: h.admin });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /api/nope' } });
    const malformed = await h.call('POST', '/api/tenants', { as: h.admin, body: '{not json' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('validation');
  });

  it('names the offending field of a validation error', async () => {
    h = await harness();
    const r = await h.call('POST', '/api/users', { as: h.admin, body: { username: 'bob', password: 'long-enough', tenantIds: [''] } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'validation', path: 'body.tenantIds[0]' });
    expect(r.body.error.message).toStartWith('body.tenantIds[0]: ');
  });

  it('rejects unknown keys in bodies and queries instead of dropping them', async () => {
    h = await harness();
    const body = await h.call('POST', '/api/tenants', { as: h.admin, body: { name: 'acme', prefix: '/acme', owner: 'x' } });
    expect(body.status).toBe(400);
    expect(body.body.error.path).toBe('body.owner');
    const query = await h.call('GET', '/api/audit?tenant=x', { as: h.admin });
    expect(query.status).toBe(400);
  });

  it('rejects unknown query parameters on every route', async () => {
    h = await harness();
    for (const route of h.app.routes.filter((r) => r.path.startsWith('/api/') || r.path === '/health_check')) {
      const path = route.path.replace(':id', 'some-id').replace(':userId', 'other-id');
      const r = await h.call(route.method, `${path}?bogus=1`, { as: h.admin });
      expect(r.status, `${route.method} ${route.path}`).toBe(400);
      expect(r.body.error.code).toBe('validation');
    }
    expect((await h.call('GET', '/api/tenants?bogus=1', { as: h.admin })).body.error.path).toBe('query.bogus');
  });

  it('validates path parameters', async () => {
    h = await harness();
    const r = await h.call('GET', `/api/tenants/${'x'.repeat(200)}`, { as: h.admin });
    expect(r.status).toBe(400);
    expect(r.body.error.path).toBe('params.id');
  });

  it('never puts a password in a validation message', async () => {
    h = await harness();
    const r = await h.call('POST', '/api/auth/password', { as: h.admin, body: { currentPassword: 'secret-current-pw', newPassword: 'tiny' } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).not.toContain('tiny');
    expect(JSON.stringify(r.body)).not.toContain('secret-current-pw');
  });

  it('answers the health check without authentication', async () => {
    h = await harness();
    const r = await h.call('GET', '/health_check');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
  });
});
