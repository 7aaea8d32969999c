/**
 * Aggregation: one router prefix serving several members (REST servers and/or upstream MCP servers).
 * Their tools, prompts and resources are merged; tool and prompt names are namespaced by `prefixMode`,
 * and calls are dispatched to the member that owns the name.
 *
 * Upstream lists are only known at run time, so names are resolved through the mapping built by the
 * last listing (rebuilt on a miss). `failureMode: open` hides a member that cannot be reached;
 * `closed` refuses new sessions and lists while any member is down.
 */
import { createHash } from 'node:crypto';
import {
  type CallContext,
  type CallToolResult,
  type Endpoint,
  type GetPromptResult,
  type ListResourcesResult,
  type ListResourceTemplatesResult,
  McpMethodError,
  type Prompt,
  type ReadResourceResult,
  type ServerCapabilities,
  type Tool,
  type UpstreamHealth,
} from './endpoint.ts';

export type PrefixMode = 'always' | 'conditional' | 'never';
export type FailureMode = 'open' | 'closed';

export interface AggregateMember {
  /** The server or mcpServer name, used as the namespace. */
  readonly name: string;
  readonly endpoint: Endpoint;
}

export interface AggregateInput {
  readonly prefix: string;
  readonly tenant: string;
  readonly configName: string;
  readonly ssePrefix: string;
  readonly cors: Endpoint['cors'];
  readonly members: readonly AggregateMember[];
  readonly prefixMode: PrefixMode;
  readonly failureMode: FailureMode;
  readonly version: string;
  readonly log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/** Thrown at load when `prefixMode: never` meets a clash among names known at load. */
export class AggregateError extends Error {
  readonly code = 'aggregate_clash';
}

const SEPARATOR = '_';

interface Owned<T> {
  readonly member: AggregateMember;
  readonly original: string;
  readonly item: T;
}

type Named = { name: string };

/** Applies the prefix mode to per-member lists; returns the exposed items and the name → owner map. */
export function mergeNamed<T extends Named>(
  lists: readonly { member: AggregateMember; items: readonly T[] }[],
  mode: PrefixMode,
  what: 'tool' | 'prompt',
  onClash?: (name: string, members: string[]) => void,
): { items: T[]; owners: Map<string, Owned<T>> } {
  const count = new Map<string, string[]>();
  for (const { member, items } of lists) {
    for (const it of items) {
      const seen = count.get(it.name);
      if (seen) seen.push(member.name);
      else count.set(it.name, [member.name]);
    }
  }
  const items: T[] = [];
  const owners = new Map<string, Owned<T>>();
  for (const { member, items: list } of lists) {
    for (const it of list) {
      const holders = count.get(it.name) ?? [];
      const clash = holders.length > 1;
      if (mode === 'never' && clash && holders[0] !== member.name) {
        onClash?.(it.name, holders);
        continue;
      }
      const exposed = mode === 'always' || (mode === 'conditional' && clash) ? `${member.name}${SEPARATOR}${it.name}` : it.name;
      if (owners.has(exposed)) {
        onClash?.(exposed, holders);
        continue;
      }
      owners.set(exposed, { member, original: it.name, item: it });
      items.push(exposed === it.name ? it : { ...it, name: exposed });
    }
  }
  void what;
  return { items, owners };
}

function unionCapabilities(members: readonly AggregateMember[]): ServerCapabilities {
  const caps: ServerCapabilities = { tools: { listChanged: true }, logging: {} };
  for (const { endpoint } of members) {
    const c = endpoint.capabilities;
    if (c.prompts) caps.prompts = { listChanged: true };
    if (c.resources) caps.resources = { listChanged: true, subscribe: caps.resources?.subscribe || c.resources.subscribe };
    if (c.completions) caps.completions = {};
  }
  return caps;
}

/** Builds the Endpoint of a router that aggregates several members. */
export function createAggregateEndpoint(input: AggregateInput): Endpoint {
  const { members, prefixMode, failureMode, log } = input;
  const label = `router "${input.prefix}"`;

  // Names known at load (REST members) must not clash under `never`: that is a load error.
  if (prefixMode === 'never') {
    const seen = new Map<string, string>();
    for (const m of members) {
      if (m.endpoint.isAvailable !== undefined) continue; // upstream: known only at run time
      const tools = m.endpoint.listTools({ request: { headers: {}, query: {}, cookies: {} }, signal: new AbortController().signal });
      if (tools instanceof Promise) continue;
      for (const t of tools) {
        const other = seen.get(t.name);
        if (other) throw new AggregateError(`${label}: tool "${t.name}" is offered by both "${other}" and "${m.name}" (prefixMode never)`);
        seen.set(t.name, m.name);
      }
    }
  }

  let toolOwners = new Map<string, Owned<Tool>>();
  let promptOwners = new Map<string, Owned<Prompt>>();
  let resourceOwners = new Map<string, AggregateMember>();

  const reportClash = (what: string) => (name: string, holders: string[]) =>
    log?.('warn', `${label}: ${what} "${name}" is offered by ${holders.join(', ')}; prefixMode never keeps the first`, {});

  const down = () => members.filter((m) => m.endpoint.isAvailable?.() === false);
  const failClosed = () => {
    if (failureMode !== 'closed') return;
    const missing = down();
    if (missing.length > 0) {
      const reasons = missing.map((m) => m.endpoint.health?.().find((h) => h.lastError)?.lastError ?? 'unavailable');
      throw new McpMethodError(-32603, `${label}: upstream ${missing.map((m) => `"${m.name}"`).join(', ')} unavailable (${reasons.join('; ')}); failureMode closed`);
    }
  };

  /** Collects one list from every member; failures hide the member (open) or fail the call (closed). */
  async function collect<T>(get: (ep: Endpoint) => T[] | Promise<T[]> | undefined): Promise<{ member: AggregateMember; items: T[] }[]> {
    failClosed();
    const settled = await Promise.allSettled(members.map(async (m) => ({ member: m, items: (await get(m.endpoint)) ?? [] })));
    const out: { member: AggregateMember; items: T[] }[] = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        out.push(r.value);
        return;
      }
      const name = members[i]?.name ?? '?';
      if (failureMode === 'closed') throw new McpMethodError(-32603, `${label}: upstream "${name}" failed: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
      log?.('warn', `${label}: member hidden`, { member: name, error: r.reason instanceof Error ? r.reason.message : String(r.reason) });
    });
    return out;
  }

  async function listTools(ctx: CallContext): Promise<Tool[]> {
    const lists = await collect((ep) => ep.listTools(ctx));
    const merged = mergeNamed(lists, prefixMode, 'tool', reportClash('tool'));
    toolOwners = merged.owners;
    return merged.items;
  }

  async function listPrompts(ctx: CallContext): Promise<Prompt[]> {
    const lists = await collect((ep) => ep.listPrompts(ctx));
    const merged = mergeNamed(lists, prefixMode, 'prompt', reportClash('prompt'));
    promptOwners = merged.owners;
    return merged.items;
  }

  const hash = createHash('sha256');
  for (const m of members) hash.update(m.name).update('\0').update(m.endpoint.listHash).update('\0');
  hash.update(prefixMode);

  return {
    prefix: input.prefix,
    tenant: input.tenant,
    configName: input.configName,
    serverName: members.map((m) => m.name).join('+'),
    ssePrefix: input.ssePrefix,
    cors: input.cors,
    serverInfo: { name: 'mcp-gateway', title: members.map((m) => m.name).join(' + '), version: input.version },
    instructions: `Aggregates ${members.map((m) => m.name).join(', ')}.`,
    capabilities: unionCapabilities(members),
    listHash: hash.digest('hex'),

    async onInitialize(ctx) {
      if (failureMode === 'closed') {
        // Every member must answer now: a session that started could otherwise miss tools later.
        const reached = await Promise.allSettled(members.map((m) => m.endpoint.connect?.(ctx)));
        const failed: string[] = [];
        reached.forEach((r, i) => {
          if (r.status === 'rejected') failed.push(`"${members[i]!.name}" (${r.reason instanceof Error ? r.reason.message : String(r.reason)})`);
        });
        if (failed.length > 0) throw new McpMethodError(-32603, `${label}: upstream ${failed.join(', ')} unavailable; failureMode closed`);
      }
      failClosed();
      await Promise.all(members.map((m) => m.endpoint.onInitialize?.(ctx)));
    },

    listTools,

    async callTool(name: string, args: Record<string, unknown>, ctx: CallContext): Promise<CallToolResult> {
      let owner = toolOwners.get(name);
      if (!owner) {
        await listTools(ctx);
        owner = toolOwners.get(name);
      }
      if (!owner) throw new McpMethodError(-32602, `unknown tool "${name}"`);
      return owner.member.endpoint.callTool(owner.original, args, ctx);
    },

    listPrompts,

    async getPrompt(name: string, args: Record<string, string>, ctx: CallContext): Promise<GetPromptResult> {
      let owner = promptOwners.get(name);
      if (!owner) {
        await listPrompts(ctx);
        owner = promptOwners.get(name);
      }
      if (!owner) throw new McpMethodError(-32602, `unknown prompt "${name}"`);
      return owner.member.endpoint.getPrompt(owner.original, args, ctx);
    },

    async listResources(ctx: CallContext): Promise<ListResourcesResult> {
      const lists = await collect(async (ep) => (ep.listResources ? (await ep.listResources(ctx)).resources : []));
      const owners = new Map<string, AggregateMember>();
      const resources = [];
      for (const { member, items } of lists) {
        for (const r of items) {
          if (owners.has(r.uri)) continue;
          owners.set(r.uri, member);
          resources.push(r);
        }
      }
      resourceOwners = owners;
      return { resources };
    },

    async listResourceTemplates(ctx: CallContext): Promise<ListResourceTemplatesResult> {
      const lists = await collect(async (ep) => (ep.listResourceTemplates ? (await ep.listResourceTemplates(ctx)).resourceTemplates : []));
      return { resourceTemplates: lists.flatMap((l) => l.items) };
    },

    async readResource(uri: string, ctx: CallContext): Promise<ReadResourceResult> {
      const owner = resourceOwners.get(uri);
      if (owner?.endpoint.readResource) return owner.endpoint.readResource(uri, ctx);
      // Templated or unlisted URIs: the first member that can read it wins.
      let last: unknown;
      for (const m of members) {
        if (!m.endpoint.readResource || m.endpoint.isAvailable?.() === false) continue;
        try {
          return await m.endpoint.readResource(uri, ctx);
        } catch (err) {
          last = err;
        }
      }
      if (last instanceof McpMethodError) throw last;
      throw new McpMethodError(-32602, `resource not found: ${uri}`);
    },

    async subscribeResource(uri: string, ctx: CallContext): Promise<void> {
      const owner = resourceOwners.get(uri) ?? members.find((m) => m.endpoint.subscribeResource);
      if (!owner?.endpoint.subscribeResource) throw new McpMethodError(-32602, `resource not found: ${uri}`);
      await owner.endpoint.subscribeResource(uri, ctx);
    },

    async unsubscribeResource(uri: string, ctx: CallContext): Promise<void> {
      const owner = resourceOwners.get(uri) ?? members.find((m) => m.endpoint.unsubscribeResource);
      await owner?.endpoint.unsubscribeResource?.(uri, ctx);
    },

    async complete(params, ctx) {
      const ref = params.ref as { type: string; name?: string; uri?: string };
      if (ref.type === 'ref/prompt' && ref.name !== undefined) {
        const owner = promptOwners.get(ref.name);
        if (owner?.member.endpoint.complete) {
          return owner.member.endpoint.complete({ ...params, ref: { ...ref, name: owner.original } as typeof params.ref }, ctx);
        }
      }
      if (ref.type === 'ref/resource' && ref.uri !== undefined) {
        const owner = resourceOwners.get(ref.uri) ?? members.find((m) => m.endpoint.complete);
        if (owner?.endpoint.complete) return owner.endpoint.complete(params, ctx);
      }
      return { completion: { values: [] } };
    },

    async setLogLevel(level, ctx) {
      await Promise.all(members.map((m) => m.endpoint.setLogLevel?.(level, ctx).catch(() => undefined)));
    },

    sessionEnded(sessionId: string) {
      for (const m of members) m.endpoint.sessionEnded?.(sessionId);
    },

    health(): UpstreamHealth[] {
      return members.flatMap((m) => m.endpoint.health?.() ?? []);
    },

    isAvailable() {
      return failureMode === 'open' || down().length === 0;
    },

    async close() {
      await Promise.all(members.map((m) => m.endpoint.close?.().catch(() => undefined)));
    },
  };
}
