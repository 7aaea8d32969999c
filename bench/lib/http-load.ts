/**
 * A lean HTTP/1.1 load generator for the benchmarks: one keep-alive TCP connection per worker over
 * `Bun.connect`, one request in flight per connection (no pipelining), responses framed by
 * Content-Length or chunked encoding.
 *
 * Why not `fetch`: the load generator shares the machine with the servers it measures, and Bun's fetch
 * client costs several times more CPU per request than the servers' own HTTP handling. That CPU is
 * taken from the process under test, so a heavy client flattens the difference between two servers.
 * Here a request is one string written to a socket and a response is a few `indexOf`s over a Buffer.
 */
import type { Socket } from 'bun';

export interface HttpAnswer {
  readonly status: number;
  /** Lower-cased header block (without the status line), for the few checks a bench makes. */
  readonly head: string;
  readonly body: string;
}

interface Pending {
  resolve: (answer: HttpAnswer) => void;
  reject: (err: Error) => void;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** One keep-alive connection; `request` may be called again once the previous answer arrived. */
export class HttpConnection {
  private socket: Socket | undefined;
  private buffer: Buffer | undefined;
  private pending: Pending | undefined;
  private unsent: string | Buffer | undefined;
  private closed = false;

  private constructor() {}

  static async open(hostname: string, port: number): Promise<HttpConnection> {
    const conn = new HttpConnection();
    conn.socket = await Bun.connect({
      hostname,
      port,
      socket: {
        data: (_socket, chunk) => conn.onData(chunk),
        drain: () => conn.flush(),
        close: () => conn.fail(new Error('connection closed')),
        error: (_socket, err) => conn.fail(err),
      },
    });
    conn.socket.setNoDelay(true);
    return conn;
  }

  /** Sends one complete HTTP/1.1 request (head and body) and resolves with the answer. */
  request(raw: string): Promise<HttpAnswer> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    if (this.pending !== undefined) return Promise.reject(new Error('a request is already in flight'));
    return new Promise<HttpAnswer>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.unsent = raw;
      this.flush();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    this.socket?.end();
  }

  private flush(): void {
    const data = this.unsent;
    if (data === undefined || this.socket === undefined) return;
    const written = this.socket.write(data);
    if (written < 0) return;
    if (typeof data === 'string') {
      const bytes = Buffer.byteLength(data);
      this.unsent = written >= bytes ? undefined : Buffer.from(data).subarray(written);
    } else {
      this.unsent = written >= data.byteLength ? undefined : data.subarray(written);
    }
  }

  private fail(err: Error): void {
    this.closed = true;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer === undefined ? chunk : Buffer.concat([this.buffer, chunk]);
    const answer = parse(this.buffer);
    if (answer === undefined) return;
    this.buffer = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) {
      this.fail(new Error('unsolicited response'));
      return;
    }
    if (answer instanceof Error) {
      this.socket?.end();
      this.closed = true;
      pending.reject(answer);
    } else {
      pending.resolve(answer);
    }
  }
}

/** A complete response, undefined while more bytes are needed, or an Error for a broken one. */
function parse(buf: Buffer): HttpAnswer | Error | undefined {
  const headEnd = buf.indexOf(CRLFCRLF);
  if (headEnd < 0) return undefined;
  const status = (buf[9]! - 48) * 100 + (buf[10]! - 48) * 10 + (buf[11]! - 48);
  const lineEnd = buf.indexOf(CRLF);
  const head = buf.toString('latin1', lineEnd + 2, headEnd).toLowerCase();
  const bodyStart = headEnd + 4;
  const lengthAt = head.indexOf('content-length:');
  if (lengthAt >= 0) {
    const eol = head.indexOf('\r\n', lengthAt);
    const length = Number(head.slice(lengthAt + 15, eol < 0 ? undefined : eol));
    if (!Number.isSafeInteger(length)) return new Error('bad content-length');
    if (buf.byteLength < bodyStart + length) return undefined;
    return { status, head, body: buf.toString('utf8', bodyStart, bodyStart + length) };
  }
  if (head.includes('transfer-encoding: chunked')) return chunked(buf, bodyStart, status, head);
  // No framing: only bodiless answers (204, 304, 1xx) are expected here.
  return { status, head, body: '' };
}

function chunked(buf: Buffer, at: number, status: number, head: string): HttpAnswer | Error | undefined {
  const parts: string[] = [];
  for (;;) {
    const eol = buf.indexOf(CRLF, at);
    if (eol < 0) return undefined;
    const size = parseInt(buf.toString('latin1', at, eol), 16);
    if (!Number.isFinite(size)) return new Error('bad chunk size');
    if (size === 0) {
      // Last chunk, no trailers expected: CRLF after the size line's CRLF.
      if (buf.byteLength < eol + 4) return undefined;
      return { status, head, body: parts.join('') };
    }
    if (buf.byteLength < eol + 2 + size + 2) return undefined;
    parts.push(buf.toString('utf8', eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Returns a function that builds the bytes of a POST of a JSON body to `path` with `headers`. */
export function postJson(path: string, host: string, headers: Readonly<Record<string, string>>): (body: string) => string {
  let fixed = `POST ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\n`;
  for (const [name, value] of Object.entries(headers)) fixed += `${name}: ${value}\r\n`;
  fixed += 'content-length: ';
  return (body) => `${fixed}${Buffer.byteLength(body)}\r\n\r\n${body}`;
}
