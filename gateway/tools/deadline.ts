/**
 * Tool-call timeouts and cancellation on one shared coarse timer. Every in-flight call adds a deadline
 * and removes it when it ends; a sweep every `tickMs` fires the deadlines that have passed and those
 * whose watched signal (the client's cancellation) has been aborted. A deadline fires at most one tick
 * late and never early; a cancellation is seen within one tick. The timer runs only while deadlines are
 * pending, so an idle gateway schedules nothing.
 *
 * Why not a timer and an 'abort' listener per call: in Bun the listener costs more than it seems.
 * Measured in bench/gateway-throughput.ts' setup (server pinned to one core, 64 connections), a minimal
 * proxy that adds and removes one 'abort' listener per request spent about 5 µs more CPU per request
 * (58 → 63 µs) and twice as long in garbage collection; a second AbortController without a listener
 * cost under 1 µs. Polling `signal.aborted` on the sweep costs nothing per call.
 */

export type FireReason = 'timeout' | 'cancelled';

/** What the sweep polls for cancellation: an AbortSignal, or anything else with an `aborted` flag. */
export type Watched = { readonly aborted: boolean };

/** One pending deadline; pass it back to `remove`. */
export interface Deadline {
  readonly at: number;
  readonly watch: Watched | undefined;
  readonly fire: (reason: FireReason) => void;
}

/** A Deadline with its place in the pending array (-1 once fired or removed). */
interface Slot extends Deadline {
  slot: number;
}

/**
 * Pending deadlines live in an array compacted by moving the last one into a freed slot, not in a Set:
 * in JSC a deleted Set entry keeps its value (here the call's AbortController and signal) reachable
 * until the table is rehashed, so young collections cannot free finished calls (see CallTable in
 * gateway/mcp/session.ts for the figures).
 */
export class DeadlineTimer {
  private readonly pending: Slot[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly tickMs: number,
    /** Monotonic milliseconds; tests inject a clock and call `sweep` themselves. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Calls `fire('timeout')` once `ms` have passed, or `fire('cancelled')` once `watch` is aborted,
   * whichever a sweep sees first, unless `remove` comes before. Fires at most once.
   */
  add(ms: number, watch: Watched | undefined, fire: (reason: FireReason) => void): Deadline {
    const deadline: Slot = { at: this.now() + ms, watch, fire, slot: this.pending.length };
    this.pending.push(deadline);
    // Kept referenced while deadlines are pending, as a timer per call would be: a call waiting on
    // something that holds no handle of its own (a DNS lookup) must still time out.
    this.timer ??= setInterval(() => this.sweep(), this.tickMs);
    return deadline;
  }

  remove(deadline: Deadline): void {
    const d = deadline as Slot;
    const at = d.slot;
    if (at < 0) return;
    d.slot = -1;
    const last = this.pending.pop()!;
    if (last !== d) {
      this.pending[at] = last;
      last.slot = at;
    }
  }

  /**
   * Fires the deadlines that have passed or whose signal is aborted; returns how many. Stops the timer
   * once nothing is pending.
   */
  sweep(): number {
    let fired = 0;
    const pending = this.pending;
    if (pending.length > 0) {
      const now = this.now();
      for (let i = 0; i < pending.length; ) {
        const deadline = pending[i]!;
        const reason: FireReason | undefined = deadline.watch?.aborted ? 'cancelled' : deadline.at <= now ? 'timeout' : undefined;
        if (reason === undefined) {
          i++;
          continue;
        }
        // Removal moves the last deadline into slot i, which is looked at next.
        this.remove(deadline);
        fired++;
        deadline.fire(reason);
      }
    }
    // Stopping only on a sweep (not on the last removal) keeps back-to-back calls from restarting it.
    if (pending.length === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    return fired;
  }

  get size(): number {
    return this.pending.length;
  }

  /** Whether the sweep timer is scheduled. */
  get ticking(): boolean {
    return this.timer !== undefined;
  }
}

/**
 * The process-wide timer of tool calls: 25 ms is coarse enough to cost nothing and fine enough for a
 * "300ms" timeout and for stopping a cancelled backend request.
 */
export const toolDeadlines = new DeadlineTimer(25);
