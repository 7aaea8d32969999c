/**
 * Gateway throughput and session memory.
 *
 *   bun bench/gateway-throughput.ts [--seconds 12] [--rounds 6] [--sessions 10000] [--quick]
 *                                   [--client socket|fetch] [--pin auto|on|off]
 *
 * 1. Throughput: REST→MCP `tools/call` (tool get_user_raw → backend GET /users/1) on one established
 *    Streamable HTTP session, the gateway against bench/baseline-proxy.ts (a hand-written Bun.serve
 *    proxy doing the minimal work of any MCP proxy). Backend, gateway and baseline run as child
 *    processes; this process generates the load over raw keep-alive HTTP/1.1 connections
 *    (bench/lib/http-load.ts; `--client fetch` for Bun's fetch) at a fixed concurrency, in interleaved
 *    rounds (gateway, baseline, baseline, gateway, …) so machine noise hits both alike. With `--pin`
 *    (the default where taskset exists), the server under test runs alone on CPU 0 and everything else
 *    on the other CPUs, and each side's CPU time per request is read from /proc. `--seconds` is the
 *    measured time per side at concurrency 64, split into `--rounds` rounds; concurrency 1 gets half.
 * 2. Memory: `--sessions` concurrent legacy SSE sessions (GET /e2e/rest/sse, endpoint event read, kept
 *    open) against the gateway process; its VmRSS before and with them; then all closed and the
 *    `mcp_sessions{transport="sse"}` gauge shown back at 0.
 *
 * `--quick`: 2 rounds of 0.5 s and 1,000 sessions, to check that the bench runs. Every child process
 * is killed on exit, on error and on SIGINT/SIGTERM, and a watchdog ends a bench that hangs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Socket, Subprocess } from 'bun';
import { HttpConnection, postJson } from './lib/http-load.ts';
import { BenchRun, positiveFlag } from './lib/bench-run.ts';

const ROOT = join(import.meta.dir, '..');
const BUN = process.execPath;
const REPO = 'test/fixtures/e2e-repo';
const PREFIX = '/e2e/rest';
const TOOL = 'get_user_raw';
const PROTOCOL_VERSION = '2025-11-25';
const HIGH_CONCURRENCY = 64;
const RATIO_TARGET = 0.9;
const RSS_TARGET_MB = 200;
const SSE_BATCH = 500;
const REQUEST_TIMEOUT_MS = 10_000;
const ACCEPT = 'application/json, text/event-stream';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    sessions: { type: 'string' },
    quick: { type: 'boolean', default: false },
    client: { type: 'string', default: 'socket' },
    pin: { type: 'string', default: 'auto' },
  },
});


const QUICK = flags.quick === true;
const ROUNDS = Math.round(positiveFlag('gateway-throughput', 'rounds', flags.rounds, QUICK ? 2 : 6));
const SECONDS = positiveFlag('gateway-throughput', 'seconds', flags.seconds, QUICK ? 1 : 12);
const SESSIONS = Math.round(positiveFlag('gateway-throughput', 'sessions', flags.sessions, QUICK ? 1000 : 10_000));
const ROUND_MS = (SECONDS * 1000) / ROUNDS;
if (flags.client !== 'socket' && flags.client !== 'fetch') {
  console.error(`gateway-throughput: --client must be socket or fetch (got ${JSON.stringify(flags.client)})`);
  process.exit(2);
}
/** socket: bench/lib/http-load.ts (raw keep-alive HTTP/1.1); fetch: Bun's fetch with keep-alive. */
const CLIENT: 'socket' | 'fetch' = flags.client;
if (flags.pin !== 'auto' && flags.pin !== 'on' && flags.pin !== 'off') {
  console.error(`gateway-throughput: --pin must be auto, on or off (got ${JSON.stringify(flags.pin)})`);
  process.exit(2);
}
const TASKSET = Bun.which('taskset');
const CPUS = navigator.hardwareConcurrency;
/**
 * Pinned: the server under test (gateway or baseline, one at a time) alone on CPU 0; this process and
 * the backend on the other CPUs. `auto` pins when taskset exists and there are at least 2 CPUs.
 */
