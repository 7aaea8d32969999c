/**
 * The Endpoint of a router that points at an `mcpServers[]` entry: the upstream's tools (shaped),
 * prompts, resources, completions and logging, relayed through the pooled Upstream. Compiled per
 * revision; the Upstream outlives it when the reload keeps the spec.
 *
 * Failure surface: an unreachable upstream makes tools/call an `isError` result naming it
 * (`upstream "everything": connect ECONNREFUSED …`) and lists empty; `isAvailable()` and `health()` say
 * why, so aggregation can decide between failing open and closed.
 */
import { createHash } from 'node:crypto';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpConfig, McpServer, Router } from '../config/schema.ts';
import {
  type CallContext,
  type CallToolResult,
  type CompiledCors,
  type CompleteRequestParams,
  type CompleteResult,
  type Endpoint,
  type GetPromptResult,
  type ListResourcesResult,
  type ListResourceTemplatesResult,
  type LoggingLevel,
  McpMethodError,
  type Prompt,
  type ReadResourceResult,
  type ServerCapabilities,
  type Tool,
  type UpstreamHealth,
} from '../routing/endpoint.ts';
import { GATEWAY_VERSION } from '../tools/http-tool.ts';
import { compileCors } from '../tools/rest-endpoint.ts';
import { deepFreeze } from '../tools/util.ts';
import type { UpstreamPool } from './pool.ts';
import { compileShaper } from './shaping.ts';
import { type LogFn, type Upstream, UpstreamUnavailable } from './upstream.ts';

export interface UpstreamEndpointInput {
  config: McpConfig;
  router: Router;
  upstream: McpServer;
  /** The config revision this endpoint was compiled from (`main@sha1:<hex>`). */
  revision: string;
}

/** What upstream endpoints need from the process. */
export interface UpstreamRuntime {
  pool: UpstreamPool;
  /** security.allowStdio. */
  allowStdio: boolean;
  /** The template `env` function, restricted to the settings' allowlist. */
  env: (name: string) => string | undefined;
  log?: LogFn;
}

/** The Endpoint of an upstream MCP server, with what aggregation and status pages use. */
export interface UpstreamEndpoint extends Endpoint {
  readonly revision: string;
  readonly upstream: Upstream;
  /** False while the upstream failed, is closed or waits out a reconnect backoff. */
  isAvailable(): boolean;
  close(): Promise<void>;
  sessionEnded(sessionId: string): void;
  health(): readonly UpstreamHealth[];
}

/** Advertised before the upstream answered: listChanged lets clients re-list once it is up. */
const PROVISIONAL_CAPABILITIES: ServerCapabilities = deepFreeze({
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { listChanged: true },
  logging: {},
});

const EMPTY_RESOURCES: ListResourcesResult = deepFreeze({ resources: [] });
const EMPTY_TEMPLATES: ListResourceTemplatesResult = deepFreeze({ resourceTemplates: [] });
const EMPTY_COMPLETION: CompleteResult = deepFreeze({ completion: { values: [], hasMore: false } });

/**
 * The upstream's capabilities as the gateway offers them: the features it relays, with listChanged on,
 * since the gateway itself announces changes (a reconnect, a reload) even when the upstream does not.
 */
function mirror(caps: ServerCapabilities): ServerCapabilities {
  const out: ServerCapabilities = {};
  if (caps.tools !== undefined) out.tools = { listChanged: true };
  if (caps.prompts !== undefined) out.prompts = { listChanged: true };
  if (caps.resources !== undefined) {
    out.resources = caps.resources.subscribe === true ? { listChanged: true, subscribe: true } : { listChanged: true };
  }
  if (caps.completions !== undefined) out.completions = {};
  if (caps.logging !== undefined) out.logging = {};
  return deepFreeze(out);
}

function toMethodError(err: unknown): Error {
  if (err instanceof McpMethodError) return err;
  if (err instanceof McpError) return new McpMethodError(err.code, err.message.replace(/^MCP error -?\d+: /, ''), err.data);
  if (err instanceof UpstreamUnavailable) return new McpMethodError(-32603, err.message);
  return err instanceof Error ? err : new Error(String(err));
}

