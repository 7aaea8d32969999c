/**
 * What the two transports share: the session store, the dispatcher, the SSE hub and the limits.
 * McpTransport owns one and hands it to both.
 */
import type { Dispatcher, LogFn } from './dispatch.ts';
import type { SessionStore } from './session.ts';
import type { SseHub } from './sse-writer.ts';

export interface TransportCore {
  readonly store: SessionStore;
  readonly dispatcher: Dispatcher;
  readonly hub: SseHub;
  readonly maxRequestBytes: number;
  readonly now: () => number;
  readonly log: LogFn;
}