const PIN = flags.pin === 'on' || (flags.pin === 'auto' && TASKSET !== null && CPUS >= 2);
if (PIN && (TASKSET === null || CPUS < 2)) {
  console.error('gateway-throughput: --pin on needs taskset and at least 2 CPUs');
  process.exit(2);
}
const SERVER_CPUS = '0';
/** A pinned server busier than this (cores) is taken as CPU-bound: the ratio then compares costs. */
const SATURATED_CORES = 0.9;
const OTHER_CPUS = CPUS > 2 ? `1-${CPUS - 1}` : '1';
const CLK_TCK = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100;
const WARMUP_MS = QUICK ? 300 : 1500;
// Whatever happens, the bench ends: measured time, warm-ups and the memory phase, with a wide margin.
const WATCHDOG_MS = 2 * (SECONDS * 1000 * 1.5 * 2 + WARMUP_MS * 2) + 180_000;

// ---------------------------------------------------------------------------------------------------
// Child processes

const bench = new BenchRun('gateway-throughput', WATCHDOG_MS);

function spawn(name: string, cmd: string[], env: Record<string, string> = {}): Subprocess<'ignore', 'pipe', 'inherit'> {
  return bench.track(name, Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdin: 'ignore', stdout: 'pipe', stderr: 'inherit' }));
}

/** Reads stdout until a JSON line with a `url` appears, then keeps draining it in the background. */
async function announcedUrl(name: string, proc: Subprocess<'ignore', 'pipe', 'inherit'>, timeoutMs = 10_000): Promise<string> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + timeoutMs;
  let buffer = '';
  for (;;) {
    const read = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => undefined)]);
    if (read === undefined) throw new Error(`${name}: no URL announced within ${timeoutMs} ms`);
    if (read.done) throw new Error(`${name}: exited before announcing its URL`);
    buffer += decoder.decode(read.value, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        const url = (JSON.parse(line) as { url?: unknown }).url;
        if (typeof url === 'string') {
          void drain(reader);
          return url;
        }
      } catch {
        // Not a JSON line: keep reading.
      }
    }
  }
}

async function drain(reader: { read(): Promise<{ done: boolean }> }): Promise<void> {
  try {
    while (!(await reader.read()).done) {
      // Discard: the pipe must not fill up and block the child.
    }
  } catch {
    // The child went away.
  }
}

/** A port that was free a moment ago (the gateway prints nothing machine-readable at warn level). */
function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function waitHealthy(url: string, proc: Subprocess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`gateway exited with code ${proc.exitCode} before it was healthy`);
    const res = await fetch(`${url}/health_check`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    if (res?.status === 200) return;
    await res?.body?.cancel();
    if (Date.now() > deadline) throw new Error(`gateway not healthy within ${timeoutMs} ms`);
    await Bun.sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------------
// Load generation

interface Target {
  name: string;
  /** The MCP endpoint. */
  url: string;
  headers: Record<string, string>;
  /** The process serving it, for CPU accounting. */
  pid: number;
  /** socket client: the POST bytes for a body. */
  raw: (body: string) => string;
}

interface RoundResult {
  ok: number;
  errors: number;
  seconds: number;
  latencies: number[];
  /** CPU seconds (user + system, all threads) of the server under test, the backend and this process. */
  cpu: { server: number; backend: number; client: number };
}

function post(url: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

/** Initializes a Streamable HTTP session; returns the headers every later request carries. */
async function establish(name: string, url: string, pid: number): Promise<Target> {
  const init = await post(
    url,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'gateway-throughput', version: '1.0.0' } },
    }),
    {},
  );
  const sessionId = init.headers.get('mcp-session-id');
  await init.text();
  if (init.status !== 200 || !sessionId) throw new Error(`${name}: initialize answered ${init.status} without a session id`);
  const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION };
  const note = await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers);
  await note.text();
  if (note.status !== 202) throw new Error(`${name}: notifications/initialized answered ${note.status}`);
  const u = new URL(url);
  const raw = postJson(u.pathname, u.host, { accept: ACCEPT, ...headers });
  return { name, url, headers, pid, raw };
}

let nextId = 1;

