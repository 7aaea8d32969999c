/**
 * Runs every benchmark script in bench/ in sequence: `bun bench/run.ts [args...]` (also `bun run bench`).
 * Arguments (e.g. `--quick`) are passed to each script. Skips itself and bench/baseline-proxy.ts (a
 * server the throughput bench starts, not a benchmark). Exits 1 if any benchmark failed.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Subprocess } from 'bun';

const NOT_BENCHMARKS = new Set(['run.ts', 'baseline-proxy.ts']);
/** A benchmark that runs longer than this is killed and counted as failed. */
const SCRIPT_TIMEOUT_MS = 20 * 60_000;

const dir = import.meta.dir;
const args = Bun.argv.slice(2);
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts') && !NOT_BENCHMARKS.has(f))
  .sort();

let current: Subprocess | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    current?.kill('SIGTERM');
    process.exit(130);
  });
}

const results: { script: string; code: number | string; seconds: number }[] = [];
for (const script of scripts) {
  console.log(`\n=== ${script} ${args.join(' ')}`.trimEnd());
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, join(dir, script), ...args], {
    cwd: join(dir, '..'),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  current = proc;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
  }, SCRIPT_TIMEOUT_MS);
  const code = await proc.exited;
  clearTimeout(timer);
  current = undefined;
  results.push({ script: basename(script), code: timedOut ? 'timeout' : code, seconds: (performance.now() - started) / 1000 });
}

console.log('\n=== summary');
for (const r of results) console.log(`  ${r.script.padEnd(28)} ${r.code === 0 ? 'ok' : `failed (${r.code})`}  ${r.seconds.toFixed(1)} s`);
if (scripts.length === 0) console.log('  no benchmarks found');
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
