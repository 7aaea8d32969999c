/**
 * A loopback harness for the MCP transports: a small in-test Endpoint (tools that echo, wait on the
 * abort signal, report progress, fail) and a Bun server mapping `/<prefix>/{mcp,sse,message}` to
 * `transport.handle`. Used by gateway/mcp tests; no gateway config involved.
 */
import type { CallContext, CallToolResult, CompiledCors, Endpoint, GetPromptResult, Prompt, Tool } from '../../gateway/routing/endpoint.ts';
import { McpMethodError } from '../../gateway/routing/endpoint.ts';
import type { McpRouteKind, McpTransport } from '../../gateway/mcp/index.ts';

/** What the test endpoint saw, for assertions. */
export interface EndpointProbe {
  /** Contexts of `wait` calls, in arrival order. */
  readonly waits: CallContext[];
  /** Signals of `wait` calls that were aborted. */
  readonly aborted: AbortSignal[];
  /** Request views seen by `whoami`. */
  readonly requests: CallContext['request'][];
  /** Resolves the pending `gate` calls. */
  releaseGate(): void;
}

export interface TestEndpointOptions {
  prefix: string;
  listHash?: string;
  cors?: CompiledCors;
  ssePrefix?: string;
  instructions?: string;
  /** Extra tools to advertise (to make listHash changes visible). */
  extraTools?: string[];
}

const TOOL_SCHEMA = { type: 'object' as const, properties: {} };

export function compiledCors(origins: string[], extra: Partial<CompiledCors> = {}): CompiledCors {
  return {
    anyOrigin: false,
    origins: new Set(origins),
    allowMethods: '',
    allowHeaders: '',
    exposeHeaders: '',
    allowCredentials: false,
    ...extra,
  };
}

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