function callBody(): string {
  return `{"jsonrpc":"2.0","id":${nextId++},"method":"tools/call","params":{"name":"${TOOL}","arguments":{"id":"1"}}}`;
}

/** The text content of a tools/call answer, whether sent as JSON or as an SSE stream. */
function resultText(body: string, contentType: string): string | undefined {
  let json = body;
  if (contentType.includes('text/event-stream')) {
    const data = body.split('\n').filter((l) => l.startsWith('data:') && l.length > 6);
    json = data.length > 0 ? data[data.length - 1]!.slice(5).trim() : '';
  }
  try {
    const msg = JSON.parse(json) as { result?: { isError?: boolean; content?: { text?: string }[] } };
    if (!msg.result || msg.result.isError) return undefined;
    return msg.result.content?.[0]?.text;
  } catch {
    return undefined;
  }
}

/** One request, checked: the answer must be a successful result. */
async function callOnce(target: Target): Promise<string | undefined> {
  const res = await post(target.url, callBody(), target.headers);
  const body = await res.text();
  return res.status === 200 ? resultText(body, res.headers.get('content-type') ?? '') : undefined;
}

/** A cheap check on the hot loop: a result without isError. */
function okAnswer(status: number, body: string): boolean {
  return status === 200 && body.includes('"result"') && !body.includes('"isError":true');
}

/**
 * Opens `n` keep-alive connections for one round. A round opens its own: a connection left idle while
 * the other side is measured may meet the server's idle timeout.
 */
async function connections(target: Target, n: number): Promise<HttpConnection[]> {
  const u = new URL(target.url);
  return Promise.all(Array.from({ length: n }, () => HttpConnection.open(u.hostname, Number(u.port))));
}

/** CPU seconds used so far by a process (all its threads), from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function round(target: Target, concurrency: number, ms: number): Promise<RoundResult> {
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  const conns = CLIENT === 'socket' ? await connections(target, concurrency) : [];
  const cpu0 = { server: cpuSeconds(target.pid), backend: cpuSeconds(backendPid), client: selfCpuSeconds() };
  const started = performance.now();
  const end = started + ms;
  const fetchWorker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const res = await post(target.url, callBody(), target.headers);
        if (okAnswer(res.status, await res.text())) ok++;
        else errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  const socketWorker = async (conn: HttpConnection) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const res = await conn.request(target.raw(callBody()));
        if (okAnswer(res.status, res.body)) ok++;
        else errors++;
      } catch {
        errors++;
        if (conn.isClosed) return;
      }
      latencies.push(performance.now() - t0);
    }
  };
  if (CLIENT === 'socket') await Promise.all(conns.map(socketWorker));
  else await Promise.all(Array.from({ length: concurrency }, fetchWorker));
  const seconds = (performance.now() - started) / 1000;
  for (const conn of conns) conn.close();
  const cpu = {
    server: cpuSeconds(target.pid) - cpu0.server,
    backend: cpuSeconds(backendPid) - cpu0.backend,
    client: selfCpuSeconds() - cpu0.client,
  };
  return { ok, errors, seconds, latencies, cpu };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface SideFigures {
  rates: number[];
  errors: number;
  latencies: number[];
  /** Per round: CPU microseconds per successful request of the server, the backend and the client. */
  serverUs: number[];
  backendUs: number[];
  clientUs: number[];
  /** Per round: the server's CPU use, in cores (1 = one core busy all the time). */
  serverCores: number[];
  /** Per round: the backend's and the load generator's CPU use together, in cores. */
  loadCores: number[];
}

