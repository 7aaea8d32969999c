/**
 * Reload cost, and what reloads do to the latency of calls.
 *
 *   bun bench/reload.ts [--runs 20] [--seconds 5] [--rounds 4] [--quick]
 *
 * A config repo is generated in a temp dir: 100 documents, each with one router, one server (config
 * map) and 10 REST tools (arguments in every position, headers, requestBody and responseBody
 * templates) plus a prompt: 100 routers, 1,000 tools. Then, in this process:
 *   (a) cold: load + validate + compile with empty caches (what a gateway does at start);
 *   (a0) the same once in a fresh process (JIT cold, modules just loaded), three times;
 *   (b) a reload where one document changed (the usual GitOps commit), through the `Reconciler` with a
 *       dir source: fetch (content hash of the tree), load, validate, compile, swap;
 *   (c) a reload where nothing changed: the reconciler skips it by revision hash.
 * Each figure is the median and p95 of `--runs` runs after a warm-up, against the < 100 ms target.
 *
 * Then latency: the demo backend and a gateway (`startGateway`, dir source on the generated repo) run
 * as child processes; this process calls `tools/call` at concurrency 16 (4 sessions on 4 routers) in
 * alternating rounds without and with reloads. With reloads, one document (not one under load) flips
 * between two revisions and the gateway is told to reload every 250 ms, so every reload applies.
 * `--seconds` is the measured time per side, split into `--rounds` rounds.
 *
 * `--quick`: 5 runs and 2 rounds of 0.5 s, to check that the bench runs. Children are killed on exit,
 * on error and on SIGINT/SIGTERM; a watchdog ends a bench that hangs.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Subprocess } from 'bun';
import { LoadCache } from '../gateway/config/load.ts';
import { DirSource } from '../gateway/config/sources/index.ts';
import { loadAndValidate } from '../gateway/config/validate.ts';
import { Reconciler } from '../gateway/reconcile.ts';
import { CompileCache, compileTable, RouteTable, TableSwitch } from '../gateway/routing/table.ts';
import { createSsrfGuard, type ToolRuntime } from '../gateway/tools/index.ts';
import { HttpConnection, postJson } from './lib/http-load.ts';

const ROOT = join(import.meta.dir, '..');
const BUN = process.execPath;
const DOCS = 100;
const TOOLS_PER_DOC = 10;
const TARGET_MS = 100;
const RELOAD_EVERY_MS = 250;
const CONCURRENCY = 16;
const SESSIONS = 4;
const PROTOCOL_VERSION = '2025-11-25';
const ACCEPT = 'application/json, text/event-stream';
const BACKEND_ENV = 'RELOAD_BENCH_BACKEND';
/** The document that changes during reloads; the load goes to others (tenant10..). */
const CHANGING_DOC = 0;
const LOADED_DOCS = [10, 11, 12, 13];
const TOOL = 't0_get_user';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    // Internal: the modes of the child processes this bench starts.
    'gateway-child': { type: 'string' },
    'cold-child': { type: 'string' },
    backend: { type: 'string' },
  },
});

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`reload: --${name} must be a positive number (got ${JSON.stringify(raw)})`);
    process.exit(2);
  }
  return n;
}

const QUICK = flags.quick === true;
const RUNS = Math.round(positive('runs', flags.runs, QUICK ? 5 : 20));
const SECONDS = positive('seconds', flags.seconds, QUICK ? 1 : 5);
const ROUNDS = Math.round(positive('rounds', flags.rounds, QUICK ? 2 : 4));
const WARMUP = QUICK ? 2 : 5;

// ---------------------------------------------------------------------------------------------------
// The generated config

const KINDS = ['get_user', 'search', 'create', 'upload', 'echo'] as const;
const toolName = (t: number) => `t${t}_${KINDS[t % KINDS.length]}`;

