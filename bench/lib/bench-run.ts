/**
 * What every benchmark that starts processes needs: flag parsing for positive numbers, and one owner of
 * its child processes and temp files. Children are killed on exit, on error and on SIGINT/SIGTERM, a
 * watchdog ends a bench that hangs, and `run` stops everything cleanly (SIGTERM, then SIGKILL after a
 * grace period) before exiting with the bench's status.
 */
import type { Subprocess } from 'bun';

/** `--name` as a positive number, `fallback` when absent; exits with status 2 on a bad value. */
export function positiveFlag(bench: string, name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`${bench}: --${name} must be a positive number (got ${JSON.stringify(raw)})`);
    process.exit(2);
  }
  return n;
}

export class BenchRun {
  private readonly children: Subprocess[] = [];
  /** Run once at the end, whatever happened (temp dirs). */
  readonly cleanups: (() => void)[] = [];
  /** Set once the bench is shutting down, so children exiting is no longer news. */
  private stopping = false;
  private readonly watchdog: ReturnType<typeof setTimeout>;

  constructor(
    private readonly bench: string,
    watchdogMs: number,
  ) {
    process.on('exit', () => {
      this.killChildren();
      this.runCleanups();
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
    this.watchdog = setTimeout(() => {
      console.error(`${bench}: still running after ${Math.round(watchdogMs / 1000)} s; giving up`);
      process.exit(1);
    }, watchdogMs);
  }

  /** Owns `proc` from now on; says so when it exits before the bench is done. */
  track<P extends Subprocess>(name: string, proc: P): P {
    this.children.push(proc);
    void proc.exited.then((code) => {
      if (!this.stopping) console.error(`${this.bench}: ${name} exited early (code ${code})`);
    });
    return proc;
  }

  /** Runs the bench, stops every child and cleans up, then exits: 0, or 1 after an error. */
  async run(main: () => Promise<void>): Promise<never> {
    let exitCode = 0;
    try {
      await main();
    } catch (err) {
      console.error(`${this.bench}: ${err instanceof Error ? err.message : String(err)}`);
      exitCode = 1;
    } finally {
      this.stopping = true;
      clearTimeout(this.watchdog);
      for (const child of this.children) if (child.exitCode === null) child.kill('SIGTERM');
      const grace = setTimeout(() => this.killChildren(), 5000);
      await Promise.all(this.children.map((c) => c.exited));
      clearTimeout(grace);
      this.runCleanups();
    }
    process.exit(exitCode);
  }

  private killChildren(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private runCleanups(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}
