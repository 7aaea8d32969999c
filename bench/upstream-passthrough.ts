/**
 * Pass-through cost of an upstream MCP server behind the gateway.
 *
 *   bun bench/upstream-passthrough.ts [--seconds 12] [--rounds 6] [--concurrency 16] [--quick]
 *
 * server-everything runs over Streamable HTTP as a child process; the gateway runs as another
 * (`bun gateway/main.ts` on a temp config with one router pointing at it). This process drives two
 * official SDK clients: one connected to server-everything directly, one to the gateway's router. Both
 * call `echo` at the same fixed concurrency, in interleaved rounds (direct, gateway, gateway, direct, …)
 * so machine noise hits both alike. Printed: req/s per round and side, the medians, the ratio
 * gateway/direct, and p50/p99 latency per side over all rounds.
 *
 * `--quick`: 2 rounds of 0.5 s, to check that the bench runs. Every child is killed on exit, on error and
 * on SIGINT/SIGTERM, and a watchdog ends a bench that hangs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Subprocess } from 'bun';
import { EVERYTHING_BIN, freePort } from '../test/fixtures/upstreams/everything.ts';
import { BenchRun, positiveFlag } from './lib/bench-run.ts';

const ROOT = join(import.meta.dir, '..');
const BUN = process.execPath;
const PREFIX = '/bench/everything';
const WATCHDOG_MS = 10 * 60_000;

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    concurrency: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});


const QUICK = flags.quick === true;
const ROUNDS = Math.round(positiveFlag('upstream-passthrough', 'rounds', flags.rounds, QUICK ? 2 : 6));
const SECONDS = positiveFlag('upstream-passthrough', 'seconds', flags.seconds, QUICK ? 1 : 12);
const CONCURRENCY = Math.round(positiveFlag('upstream-passthrough', 'concurrency', flags.concurrency, 16));
const ROUND_MS = (SECONDS * 1000) / ROUNDS;

const bench = new BenchRun('upstream-passthrough', WATCHDOG_MS);

function spawn(name: string, cmd: string[], env: Record<string, string>, stderr: 'inherit' | 'ignore' = 'inherit'): Subprocess {
  return bench.track(name, Bun.spawn(cmd, { cwd: ROOT, env, stdin: 'ignore', stdout: 'ignore', stderr }));
}

/** Polls `url` until it answers 2xx (or anything, with `anyStatus`). */
async function waitUntilUp(name: string, url: string, proc: Subprocess, anyStatus = false, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with code ${proc.exitCode}`);
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (anyStatus || res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not come up at ${url}`);
    await Bun.sleep(50);
  }
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'upstream-passthrough-bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

type EchoResult = { content: { type: string; text?: string }[]; isError?: boolean };

/** Runs `CONCURRENCY` call loops on `client` for `ms`; returns completed calls, errors and latencies (ms). */
async function round(client: Client, ms: number): Promise<{ done: number; errors: number; seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, lane) => {
      let i = 0;
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const result = (await client.callTool({ name: 'echo', arguments: { message: `m${lane}-${i++}` } })) as EchoResult;
          if (result.isError) errors++;
          else latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { done: latencies.length, errors, seconds: (performance.now() - started) / 1000, latencies };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const everythingPort = await freePort();
  const gatewayPort = await freePort();
  const everything = spawn('server-everything', [BUN, EVERYTHING_BIN, 'streamableHttp'], {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(everythingPort),
  }, 'ignore');
  const upstreamUrl = `http://127.0.0.1:${everythingPort}/mcp`;
  await waitUntilUp('server-everything', upstreamUrl, everything, true);

  const dir = mkdtempSync(join(tmpdir(), 'bench-upstream-'));
  bench.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'configs', 'bench'), { recursive: true });
  const doc = {
    name: 'upstream',
    tenant: 'bench',
    routers: [{ server: 'everything', prefix: PREFIX }],
    mcpServers: [{ name: 'everything', type: 'streamable-http', url: upstreamUrl, policy: 'onStart' }],
  };
  writeFileSync(join(dir, 'configs', 'bench', 'upstream.yaml'), JSON.stringify(doc, null, 2));
  const gatewayEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  const gateway = spawn(
    'gateway',
    [BUN, 'gateway/main.ts', '--config', dir, '--data-dir', join(dir, '.data'), '--host', '127.0.0.1', '--port', String(gatewayPort), '--log-level', 'error', '--poll-interval', '0'],
    gatewayEnv,
  );
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  await waitUntilUp('gateway', `${gatewayUrl}/health_check`, gateway);

  const direct = await connect(upstreamUrl);
  const viaGateway = await connect(`${gatewayUrl}${PREFIX}/mcp`);
  const sides = [
    { name: 'direct', client: direct, rps: [] as number[], latencies: [] as number[], errors: 0 },
    { name: 'gateway', client: viaGateway, rps: [] as number[], latencies: [] as number[], errors: 0 },
  ];

  // Same answer both ways before anything is measured.
  const a = (await direct.callTool({ name: 'echo', arguments: { message: 'same?' } })) as EchoResult;
  const b = (await viaGateway.callTool({ name: 'echo', arguments: { message: 'same?' } })) as EchoResult;
  if (JSON.stringify(a.content) !== JSON.stringify(b.content)) throw new Error(`answers differ: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);

  console.log(
    `upstream pass-through: tools/call echo on server-everything (Streamable HTTP), SDK client, concurrency ${CONCURRENCY}, ` +
      `${ROUNDS} rounds of ${fmt(ROUND_MS / 1000, 1)} s per side`,
  );
  for (const side of sides) await round(side.client, Math.min(1000, ROUND_MS)); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    const line: string[] = [];
    for (const side of order) {
      const result = await round(side.client, ROUND_MS);
      const rps = result.done / result.seconds;
      side.rps.push(rps);
      side.latencies.push(...result.latencies);
      side.errors += result.errors;
      line.push(`${side.name} ${fmt(rps)} req/s`);
    }
    console.log(`  round ${r + 1}: ${line.join(', ')}`);
  }
  for (const side of sides) {
    const sorted = side.latencies.sort((x, y) => x - y);
    console.log(
      `  ${side.name.padEnd(7)} median ${fmt(median(side.rps))} req/s   p50 ${fmt(percentile(sorted, 50), 2)} ms   p99 ${fmt(percentile(sorted, 99), 2)} ms   errors ${side.errors}`,
    );
  }
  const ratio = median(sides[1]!.rps) / median(sides[0]!.rps);
  console.log(`  ratio gateway/direct: ${fmt(ratio, 2)}`);
  await Promise.all([direct.close(), viaGateway.close()]);
  if (sides.some((s) => s.errors > 0)) throw new Error('calls failed during the measurement');
}

await bench.run(main);