function toolYaml(d: number, t: number): string[] {
  const head = [`  - name: ${toolName(t)}`, `    description: Tool ${t} of document ${d}`];
  switch (t % KINDS.length) {
    case 0:
      return [
        ...head,
        '    method: GET',
        "    endpoint: '{{ .Config.base }}/users/{{ .Args.id }}'",
        '    headers:',
        '      Authorization: "Bearer {{ .Config.token }}"',
        "      X-Request-User: '{{ index .Request.Headers \"X-User-Id\" }}'",
        '    args:',
        '      - {name: id, position: path, required: true, type: string, description: User id}',
        '      - {name: trace, position: header, type: string, default: "bench"}',
        '    responseBody: |-',
        '      {{- $u := fromJSON .Response.Body }}',
        '      {{ $u.name }} <{{ $u.email }}> ({{ $u.role }})',
      ];
    case 1:
      return [
        ...head,
        '    method: get',
        "    endpoint: '{{ .Config.base }}/echo/query'",
        '    args:',
        '      - {name: q, position: query, required: true}',
        '      - {name: limit, position: query, type: integer, default: "20", enum: [10, 20, 50]}',
        '      - {name: verbose, position: query, type: boolean}',
        "    responseBody: '{{ .Response.Data.rawQuery }}'",
        '    timeout: 10s',
      ];
    case 2:
      return [
        ...head,
        '    method: POST',
        '    endpoint: "{{ .Config.base }}/echo/body"',
        '    headers: {Content-Type: application/json}',
        '    args:',
        '      - {name: name, position: body, required: true, type: string}',
        '      - {name: count, position: body, type: integer, default: 1}',
        '      - {name: labels, position: body, type: array, default: "[]", items: {type: string, enum: [bug, ops, question]}}',
        '    requestBody: |-',
        '      {"name": {{ toJSON .Args.name }}, "count": {{ .Args.count }},',
        '       "labels": {{ toJSON .Args.labels }}, "region": {{ toJSON .Config.region }}}',
        "    responseBody: 'Created {{ .Response.Data.body.name }}'",
      ];
    case 3:
      return [
        ...head,
        '    method: POST',
        '    endpoint: "{{ .Config.base }}/echo/form"',
        '    args:',
        '      - {name: title, position: form-data, required: true, type: string}',
        '      - {name: size, position: form-data, type: number}',
        '      - {name: tag, position: query, type: string}',
        '    responseBody: "{{ .Response.Body }}"',
      ];
    default:
      return [
        ...head,
        '    method: PUT',
        '    endpoint: "{{ .Config.base }}/echo/path/{{ .Args.key }}/end"',
        '    headers:',
        '      X-Static: fixed-value',
        "      X-Rendered: '{{ .Args.trace | default \"none\" | upper }}'",
        '    args:',
        '      - {name: key, position: path, required: true}',
        '      - {name: trace, position: header}',
        '      - {name: payload, position: body, type: object}',
        '      - {name: note, position: form-data}',
        "    requestBody: '{\"payload\": {{ toJSON .Args.payload }}}'",
        '    responseBody: |-',
        '      {{ if eq .Response.StatusCode 200 }}ok{{ else }}status {{ .Response.StatusCode }}{{ end }}',
      ];
  }
}

/** Document `d`; `variant` changes the server's description and one tool's (a one-line edit each). */
function documentYaml(d: number, variant = 0): string {
  const tools = Array.from({ length: TOOLS_PER_DOC }, (_, t) => toolYaml(d, t));
  if (variant !== 0) tools[1]![1] = `    description: Tool 1 of document ${d}, revision ${variant}`;
  return [
    '# Generated by bench/reload.ts.',
    'name: api',
    `tenant: tenant${d}`,
    'routers:',
    '  - server: api',
    `    prefix: /tenant${d}/api`,
    '    cors:',
    `      allowOrigins: ["https://console.tenant${d}.example"]`,
    'servers:',
    '  - name: api',
    `    description: Generated API ${d} (variant ${variant})`,
    `    allowedTools: [${tools.map((_, t) => toolName(t)).join(', ')}]`,
    '    config:',
    `      base: '{{ env "${BACKEND_ENV}" }}'`,
    `      token: tok-${d}-not-a-secret`,
    `      region: eu-${d % 3}`,
    'tools:',
    ...tools.flat(),
    'prompts:',
    '  - name: summarize',
    '    description: Summarize a user',
    '    arguments: [{name: id, required: true}]',
    '    promptResponse:',
    '      - role: user',
    `        content: {type: text, text: "Fetch user {id} with ${toolName(0)} and summarize."}`,
    '',
  ].join('\n');
}

