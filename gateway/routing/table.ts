/**
 * The route table: router prefixes → compiled Endpoints, built once per revision and frozen.
 *
 * Prefixes live in a radix tree over path segments. A request path is `<prefix>/<kind>` with kind one of
 * mcp, sse, message; matching walks the segments once, without allocating, and tolerates the duplicate
 * slashes reverse proxies produce (`/gateway//acme/x/mcp`). Nested prefixes (`/a` and `/a/b`) coexist:
 * the match is exact on the whole prefix.
 */
import { createResourceServer } from '../auth/resource-server.ts';
import type { McpConfig, Router } from '../config/schema.ts';
import { GATEWAY_VERSION } from '../tools/http-tool.ts';
import { compileCors, compileRestEndpoint, type ToolRuntime } from '../tools/index.ts';
import { compileUpstreamEndpoint, type UpstreamPool } from '../upstream/index.ts';
import { type AggregateMember, createAggregateEndpoint } from './aggregate.ts';
import type { Endpoint, RouterAuthenticator } from './endpoint.ts';

export type RouteKind = 'mcp' | 'sse' | 'message';

export interface RouteMatch {
  readonly endpoint: Endpoint;
  readonly kind: RouteKind;
  /** Set when the router has `auth`: every request must pass it. */
  readonly auth: RouterAuthenticator | undefined;
}

/** One node per path segment; children keyed by the next segment. */
interface Node {
  children: Map<string, Node> | undefined;
  endpoint: Endpoint | undefined;
  auth: RouterAuthenticator | undefined;
}

const NO_AUTH: ReadonlyMap<Endpoint, RouterAuthenticator> = new Map();

const KINDS: Readonly<Record<string, RouteKind>> = { mcp: 'mcp', sse: 'sse', message: 'message' };

/** Collapses duplicate slashes and drops a trailing one: `//a//b/` → `/a/b`. */
export function normalizePrefix(prefix: string): string {
  const segments = prefix.split('/').filter((s) => s.length > 0);
  return `/${segments.join('/')}`;
}

/** An immutable table of prefixes, read once per request. */
export class RouteTable {
  private readonly root: Node = { children: undefined, endpoint: undefined, auth: undefined };
  /** Endpoints by normalized prefix. */
  readonly endpoints: ReadonlyMap<string, Endpoint>;

