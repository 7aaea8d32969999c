/**
 * Slowing down password guessing. Two limits apply to every login:
 *
 * - per account: after `LOCK_AFTER` consecutive failures each further failure locks the account for
 *   2^failures seconds, capped at `MAX_LOCK_MS` (5 → 32 s, 6 → 64 s, … → 15 min). Known accounts keep
 *   the counter in the store (it survives restarts and is shared by replicas); unknown usernames keep
 *   it here, in memory, so a locked-out answer does not tell which usernames exist.
 * - per client address, in memory: more than `IP_LIMIT` failures within `IP_WINDOW_MS` refuse further
 *   attempts from that address until the window has passed.
 *
 * Memory is bounded: entries expire, and past `MAX_ENTRIES` the oldest are dropped.
 */

export const LOCK_AFTER = 5;
export const MAX_LOCK_MS = 15 * 60_000;
export const IP_LIMIT = 30;
export const IP_WINDOW_MS = 10 * 60_000;
const MAX_ENTRIES = 10_000;

/** Until when an account with `failures` consecutive failures is locked, or undefined when it is not. */
export function lockUntil(failures: number, now: Date): Date | undefined {
  if (failures < LOCK_AFTER) return undefined;
  const ms = Math.min(2 ** Math.min(failures, 30) * 1000, MAX_LOCK_MS);
  return new Date(now.getTime() + ms);
}

interface NameEntry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

interface IpEntry {
  /** Times of recent failures, oldest first. */
  failures: number[];
}

/** The in-memory half of login throttling (per client address, and unknown usernames). */
export class LoginThrottle {
  private readonly names = new Map<string, NameEntry>();
  private readonly ips = new Map<string, IpEntry>();

  /** Milliseconds until `ip` may try again, or 0. */
  ipRetryAfter(ip: string, now: Date): number {
    const entry = this.ips.get(ip);
    if (!entry) return 0;
    const t = now.getTime();
    while (entry.failures.length > 0 && (entry.failures[0] ?? 0) <= t - IP_WINDOW_MS) entry.failures.shift();
    if (entry.failures.length === 0) {
      this.ips.delete(ip);
      return 0;
    }
    if (entry.failures.length < IP_LIMIT) return 0;
    return (entry.failures[entry.failures.length - IP_LIMIT] ?? t) + IP_WINDOW_MS - t;
  }

  recordIpFailure(ip: string, now: Date): void {
    const entry = this.ips.get(ip) ?? { failures: [] };
    entry.failures.push(now.getTime());
    // Only the newest IP_LIMIT failures decide when the address may retry.
    if (entry.failures.length > IP_LIMIT) entry.failures.splice(0, entry.failures.length - IP_LIMIT);
    this.ips.delete(ip);
    this.ips.set(ip, entry);
    prune(this.ips);
  }

  /** For an unknown username: milliseconds until it may be tried again, or 0. */
  nameRetryAfter(username: string, now: Date): number {
    const entry = this.names.get(username.toLowerCase());
    if (!entry) return 0;
    return Math.max(0, entry.lockedUntil - now.getTime());
  }

  /** For an unknown username: counts a failure exactly as the store does for a known account. */
  recordNameFailure(username: string, now: Date): void {
    const key = username.toLowerCase();
    const t = now.getTime();
    const prev = this.names.get(key);
    // Forget a name after a quiet period as long as the longest lock.
    const failures = prev && t - prev.lastFailure < MAX_LOCK_MS ? prev.failures + 1 : 1;
    const until = lockUntil(failures, now);
    this.names.delete(key);
    this.names.set(key, { failures, lockedUntil: until?.getTime() ?? 0, lastFailure: t });
    prune(this.names);
  }
}

/** Drops the oldest entries (Maps iterate in insertion order; updates re-insert). */
function prune<V>(map: Map<string, V>): void {
  if (map.size <= MAX_ENTRIES) return;
  for (const key of map.keys()) {
    map.delete(key);
    if (map.size <= MAX_ENTRIES) break;
  }
}