/** Replaces a document atomically (a reader never sees half a file), as a git checkout would. */
function writeDocument(root: string, d: number, variant: number): void {
  const dir = join(root, 'configs', `tenant${d}`);
  mkdirSync(dir, { recursive: true });
  // A dot-file: the loader and the tree hash skip it while it exists.
  const tmp = join(dir, '.api.yaml.tmp');
  writeFileSync(tmp, documentYaml(d, variant));
  renameSync(tmp, join(dir, 'api.yaml'));
}

function generateRepo(): { root: string; bytes: number } {
  const root = mkdtempSync(join(tmpdir(), 'reload-bench-'));
  let bytes = 0;
  for (let d = 0; d < DOCS; d++) {
    writeDocument(root, d, 0);
    bytes += Buffer.byteLength(documentYaml(d, 0));
  }
  return { root, bytes };
}

function runtimeFor(backend: string): ToolRuntime {
  return {
    env: (name) => (name === BACKEND_ENV ? backend : undefined),
    guard: createSsrfGuard({ allowedNetworks: ['127.0.0.1/32'] }),
    defaultTimeoutMs: 30_000,
    maxResponseBytes: 10 * 1024 * 1024,
  };
}

// ---------------------------------------------------------------------------------------------------
// Figures

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

interface Summary {
  median: number;
  p95: number;
  min: number;
  max: number;
}

function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p95: percentile(sorted, 95), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

function report(label: string, values: readonly number[], target = true): void {
  const s = summarize(values);
  const verdict = !target ? '' : s.median < TARGET_MS ? `  target < ${TARGET_MS} ms: met` : `  target < ${TARGET_MS} ms: NOT met`;
  console.log(`${label.padEnd(44)} median ${ms(s.median).padStart(9)}   p95 ${ms(s.p95).padStart(9)}   (min ${ms(s.min)}, max ${ms(s.max)}, n=${values.length})${verdict}`);
}

/** One cold load + validate + compile; returns the parts in ms. Throws when the config has errors. */
async function coldOnce(root: string, runtime: ToolRuntime): Promise<{ load: number; compile: number; total: number }> {
  const t0 = performance.now();
  const loaded = await loadAndValidate(root, { cache: new LoadCache() });
  const t1 = performance.now();
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new Error(`generated config has ${errors.length} error(s), e.g. ${errors[0]!.message}`);
  const { table } = compileTable('bench', loaded.configs.map((c) => c.doc), runtime, new CompileCache());
  const t2 = performance.now();
  if (table.endpoints.size !== DOCS) throw new Error(`expected ${DOCS} routers, got ${table.endpoints.size}`);
  return { load: t1 - t0, compile: t2 - t1, total: t2 - t0 };
}