function normalizePrefix(prefix: string): string {
  let p = prefix.startsWith('/') ? prefix : `/${prefix}`;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/**
 * Compiles the Endpoint of `router` → `upstream`, retaining the pooled Upstream for the spec (created and
 * started on first retain). `close()` releases it; the pool closes it when no revision uses it.
 */
export function compileUpstreamEndpoint(input: UpstreamEndpointInput, runtime: UpstreamRuntime): UpstreamEndpoint {
  const { config, router, upstream: spec, revision } = input;
  const shaper = compileShaper(spec.tools);
  const upstream = runtime.pool.retain(spec, { allowStdio: runtime.allowStdio, env: runtime.env, log: runtime.log });
  const log = runtime.log ?? (() => undefined);
  const name = spec.name;
  const listHash = createHash('sha256')
    .update(JSON.stringify({ upstream: upstream.hash, tools: spec.tools ?? null }))
    .digest('hex');

  let capsFrom: ServerCapabilities | undefined;
  let caps: ServerCapabilities = PROVISIONAL_CAPABILITIES;
  let released: Promise<void> | undefined;

  function listFailed(method: string, err: unknown): void {
    log('debug', 'upstream: list failed', { upstream: name, method, error: err instanceof Error ? err.message : String(err) });
  }

  /** Every page of a list the endpoint answers in one piece (prompts). */
  async function listAll(ctx: CallContext, method: string, key: string): Promise<unknown[]> {
    const out: unknown[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await upstream.request(ctx, method, cursor === undefined ? undefined : { cursor });
      const items = result[key];
      if (Array.isArray(items)) out.push(...items);
      cursor = typeof result.nextCursor === 'string' && result.nextCursor !== '' ? result.nextCursor : undefined;
      if (cursor === undefined) break;
    }
    return out;
  }

  /** Whether the upstream, once it answered, said it lacks a feature (then we do not ask). */
  function lacks(feature: keyof ServerCapabilities): boolean {
    const known = upstream.serverCapabilities;
    return known !== undefined && known[feature] === undefined;
  }

  function unavailableResult(err: UpstreamUnavailable): CallToolResult {
    return { content: [{ type: 'text', text: err.message }], isError: true };
  }

  const endpoint: UpstreamEndpoint = {
    prefix: normalizePrefix(router.prefix),
    tenant: config.tenant,
    configName: config.name,
    serverName: name,
    ssePrefix: router.ssePrefix ?? '',
    serverInfo: Object.freeze({ name: 'mcp-gateway', title: name, version: GATEWAY_VERSION }),
    get capabilities(): ServerCapabilities {
      const known = upstream.serverCapabilities;
      if (known !== undefined && known !== capsFrom) {
        capsFrom = known;
        caps = mirror(known);
      }
      return caps;
    },
    get instructions(): string | undefined {
      return upstream.instructions;
    },
    listHash,
    revision,
    upstream,

    async listTools(ctx: CallContext): Promise<Tool[]> {
      try {
        return shaper.apply(await upstream.listTools(ctx));
      } catch (err) {
        listFailed('tools/list', err);
        return [];
      }
    },

    callTool(toolName: string, args: Record<string, unknown>, ctx: CallContext): Promise<CallToolResult> {
      const target = shaper.upstreamName(toolName);
      if (target === undefined) return Promise.reject(new McpMethodError(-32602, `unknown tool "${toolName}"`));
      let pending: Promise<Record<string, unknown>>;
      try {
        pending = upstream.callTool(target, args ?? {}, ctx);
      } catch (err) {
        // connectionFor throws synchronously when the upstream failed or is closed.
        if (err instanceof UpstreamUnavailable) return Promise.resolve(unavailableResult(err));
        return Promise.reject(toMethodError(err));
      }
      return pending.then(
        (result) => result as CallToolResult,
        (err: unknown) => {
          if (err instanceof UpstreamUnavailable) return unavailableResult(err);
          throw toMethodError(err);
        },
      );
    },

    async listPrompts(ctx: CallContext): Promise<Prompt[]> {
      if (lacks('prompts')) return [];
      try {
        return (await listAll(ctx, 'prompts/list', 'prompts')) as Prompt[];
      } catch (err) {
        listFailed('prompts/list', err);
        return [];
      }
    },

    async getPrompt(promptName: string, args: Record<string, string>, ctx: CallContext): Promise<GetPromptResult> {
      try {
        return (await upstream.request(ctx, 'prompts/get', { name: promptName, arguments: args })) as GetPromptResult;
      } catch (err) {
        throw toMethodError(err);
      }
    },

    async listResources(ctx: CallContext, cursor?: string): Promise<ListResourcesResult> {
      if (lacks('resources')) return EMPTY_RESOURCES;
      try {
        return (await upstream.request(ctx, 'resources/list', cursor === undefined ? undefined : { cursor })) as ListResourcesResult;
      } catch (err) {
        listFailed('resources/list', err);
        return EMPTY_RESOURCES;
      }
    },

    async listResourceTemplates(ctx: CallContext, cursor?: string): Promise<ListResourceTemplatesResult> {
      if (lacks('resources')) return EMPTY_TEMPLATES;
      try {
        return (await upstream.request(ctx, 'resources/templates/list', cursor === undefined ? undefined : { cursor })) as ListResourceTemplatesResult;
      } catch (err) {
        listFailed('resources/templates/list', err);
        return EMPTY_TEMPLATES;
      }
    },

    async readResource(uri: string, ctx: CallContext): Promise<ReadResourceResult> {
      try {
        return (await upstream.request(ctx, 'resources/read', { uri })) as ReadResourceResult;
      } catch (err) {
        throw toMethodError(err);
      }
    },

    async subscribeResource(uri: string, ctx: CallContext): Promise<void> {
      try {
        await upstream.subscribe(uri, ctx);
      } catch (err) {
        throw toMethodError(err);
      }
    },

    async unsubscribeResource(uri: string, ctx: CallContext): Promise<void> {
      try {
        await upstream.unsubscribe(uri, ctx);
      } catch (err) {
        throw toMethodError(err);
      }
    },

    async complete(params: CompleteRequestParams, ctx: CallContext): Promise<CompleteResult> {
      if (lacks('completions')) return EMPTY_COMPLETION;
      try {
        return (await upstream.request(ctx, 'completion/complete', params as unknown as Record<string, unknown>)) as CompleteResult;
      } catch (err) {
        if (err instanceof UpstreamUnavailable) return EMPTY_COMPLETION;
        throw toMethodError(err);
      }
    },

    async setLogLevel(level: LoggingLevel, ctx: CallContext): Promise<void> {
      try {
        await upstream.setLogLevel(level, ctx);
      } catch (err) {
        // The level is a preference: an unreachable upstream gets it with its next connection.
        if (err instanceof UpstreamUnavailable) return;
        throw toMethodError(err);
      }
    },

    async connect(ctx: CallContext): Promise<void> {
      try {
        // A ping, not just a connect: it proves the upstream answers, and ends like a call (idle timers).
        await upstream.request(ctx, 'ping', undefined);
      } catch (err) {
        throw toMethodError(err);
      }
    },

    sessionEnded(sessionId: string): void {
      upstream.sessionEnded(sessionId);
    },

    health(): readonly UpstreamHealth[] {
      return [upstream.health()];
    },

    isAvailable(): boolean {
      return upstream.isAvailable();
    },

    close(): Promise<void> {
      released ??= runtime.pool.release(upstream);
      return released;
    },
  };
  const cors: CompiledCors | undefined = compileCors(router);
  if (cors) (endpoint as { cors?: CompiledCors }).cors = cors;
  return Object.freeze(endpoint);
}
