/**
 * Resumability of Streamable HTTP streams (spec `basic/transports` › Resumability and Redelivery).
 *
 * Every SSE event of a Streamable HTTP session carries the id `<stream>-<seq>`: stream 0 is the
 * session's GET stream (one logical stream across reconnects), streams 1, 2, … are POSTs answered with
 * SSE; `seq` counts per stream, so ids are unique within the session and name their stream. The last
 * messages of each stream are kept in an EventLog, created on the session's first SSE-delivered
 * message (JSON-answered POSTs never touch it), freed with the session, and bounded:
 * RESUME_EVENTS_PER_STREAM per stream, RESUME_BYTES_PER_SESSION (UTF-16 length plus a fixed overhead per
 * event) and RESUME_STREAMS_PER_SESSION streams; the oldest events (and streams) go first. Legacy SSE
 * (2024-11-05) has no resumability and no log.
 */
import type { SseStream } from './sse-writer.ts';

export const RESUME_EVENTS_PER_STREAM = 100;
export const RESUME_BYTES_PER_SESSION = 256 * 1024;
export const RESUME_STREAMS_PER_SESSION = 32;
/** Bytes counted per event besides its JSON (id, array slot, object header). */
const EVENT_OVERHEAD = 64;

/** The GET stream's number. */
export const GET_STREAM = 0;

interface LoggedEvent {
  readonly seq: number;
  readonly json: string;
  readonly size: number;
  /** Session-wide order, for evicting the oldest event across streams. */
  readonly order: number;
}

export interface EventLogLimits {
  readonly eventsPerStream: number;
  readonly bytes: number;
  readonly streams: number;
}

const DEFAULT_LIMITS: EventLogLimits = {
  eventsPerStream: RESUME_EVENTS_PER_STREAM,
  bytes: RESUME_BYTES_PER_SESSION,
  streams: RESUME_STREAMS_PER_SESSION,
};

/** `<stream>-<seq>` parsed; undefined when the id is not one of ours in form. */
export function parseEventId(id: string): { stream: number; seq: number } | undefined {
  const m = /^(\d{1,9})-(\d{1,15})$/.exec(id);
  if (m === null) return undefined;
  return { stream: Number(m[1]), seq: Number(m[2]) };
}

/** The kept events of one session, per stream, plus the POST streams whose answer is still to come. */
export class EventLog {
  private readonly streams = new Map<number, LoggedEvent[]>();
  /** POST streams not yet ended (their answers are still to come), by number. */
  readonly open = new Map<number, ResumableStream>();
  private bytes = 0;
  private order = 0;

  constructor(private readonly limits: EventLogLimits = DEFAULT_LIMITS) {}

  /** Kept events, across streams. */
  get size(): number {
    let n = 0;
    for (const events of this.streams.values()) n += events.length;
    return n;
  }

  get byteSize(): number {
    return this.bytes;
  }

  record(stream: number, seq: number, json: string): void {
    const size = json.length + EVENT_OVERHEAD;
    let events = this.streams.get(stream);
    if (size > this.limits.bytes) {
      // Too big to keep: drop the stream's older events too, so what is kept has no gap.
      if (events !== undefined) this.drop(stream, events);
      return;
    }
    if (events === undefined) {
      if (this.streams.size >= this.limits.streams) this.dropOldestStream();
      events = [];
      this.streams.set(stream, events);
    }
    events.push({ seq, json, size, order: ++this.order });
    this.bytes += size;
    if (events.length > this.limits.eventsPerStream) this.bytes -= events.shift()!.size;
    while (this.bytes > this.limits.bytes) this.evictOldest();
  }

  /** The kept events of `stream` after `seq`, oldest first, as [id, json]. */
  after(stream: number, seq: number): [string, string][] {
    const events = this.streams.get(stream);
    if (events === undefined) return [];
    const out: [string, string][] = [];
    for (const e of events) if (e.seq > seq) out.push([`${stream}-${e.seq}`, e.json]);
    return out;
  }

  private drop(stream: number, events: LoggedEvent[]): void {
    for (const e of events) this.bytes -= e.size;
    this.streams.delete(stream);
  }

  /** Drops the stream created first (the GET stream only when it is the only one). */
  private dropOldestStream(): void {
    for (const [stream, events] of this.streams) {
      if (stream === GET_STREAM && this.streams.size > 1) continue;
      this.drop(stream, events);
      return;
    }
  }

  private evictOldest(): void {
    let oldest: LoggedEvent[] | undefined;
    let oldestStream = -1;
    for (const [stream, events] of this.streams) {
      if (oldest === undefined || events[0]!.order < oldest[0]!.order) {
        oldest = events;
        oldestStream = stream;
      }
    }
    if (oldest === undefined) {
      this.bytes = 0;
      return;
    }
    this.bytes -= oldest.shift()!.size;
    if (oldest.length === 0) this.streams.delete(oldestStream);
  }
}

/**
 * A POST answered with SSE, as a logical stream: its messages are logged and written to the current
 * connection, if any. A connection the client dropped leaves the stream open until its last answer;
 * a GET with `Last-Event-ID` of this stream takes it over (`attach`).
 */
export class ResumableStream {
  private seq = 0;
  private ended = false;

  constructor(
    readonly no: number,
    private readonly log: EventLog,
    private conn: SseStream | undefined,
  ) {
    log.open.set(no, this);
  }

  /** Logs and writes one message. True while the stream has not ended: a dropped connection still
   * keeps the message for a resume, so it belongs to this stream (spec: one stream per message). */
  send(json: string): boolean {
    if (this.ended) return false;
    const seq = ++this.seq;
    this.log.record(this.no, seq, json);
    this.conn?.message(json, `${this.no}-${seq}`);
    return true;
  }

  /** After the last answer: ends the connection and forgets the stream (its events stay logged). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.log.open.get(this.no) === this) this.log.open.delete(this.no);
    this.conn?.close();
    this.conn = undefined;
  }

  /** A resumed connection replaces the current one. */
  attach(conn: SseStream): void {
    const old = this.conn;
    this.conn = conn;
    if (old !== undefined && old !== conn) old.close();
  }
}
