/**
 * The contract between the MCP transports (gateway/mcp) and what serves a router's prefix (REST tools in
 * gateway/tools, upstream MCP servers later). A route table maps each prefix to one frozen Endpoint.
 */
import type {
  CallToolResult,
  GetPromptResult,
  Implementation,
  Prompt,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/sdk/spec.types.js';

export type { CallToolResult, GetPromptResult, Implementation, Prompt, ServerCapabilities, Tool };

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
  readonly sessionId?: string;
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
}
