/**
 * The Endpoint of a router that points at a `servers[]` entry: the server's allowed HTTP tools and the
 * config's prompts, all compiled at load. Nothing here parses config or compiles templates per call.
 */
import { createHash } from 'node:crypto';
import type { McpConfig, Router, Server } from '../config/schema.ts';
import {
  type CallContext,
  type CallToolResult,
  type CompiledCors,
  type Endpoint,
  McpMethodError,
  type Prompt,
  type ServerCapabilities,
  type Tool,
} from '../routing/endpoint.ts';
import { ToolCompileError } from './args.ts';
import { compileHttpTool, compileServerConfig, GATEWAY_VERSION, type HttpTool, type ToolRuntime } from './http-tool.ts';
import { compilePrompts } from './prompts.ts';
import { deepFreeze } from './util.ts';

export interface RestEndpointInput {
  config: McpConfig;
  router: Router;
  server: Server;
  /** The config revision this endpoint was compiled from (`main@sha1:<hex>`), for logs and status. */
  revision: string;
}

/** The Endpoint of an HTTP server, with what tests and status pages may inspect. */
export interface RestEndpoint extends Endpoint {
  readonly revision: string;
  readonly tools: ReadonlyMap<string, HttpTool>;
}

/** Default CORS lists: what MCP clients in a browser need (Streamable HTTP and legacy SSE). */
const CORS_METHODS = 'GET, POST, DELETE, OPTIONS';
const CORS_HEADERS = 'Content-Type, Authorization, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID';
const CORS_EXPOSE = 'Mcp-Session-Id, Mcp-Protocol-Version';

/**
 * Compiles the Endpoint of `router` → `server`. Throws ToolCompileError (or TemplateError wrapped in it)
 * for what cross-reference validation should already have refused: unknown tool names, bad templates.
 */
export function compileRestEndpoint(input: RestEndpointInput, runtime: ToolRuntime): RestEndpoint {
  const { config, router, server, revision } = input;
  const specs = new Map((config.tools ?? []).map((t) => [t.name, t]));
  const serverConfig = compileServerConfig(server, runtime);
  const tools = new Map<string, HttpTool>();
  for (const toolName of server.allowedTools ?? []) {
    if (tools.has(toolName)) continue;
    const spec = specs.get(toolName);
    if (!spec) throw new ToolCompileError(`server "${server.name}": allowedTools names unknown tool "${toolName}"`);
    tools.set(toolName, compileHttpTool(spec, serverConfig, runtime));
  }
  const toolList: readonly Tool[] = Object.freeze([...tools.values()].map((t) => t.definition));
  const prompts = compilePrompts(config.prompts);

  const capabilities: ServerCapabilities = { tools: { listChanged: true }, logging: {} };
  if (prompts.list.length > 0) capabilities.prompts = { listChanged: true };

  const listHash = createHash('sha256')
    .update(JSON.stringify({ tools: toolList, prompts: prompts.list }))
    .digest('hex');

  const endpoint: RestEndpoint = {
    prefix: normalizePrefix(router.prefix),
    tenant: config.tenant,
    configName: config.name,
    serverName: server.name,
    ssePrefix: router.ssePrefix ?? '',
    serverInfo: { name: 'mcp-gateway', title: server.name, version: GATEWAY_VERSION },
    capabilities: deepFreeze(capabilities),
    listHash,
    revision,
    tools,
    // The transports never mutate the list; returning the one frozen array keeps tools/list allocation-free.
    listTools: () => toolList as Tool[],
    callTool(name: string, args: Record<string, unknown>, ctx: CallContext): Promise<CallToolResult> {
      const tool = tools.get(name);
      if (!tool) return Promise.reject(new McpMethodError(-32602, `unknown tool "${name}"`));
      // An omitted `arguments` is an empty object (MCP: arguments are optional for tools without any).
      if (args === undefined) return tool.call({}, ctx);
      if (typeof args !== 'object' || args === null || Array.isArray(args)) {
        return Promise.reject(new McpMethodError(-32602, `tool "${name}": arguments must be an object`));
      }
      return tool.call(args, ctx);
    },
    listPrompts: () => prompts.list as Prompt[],
    getPrompt: (name, args) => prompts.get(name, args),
  };
  if (server.description) (endpoint as { instructions?: string }).instructions = server.description;
  const cors = compileCors(router);
  if (cors) (endpoint as { cors?: CompiledCors }).cors = cors;
  return Object.freeze(endpoint);
}

function normalizePrefix(prefix: string): string {
  let p = prefix.startsWith('/') ? prefix : `/${prefix}`;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/** A router's CORS policy, compiled; undefined when the router has none. */
export function compileCors(router: Router): CompiledCors | undefined {
  const cors = router.cors;
  if (!cors) return undefined;
  const origins = cors.allowOrigins ?? [];
  const compiled: CompiledCors = {
    anyOrigin: origins.includes('*'),
    origins: new Set(origins.filter((o) => o !== '*').map((o) => o.replace(/\/+$/, ''))),
    allowMethods: cors.allowMethods?.length ? cors.allowMethods.join(', ') : CORS_METHODS,
    allowHeaders: cors.allowHeaders?.length ? cors.allowHeaders.join(', ') : CORS_HEADERS,
    exposeHeaders: cors.exposeHeaders?.length ? cors.exposeHeaders.join(', ') : CORS_EXPOSE,
    allowCredentials: cors.allowCredentials === true,
  };
  if (cors.maxAge !== undefined) (compiled as { maxAge?: number }).maxAge = cors.maxAge;
  return Object.freeze(compiled);
}