/** Interleaved rounds: A, B, A, B, … (the order flips every round so neither side always goes first). */
async function interleaved(targets: readonly Target[], concurrency: number, ms: number, rounds: number): Promise<SideFigures[]> {
  const figures = targets.map((): SideFigures => ({ rates: [], errors: 0, latencies: [], serverUs: [], backendUs: [], clientUs: [], serverCores: [], loadCores: [] }));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => targets.length - 1 - i);
    for (const i of order) {
      const result = await round(targets[i]!, concurrency, ms);
      const f = figures[i]!;
      f.rates.push(result.ok / result.seconds);
      f.errors += result.errors;
      const perRequest = (s: number) => (result.ok > 0 ? (s * 1e6) / result.ok : Number.NaN);
      f.serverUs.push(perRequest(result.cpu.server));
      f.backendUs.push(perRequest(result.cpu.backend));
      f.clientUs.push(perRequest(result.cpu.client));
      f.serverCores.push(result.cpu.server / result.seconds);
      f.loadCores.push((result.cpu.backend + result.cpu.client) / result.seconds);
      for (const l of result.latencies) f.latencies.push(l);
    }
  }
  for (const f of figures) f.latencies.sort((a, b) => a - b);
  return figures;
}

// ---------------------------------------------------------------------------------------------------
// Memory: legacy SSE sessions over raw sockets (no fetch connection limit, one fd each)

