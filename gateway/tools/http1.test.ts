import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { Http1Aborted, Http1Client, type Http1ClientOptions, Http1Error, Http1Handle, Http1Headers, type Http1Request, type Http1Response } from './http1.ts';

const LIMIT = 1 << 20;

/** Everything a test opened, closed after it. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(opts: Http1ClientOptions = {}): Http1Client {
  const c = new Http1Client(opts);
  cleanups.push(() => c.closeIdle());
  return c;
}

function get(port: number, target: string, extra: Partial<Http1Request> = {}): Http1Request {
  return { method: 'GET', address: '127.0.0.1', port, target, host: `127.0.0.1:${port}`, headers: { 'user-agent': 'test/1' }, body: undefined, maxBytes: LIMIT, ...extra };
}

function send(c: Http1Client, req: Http1Request, handle?: Http1Handle): Promise<Http1Response> {
  const pending = c.request(req, handle);
  if (pending === undefined) throw new Error('the client refused the request');
  return pending;
}

const text = (res: Http1Response) => Buffer.from(res.body).toString('utf8');

/** A Bun.serve backend: what most tool backends look like to the gateway. */
let bun: ReturnType<typeof Bun.serve>;
let bunAborted = 0;

beforeAll(() => {
  bun = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const json = JSON.stringify({ hello: 'world', n: 42 });
      switch (url.pathname) {
        case '/json':
          return Response.json({ hello: 'world', n: 42 });
        case '/echo':
          return Response.json({ method: req.method, url: req.url, headers: Object.fromEntries(req.headers), body: await req.text() });
        case '/gzip':
          return new Response(gzipSync(json), { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
        case '/deflate':
          return new Response(deflateSync(json), { headers: { 'content-encoding': 'deflate' } });
        case '/deflate-raw':
          return new Response(deflateRawSync(json), { headers: { 'content-encoding': 'deflate' } });
        case '/br':
          return new Response(brotliCompressSync(json), { headers: { 'content-encoding': 'br' } });
        case '/zstd':
          return new Response(zstdCompressSync(json), { headers: { 'content-encoding': 'zstd' } });
        case '/stacked':
          return new Response(gzipSync(deflateSync(json)), { headers: { 'content-encoding': 'deflate, gzip' } });
        case '/unknown-coding':
          return new Response('as is', { headers: { 'content-encoding': 'compress-ish' } });
        case '/bomb':
          return new Response(gzipSync(Buffer.alloc(Number(url.searchParams.get('bytes')), 0x61)), { headers: { 'content-encoding': 'gzip' } });
        case '/large': {
          const bytes = Number(url.searchParams.get('bytes'));
          if (url.searchParams.get('chunked') !== 'true') return new Response(Buffer.alloc(bytes, 0x78));
          let left = bytes;
          return new Response(
            new ReadableStream({
              pull(controller) {
                if (left <= 0) return controller.close();
                const n = Math.min(left, 16 * 1024);
                left -= n;
                controller.enqueue(Buffer.alloc(n, 0x78));
              },
            }),
          );
        }
        case '/slow':
          return new Promise<Response>((resolve) => {
            const timer = setTimeout(() => resolve(new Response('late')), 5000);
            req.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              bunAborted++;
              resolve(new Response('gone'));
            });
          });
        case '/no-content':
          return new Response(null, { status: 204 });
        case '/not-modified':
          return new Response(null, { status: 304, headers: { etag: '"1"' } });
        case '/cookies': {
          const headers = new Headers({ 'x-b': '2' });
          headers.append('set-cookie', 'a=1');
          headers.append('set-cookie', 'b=2');
          headers.append('x-a', 'one');
          headers.append('x-a', 'two');
          return new Response('ok', { headers });
        }
      }
      return new Response('not found', { status: 404, statusText: 'Nope' });
    },
  });
});

afterAll(() => bun.stop(true));

