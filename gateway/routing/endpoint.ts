/**
 * The contract between the MCP transports (gateway/mcp) and what serves a router's prefix (REST tools in
 * gateway/tools, upstream MCP servers later). A route table maps each prefix to one frozen Endpoint.
 */
import type {
  CallToolResult,
  ClientCapabilities,
  CompleteRequestParams,
  CompleteResult,
  GetPromptResult,
  Implementation,
  ListResourcesResult,
  ListResourceTemplatesResult,
  LoggingLevel,
  Prompt,
  ReadResourceResult,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/sdk/spec.types.js';

export type {
  CallToolResult,
  ClientCapabilities,
  CompleteRequestParams,
  CompleteResult,
  GetPromptResult,
  Implementation,
  ListResourcesResult,
  ListResourceTemplatesResult,
  LoggingLevel,
  Prompt,
  ReadResourceResult,
  ServerCapabilities,
  Tool,
};

/**
 * The client's MCP session as an Endpoint sees it: what the client declared, and a way to send it
 * server→client requests and notifications (relayed from upstream MCP servers).
 */
export interface ClientSession {
  readonly id: string;
  readonly protocolVersion: string;
  readonly clientCapabilities: ClientCapabilities;
  readonly clientInfo?: Implementation;
  /**
   * Sends a server→client request (`sampling/createMessage`, `elicitation/create`, `roots/list`) and
   * resolves with the client's result. Rejects with McpMethodError when the client did not declare the
   * capability, the session ended or the signal aborted.
   */
  request(method: string, params: Record<string, unknown> | undefined, opts?: { signal?: AbortSignal; relatedRequestId?: string | number }): Promise<Record<string, unknown>>;
  /** Sends a notification (`notifications/message`, `notifications/resources/updated`, …). */
  notify(method: string, params?: Record<string, unknown>, opts?: { relatedRequestId?: string | number }): void;
  /** Aborted when the session ends (DELETE, disconnect of a legacy SSE client, expiry, shutdown). */
  readonly ended: AbortSignal;
}

/** What templates see as `.Request`: the client's HTTP request, first value per name. */
export interface RequestView {
  /** Header names in canonical form (`X-User-Id`), as the seed system's templates index them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly cookies: Readonly<Record<string, string>>;
}

/** Per-call context handed from the transport to an Endpoint. */
export interface CallContext {
  readonly request: RequestView;
  /** Aborted when the client sends notifications/cancelled, the session ends or the gateway drains. */
  readonly signal: AbortSignal;
  /**
   * `signal.aborted`, when the context can tell without creating the signal (the transports' calls
   * create their AbortController only when `signal` is read). Endpoints that only poll read this.
   */
  readonly aborted?: boolean;
  readonly sessionId?: string;
  /** The session the call arrived on (absent only for calls made outside a session). */
  readonly session?: ClientSession;
  /** JSON-RPC id of the client's request, for relating server→client messages to it. */
  readonly requestId?: string | number;
  /** Set when the client asked for progress (params._meta.progressToken). */
  readonly progress?: (progress: number, total?: number, message?: string) => void;
}

/** Errors an Endpoint raises for the transport to map to JSON-RPC errors. */
export class McpMethodError extends Error {
  constructor(
    /** JSON-RPC error code: -32602 invalid params, -32601 method not found, -32603 internal. */
    readonly rpcCode: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'McpMethodError';
  }
}

/** CORS policy compiled once per router. */
export interface CompiledCors {
  /** True when any origin is allowed ("*"). */
  readonly anyOrigin: boolean;
  readonly origins: ReadonlySet<string>;
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly allowCredentials: boolean;
  readonly maxAge?: number;
}

/** One router's prefix, compiled. Immutable; a reload builds new ones. */
export interface Endpoint {
  /** Normalized prefix without trailing slash, e.g. `/acme/tickets`. */
  readonly prefix: string;
  readonly tenant: string;
  readonly configName: string;
  /** Name of the server or upstream the router points at. */
  readonly serverName: string;
  /** Path prepended to the legacy SSE `endpoint` event URL. */
  readonly ssePrefix: string;
  /** Undefined = no CORS headers and only same-origin / no-Origin requests are accepted. */
  readonly cors?: CompiledCors;
  readonly serverInfo: Implementation;
  readonly instructions?: string;
  readonly capabilities: ServerCapabilities;
  /** Hash of everything clients can see (tools, prompts, resources); changes drive list_changed. */
  readonly listHash: string;

  listTools(ctx: CallContext): Tool[] | Promise<Tool[]>;
  /** Unknown tool → McpMethodError(-32602). Tool failures are results with isError, never throws. */
  callTool(name: string, args: Record<string, unknown>, ctx: CallContext): Promise<CallToolResult>;
  listPrompts(ctx: CallContext): Prompt[] | Promise<Prompt[]>;
  /** Unknown prompt or missing required argument → McpMethodError(-32602). */
  getPrompt(name: string, args: Record<string, string>, ctx: CallContext): GetPromptResult | Promise<GetPromptResult>;
  /** Releases what the endpoint holds (upstream connections); called after a drain on reload/shutdown. */
  close?(): Promise<void>;

  // Optional methods: an Endpoint that lacks one gets the transport's default (empty lists,
  // -32602 for reads, no-op for setLevel, empty completions).
  listResources?(ctx: CallContext, cursor?: string): ListResourcesResult | Promise<ListResourcesResult>;
  listResourceTemplates?(ctx: CallContext, cursor?: string): ListResourceTemplatesResult | Promise<ListResourceTemplatesResult>;
  /** Unknown resource → McpMethodError(-32002 or -32602). */
  readResource?(uri: string, ctx: CallContext): Promise<ReadResourceResult>;
  subscribeResource?(uri: string, ctx: CallContext): Promise<void>;
  unsubscribeResource?(uri: string, ctx: CallContext): Promise<void>;
  complete?(params: CompleteRequestParams, ctx: CallContext): Promise<CompleteResult>;
  setLogLevel?(level: LoggingLevel, ctx: CallContext): Promise<void>;
  /** The client session ended: release per-session upstream state. */
  sessionEnded?(sessionId: string): void;
  /** Health of what the endpoint depends on, for /_status and /metrics. */
  health?(): readonly UpstreamHealth[];
  /** False while what the endpoint depends on cannot be reached (an upstream down). */
  isAvailable?(): boolean;
  /**
   * Called on `initialize` before the session is created; throwing McpMethodError refuses the session
   * (an aggregate with failureMode closed and an upstream down).
   */
  onInitialize?(ctx: CallContext): Promise<void>;
  /**
   * Reaches now what calls of `ctx`'s session would use (an upstream connection, opened if needed);
   * rejects with McpMethodError naming the failure. Aggregates with failureMode closed call it on initialize.
   */
  connect?(ctx: CallContext): Promise<void>;
}

export type UpstreamState = 'idle' | 'starting' | 'connected' | 'backoff' | 'failed' | 'closed';

/** One upstream MCP server's state as /_status reports it. */
export interface UpstreamHealth {
  readonly name: string;
  readonly type: 'stdio' | 'sse' | 'streamable-http';
  readonly state: UpstreamState;
  readonly since: string;
  readonly lastError?: string;
  readonly restarts: number;
  readonly sessions: number;
}

/** A request's credentials checked against a router's `auth`. */
export type AuthVerdict =
  | {
      readonly ok: true;
      /** `<iss> <sub>` of the token: sessions are bound to it. */
      readonly principal: string;
    }
  | {
      readonly ok: false;
      /** 401 no or invalid token, 403 insufficient scope, 503 the keys cannot be fetched. */
      readonly status: 401 | 403 | 503;
      /** RFC 6750 §3.1 error code; absent when no token was given (and for 503). */
      readonly error?: 'invalid_token' | 'insufficient_scope';
      /** Safe to show the client: names the failure, never the token or an internal address. */
      readonly message: string;
    };

/** The client authentication of one router (an OAuth 2.1 resource server), compiled once per revision. */
export interface RouterAuthenticator {
  readonly mode: 'oauth2';
  /** Issuer URL of the authorization server, as configured. */
  readonly issuer: string;
  /** Scopes every token must carry (requiredScopes). */
  readonly scopes: readonly string[];
  /** Checks the request's `Authorization` header. Never rejects. */
  verify(authorization: string | null): Promise<AuthVerdict>;
}
