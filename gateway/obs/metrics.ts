/**
 * Prometheus metrics of the data plane (prom-client). Label values are bounded by the config: router
 * prefixes, tool names and the fixed set of MCP methods; anything else is counted as "other".
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const KNOWN_METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'logging/setLevel',
  'completion/complete',
]);

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type Outcome = 'ok' | 'error' | 'rejected';

/** The gateway's metric set, in its own registry so tests can create as many as they like. */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly rpcTotal: Counter<'router' | 'method' | 'outcome'>;
  private readonly rpcSeconds: Histogram<'router' | 'method'>;
  private readonly toolTotal: Counter<'router' | 'tool' | 'outcome'>;
  private readonly toolSeconds: Histogram<'router' | 'tool'>;
  private readonly sessions: Gauge<'transport'>;
  private readonly revisionInfo: Gauge<'revision'>;
  private readonly httpTotal: Counter<'route' | 'status'>;
  private readonly synchronized: Gauge;
  private readonly reloadTotal: Counter<'outcome'>;
  private readonly reloadSeconds: Histogram<'outcome'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.rpcTotal = new Counter({
      name: 'mcp_requests_total',
      help: 'MCP JSON-RPC requests by router, method and outcome.',
      labelNames: ['router', 'method', 'outcome'],
      registers,
    });
    this.rpcSeconds = new Histogram({
      name: 'mcp_request_duration_seconds',
      help: 'Time to answer an MCP JSON-RPC request.',
      labelNames: ['router', 'method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.toolTotal = new Counter({
      name: 'tool_calls_total',
      help: 'Tool calls by router, tool and outcome (ok, error = isError result, rejected = refused before the backend).',
      labelNames: ['router', 'tool', 'outcome'],
      registers,
    });
    this.toolSeconds = new Histogram({
      name: 'tool_call_duration_seconds',
      help: 'Tool call latency, backend included.',
      labelNames: ['router', 'tool'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.sessions = new Gauge({
      name: 'mcp_sessions',
      help: 'Live MCP sessions by transport.',
      labelNames: ['transport'],
      registers,
    });
    this.sessions.set({ transport: 'streamable' }, 0);
    this.sessions.set({ transport: 'sse' }, 0);
    this.revisionInfo = new Gauge({
      name: 'config_revision_info',
      help: 'The config revision being served (value 1).',
      labelNames: ['revision'],
      registers,
    });
    this.httpTotal = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests that did not reach an MCP endpoint, by route and status.',
      labelNames: ['route', 'status'],
      registers,
    });
    this.synchronized = new Gauge({
      name: 'config_synchronized',
      help: '1 when the last attempted config revision is the one being served, 0 otherwise.',
      registers,
    });
    this.reloadTotal = new Counter({
      name: 'config_reloads_total',
      help: 'Config reloads by outcome (applied, unchanged, invalid, failed).',
      labelNames: ['outcome'],
      registers,
    });
    this.reloadSeconds = new Histogram({
      name: 'config_reload_duration_seconds',
      help: 'Time from trigger to swap (or rejection) of a config reload.',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  rpc(router: string, method: string, outcome: 'ok' | 'error', seconds: number): void {
    const m = KNOWN_METHODS.has(method) ? method : method.startsWith('notifications/') ? 'notification' : 'other';
    this.rpcTotal.labels(router, m, outcome).inc();
    this.rpcSeconds.labels(router, m).observe(seconds);
  }

  toolCall(router: string, tool: string, outcome: Outcome, seconds: number): void {
    this.toolTotal.labels(router, tool, outcome).inc();
    this.toolSeconds.labels(router, tool).observe(seconds);
  }

  session(transport: 'streamable' | 'sse', delta: 1 | -1): void {
    this.sessions.labels(transport).inc(delta);
  }

  http(route: string, status: number): void {
    this.httpTotal.labels(route, String(status)).inc();
  }

  setRevision(revision: string): void {
    this.revisionInfo.reset();
    this.revisionInfo.labels(revision).set(1);
  }

  reload(outcome: string, seconds: number, synchronized: boolean): void {
    this.reloadTotal.labels(outcome).inc();
    this.reloadSeconds.labels(outcome).observe(seconds);
    this.synchronized.set(synchronized ? 1 : 0);
  }

  /** Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
