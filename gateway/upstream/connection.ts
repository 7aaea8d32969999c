/**
 * One upstream MCP session: an SDK Client on one transport (a child process, an SSE stream, a Streamable
 * HTTP session). An Upstream owns several: the shared one, one per client session that needs its own, and
 * one-shot ones. This file builds them and tears them down; policy (when to open, when to close, what to
 * do after a crash) lives in upstream.ts.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ClientCapabilities, Implementation, ServerCapabilities, Tool } from '../routing/endpoint.ts';
import { GATEWAY_VERSION } from '../tools/http-tool.ts';
import { ProcessTransport } from './stdio-transport.ts';

/** How the gateway introduces itself to upstream servers. */
export const CLIENT_INFO: Implementation = Object.freeze({ name: 'mcp-gateway', version: GATEWAY_VERSION });

/**
 * A result "schema" that accepts what the upstream sent as it is. The SDK parses every result with the
 * schema given to `request()`; a proxy must not strip fields it does not know (new content types, _meta)
 * nor pay for a deep parse the client will do anyway. The SDK accepts Zod 3 schemas, which it drives only
 * through `safeParse` (server/zod-compat.js), so this object is one.
 */
export const PASSTHROUGH = Object.freeze({
  safeParse: (data: unknown) => ({ success: true as const, data }),
}) as unknown as Parameters<Client['request']>[1];

/**
 * The Client validates tool output against outputSchema only in `callTool`, which the gateway does not use
 * (the client at the other end validates); this keeps it from building an Ajv instance per connection.
 */
const NO_VALIDATION = Object.freeze({
  getValidator: () => (input: unknown) => ({ valid: true as const, data: input as never, errorMessage: undefined }),
});

export type ConnectionKind = 'shared' | 'session' | 'oneshot' | 'warmup';

/** What a transport needs, rendered from the spec for one connection. */
export type TransportPlan =
  | { type: 'stdio'; command: string; args: readonly string[]; env: Record<string, string>; graceMs: number; onStderrLine: (line: string) => void }
  | { type: 'sse' | 'streamable-http'; url: URL; headers: Record<string, string> };

export class Connection {
  readonly client: Client;
  readonly transport: Transport;
  /** Connected and initialized; cleared when it closes. */
  ready = false;
  /** Detached from its Upstream: no new calls go to it. */
  detached = false;
  /** Set when the connection was lost (not closed by us): the reason, for lastError. */
  failure: string | undefined;
  /** Calls in flight. */
  inflight = 0;
  lastUsed = 0;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Client request ids of calls in flight (session connections), to relate server→client requests. */
  readonly related: (string | number)[] = [];
  /** The tools/list cache; dropped on notifications/tools/list_changed. */
  tools: readonly Tool[] | undefined;
  toolsLoading: Promise<readonly Tool[]> | undefined;
  toolsEpoch = 0;
  serverCapabilities: ServerCapabilities | undefined;
  /** Progress callbacks by the token we put on the request (see `tapProgress`). */
  readonly progress = new Map<string, (params: Record<string, unknown>) => void>();
  private progressSeq = 0;
  private closing: Promise<void> | undefined;
  private closedResolve!: () => void;
  /** Resolves once the transport reported its close (for stdio: the process group is gone). */
  readonly closed: Promise<void>;

  constructor(
    readonly kind: ConnectionKind,
    plan: TransportPlan,
    capabilities: ClientCapabilities,
    /** Idle close delay, or undefined when the connection stays open while unused. */
    readonly idleMs: number | undefined,
    /** Values that must never appear in what we report (rendered headers and env). */
    readonly secrets: readonly string[],
  ) {
    this.closed = new Promise((resolve) => {
      this.closedResolve = resolve;
    });
    if (plan.type === 'stdio') {
      this.transport = new ProcessTransport({
        command: plan.command,
        args: plan.args,
        env: plan.env,
        graceMs: plan.graceMs,
        onStderrLine: plan.onStderrLine,
      });
    } else if (plan.type === 'sse') {
      this.transport = new SSEClientTransport(plan.url, { requestInit: { headers: plan.headers } });
    } else {
      this.transport = new StreamableHTTPClientTransport(plan.url, { requestInit: { headers: plan.headers } });
    }
    // spec.types and the SDK's zod types describe the same JSON; the gateway relays what the client declared.
    this.client = new Client(CLIENT_INFO, { capabilities: capabilities as never, jsonSchemaValidator: NO_VALIDATION });
  }

  /** The child's pid (stdio only). */
  get pid(): number | undefined {
    return this.transport instanceof ProcessTransport ? this.transport.pid : undefined;
  }

  /** Why the transport closed on its own: the child's exit status, or a generic reason. */
  get exitDescription(): string {
    if (this.transport instanceof ProcessTransport) return this.transport.exitDescription ?? 'process exited';
    return 'connection closed';
  }

  /** Called from the Client's onclose. */
  markClosed(): void {
    this.ready = false;
    this.closedResolve();
  }

  /** Connects and initializes, within `timeoutMs` for the whole handshake (spawn or HTTP + initialize). */
  async connect(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.client.connect(this.transport, { timeout: timeoutMs }), timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.serverCapabilities = this.client.getServerCapabilities();
    this.tapProgress();
    this.ready = true;
  }

  /** A progress token unique on this connection. */
  nextProgressToken(): string {
    return `gw-${++this.progressSeq}`;
  }

  /**
   * Delivers notifications/progress for our tokens synchronously, in arrival order. The SDK dispatches
   * notifications a microtask later but responses at once, so a request's last progress notification,
   * arriving in the same read as its response, would find its handler already gone and be dropped.
   */
  private tapProgress(): void {
    const transport = this.transport;
    const inner = transport.onmessage;
    const progress = this.progress;
    transport.onmessage = (message, extra) => {
      if ((message as { method?: unknown }).method === 'notifications/progress' && progress.size > 0) {
        const params = (message as { params?: Record<string, unknown> }).params;
        const token = params?.progressToken;
        const deliver = typeof token === 'string' ? progress.get(token) : undefined;
        if (deliver !== undefined) {
          deliver(params!);
          return;
        }
      }
      inner?.(message, extra);
    };
  }

  /**
   * Closes politely (Streamable HTTP: DELETE the session; stdio: stdin, SIGTERM, SIGKILL to the group)
   * and resolves once the transport is gone. Idempotent.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closing = (async () => {
      if (this.idleTimer !== undefined) {
        clearTimeout(this.idleTimer);
        this.idleTimer = undefined;
      }
      const transport = this.transport;
      if (transport instanceof StreamableHTTPClientTransport && this.ready && this.failure === undefined) {
        // The spec's SHOULD: end the upstream session explicitly rather than let it expire.
        await Promise.race([transport.terminateSession().catch(() => undefined), Bun.sleep(1000)]);
      }
      this.ready = false;
      try {
        await this.client.close();
      } catch {
        // Closing a transport that never started, or one already gone.
      }
      if (transport instanceof ProcessTransport) await transport.finished;
      else this.closedResolve();
    })();
    return this.closing;
  }

  /** Shutdown deadline passed: SIGKILL the process group now. */
  kill(): Promise<void> {
    if (this.transport instanceof ProcessTransport) return this.transport.kill();
    return this.close();
  }
}