async function reloadCosts(root: string): Promise<void> {
  const runtime = runtimeFor('http://127.0.0.1:9');

  // (a) cold, in this (warm) process.
  for (let i = 0; i < WARMUP; i++) await coldOnce(root, runtime);
  const cold: { load: number; compile: number; total: number }[] = [];
  for (let i = 0; i < RUNS; i++) cold.push(await coldOnce(root, runtime));
  report('(a) cold: load + validate + compile', cold.map((c) => c.total));
  report('      of which load + validate', cold.map((c) => c.load), false);
  report('      of which compile', cold.map((c) => c.compile), false);

  // (a0) the same in a fresh process: module loading excluded, JIT cold.
  const fresh: number[] = [];
  for (let i = 0; i < (QUICK ? 1 : 3); i++) {
    const proc = Bun.spawnSync([BUN, import.meta.path, '--cold-child', root], { cwd: ROOT, stderr: 'inherit' });
    const out = JSON.parse(proc.stdout.toString().trim().split('\n').at(-1) ?? '{}') as { total?: number };
    if (proc.exitCode !== 0 || typeof out.total !== 'number') throw new Error(`cold child failed (exit ${proc.exitCode})`);
    fresh.push(out.total);
  }
  report('(a0) cold, first run in a fresh process', fresh, false);

  // (b) and (c) through the reconciler, with the caches a gateway keeps between reloads.
  const routes = new TableSwitch(new RouteTable('none', []));
  const reconciler = new Reconciler({
    source: new DirSource(root),
    routes,
    compile: (revision, configs) => compileTable(revision, configs, runtime),
    drainMs: 0,
    log: () => {},
  });
  const first = await reconciler.trigger('bench start');
  if (first.outcome !== 'applied') throw new Error(`first reload: ${first.outcome}: ${first.message} ${first.issues.slice(0, 3).join('; ')}`);
  const changed: number[] = [];
  const changedInside: number[] = [];
  const unchanged: number[] = [];
  let variant = 0;
  let reused = 0;
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const before = routes.current;
    writeDocument(root, CHANGING_DOC, ++variant);
    const t0 = performance.now();
    const r = await reconciler.trigger('bench: one document changed');
    const t1 = performance.now();
    if (r.outcome !== 'applied') throw new Error(`reload after one change: ${r.outcome}: ${r.message}`);
    const same = await reconciler.trigger('bench: nothing changed');
    const t2 = performance.now();
    if (same.outcome !== 'unchanged') throw new Error(`reload without change: ${same.outcome}: ${same.message}`);
    if (i < WARMUP) continue;
    changed.push(t1 - t0);
    changedInside.push(r.seconds * 1000);
    unchanged.push(t2 - t1);
    for (const [prefix, ep] of routes.current.endpoints) if (before.endpoints.get(prefix) === ep) reused++;
  }
  await reconciler.close();

  // The same change without the reconciler: what load + validate + compile cost (no tree hash, no swap).
  const pipeline: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    writeDocument(root, CHANGING_DOC, ++variant);
    const t0 = performance.now();
    const loaded = await loadAndValidate(root);
    compileTable('bench', loaded.configs.map((c) => c.doc), runtime);
    if (i >= WARMUP) pipeline.push(performance.now() - t0);
  }
  report('(b) one document changed: reconciler reload', changed);
  report('      as the reconciler reports it', changedInside, false);
  report('      load + validate + compile alone', pipeline, false);
  report('(c) nothing changed: reconciler skip', unchanged);
  console.log(`      endpoints reused per reload in (b): ${(reused / RUNS).toFixed(1)} of ${DOCS}`);
  writeDocument(root, CHANGING_DOC, 0);
}

// ---------------------------------------------------------------------------------------------------
// Child processes

const children: Subprocess[] = [];
const cleanups: (() => void)[] = [];
let stopping = false;

process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) cleanup();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

type Child = Subprocess<'pipe', 'pipe', 'inherit'>;

function spawn(name: string, cmd: string[], env: Record<string, string> = {}): Child {
  const proc = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' });
  children.push(proc);
  void proc.exited.then((code) => {
    if (!stopping) console.error(`reload: ${name} exited early (code ${code})`);
  });
  return proc;
}

/** JSON lines a child prints on stdout, one object each. */
function jsonLines(proc: Child): AsyncGenerator<Record<string, unknown>> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  return (async function* () {
    let buffer = '';
    for (;;) {
      const read = await reader.read();
      if (read.done) return;
      buffer += decoder.decode(read.value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          yield JSON.parse(line) as Record<string, unknown>;
        } catch {
          // Not a JSON line.
        }
      }
    }
  })();
}

async function firstWithUrl(name: string, lines: AsyncGenerator<Record<string, unknown>>, timeoutMs = 20_000): Promise<string> {
  const timeout = Bun.sleep(timeoutMs).then(() => undefined);
  for (;;) {
    const next = await Promise.race([lines.next(), timeout]);
    if (next === undefined) throw new Error(`${name}: no URL announced within ${timeoutMs} ms`);
    if (next.done) throw new Error(`${name}: exited before announcing its URL`);
    if (typeof next.value.url === 'string') return next.value.url;
  }
}