/** An Endpoint with tools echo, whoami, wait, gate, progress, fail, boom and a prompt `greet`. */
export function createTestEndpoint(opts: TestEndpointOptions): { endpoint: Endpoint; probe: EndpointProbe } {
  let gateWaiters: (() => void)[] = [];
  const probe: EndpointProbe = {
    waits: [],
    aborted: [],
    requests: [],
    releaseGate() {
      const w = gateWaiters;
      gateWaiters = [];
      for (const resolve of w) resolve();
    },
  };
  const names = ['echo', 'whoami', 'wait', 'gate', 'progress', 'fail', 'boom', ...(opts.extraTools ?? [])];
  const tools: Tool[] = names.map((name) => ({ name, description: `test tool ${name}`, inputSchema: TOOL_SCHEMA }));
  const prompts: Prompt[] = [{ name: 'greet', description: 'Greets someone', arguments: [{ name: 'name', required: true }] }];

  const endpoint: Endpoint = {
    prefix: opts.prefix,
    tenant: 'test',
    configName: 'test',
    serverName: 'test-server',
    ssePrefix: opts.ssePrefix ?? '',
    cors: opts.cors,
    serverInfo: { name: 'test-gateway', version: '1.0.0' },
    instructions: opts.instructions,
    capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, logging: {} },
    listHash: opts.listHash ?? 'hash-1',
    listTools: () => tools,
    async callTool(name: string, args: Record<string, unknown>, ctx: CallContext): Promise<CallToolResult> {
      switch (name) {
        case 'echo':
          return text(JSON.stringify(args));
        case 'whoami':
          probe.requests.push(ctx.request);
          return text(JSON.stringify({ user: ctx.request.headers['X-User-Id'] ?? null, session: ctx.sessionId ?? null }));
        case 'wait': {
          probe.waits.push(ctx);
          const signal = ctx.signal;
          await new Promise<void>((resolve) => {
            if (signal.aborted) resolve();
            else signal.addEventListener('abort', () => resolve(), { once: true });
          });
          probe.aborted.push(signal);
          return { content: [{ type: 'text', text: 'aborted' }], isError: true };
        }
        case 'gate':
          await new Promise<void>((resolve) => gateWaiters.push(resolve));
          return text('released');
        case 'progress': {
          const steps = typeof args.steps === 'number' ? args.steps : 3;
          for (let i = 1; i <= steps; i++) {
            ctx.progress?.(i, steps, `step ${i}`);
            await Bun.sleep(1);
          }
          // The SDK client handles notifications a microtask late; over the legacy transport (whose
          // EventSource dispatches a whole chunk at once) a result in the same chunk as the last progress
          // drops that progress on the client side. A pause keeps them in separate chunks.
          if (ctx.progress) await Bun.sleep(15);
          return text(ctx.progress ? 'with progress' : 'without progress');
        }
        case 'fail':
          return { content: [{ type: 'text', text: 'backend said no' }], isError: true };
        case 'boom':
          throw new Error('secret-token-123 leaked in an exception');
        default:
          throw new McpMethodError(-32602, `Unknown tool: ${name}`);
      }
    },
    listPrompts: () => prompts,
    getPrompt(name: string, args: Record<string, string>): GetPromptResult {
      if (name !== 'greet') throw new McpMethodError(-32602, `Unknown prompt: ${name}`);
      if (args.name === undefined) throw new McpMethodError(-32602, 'Missing required argument: name');
      return { messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${args.name}!` } }] };
    },
  };
  return { endpoint, probe };
}

/** A loopback server for a transport; `endpoints` can be replaced to simulate a reload. */
export interface TransportServer {
  readonly url: string;
  endpoints: Map<string, Endpoint>;
  stop(): Promise<void>;
}

/** Serves `/<prefix>/{mcp,sse,message}` from `transport`; unknown prefixes 404. */
export function serveTransport(transport: McpTransport, endpoints: Endpoint[]): TransportServer {
  const state: TransportServer = {
    url: '',
    endpoints: new Map(endpoints.map((e) => [e.prefix, e])),
    stop: async () => {
      await server.stop(true);
    },
  };
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 60,
    fetch(req) {
      const { pathname } = new URL(req.url);
      const slash = pathname.lastIndexOf('/');
      const kind = pathname.slice(slash + 1);
      const endpoint = state.endpoints.get(pathname.slice(0, slash));
      if (endpoint === undefined || (kind !== 'mcp' && kind !== 'sse' && kind !== 'message')) {
        return new Response('not found', { status: 404 });
      }
      return transport.handle(req, endpoint, kind as McpRouteKind);
    },
  });
  (state as { url: string }).url = `http://127.0.0.1:${server.port}`;
  return state;
}

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Parses complete SSE events (WHATWG rules: default event "message", data lines joined). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.replace(/\r\n?/g, '\n').split('\n\n')) {
    let event = 'message';
    const data: string[] = [];
    let id: string | undefined;
    let any = false;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else continue;
      any = true;
    }
    if (any) events.push(id === undefined ? { event, data: data.join('\n') } : { event, data: data.join('\n'), id });
  }
  return events;
}

/** Reads SSE events from a streaming response one at a time; also records comments (keep-alives). */
export class SseReader {
  private readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private readonly queue: SseEvent[] = [];
  comments = 0;

  constructor(res: Response) {
    if (!res.body) throw new Error('SSE response has no body');
    this.reader = res.body.getReader();
  }

  /** The next event; rejects if the stream ends first. */
  async next(): Promise<SseEvent> {
    for (;;) {
      const queued = this.queue.shift();
      if (queued) return queued;
      const { done, value } = await this.reader.read();
      if (done) throw new Error('SSE stream ended');
      this.buffer += this.decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      const end = this.buffer.lastIndexOf('\n\n');
      if (end < 0) continue;
      const complete = this.buffer.slice(0, end);
      this.comments += complete.split('\n').filter((l) => l.startsWith(':')).length;
      this.queue.push(...parseSse(complete));
      this.buffer = this.buffer.slice(end + 2);
    }
  }

  /** Reads until the stream ends; returns the events seen. */
  async rest(): Promise<SseEvent[]> {
    const out: SseEvent[] = [...this.queue.splice(0)];
    for (;;) {
      const { done, value } = await this.reader.read();
      if (done) break;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
    out.push(...parseSse(this.buffer));
    this.buffer = '';
    return out;
  }

  /** The next event of type `event` with data, skipping others (priming events, keep-alives). */
  async nextOf(event: string): Promise<SseEvent> {
    for (;;) {
      const e = await this.next();
      if (e.event === event && e.data !== '') return e;
    }
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

/** Polls `check` until it is true or `timeoutMs` passes. */
export async function until(check: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}