/** Opens `GET <path>` as an SSE stream and resolves once the endpoint event has arrived. */
function openSse(port: number, path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let text = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`no endpoint event within ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    }
    Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(socket) {
          socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
        },
        data(socket, chunk) {
          if (settled) return;
          text += chunk.toString('latin1');
          if (text.length > 12 && !text.startsWith('HTTP/1.1 200')) {
            socket.end();
            fail(new Error(`SSE GET answered ${text.slice(0, text.indexOf('\r\n'))}`));
          } else if (/event: ?endpoint\r?\ndata: ?[^\r\n]*sessionId=[^\r\n]+\r?\n/.test(text)) {
            settled = true;
            clearTimeout(timer);
            text = '';
            resolve(socket);
          }
        },
        close() {
          fail(new Error('connection closed before the endpoint event'));
        },
        error(_socket, err) {
          fail(err);
        },
        connectError(_socket, err) {
          fail(err);
        },
      },
    }).catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
  });
}

async function rssMb(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb[1]) / 1024;
}

async function sseGauge(gatewayUrl: string): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const m = /^mcp_sessions\{transport="sse"\} (\d+)/m.exec(text);
  if (!m) throw new Error('mcp_sessions{transport="sse"} is missing from /metrics');
  return Number(m[1]);
}

// ---------------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number) => `${fmt(n, 2)} ms`;

/** The command line of a server under test: on its own CPU when pinned. */
function underTest(cmd: string[]): string[] {
  return PIN ? [TASKSET!, '-c', SERVER_CPUS, ...cmd] : cmd;
}

/** Pins every thread of this process (the load generator); children spawned later inherit it. */
function pinSelf(): void {
  const r = Bun.spawnSync([TASKSET!, '-a', '-p', '-c', OTHER_CPUS, String(process.pid)], { stdout: 'ignore', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`taskset failed: ${r.stderr.toString().trim()}`);
}

let backendPid = 0;

const us = (n: number) => fmt(n, 1);

function printCpu(label: string, g: SideFigures, b: SideFigures, saturated: boolean): void {
  const gUs = median(g.serverUs);
  const bUs = median(b.serverUs);
  console.log(
    `  CPU per request (${label}): gateway ${us(gUs)} µs, baseline ${us(bUs)} µs → efficiency ratio ${fmt(bUs / gUs, 3)}` +
      `; server busy ${fmt(median(g.serverCores), 2)} / ${fmt(median(b.serverCores), 2)} cores` +
      `; backend ${us(median(g.backendUs))} / ${us(median(b.backendUs))} µs, load generator ${us(median(g.clientUs))} / ${us(median(b.clientUs))} µs`,
  );
  if (!saturated || !PIN) return;
  // Pinned, each server should keep its own CPU busy; if it does not, something else held it back (the
  // load generator and backend on their CPUs, or another process), and the ratio measures that instead.
  const otherCpus = CPUS - 1;
  for (const [side, f] of [['gateway', g], ['baseline', b]] as const) {
    const busy = median(f.serverCores);
    const load = median(f.loadCores);
    if (busy >= SATURATED_CORES) continue;
    console.log(
      `  warning: the ${side} kept only ${fmt(busy, 2)} of its CPU busy (load generator and backend: ${fmt(load, 2)} of ${otherCpus}); ` +
        `${load >= otherCpus * SATURATED_CORES ? 'the load side was the limit' : 'another process competed for the CPU'}: these figures understate the ${side}`,
    );
  }
}

async function main(): Promise<void> {
  if (PIN) pinSelf();
  console.log(
    `gateway-throughput${QUICK ? ' (quick)' : ''}: Bun ${Bun.version}, ${CPUS} CPUs; client ${CLIENT}` +
      (PIN ? `; server under test pinned to CPU ${SERVER_CPUS}, backend and load generator to CPU ${OTHER_CPUS}` : '; not pinned'),
  );

  const backendProc = spawn('demo backend', [BUN, 'demo/main.ts', '--port', '0']);
  const backendUrl = await announcedUrl('demo backend', backendProc);
  backendPid = backendProc.pid;

  const baselineProc = spawn('baseline proxy', underTest([BUN, 'bench/baseline-proxy.ts', '--backend', backendUrl]));
  const baselineUrl = await announcedUrl('baseline proxy', baselineProc);

  // The gateway keeps a PID file in its data dir; a temp dir keeps it out of the checkout.
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  bench.cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = freePort();
  const gatewayProc = spawn(
    'gateway',
    underTest([
      BUN,
      'gateway/main.ts',
      '--config',
      REPO,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--allowed-networks',
      '127.0.0.1/32',
      '--env-allowlist',
      'E2E_BACKEND_URL',
      '--log-level',
      'warn',
      '--data-dir',
      dataDir,
    ]),
    { E2E_BACKEND_URL: backendUrl },
  );
  void drain(gatewayProc.stdout.getReader());
  const gatewayUrl = `http://127.0.0.1:${port}`;
  await waitHealthy(gatewayUrl, gatewayProc);

  const gateway = await establish('gateway', `${gatewayUrl}${PREFIX}/mcp`, gatewayProc.pid);
  const baseline = await establish('baseline', `${baselineUrl}/mcp`, baselineProc.pid);

  // Both must do the same work: the same backend body as the text content.
  const [gatewayText, baselineText] = [await callOnce(gateway), await callOnce(baseline)];
  if (gatewayText === undefined || gatewayText !== baselineText) {
    throw new Error(`gateway and baseline disagree: ${JSON.stringify(gatewayText)} vs ${JSON.stringify(baselineText)}`);
  }

  // ---- Throughput
  const clientText = CLIENT === 'socket' ? 'raw keep-alive HTTP/1.1 connections' : 'keep-alive fetch';
  console.log(`\nREST→MCP tools/call (${TOOL} → GET /users/1), one Streamable HTTP session per side, ${clientText}`);
  console.log(`warm-up ${fmt(WARMUP_MS / 1000, 1)} s per side, then ${ROUNDS} interleaved rounds of ${fmt(ROUND_MS / 1000, 2)} s per side\n`);
  for (const target of [gateway, baseline]) await round(target, HIGH_CONCURRENCY, WARMUP_MS);

  const [gHigh, bHigh] = (await interleaved([gateway, baseline], HIGH_CONCURRENCY, ROUND_MS, ROUNDS)) as [SideFigures, SideFigures];
  console.log(`concurrency ${HIGH_CONCURRENCY}       ${'gateway req/s'.padStart(14)} ${'baseline req/s'.padStart(15)}   ratio`);
  for (let r = 0; r < ROUNDS; r++) {
    const g = gHigh.rates[r]!;
    const b = bHigh.rates[r]!;
    console.log(`  round ${String(r + 1).padEnd(12)} ${fmt(g).padStart(14)} ${fmt(b).padStart(15)}   ${fmt(g / b, 3)}`);
  }
  const gRate = median(gHigh.rates);
  const bRate = median(bHigh.rates);
  const ratio = gRate / bRate;
  console.log(`  median             ${fmt(gRate).padStart(14)} ${fmt(bRate).padStart(15)}`);
  console.log(
    `  ratio gateway/baseline: ${fmt(ratio, 3)} (target ≥ ${RATIO_TARGET}: ${ratio >= RATIO_TARGET ? 'met' : 'NOT met'})` +
      `; errors: gateway ${gHigh.errors}, baseline ${bHigh.errors}`,
  );
  printCpu(`concurrency ${HIGH_CONCURRENCY}`, gHigh, bHigh, true);

  const lowMs = ROUND_MS / 2;
  const [gLow, bLow] = (await interleaved([gateway, baseline], 1, lowMs, ROUNDS)) as [SideFigures, SideFigures];
  console.log(`\nlatency (${ROUNDS} interleaved rounds of ${fmt(lowMs / 1000, 2)} s at concurrency 1; the rounds above at ${HIGH_CONCURRENCY})`);
  console.log(`  ${'side'.padEnd(10)} ${'concurrency'.padStart(11)} ${'req/s'.padStart(9)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'requests'.padStart(9)}`);
  const rows: [string, number, SideFigures][] = [
    ['gateway', 1, gLow],
    ['baseline', 1, bLow],
    ['gateway', HIGH_CONCURRENCY, gHigh],
    ['baseline', HIGH_CONCURRENCY, bHigh],
  ];
  for (const [side, c, f] of rows) {
    console.log(
      `  ${side.padEnd(10)} ${String(c).padStart(11)} ${fmt(median(f.rates)).padStart(9)} ${ms(percentile(f.latencies, 50)).padStart(10)} ${ms(percentile(f.latencies, 99)).padStart(10)} ${fmt(f.latencies.length).padStart(9)}`,
    );
  }
  if (gLow.errors + bLow.errors > 0) console.log(`  errors at concurrency 1: gateway ${gLow.errors}, baseline ${bLow.errors}`);
  printCpu('concurrency 1', gLow, bLow, false);

  // ---- Memory
  console.log(`\nmemory: ${fmt(SESSIONS)} concurrent legacy SSE sessions (GET ${PREFIX}/sse) on the gateway process (pid ${gatewayProc.pid})`);
  const before = await rssMb(gatewayProc.pid);
  const sockets: Socket[] = [];
  const openStarted = performance.now();
  try {
    for (let opened = 0; opened < SESSIONS; opened += SSE_BATCH) {
      const n = Math.min(SSE_BATCH, SESSIONS - opened);
      const batch = await Promise.allSettled(Array.from({ length: n }, () => openSse(port, `${PREFIX}/sse`, 15_000)));
      for (const r of batch) if (r.status === 'fulfilled') sockets.push(r.value);
      const failed = batch.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw new Error(`opening SSE sessions: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`);
    }
    const openSeconds = (performance.now() - openStarted) / 1000;
    const live = await sseGauge(gatewayUrl);
    const withSessions = await rssMb(gatewayProc.pid);
    const perSessionKb = ((withSessions - before) * 1024) / SESSIONS;
    console.log(`  opened ${fmt(sockets.length)} sessions in ${fmt(openSeconds, 1)} s; gauge mcp_sessions{transport="sse"} = ${fmt(live)}`);
    console.log(`  gateway RSS before: ${fmt(before, 1)} MB`);
    console.log(
      `  gateway RSS with ${fmt(SESSIONS)} sessions: ${fmt(withSessions, 1)} MB` +
        (SESSIONS === 10_000 ? ` (target ≤ ${RSS_TARGET_MB} MB: ${withSessions <= RSS_TARGET_MB ? 'met' : 'NOT met'})` : ''),
    );
    console.log(`  per session: ${fmt(perSessionKb, 1)} KB`);
  } finally {
    for (const socket of sockets) socket.end();
  }
  const closeStarted = performance.now();
  const deadline = closeStarted + 15_000;
  let live = await sseGauge(gatewayUrl);
  while (live !== 0 && performance.now() < deadline) {
    await Bun.sleep(100);
    live = await sseGauge(gatewayUrl);
  }
  console.log(
    `  closed all; gauge mcp_sessions{transport="sse"} = ${fmt(live)} after ${fmt((performance.now() - closeStarted) / 1000, 1)} s` +
      (live === 0 ? '' : ' (NOT back at 0 within 15 s)'),
  );
  console.log(`  gateway RSS after closing: ${fmt(await rssMb(gatewayProc.pid), 1)} MB`);
}

await bench.run(main);