/** The gateway child: serves the repo; each stdin line "reload" triggers a reload and prints its outcome. */
async function gatewayChild(root: string, backend: string): Promise<void> {
  const { startGateway } = await import('../gateway/gateway.ts');
  const { loadSettings } = await import('../gateway/config/settings.ts');
  const { createLogger } = await import('../gateway/obs/log.ts');
  const { settings, issues } = loadSettings({
    argv: ['--config', root, '--port', '0', '--allowed-networks', '127.0.0.1/32', '--env-allowlist', BACKEND_ENV, '--poll-interval', '0', '--log-level', 'error'],
    env: {},
  });
  if (issues.length > 0) throw new Error(issues.join('; '));
  settings.reload.debounce = 0;
  // No file watch: the parent decides when reloads happen.
  const dir = new DirSource(root);
  const source = { kind: 'dir' as const, description: dir.description, fetch: () => dir.fetch(), close: () => dir.close() };
  const gateway = await startGateway(settings, { source, env: { [BACKEND_ENV]: backend }, logger: createLogger('error') });
  console.log(JSON.stringify({ url: gateway.url }));
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of Bun.stdin.stream()) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      buffer = buffer.slice(newline + 1);
      void gateway.reload('bench').then((r) => console.log(JSON.stringify({ outcome: r.outcome, revision: r.revision, seconds: r.seconds, message: r.message })));
    }
  }
  await gateway.stop(1000);
  process.exit(0);
}

async function coldChild(root: string): Promise<void> {
  const { total } = await coldOnce(root, runtimeFor('http://127.0.0.1:9'));
  console.log(JSON.stringify({ total }));
}

// ---------------------------------------------------------------------------------------------------
// Latency under reloads

interface Session {
  raw: (body: string) => string;
  host: string;
  port: number;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body, signal: AbortSignal.timeout(10_000) });
}

async function openSession(url: string): Promise<Session> {
  const init = await post(
    url,
    JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'reload-bench', version: '1.0.0' } } }),
    {},
  );
  const id = init.headers.get('mcp-session-id');
  await init.text();
  if (init.status !== 200 || !id) throw new Error(`initialize at ${url} answered ${init.status} without a session id`);
  const headers = { 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL_VERSION };
  const note = await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers);
  await note.text();
  if (note.status !== 202) throw new Error(`notifications/initialized answered ${note.status}`);
  const check = await post(url, callBody(), headers);
  const text = await check.text();
  if (!text.includes('Ada Lovelace')) throw new Error(`${TOOL} answered ${check.status}: ${text.slice(0, 200)}`);
  const u = new URL(url);
  return { raw: postJson(u.pathname, u.host, { accept: ACCEPT, ...headers }), host: u.hostname, port: Number(u.port) };
}

let nextId = 1;
function callBody(): string {
  return `{"jsonrpc":"2.0","id":${nextId++},"method":"tools/call","params":{"name":"${TOOL}","arguments":{"id":"1"}}}`;
}

function okAnswer(status: number, body: string): boolean {
  return status === 200 && body.includes('Ada Lovelace') && !body.includes('"isError":true');
}

interface Round {
  latencies: number[];
  errors: number;
}

async function loadRound(conns: { conn: HttpConnection; session: Session }[], durationMs: number): Promise<Round> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + durationMs;
  await Promise.all(
    conns.map(async ({ conn, session }) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const answer = await conn.request(session.raw(callBody()));
          if (!okAnswer(answer.status, answer.body)) errors++;
        } catch {
          errors++;
          return;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, errors };
}

