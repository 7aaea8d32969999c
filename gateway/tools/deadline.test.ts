import { afterEach, describe, expect, it } from 'bun:test';
import { DeadlineTimer, type FireReason } from './deadline.ts';

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setup() {
  let now = 1000;
  const timer = new DeadlineTimer(25, () => now);
  // Leave no interval behind: whatever a test left pending fires, and that sweep stops the timer.
  cleanups.push(() => {
    now += 1e9;
    timer.sweep();
  });
  const fired: string[] = [];
  const record = (name: string) => (reason: FireReason) => fired.push(`${name}:${reason}`);
  return { timer, fired, record, advance: (ms: number) => (now += ms) };
}

describe('DeadlineTimer', () => {
  it('fires a deadline on the first sweep at or after it, never before', () => {
    const { timer, fired, record, advance } = setup();
    timer.add(300, undefined, record('a'));
    advance(299);
    expect(timer.sweep()).toBe(0);
    advance(1);
    expect(timer.sweep()).toBe(1);
    expect(fired).toEqual(['a:timeout']);
  });

  it('fires "cancelled" on the first sweep after the watched signal aborts', () => {
    const { timer, fired, record } = setup();
    const controller = new AbortController();
    timer.add(10_000, controller.signal, record('a'));
    expect(timer.sweep()).toBe(0);
    controller.abort();
    expect(timer.sweep()).toBe(1);
    expect(fired).toEqual(['a:cancelled']);
  });

  it('does not fire a deadline that was removed, and fires each one at most once', () => {
    const { timer, fired, record, advance } = setup();
    const a = timer.add(10, undefined, record('a'));
    timer.add(10, undefined, record('b'));
    timer.remove(a);
    advance(10);
    timer.sweep();
    timer.sweep();
    expect(fired).toEqual(['b:timeout']);
    // Removing an already fired or removed deadline is harmless.
    timer.remove(a);
    expect(timer.size).toBe(0);
  });

  it('keeps the others when deadlines are removed out of order', () => {
    const { timer, fired, record, advance } = setup();
    const ds = ['a', 'b', 'c', 'd', 'e'].map((n, i) => timer.add(10 * (i + 1), undefined, record(n)));
    timer.remove(ds[1]!);
    timer.remove(ds[0]!);
    expect(timer.size).toBe(3);
    advance(50);
    expect(timer.sweep()).toBe(3);
    expect(fired.sort()).toEqual(['c:timeout', 'd:timeout', 'e:timeout']);
  });

  it('fires every due deadline in one sweep, whatever their order', () => {
    const { timer, fired, record, advance } = setup();
    timer.add(30, undefined, record('late'));
    timer.add(10, undefined, record('early'));
    timer.add(1000, undefined, record('later'));
    advance(30);
    expect(timer.sweep()).toBe(2);
    expect(fired.sort()).toEqual(['early:timeout', 'late:timeout']);
    expect(timer.size).toBe(1);
  });

  it('schedules its interval only while deadlines are pending', () => {
    const { timer, record, advance } = setup();
    expect(timer.ticking).toBe(false);
    const a = timer.add(10, undefined, record('a'));
    expect(timer.ticking).toBe(true);
    timer.remove(a);
    // Stopped by the next sweep, not by the removal (back-to-back calls reuse the running timer).
    expect(timer.ticking).toBe(true);
    advance(25);
    timer.sweep();
    expect(timer.ticking).toBe(false);
  });
});
