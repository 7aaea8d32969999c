import { describe, expect, it } from 'bun:test';
import { compiledCors } from '../../test/support/mcp-fixture.ts';
import { checkOrigin } from './cors.ts';
import { acceptFlags, canonicalHeaderName, HttpRequestView, isJsonContentType, queryParam } from './http.ts';
import { negotiateVersion } from './protocol.ts';

describe('mcp http helpers', () => {
  it('canonicalizes header names the way Go does when building the request view', () => {
    expect(canonicalHeaderName('x-user-id')).toBe('X-User-Id');
    expect(canonicalHeaderName('CONTENT-TYPE')).toBe('Content-Type');
    expect(canonicalHeaderName('mcp-session-id')).toBe('Mcp-Session-Id');
    expect(canonicalHeaderName('x')).toBe('X');
  });

  it('reads Accept leniently when deciding between JSON and SSE', () => {
    expect(acceptFlags(null)).toEqual({ json: true, sse: false });
    expect(acceptFlags('application/json, text/event-stream')).toEqual({ json: true, sse: true });
    expect(acceptFlags('text/event-stream')).toEqual({ json: false, sse: true });
    expect(acceptFlags('*/*')).toEqual({ json: true, sse: false });
    expect(acceptFlags('Application/JSON;q=0.9')).toEqual({ json: true, sse: false });
    expect(acceptFlags('text/html')).toEqual({ json: false, sse: false });
  });

  it('accepts only application/json, with parameters, as Content-Type', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonContentType(' APPLICATION/JSON ')).toBe(true);
    expect(isJsonContentType('application/jsonp')).toBe(false);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(null)).toBe(false);
  });

  it('reads one query parameter without building a URL', () => {
    expect(queryParam('http://h/p/message?sessionId=a%2Bb&x=1', 'sessionId')).toBe('a+b');
    expect(queryParam('http://h/p/message', 'sessionId')).toBeUndefined();
    expect(queryParam('http://h/p/message?x=1#sessionId=2', 'sessionId')).toBeUndefined();
  });

  it('builds headers, query and cookies on first access with the first value winning', () => {
    const base = new HttpRequestView(new Headers({ 'x-a': 'get', 'x-b': 'get' }), 'http://h/sse?q=get&r=1', undefined);
    const view = new HttpRequestView(
      new Headers({ 'x-a': 'post', cookie: 'k=1; k=2; empty=; bad' }),
      'http://h/message?q=post&q=again',
      base,
    );
    expect(view.headers['X-A']).toBe('post');
    expect(view.headers['X-B']).toBe('get');
    expect(view.query).toEqual({ q: 'post', r: '1' });
    expect(view.cookies).toEqual({ k: '1', empty: '' });
    expect(Object.isFrozen(view.headers)).toBe(true);
    expect(view.headers).toBe(view.headers);
  });

  it('negotiates by echoing a supported version and falling back per transport otherwise', () => {
    expect(negotiateVersion('2025-03-26', 'streamable')).toBe('2025-03-26');
    expect(negotiateVersion('2099-01-01', 'streamable')).toBe('2025-11-25');
    expect(negotiateVersion('2099-01-01', 'sse')).toBe('2024-11-05');
    expect(negotiateVersion('2025-06-18', 'sse')).toBe('2025-06-18');
  });
});

describe('mcp cors', () => {
  const req = (url: string, origin?: string) => new Request(url, { headers: origin === undefined ? {} : { origin } });

  it('allows requests without Origin when no policy is set', () => {
    expect(checkOrigin(req('http://gw.example/a/mcp'), undefined)).toBeUndefined();
  });

  it('refuses an Origin matching the Host when the policy does not list it (DNS rebinding)', () => {
    expect(checkOrigin(req('http://evil.example/a/mcp', 'http://evil.example'), undefined)).toBe(false);
    expect(checkOrigin(req('http://gw.example:8080/a/mcp', 'http://gw.example:8080'), compiledCors(['https://app.example']))).toBe(false);
  });

  it('refuses foreign, null and other-port origins when the policy does not list them', () => {
    expect(checkOrigin(req('http://gw.example/a/mcp', 'http://evil.example'), undefined)).toBe(false);
    expect(checkOrigin(req('http://gw.example/a/mcp', 'null'), undefined)).toBe(false);
    expect(checkOrigin(req('http://gw.example:8080/a/mcp', 'http://gw.example:9090'), undefined)).toBe(false);
    expect(checkOrigin(req('http://gw.example/a/mcp', 'http://evil.example'), compiledCors(['https://app.example']))).toBe(false);
  });

  it('returns CORS headers echoing the origin when the policy allows it', () => {
    const headers = checkOrigin(req('http://gw.example/a/mcp', 'https://app.example'), compiledCors(['https://app.example'], { exposeHeaders: 'mcp-session-id, X-Trace' }));
    expect(headers).toEqual({
      'access-control-allow-origin': 'https://app.example',
      vary: 'Origin',
      'access-control-expose-headers': 'mcp-session-id, X-Trace, MCP-Protocol-Version, WWW-Authenticate',
    });
    const any = checkOrigin(req('http://gw.example/a/mcp', 'https://x.example'), compiledCors([], { anyOrigin: true, allowCredentials: true }));
    expect(any).toMatchObject({ 'access-control-allow-origin': 'https://x.example', 'access-control-allow-credentials': 'true' });
  });
});