async function latencyUnderReloads(root: string): Promise<void> {
  const backendProc = spawn('demo backend', [BUN, 'demo/main.ts', '--port', '0']);
  const backend = await firstWithUrl('demo backend', jsonLines(backendProc));
  const gatewayProc = spawn('gateway', [BUN, import.meta.path, '--gateway-child', root, '--backend', backend]);
  const gatewayLines = jsonLines(gatewayProc);
  const gateway = await firstWithUrl('gateway', gatewayLines);

  const outcomes: { outcome: string; seconds: number; message: string }[] = [];
  void (async () => {
    for await (const line of gatewayLines) outcomes.push(line as unknown as (typeof outcomes)[number]);
  })();

  const sessions = await Promise.all(LOADED_DOCS.slice(0, SESSIONS).map((d) => openSession(`${gateway}/tenant${d}/api/mcp`)));
  const conns = await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      const session = sessions[i % sessions.length]!;
      return { conn: await HttpConnection.open(session.host, session.port), session };
    }),
  );

  let variant = 0;
  const reloadTick = () => {
    writeDocument(root, CHANGING_DOC, (variant = variant === 1 ? 2 : 1));
    gatewayProc.stdin.write('reload\n');
    gatewayProc.stdin.flush();
  };

  await loadRound(conns, QUICK ? 300 : 1500); // warm-up
  const roundMs = (SECONDS * 1000) / ROUNDS;
  const without: Round[] = [];
  const withReloads: Round[] = [];
  let reloadsSent = 0;
  for (let r = 0; r < ROUNDS * 2; r++) {
    // without, with, with, without, …: machine noise hits both sides alike.
    const reloading = (r % 4 === 1 || r % 4 === 2);
    if (!reloading) {
      without.push(await loadRound(conns, roundMs));
      continue;
    }
    reloadTick();
    reloadsSent++;
    const timer = setInterval(() => {
      reloadTick();
      reloadsSent++;
    }, RELOAD_EVERY_MS);
    withReloads.push(await loadRound(conns, roundMs));
    clearInterval(timer);
    // Every "reload" line gets one answer: wait for all, so no reload spills into the next round.
    const deadline = performance.now() + 60_000;
    while (outcomes.length < reloadsSent && performance.now() < deadline) await Bun.sleep(10);
  }
  for (const { conn } of conns) conn.close();

  const summarizeSide = (rounds: Round[]) => {
    const all = rounds.flatMap((x) => x.latencies).sort((a, b) => a - b);
    return { n: all.length, p50: percentile(all, 50), p99: percentile(all, 99), max: all.at(-1) ?? Number.NaN, errors: rounds.reduce((n, x) => n + x.errors, 0) };
  };
  const a = summarizeSide(without);
  const b = summarizeSide(withReloads);
  const applied = outcomes.filter((o) => o.outcome === 'applied');
  const bad = outcomes.filter((o) => o.outcome !== 'applied' && o.outcome !== 'unchanged');
  const reloadMs = summarize(applied.map((o) => o.seconds * 1000));
  console.log(`latency of tools/call at concurrency ${CONCURRENCY} (${SESSIONS} sessions), ${ROUNDS} rounds of ${(roundMs / 1000).toFixed(2)} s per side:`);
  console.log(`  without reloads   p50 ${ms(a.p50).padStart(9)}   p99 ${ms(a.p99).padStart(9)}   max ${ms(a.max).padStart(9)}   calls ${a.n}, errors ${a.errors}`);
  console.log(`  with reloads      p50 ${ms(b.p50).padStart(9)}   p99 ${ms(b.p99).padStart(9)}   max ${ms(b.max).padStart(9)}   calls ${b.n}, errors ${b.errors}`);
  console.log(`  ratio with/without: p50 ${(b.p50 / a.p50).toFixed(2)}, p99 ${(b.p99 / a.p99).toFixed(2)}`);
  console.log(
    `  reloads: ${reloadsSent} triggered every ${RELOAD_EVERY_MS} ms, ${applied.length} applied (median ${ms(reloadMs.median)}, max ${ms(reloadMs.max)} inside the gateway), ${outcomes.length - applied.length - bad.length} coalesced or unchanged, ${bad.length} failed`,
  );
  if (bad.length > 0) console.log(`  first failure: ${bad[0]!.message}`);
  if (a.errors + b.errors > 0 || bad.length > 0) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------------

if (flags['gateway-child'] !== undefined) {
  await gatewayChild(flags['gateway-child'], flags.backend ?? '');
} else if (flags['cold-child'] !== undefined) {
  await coldChild(flags['cold-child']);
} else {
  const watchdog = setTimeout(() => {
    console.error('reload: still running after the watchdog limit; giving up');
    process.exit(1);
  }, (SECONDS * 2 + 5) * 1000 * 3 + RUNS * 10_000 + 120_000);
  watchdog.unref();
  const { root, bytes } = generateRepo();
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  console.log(`reload bench: ${DOCS} documents, ${DOCS} routers, ${DOCS * TOOLS_PER_DOC} tools, ${(bytes / 1024).toFixed(0)} KB of YAML; ${RUNS} runs after ${WARMUP} warm-up runs`);
  // Other work on the machine moves every figure here: say how busy it was.
  console.log(`machine: ${navigator.hardwareConcurrency} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  try {
    await reloadCosts(root);
    await latencyUnderReloads(root);
  } catch (err) {
    console.error(`reload: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    stopping = true;
  }
  process.exit(process.exitCode ?? 0);
}