/** A node:http backend, counting the TCP connections it accepted. */
async function nodeServer(handler: http.RequestListener, setup?: (server: http.Server) => void): Promise<{ port: number; connections: () => number; server: http.Server }> {
  const server = http.createServer(handler);
  setup?.(server);
  let connections = 0;
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections, server };
}

/** A raw TCP backend: `onRequest` gets each request's bytes (one request per data event) and its socket. */
async function rawServer(onRequest: (socket: net.Socket, request: string, index: number) => void): Promise<{ port: number; connections: () => number; requests: string[] }> {
  const requests: string[] = [];
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (data) => {
      requests.push(data.toString('utf8'));
      onRequest(socket, data.toString('utf8'), requests.length - 1);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections, requests };
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the request to fail');
}

describe('http1', () => {
  describe('requests', () => {
    it('writes the request line and headers fetch would write when the method is GET', async () => {
      const raw = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
      const c = client();
      await send(c, get(raw.port, '/a/b?q=1', { host: 'api.example:8080', headers: { 'user-agent': 'test/1', 'x-trace': 'abc', 'content-type': 'text/plain' } }));
      expect(raw.requests[0]).toBe(
        'GET /a/b?q=1 HTTP/1.1\r\nHost: api.example:8080\r\nUser-Agent: test/1\r\nx-trace: abc\r\nContent-Type: text/plain\r\n' +
          'Connection: keep-alive\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n\r\n',
      );
    });

    it('frames a string body with its UTF-8 byte length and sends Content-Length 0 when a POST has none', async () => {
      const raw = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
      const c = client();
      await send(c, get(raw.port, '/', { method: 'POST', body: '{"name":"Zoë"}' }));
      await send(c, get(raw.port, '/', { method: 'DELETE' }));
      expect(raw.requests[0]).toEndWith('Content-Length: 15\r\n\r\n{"name":"Zoë"}');
      expect(raw.requests[1]).toStartWith('DELETE / HTTP/1.1\r\n');
      expect(raw.requests[1]).toEndWith('Content-Length: 0\r\n\r\n');
    });

    it('keeps the Accept headers the caller set and never sends framing or hop-by-hop headers from them', async () => {
      const res = await send(
        client(),
        get(bun.port!, '/echo', {
          headers: { accept: 'application/json', 'accept-encoding': 'identity', 'content-length': '99', 'transfer-encoding': 'chunked', connection: 'close', 'user-agent': 'u' },
        }),
      );
      const echo = JSON.parse(text(res)) as { headers: Record<string, string> };
      expect(echo.headers.accept).toBe('application/json');
      expect(echo.headers['accept-encoding']).toBe('identity');
      expect(echo.headers['content-length']).toBeUndefined();
      expect(echo.headers['transfer-encoding']).toBeUndefined();
      expect(echo.headers.connection).toBe('keep-alive');
    });

    it('sends the host of the request as Host, never one from the headers', async () => {
      const res = await send(client(), get(bun.port!, '/echo', { host: 'api.example', headers: { host: 'evil.example', 'user-agent': 'u' } }));
      expect((JSON.parse(text(res)) as { headers: Record<string, string> }).headers.host).toBe('api.example');
    });

    it('returns undefined without sending when a header value is not ASCII, so the caller can use fetch', async () => {
      const raw = await rawServer(() => undefined);
      const c = client();
      expect(c.request(get(raw.port, '/', { headers: { 'x-name': 'Zoë' } }))).toBeUndefined();
      expect(c.request(get(raw.port, '/', { headers: { 'x-name': '名前' } }))).toBeUndefined();
      await Bun.sleep(20);
      expect(raw.connections()).toBe(0);
    });

    it('throws when a header value holds CR or LF, so nothing can be smuggled into the request', () => {
      const c = client();
      expect(() => c.request(get(1, '/', { headers: { 'x-evil': 'a\r\nHost: evil' } }))).toThrow(Http1Error);
      expect(() => c.request(get(1, '/', { headers: { 'bad name': 'x' } }))).toThrow(Http1Error);
    });

    it('trims outer whitespace of header values as fetch does', async () => {
      const res = await send(client(), get(bun.port!, '/echo', { headers: { 'x-padded': '  v  ', 'user-agent': 'u' } }));
      expect((JSON.parse(text(res)) as { headers: Record<string, string> }).headers['x-padded']).toBe('v');
    });

    it('connects to an IPv6 literal when the address is bracketed', async () => {
      const server = Bun.serve({ hostname: '::1', port: 0, fetch: () => new Response('v6') });
      cleanups.push(() => server.stop(true));
      const res = await send(client(), get(server.port!, '/', { address: '[::1]', host: `[::1]:${server.port}` }));
      expect(text(res)).toBe('v6');
    });
  });

  describe('responses', () => {
    it('reads a Content-Length body with status, reason and headers', async () => {
      const res = await send(client(), get(bun.port!, '/json'));
      expect(res.status).toBe(200);
      expect(res.statusText).toBe('OK');
      expect(res.headers.get('content-type')).toStartWith('application/json');
      expect(res.headers.get('Content-Type')).toStartWith('application/json');
      expect(JSON.parse(text(res))).toEqual({ hello: 'world', n: 42 });
      expect(res.tooLarge).toBe(false);
    });

    it('keeps the status and reason of an error answer', async () => {
      const raw = await rawServer((socket) => socket.write('HTTP/1.1 404 Nope Not Here\r\ncontent-length: 9\r\n\r\nnot found'));
      const res = await send(client(), get(raw.port, '/missing'));
      expect([res.status, res.statusText, text(res)]).toEqual([404, 'Nope Not Here', 'not found']);
    });

    it('takes a status line without a reason phrase', async () => {
      const raw = await rawServer((socket) => socket.write('HTTP/1.1 200\r\ncontent-length: 2\r\n\r\nok'));
      const res = await send(client(), get(raw.port, '/'));
      expect([res.status, res.statusText, text(res)]).toEqual([200, '', 'ok']);
    });

    it('joins repeated headers for get and lists them in forEach as fetch Headers do', async () => {
      const res = await send(client(), get(bun.port!, '/cookies'));
      expect(res.headers.get('x-a')).toBe('one, two');
      expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
      const seen: string[] = [];
      res.headers.forEach((value, name) => {
        if (name.startsWith('x-') || name === 'set-cookie') seen.push(`${name}=${value}`);
      });
      expect(seen).toEqual(['x-a=one, two', 'x-b=2', 'set-cookie=a=1', 'set-cookie=b=2']);
      // The same order and joining as fetch's Headers.
      const fetched: string[] = [];
      (await fetch(`http://127.0.0.1:${bun.port}/cookies`)).headers.forEach((value, name) => {
        if (name.startsWith('x-') || name === 'set-cookie') fetched.push(`${name}=${value}`);
      });
      expect(seen).toEqual(fetched);
    });

    it('reads a chunked body written in pieces over time, with extensions and trailers', async () => {
      const node = await nodeServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-sum' });
        res.write('Hel');
        setTimeout(() => res.write('lo, '), 10);
        setTimeout(() => {
          res.addTrailers({ 'x-sum': '12' });
          res.end('world');
        }, 30);
      });
      const res = await send(client(), get(node.port, '/'));
      expect(text(res)).toBe('Hello, world');
    });

    it('reads chunked framing split at every byte', async () => {
      const answer = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nHello\r\n7\r\n, world\r\n0\r\nx-t: 1\r\n\r\n';
      const raw = await rawServer(async (socket) => {
        socket.setNoDelay(true);
        for (const byte of answer) {
          socket.write(byte);
          await Bun.sleep(1);
        }
      });
      const c = client();
      expect(text(await send(c, get(raw.port, '/')))).toBe('Hello, world');
      // The connection was pooled: the second request goes on it.
      expect(text(await send(c, get(raw.port, '/')))).toBe('Hello, world');
      expect(raw.connections()).toBe(1);
    });

    for (const [path, coding] of [
      ['/gzip', 'gzip'],
      ['/deflate', 'deflate (zlib)'],
      ['/deflate-raw', 'deflate (raw)'],
      ['/br', 'br'],
      ['/zstd', 'zstd'],
      ['/stacked', 'deflate, gzip'],
    ] as const) {
      it(`decodes the body when the Content-Encoding is ${coding}`, async () => {
        const res = await send(client(), get(bun.port!, path));
        expect(JSON.parse(text(res))).toEqual({ hello: 'world', n: 42 });
      });
    }

    it('leaves a body with an unknown Content-Encoding as it is', async () => {
      expect(text(await send(client(), get(bun.port!, '/unknown-coding')))).toBe('as is');
    });

    it('decodes a large gzip body off the event loop and returns it whole', async () => {
      const body = Buffer.alloc(3 << 20);
      for (let i = 0; i < body.length; i++) body[i] = (i * 7919) & 0xff;
      const node = await nodeServer((_req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end(gzipSync(body));
      });
      const res = await send(client(), get(node.port, '/', { maxBytes: 4 << 20 }));
      expect(Buffer.compare(Buffer.from(res.body), body)).toBe(0);
    });

    it('fails with a clear error when an encoded body does not decode', async () => {
      const raw = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 3\r\n\r\nabc'));
      const err = await failure(send(client(), get(raw.port, '/')));
      expect(err.message).toStartWith('cannot decode gzip content: ');
    });

    it('reads a large Content-Length body arriving in many reads, byte for byte', async () => {
      const res = await send(client(), get(bun.port!, '/large?bytes=5000000', { maxBytes: 8 << 20 }));
      expect(res.body.byteLength).toBe(5_000_000);
      expect(res.body.every((b) => b === 0x78)).toBe(true);
    });

    it('answers HEAD, 204 and 304 without a body and reuses the connection after them', async () => {
      const node = await nodeServer((req, res) => {
        if (req.url === '/204') res.writeHead(204).end();
        else if (req.url === '/304') res.writeHead(304, { etag: '"1"' }).end();
        else res.writeHead(200, { 'content-length': '11', 'content-type': 'text/plain' }).end(req.method === 'HEAD' ? undefined : 'hello world');
      });
      const c = client();
      const head = await send(c, get(node.port, '/', { method: 'HEAD' }));
      expect([head.status, head.headers.get('content-length'), head.body.byteLength]).toEqual([200, '11', 0]);
      expect((await send(c, get(node.port, '/204'))).status).toBe(204);
      expect((await send(c, get(node.port, '/304'))).status).toBe(304);
      expect(text(await send(c, get(node.port, '/')))).toBe('hello world');
      expect(node.connections()).toBe(1);
    });

    it('skips interim 1xx answers before the final one', async () => {
      const node = await nodeServer((_req, res) => {
        res.writeEarlyHints({ link: '</style.css>; rel=preload' });
        res.writeProcessing();
        res.end('final');
      });
      const res = await send(client(), get(node.port, '/'));
      expect([res.status, text(res)]).toEqual([200, 'final']);
    });

    it('reads a body delimited by the end of the connection and does not pool that connection', async () => {
      const raw = await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\npart one, ');
        setTimeout(() => socket.end('part two'), 20);
      });
      const c = client();
      expect(text(await send(c, get(raw.port, '/')))).toBe('part one, part two');
      expect(text(await send(c, get(raw.port, '/')))).toBe('part one, part two');
      expect(raw.connections()).toBe(2);
    });

    it('closes the connection after an answer with Connection: close, and after an HTTP/1.0 answer', async () => {
      const raw = await rawServer((socket, _req, i) => {
        socket.write(i === 0 ? 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\na' : 'HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\nb');
      });
      const c = client();
      expect(text(await send(c, get(raw.port, '/')))).toBe('a');
      expect(text(await send(c, get(raw.port, '/')))).toBe('b');
      expect(text(await send(c, get(raw.port, '/')))).toBe('b');
      expect(raw.connections()).toBe(3);
      expect(c.stats()[`127.0.0.1:${raw.port}`]?.idle ?? 0).toBe(0);
    });
  });

  describe('limits', () => {
    it('refuses a declared Content-Length over the limit without reading the body', async () => {
      const c = client();
      const res = await send(c, get(bun.port!, '/large?bytes=5000000', { maxBytes: 1000 }));
      expect([res.status, res.tooLarge, res.body.byteLength]).toEqual([200, true, 0]);
      expect(c.stats()[`127.0.0.1:${bun.port}`]?.open).toBe(0);
    });

    it('stops reading a chunked body once it passes the limit and closes the connection', async () => {
      const c = client();
      const started = performance.now();
      const res = await send(c, get(bun.port!, '/large?bytes=200000000&chunked=true', { maxBytes: 100_000 }));
      expect(res.tooLarge).toBe(true);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(c.stats()[`127.0.0.1:${bun.port}`]?.open).toBe(0);
    });

    it('accepts a body exactly at the limit, declared or chunked', async () => {
      const c = client();
      expect((await send(c, get(bun.port!, '/large?bytes=1000', { maxBytes: 1000 }))).body.byteLength).toBe(1000);
      expect((await send(c, get(bun.port!, '/large?bytes=1000&chunked=true', { maxBytes: 1000 }))).body.byteLength).toBe(1000);
      expect((await send(c, get(bun.port!, '/large?bytes=1001&chunked=true', { maxBytes: 1000 }))).tooLarge).toBe(true);
    });

    it('refuses a compressed body whose decoded size passes the limit, however small it is on the wire', async () => {
      const res = await send(client(), get(bun.port!, '/bomb?bytes=50000000', { maxBytes: 1_000_000 }));
      expect(res.tooLarge).toBe(true);
      const fits = await send(client(), get(bun.port!, '/bomb?bytes=1000000', { maxBytes: 1_000_000 }));
      expect(fits.body.byteLength).toBe(1_000_000);
    });
  });

  describe('malformed answers', () => {
    const cases: Array<[string, string, string]> = [
      ['an invalid status line', 'HTTP/1.1 abc OK\r\n\r\n', 'invalid status line'],
      ['no HTTP at all', 'garbage\r\n\r\n', 'invalid status line'],
      ['a Content-Length that is not a number', 'HTTP/1.1 200 OK\r\ncontent-length: 1x\r\n\r\n', 'invalid Content-Length'],
      ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab', 'invalid Content-Length'],
      ['an invalid chunk size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', 'invalid chunk size'],
      ['a chunk without its CRLF', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n', 'chunk not followed by CRLF'],
      ['a header line without a name', 'HTTP/1.1 200 OK\r\n: x\r\ncontent-length: 0\r\n\r\n', 'header line without a name'],
      ['a protocol switch nobody asked for', 'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n', 'unexpected protocol switch'],
    ];
    for (const [what, answer, reason] of cases) {
      it(`fails with "${reason}" when the answer has ${what}`, async () => {
        const raw = await rawServer((socket) => socket.write(answer));
        const err = await failure(send(client(), get(raw.port, '/')));
        expect(err).toBeInstanceOf(Http1Error);
        expect(err.message).toBe(`malformed response from 127.0.0.1:${raw.port}: ${reason}`);
      });
    }

    it('fails when the response head exceeds the limit', async () => {
      const raw = await rawServer((socket) => socket.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(2000)}\r\n`));
      const err = await failure(send(client({ maxHeadBytes: 1024 }), get(raw.port, '/')));
      expect(err.message).toBe(`malformed response from 127.0.0.1:${raw.port}: response head too large`);
    });

    it('fails with ECONNRESET when the connection closes in the middle of a body', async () => {
      const raw = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'));
      const err = (await failure(send(client(), get(raw.port, '/')))) as Http1Error;
      expect(err.code).toBe('ECONNRESET');
    });

    it('fails with connect ECONNREFUSED when nothing listens', async () => {
      const err = (await failure(send(client(), get(9, '/')))) as Http1Error;
      expect([err.code, err.message]).toEqual(['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9']);
    });
  });

  describe('pool', () => {
    it('reuses one keep-alive connection for requests one after another', async () => {
      const node = await nodeServer((_req, res) => res.end('ok'));
      const c = client();
      for (let i = 0; i < 5; i++) expect(text(await send(c, get(node.port, '/')))).toBe('ok');
      expect(node.connections()).toBe(1);
      expect(c.stats()[`127.0.0.1:${node.port}`]).toEqual({ open: 1, idle: 1, waiting: 0 });
    });

    it('drops an idle connection the server closed and opens a new one for the next request', async () => {
      const node = await nodeServer(
        (_req, res) => res.end('ok'),
        (server) => {
          server.keepAliveTimeout = 50;
        },
      );
      const c = client();
      await send(c, get(node.port, '/'));
      await until(() => (c.stats()[`127.0.0.1:${node.port}`]?.idle ?? 0) === 0);
      expect(text(await send(c, get(node.port, '/')))).toBe('ok');
      expect(node.connections()).toBe(2);
    });

    it('sends a GET again on a new connection when the pooled one was closed before any answer byte', async () => {
      // The first connection answers once, then drops the next request unanswered: a stale keep-alive socket.
      let first: net.Socket | undefined;
      const raw = await rawServer((socket) => {
        first ??= socket;
        if (socket === first && raw.requests.length > 1) socket.destroy();
        else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      });
      const c = client();
      await send(c, get(raw.port, '/'));
      expect(text(await send(c, get(raw.port, '/')))).toBe('ok');
      expect(raw.connections()).toBe(2);
    });

    it('does not send a POST again when the pooled connection closed after it was written', async () => {
      let first: net.Socket | undefined;
      const raw = await rawServer((socket) => {
        first ??= socket;
        if (socket === first && raw.requests.length > 1) socket.destroy();
        else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      });
      const c = client();
      await send(c, get(raw.port, '/'));
      const err = (await failure(send(c, get(raw.port, '/', { method: 'POST', body: 'x' })))) as Http1Error;
      expect(err.code).toBe('ECONNRESET');
      expect(raw.requests.filter((r) => r.startsWith('POST')).length).toBe(1);
    });

    it('does not reuse a connection whose request was still being written when the answer came', async () => {
      const raw = await rawServer((socket, request) => {
        if (!request.startsWith('POST')) return;
        // Answers at once and stops reading, as a server refusing a large upload does.
        socket.pause();
        socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n');
      });
      const c = client();
      const res = await send(c, get(raw.port, '/', { method: 'POST', body: 'x'.repeat(32 << 20) }));
      expect(res.status).toBe(413);
      expect(c.stats()[`127.0.0.1:${raw.port}`]?.open).toBe(0);
    });

    it('closes connections idle longer than idleMs instead of reusing them', async () => {
      let now = 0;
      const node = await nodeServer((_req, res) => res.end('ok'));
      const c = client({ idleMs: 1000, now: () => now });
      await send(c, get(node.port, '/'));
      now += 999;
      await send(c, get(node.port, '/'));
      expect(node.connections()).toBe(1);
      now += 1000;
      await send(c, get(node.port, '/'));
      expect(node.connections()).toBe(2);
    });

    it('honours the Keep-Alive timeout the server announces, a second early', async () => {
      let now = 0;
      const node = await nodeServer(
        (_req, res) => res.end('ok'),
        (server) => {
          server.keepAliveTimeout = 3000;
        },
      );
      const c = client({ idleMs: 60_000, now: () => now });
      const res = await send(c, get(node.port, '/'));
      expect(res.headers.get('keep-alive')).toBe('timeout=3');
      now += 1900;
      await send(c, get(node.port, '/'));
      expect(node.connections()).toBe(1);
      now += 2000;
      await send(c, get(node.port, '/'));
      expect(node.connections()).toBe(2);
    });

    it('opens at most maxConnections per address and queues the other requests', async () => {
      let active = 0;
      let most = 0;
      const node = await nodeServer((_req, res) => {
        active++;
        most = Math.max(most, active);
        setTimeout(() => {
          active--;
          res.end('ok');
        }, 20);
      });
      const c = client({ maxConnections: 2 });
      const answers = await Promise.all(Array.from({ length: 6 }, () => send(c, get(node.port, '/'))));
      expect(answers.map(text)).toEqual(Array(6).fill('ok'));
      expect(most).toBe(2);
      expect(node.connections()).toBe(2);
    });

    it('lets a queued request go when it is aborted, and serves the rest', async () => {
      const node = await nodeServer((_req, res) => setTimeout(() => res.end('ok'), 30));
      const c = client({ maxConnections: 1 });
      const first = send(c, get(node.port, '/'));
      const handle = new Http1Handle();
      const queued = send(c, get(node.port, '/'), handle);
      const third = send(c, get(node.port, '/'));
      expect(c.stats()[`127.0.0.1:${node.port}`]?.waiting).toBe(2);
      handle.abort();
      expect(await failure(queued)).toBeInstanceOf(Http1Aborted);
      expect(text(await first)).toBe('ok');
      expect(text(await third)).toBe('ok');
    });
  });

  describe('abort', () => {
    it('closes the connection so the backend sees the request go away', async () => {
      const aborted = bunAborted;
      const c = client();
      const handle = new Http1Handle();
      const pending = send(c, get(bun.port!, '/slow'), handle);
      await Bun.sleep(50);
      handle.abort();
      expect(await failure(pending)).toBeInstanceOf(Http1Aborted);
      await until(() => bunAborted > aborted);
      expect(c.stats()[`127.0.0.1:${bun.port}`]?.open).toBe(0);
    });

    it('gives the place of a request aborted while connecting to the next one, whatever the connect does', async () => {
      const node = await nodeServer((_req, res) => res.end('ok'));
      let connects = 0;
      // The first connect hangs, as one to a host that drops SYNs does; later ones go through.
      const connect = ((options: Parameters<typeof Bun.connect>[0]) => (connects++ === 0 ? new Promise(() => {}) : Bun.connect(options))) as typeof Bun.connect;
      const c = client({ maxConnections: 1, connect });
      const handle = new Http1Handle();
      const hanging = send(c, get(node.port, '/'), handle);
      const next = send(c, get(node.port, '/'));
      expect(c.stats()[`127.0.0.1:${node.port}`]).toEqual({ open: 1, idle: 0, waiting: 1 });
      handle.abort();
      expect(await failure(hanging)).toBeInstanceOf(Http1Aborted);
      expect(text(await next)).toBe('ok');
    });

    it('ends a request aborted while connecting and keeps the new connection for the next one', async () => {
      const node = await nodeServer((_req, res) => res.end('ok'));
      const c = client();
      const handle = new Http1Handle();
      const pending = send(c, get(node.port, '/'), handle);
      handle.abort();
      expect(await failure(pending)).toBeInstanceOf(Http1Aborted);
      await until(() => c.stats()[`127.0.0.1:${node.port}`]?.idle === 1);
      expect(text(await send(c, get(node.port, '/')))).toBe('ok');
      expect(node.connections()).toBe(1);
    });
  });
});

describe('Http1Headers', () => {
  it('finds names case-insensitively and returns null for absent ones', () => {
    const h = new Http1Headers(['content-type', 'text/plain', 'x-a', '1']);
    expect(h.get('Content-Type')).toBe('text/plain');
    expect(h.get('x-missing')).toBeNull();
    expect(h.has('x-a')).toBe(true);
  });
});