  constructor(
    /** The config revision this table was compiled from, e.g. `main@sha1:…`. */
    readonly revision: string,
    endpoints: readonly Endpoint[],
    readonly createdAt: number = Date.now(),
    /** The authenticators of the endpoints whose routers have `auth`. */
    private readonly auth: ReadonlyMap<Endpoint, RouterAuthenticator> = NO_AUTH,
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

  /** The authenticator of `endpoint`'s router, if it has `auth`. */
  authOf(endpoint: Endpoint): RouterAuthenticator | undefined {
    return this.auth.get(endpoint);
  }

  private insert(prefix: string, endpoint: Endpoint): void {
    let node = this.root;
    for (const segment of prefix.split('/')) {
      if (segment === '') continue;
      node.children ??= new Map();
      let next = node.children.get(segment);
      if (!next) {
        next = { children: undefined, endpoint: undefined, auth: undefined };
        node.children.set(segment, next);
      }
      node = next;
    }
    node.endpoint = endpoint;
    node.auth = this.auth.get(endpoint);
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
    return endpoint === undefined ? undefined : { endpoint, kind, auth: node.auth };
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
 *
 * A document compiled by an earlier call with the same cache (by default, one per `runtime`) is not
 * compiled again: its Endpoints are reused as they are (see `CompileCache`).
 */
export function compileTable(
  revision: string,
  configs: readonly McpConfig[],
  runtime: TableRuntime,
  cache: CompileCache = compileCacheOf(runtime),
): { table: RouteTable; skipped: SkippedRouter[] } {
  const endpoints: Endpoint[] = [];
  const skipped: SkippedRouter[] = [];
  const auth = new Map<Endpoint, RouterAuthenticator>();
  const compiled = new Map<McpConfig, CompiledDocument>();
  /** Endpoints compiled by this call (not reused): released again if the revision fails to compile. */
  const fresh: Endpoint[] = [];
  try {
    for (const config of configs) {
      let doc = cache.get(config, runtime);
      if (doc === undefined) {
        doc = compileDocument(revision, config, runtime);
        fresh.push(...doc.endpoints);
      }
      if (Object.isFrozen(config)) compiled.set(config, doc);
      endpoints.push(...doc.endpoints);
      skipped.push(...doc.skipped);
      for (const [endpoint, authenticator] of doc.auth) auth.set(endpoint, authenticator);
    }
    const table = new RouteTable(revision, endpoints, Date.now(), auth);
    cache.replace(runtime, compiled);
    return { table, skipped };
  } catch (err) {
    // Upstream endpoints retained pooled connections; a refused revision must not keep them.
    closeAll(fresh);
    throw err;
  }
}

/**
 * What compiling needs from the process: the REST tool runtime, and for routers pointing at
 * `mcpServers` the process's upstream pool. Without `upstreams` such routers are skipped.
 */
export interface TableRuntime extends ToolRuntime {
  readonly upstreams?: {
    readonly pool: UpstreamPool;
    /** security.allowStdio. */
    readonly allowStdio: boolean;
  };
}

/** The runtime's log with optional fields, as upstreams and aggregates call it. */
function logOf(runtime: ToolRuntime): (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void {
  const log = runtime.log;
  return log === undefined ? () => undefined : (level, msg, fields) => log(level, msg, fields ?? {});
}

function closeAll(endpoints: readonly Endpoint[]): void {
  for (const ep of endpoints) void ep.close?.().catch(() => undefined);
}

/** What one document compiles to. */
interface CompiledDocument {
  readonly endpoints: readonly Endpoint[];
  readonly skipped: readonly SkippedRouter[];
  /**
   * Authenticators of the routers with `auth`. Reused with the document, so an unchanged router keeps
   * its cached keys across reloads.
   */
  readonly auth: ReadonlyMap<Endpoint, RouterAuthenticator>;
}

function compileDocument(revision: string, config: McpConfig, runtime: TableRuntime): CompiledDocument {
  const endpoints: Endpoint[] = [];
  const skipped: SkippedRouter[] = [];
  const auth = new Map<Endpoint, RouterAuthenticator>();
  try {
    compileRouters(revision, config, runtime, endpoints, skipped, auth);
  } catch (err) {
    closeAll(endpoints);
    throw err;
  }
  return { endpoints, skipped, auth };
}

/** The router's authenticator, undefined without `auth`, or why the router cannot be served. */
function compileAuth(router: Router, runtime: TableRuntime): RouterAuthenticator | undefined | { skip: string } {
  const auth = router.auth;
  if (auth === undefined) return undefined;
  // Fail closed: a router that asks for client authentication is served only when it can be enforced.
  if (auth.issuer === undefined) {
    return { skip: `auth mode "${auth.mode}" needs an issuer (the gateway has no authorization server of its own), so the router is not served` };
  }
  if (auth.audience === undefined) return { skip: `auth mode "${auth.mode}" needs an audience, so the router is not served` };
  return createResourceServer(
    { issuer: auth.issuer, audience: auth.audience, jwksUri: auth.jwksUri, requiredScopes: auth.requiredScopes },
    { guard: runtime.guard, log: runtime.log },
  );
}

/** The Endpoint of one server or mcpServer of `config` on `router`, or why it cannot be served. */
function compileMember(
  revision: string,
  config: McpConfig,
  router: Router,
  name: string,
  runtime: TableRuntime,
): Endpoint | { skip: string } {
  const server = config.servers?.find((s) => s.name === name);
  if (server) return compileRestEndpoint({ config, router, server, revision }, runtime);
  const upstream = config.mcpServers?.find((s) => s.name === name);
  if (!upstream) throw new Error(`route table: router "${router.prefix}" points at unknown server "${name}"`);
  const upstreams = runtime.upstreams;
  if (upstreams === undefined) return { skip: `upstream MCP server "${upstream.name}" (${upstream.type}): this gateway has no upstream pool` };
  return compileUpstreamEndpoint(
    { config, router, upstream, revision },
    { pool: upstreams.pool, allowStdio: upstreams.allowStdio, env: runtime.env, log: logOf(runtime) },
  );
}

function compileRouters(
  revision: string,
  config: McpConfig,
  runtime: TableRuntime,
  endpoints: Endpoint[],
  skipped: SkippedRouter[],
  auths: Map<Endpoint, RouterAuthenticator>,
): void {
  for (const router of config.routers ?? []) {
    const prefix = normalizePrefix(router.prefix);
    const auth = compileAuth(router, runtime);
    if (auth !== undefined && 'skip' in auth) {
      skipped.push({ tenant: config.tenant, config: config.name, prefix, reason: auth.skip });
      continue;
    }
    const normalized = { ...router, prefix };
    if (router.server !== undefined) {
      const endpoint = compileMember(revision, config, normalized, router.server, runtime);
      if ('skip' in endpoint) skipped.push({ tenant: config.tenant, config: config.name, prefix, reason: endpoint.skip });
      else {
        endpoints.push(endpoint);
        if (auth !== undefined) auths.set(endpoint, auth);
      }
      continue;
    }
    const members: AggregateMember[] = [];
    let skip: string | undefined;
    try {
      for (const name of router.servers ?? []) {
        const endpoint = compileMember(revision, config, normalized, name, runtime);
        if ('skip' in endpoint) {
          skip = endpoint.skip;
          break;
        }
        members.push({ name, endpoint });
      }
      if (skip === undefined) {
        // Throws AggregateError on a name clash known at load under prefixMode never: the revision fails.
        const aggregate = createAggregateEndpoint({
            prefix,
            tenant: config.tenant,
            configName: config.name,
            ssePrefix: router.ssePrefix ?? '',
            cors: compileCors(router),
            members,
            prefixMode: router.prefixMode ?? 'conditional',
            failureMode: router.failureMode ?? 'open',
            version: GATEWAY_VERSION,
            log: logOf(runtime),
          });
        endpoints.push(aggregate);
        if (auth !== undefined) auths.set(aggregate, auth);
        continue;
      }
    } catch (err) {
      closeAll(members.map((m) => m.endpoint));
      throw err;
    }
    closeAll(members.map((m) => m.endpoint));
    skipped.push({ tenant: config.tenant, config: config.name, prefix, reason: skip });
  }
}

/**
 * The Endpoints of the last compiled table, by document. The loader hands out the same deep-frozen
 * document object for a file whose text did not change (config/load.ts `LoadCache`), so the object is
 * the key: a reload recompiles only the documents that changed. Reusing an Endpoint is safe because
 * Endpoints are immutable; it keeps its `listHash` (sessions of unchanged routers get no list_changed)
 * and its `revision` (the one it was compiled from), and the reconciler does not close it when it
 * retires the old table, as it closes only Endpoints the new table does not hold.
 *
 * Only frozen documents are cached (anything else could change behind the cache's back), and only
 * with the runtime they were compiled for. The cache holds the documents of the last table compiled.
 */
export class CompileCache {
  private runtime: ToolRuntime | undefined;
  private documents = new Map<McpConfig, CompiledDocument>();

  /** The compiled form of `config`, if it was compiled for the same runtime by the last compile. */
  get(config: McpConfig, runtime: ToolRuntime): CompiledDocument | undefined {
    return runtime === this.runtime ? this.documents.get(config) : undefined;
  }

  /** Replaces the contents with the documents of the table just compiled. */
  replace(runtime: ToolRuntime, documents: Map<McpConfig, CompiledDocument>): void {
    this.runtime = runtime;
    this.documents = documents;
  }

  /** Documents held. */
  get size(): number {
    return this.documents.size;
  }
}

/** A gateway creates its runtime once: the runtime stands for the settings compiled in. */
const runtimeCaches = new WeakMap<ToolRuntime, CompileCache>();

function compileCacheOf(runtime: ToolRuntime): CompileCache {
  let cache = runtimeCaches.get(runtime);
  if (!cache) {
    cache = new CompileCache();
    runtimeCaches.set(runtime, cache);
  }
  return cache;
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
