/**
 * A FIFO async mutex: `run` calls its function once every earlier call has settled, so the git commands
 * of two console requests never interleave in one work tree.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` alone; its result or error is passed through, and a failure never blocks later calls. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** One mutex per key (a clone directory), shared by every instance in the process that uses that key. */
export class KeyedMutex {
  private readonly locks = new Map<string, Mutex>();

  for(key: string): Mutex {
    let lock = this.locks.get(key);
    if (!lock) {
      lock = new Mutex();
      this.locks.set(key, lock);
    }
    return lock;
  }
}
