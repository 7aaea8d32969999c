/**
 * The route table: router prefixes → compiled Endpoints, built once per revision and frozen.
 *
 * Prefixes live in a radix tree over path segments. A request path is `<prefix>/<kind>` with kind one of
 * mcp, sse, message; matching walks the segments once, without allocating, and tolerates the duplicate
 * slashes reverse proxies produce (`/gateway//acme/x/mcp`). Nested prefixes (`/a` and `/a/b`) coexist:
 * the match is exact on the whole prefix.
 */
import type { McpConfig } from '../config/schema.ts';
import { compileRestEndpoint, type ToolRuntime } from '../tools/index.ts';
import type { Endpoint } from './endpoint.ts';

export type RouteKind = 'mcp' | 'sse' | 'message';

export interface RouteMatch {
  readonly endpoint: Endpoint;
  readonly kind: RouteKind;
}

/** One node per path segment; children keyed by the next segment. */
interface Node {
  children: Map<string, Node> | undefined;
  endpoint: Endpoint | undefined;
}

const KINDS: Readonly<Record<string, RouteKind>> = { mcp: 'mcp', sse: 'sse', message: 'message' };

/** Collapses duplicate slashes and drops a trailing one: `//a//b/` → `/a/b`. */
export function normalizePrefix(prefix: string): string {
  const segments = prefix.split('/').filter((s) => s.length > 0);
  return `/${segments.join('/')}`;
}

/** An immutable table of prefixes, read once per request. */
export class RouteTable {
  private readonly root: Node = { children: undefined, endpoint: undefined };
  /** Endpoints by normalized prefix. */
  readonly endpoints: ReadonlyMap<string, Endpoint>;

  constructor(
    /** The config revision this table was compiled from, e.g. `main@sha1:…`. */
    readonly revision: string,
    endpoints: readonly Endpoint[],
    readonly createdAt: number = Date.now(),
  ) {
    const byPrefix = new Map<string, Endpoint>();
    for (const ep of endpoints) {
      const prefix = normalizePrefix(ep.prefix);
      if (byPrefix.has(prefix)) throw new Error(`route table: prefix "${prefix}" is used twice`);
      byPrefix.set(prefix, ep);
      this.insert(prefix, ep);
    }
    this.endpoints = byPrefix;
    freeze(this.root);
    Object.freeze(this);
  }

  private insert(prefix: string, endpoint: Endpoint): void {
    let node = this.root;
    for (const segment of prefix.split('/')) {
      if (segment === '') continue;
      node.children ??= new Map();
      let next = node.children.get(segment);
      if (!next) {
        next = { children: undefined, endpoint: undefined };
        node.children.set(segment, next);
      }
      node = next;
    }
    node.endpoint = endpoint;
  }

  /** Resolves `/<prefix>/<mcp|sse|message>`; undefined when the kind or the prefix is unknown. */
  match(pathname: string): RouteMatch | undefined {
    let end = pathname.length;
    while (end > 1 && pathname.charCodeAt(end - 1) === 47 /* / */) end--;
    const lastSlash = pathname.lastIndexOf('/', end - 1);
    if (lastSlash < 0) return undefined;
    const kind = KINDS[pathname.slice(lastSlash + 1, end)];
    if (kind === undefined) return undefined;
    let node: Node | undefined = this.root;
    let start = 0;
    while (start < lastSlash) {
      if (pathname.charCodeAt(start) === 47) {
        start++;
        continue;
      }
      let stop = pathname.indexOf('/', start);
      if (stop < 0 || stop > lastSlash) stop = lastSlash;
      node = node.children?.get(pathname.slice(start, stop));
      if (node === undefined) return undefined;
      start = stop;
    }
    const endpoint = node.endpoint;
    return endpoint === undefined ? undefined : { endpoint, kind };
  }

  /** The endpoint serving exactly this prefix (normalized), if any. */
  get(prefix: string): Endpoint | undefined {
    return this.endpoints.get(normalizePrefix(prefix));
  }
}

function freeze(node: Node): void {
  if (node.children) for (const child of node.children.values()) freeze(child);
  Object.freeze(node);
}

/** A router the table could not serve, with the reason; reported in /_status, never fatal. */
export interface SkippedRouter {
  readonly tenant: string;
  readonly config: string;
  readonly prefix: string;
  readonly reason: string;
}

/**
 * Compiles validated configs into a table. Configs must have passed validation: a dangling reference
 * here is a programming error and throws.
 */
export function compileTable(
  revision: string,
  configs: readonly McpConfig[],
  runtime: ToolRuntime,
): { table: RouteTable; skipped: SkippedRouter[] } {
  const endpoints: Endpoint[] = [];
  const skipped: SkippedRouter[] = [];
  for (const config of configs) {
    for (const router of config.routers ?? []) {
      const prefix = normalizePrefix(router.prefix);
      if (router.server === undefined) {
        skipped.push({
          tenant: config.tenant,
          config: config.name,
          prefix,
          reason: `aggregating several servers (${(router.servers ?? []).join(', ')}) is not served by this gateway version`,
        });
        continue;
      }
      if (router.auth !== undefined) {
        // Fail closed: serving a router that asks for client authentication without enforcing it
        // would expose what its author meant to protect.
        skipped.push({
          tenant: config.tenant,
          config: config.name,
          prefix,
          reason: `auth mode "${router.auth.mode}" is not enforced by this gateway version, so the router is not served`,
        });
        continue;
      }
      const server = config.servers?.find((s) => s.name === router.server);
      if (server) {
        endpoints.push(compileRestEndpoint({ config, router: { ...router, prefix }, server, revision }, runtime));
        continue;
      }
      const upstream = config.mcpServers?.find((s) => s.name === router.server);
      if (!upstream) throw new Error(`route table: router "${prefix}" points at unknown server "${router.server}"`);
      skipped.push({
        tenant: config.tenant,
        config: config.name,
        prefix,
        reason: `upstream MCP server "${upstream.name}" (${upstream.type}) is not served by this gateway version`,
      });
    }
  }
  return { table: new RouteTable(revision, endpoints), skipped };
}

/** The one live reference to the current table. Requests read `current` once and keep what they got. */
export class TableSwitch {
  constructor(private table: RouteTable) {}

  get current(): RouteTable {
    return this.table;
  }

  /** Installs `next` and returns the table it replaced. */
  swap(next: RouteTable): RouteTable {
    const previous = this.table;
    this.table = next;
    return previous;
  }
}
