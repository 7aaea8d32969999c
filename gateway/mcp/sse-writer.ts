/**
 * Server-Sent Events output: one `SseStream` per open response, and one `SseHub` per transport that
 * owns the keep-alive timer. A single interval pings every open stream; it runs only while at least one
 * stream is open, so dropped streams leave no timer behind.
 */

const encoder = new TextEncoder();
/** Shared, never mutated: enqueued into every stream on each keep-alive tick. */
const PING = encoder.encode(': ping\n\n');
/**
 * Opens every stream that has no first event of its own. Bun sends the response head only with the
 * first body chunk, so without it a client would wait for its headers until the first keep-alive.
 */
const OPEN = encoder.encode(': open\n\n');
/**
 * Chunks a stream may hold unread before we give up on the client. A reader that stopped reading
 * would otherwise make us buffer keep-alives and messages forever.
 */
const MAX_QUEUED_CHUNKS = 4096;

/** Response headers of every event stream; `X-Accel-Buffering` stops nginx from buffering it. */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
});

/** Keeps the set of open streams and the one keep-alive interval. */
export class SseHub {
  private readonly streams = new Set<SseStream>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly keepAliveMs: number) {}

  /** Open streams. */
  get size(): number {
    return this.streams.size;
  }

  /** Whether the keep-alive interval is scheduled. */
  get ticking(): boolean {
    return this.timer !== undefined;
  }

  add(stream: SseStream): void {
    this.streams.add(stream);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.keepAliveMs);
      // Keep-alives never keep the process up on their own; the HTTP server does.
      this.timer.unref?.();
    }
  }

  remove(stream: SseStream): void {
    this.streams.delete(stream);
    if (this.streams.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Sends a keep-alive comment on every open stream (called by the timer; exposed for tests). */
  tick(): void {
    for (const stream of this.streams) stream.ping();
  }

  /** Ends every open stream (shutdown). */
  closeAll(): void {
    for (const stream of [...this.streams]) stream.close();
  }
}

/**
 * One event stream. `onEnd` runs exactly once, whether the server closed the stream or the client went
 * away (ReadableStream cancel or the request's abort signal).
 */
export class SseStream {
  readonly body: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private ended = false;

  constructor(
    private readonly hub: SseHub,
    private readonly onEnd?: (stream: SseStream) => void,
    first?: string,
  ) {
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        controller.enqueue(first === undefined ? OPEN : encoder.encode(first));
      },
      cancel: () => this.finish(),
    });
    hub.add(this);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Writes `event: <event>` (with `id:` when given) and one data line; false if the stream is gone. */
  send(event: string, data: string, id?: string): boolean {
    return this.write(id === undefined ? `event: ${event}\ndata: ${data}\n\n` : `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`);
  }

  /** Writes a JSON-RPC message as `event: message`. JSON.stringify output holds no raw newline. */
  message(json: string, id?: string): boolean {
    return this.send('message', json, id);
  }

  ping(): void {
    this.enqueue(PING);
  }

  /** Ends the stream from the server side. */
  close(): void {
    if (this.ended) return;
    try {
      this.controller.close();
    } catch {
      // Already errored or cancelled by the runtime.
    }
    this.finish();
  }

  /** Ties the stream to the request that opened it: an aborted request ends the stream. */
  bindTo(signal: AbortSignal): void {
    if (signal.aborted) {
      this.close();
      return;
    }
    signal.addEventListener('abort', () => this.close(), { once: true });
  }

  private write(text: string): boolean {
    if (this.ended) return false;
    return this.enqueue(encoder.encode(text));
  }

  private enqueue(chunk: Uint8Array): boolean {
    if (this.ended) return false;
    const desired = this.controller.desiredSize;
    if (desired !== null && desired < -MAX_QUEUED_CHUNKS) {
      this.close();
      return false;
    }
    try {
      this.controller.enqueue(chunk);
      return true;
    } catch {
      this.finish();
      return false;
    }
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.hub.remove(this);
    this.onEnd?.(this);
  }
}
