/**
 * Template engine benchmark: a REST tool's templates rendered from the compiled form versus
 * compiled-and-rendered on every call (what the seed system did: parse per request).
 *
 *   bun bench/template.ts [renders] [--quick]
 *
 * One "render" is the whole tool: endpoint, four headers, request body and response body (a
 * range over 20 items). The two modes run interleaved in rounds in one process so that JIT
 * warm-up, GC and CPU frequency affect both alike. Each output is read (charCodeAt) so the
 * string is flattened, as it is when the gateway sends it.
 */
import { compile, type Template } from '../gateway/template/index.ts';

// bench/run.ts passes its own flags (e.g. --seconds N) to every script: only a bare number counts.
const ARGS = Bun.argv.slice(2);
const QUICK = ARGS.includes('--quick');
const countArg = ARGS.find((a, i) => /^\d+$/.test(a) && !(ARGS[i - 1]?.startsWith('--') && ARGS[i - 1] !== '--quick'));
const TOTAL = countArg !== undefined ? Number(countArg) : QUICK ? 20_000 : 200_000;
const ROUNDS = 10;
/** Parse+render is far slower; it gets fewer iterations, the rate is what is compared. */
const PER_CALL_SHARE = 0.1;

const TOOL = {
  endpoint: '{{ .Config.base }}/v1/projects/{{ .Args.project }}/issues?state={{ .Args.state | default "open" | urlquery }}&limit={{ .Args.limit | default 20 }}',
  headers: {
    Authorization: 'Bearer {{ .Config.token }}',
    'X-Request-Id': '{{ index .Request.Headers "X-Request-Id" }}',
    'X-User': '{{ with .Request.User }}{{ .id }}{{ end }}',
    Accept: 'application/json',
  },
  requestBody:
    '{"title": {{ toJSON .Args.title }}, "labels": {{ .Args.labels }}, "assignee": {{ toJSON (.Args.assignee | default "nobody") }}, "priority": {{ .Args.priority | default 3 }}}',
  responseBody: `Found {{ len .Response.Data.items }} issues (page {{ .Response.Data.page }}):
{{- range $i, $v := .Response.Data.items }}
{{ add $i 1 }}. #{{ $v.id }} {{ $v.title | trunc 40 }} [{{ join ", " $v.labels }}]{{ if $v.assignee }} @{{ $v.assignee.login }}{{ end }}
{{- end }}`,
};

const NAMES = ['endpoint', ...Object.keys(TOOL.headers).map((h) => `header ${h}`), 'requestBody', 'responseBody'];
const SOURCES = [TOOL.endpoint, ...Object.values(TOOL.headers), TOOL.requestBody, TOOL.responseBody];

const DATA = {
  Config: { base: 'https://tracker.example.com', token: 'secret-token' },
  Args: { project: 'gateway', state: 'open closed', title: 'Renders "fast"', labels: ['perf', 'templates'], priority: 2 },
  Request: { Headers: { 'X-Request-Id': 'req-8f2c' }, User: { id: 'u-17' } },
  Response: {
    Data: {
      page: 1,
      items: Array.from({ length: 20 }, (_, i) => ({
        id: 1000 + i,
        title: `Issue number ${i} with a reasonably long title that gets truncated`,
        labels: i % 3 === 0 ? ['bug'] : ['feature', 'p2'],
        assignee: i % 2 === 0 ? { login: `dev${i}` } : null,
      })),
    },
  },
};

const compiled: Template[] = SOURCES.map((s) => compile(s));

let sink = 0;

function runCompiled(n: number): number {
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < compiled.length; j++) sink += compiled[j]!.render(DATA).charCodeAt(0);
  }
  return Bun.nanoseconds() - t0;
}

function runPerCall(n: number): number {
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < SOURCES.length; j++) sink += compile(SOURCES[j]!).render(DATA).charCodeAt(0);
  }
  return Bun.nanoseconds() - t0;
}

// The two modes must agree, or the comparison is meaningless.
for (let j = 0; j < SOURCES.length; j++) {
  if (compiled[j]!.render(DATA) !== compile(SOURCES[j]!).render(DATA)) throw new Error(`mismatch in template ${j}`);
}

// Warm-up: let the JIT settle before measuring.
runCompiled(2_000);
runPerCall(200);

const perRound = Math.max(1, Math.floor(TOTAL / ROUNDS));
const perCallRound = Math.max(1, Math.floor(perRound * PER_CALL_SHARE));
let compiledNs = 0;
let perCallNs = 0;
for (let r = 0; r < ROUNDS; r++) {
  compiledNs += runCompiled(perRound);
  perCallNs += runPerCall(perCallRound);
}

const compiledRate = (perRound * ROUNDS) / (compiledNs / 1e9);
const perCallRate = (perCallRound * ROUNDS) / (perCallNs / 1e9);

function fmt(rate: number): string {
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(2)}M`;
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(1)}k`;
  return rate.toFixed(0);
}

// Per-template cost of each mode, best of three short runs.
function best(fn: () => void, n: number): number {
  let min = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < n; i++) fn();
    min = Math.min(min, (Bun.nanoseconds() - t0) / n);
  }
  return min;
}
const short = QUICK ? 2_000 : 20_000;
const perTemplate = compiled.map((t, j) => ({
  compiled: best(() => {
    sink += t.render(DATA).charCodeAt(0);
  }, short),
  perCall: best(() => {
    sink += compile(SOURCES[j]!).render(DATA).charCodeAt(0);
  }, short / 10),
}));

const sample = compiled[compiled.length - 1]!.render(DATA);
console.log(`template bench: ${SOURCES.length} templates per render (response body ${sample.length} chars, range over 20 items)`);
console.log(`renders: compiled ${perRound * ROUNDS}, parse+render ${perCallRound * ROUNDS}, ${ROUNDS} interleaved rounds`);
console.log(
  `compiled: ${fmt(compiledRate)} renders/s (${(1e9 / compiledRate / 1000).toFixed(2)} µs), ` +
    `parse+render: ${fmt(perCallRate)}/s (${(1e9 / perCallRate / 1000).toFixed(2)} µs), ` +
    `ratio ${(compiledRate / perCallRate).toFixed(1)}x`,
);
const ns = (v: number): string => (v < 1000 ? `${v.toFixed(0)} ns` : `${(v / 1000).toFixed(2)} µs`);
console.log('per template (compiled vs parse+render):');
for (let j = 0; j < NAMES.length; j++) {
  const { compiled: c, perCall: p } = perTemplate[j]!;
  console.log(`  ${NAMES[j]!.padEnd(22)} ${ns(c).padStart(9)}  vs ${ns(p).padStart(9)}  ${(p / c).toFixed(1)}x${compiled[j]!.isStatic ? '  (static)' : ''}`);
}
if (sink === 0) console.log('(unreachable: keeps results alive)');
