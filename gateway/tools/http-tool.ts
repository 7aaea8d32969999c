/**
 * One HTTP tool, compiled once at load: templates compiled, static parts rendered, the tools/list entry
 * frozen. `call` is the hot path: arguments checked, request built from the compiled parts, the SSRF
 * guard consulted for the URL, every redirect and the tool's proxy, the response mapped to an MCP tool
 * result.
 */
import pkg from '../../package.json' with { type: 'json' };
import type { Duration, OutboundProxy, Server, Tool as ToolSpec } from '../config/schema.ts';
import { isProxyHost } from '../config/validate.ts';
import type { CallContext, CallToolResult, Tool } from '../routing/endpoint.ts';
import { compile, type Template, TemplateError } from '../template/index.ts';
import { type CompiledArg, compileArgs, prepareArgs, ToolCompileError } from './args.ts';
import { type FireReason, toolDeadlines, type Watched } from './deadline.ts';
import { abortRequest, type Http1Exchange, type Http1Pending, Http1Response, http1 } from './http1.ts';
import { buildInputSchema } from './input-schema.ts';
import {
  binaryResult,
  decodeText,
  errorResult,
  headersObject,
  mediaType,
  parseJsonBody,
  plainText,
  plainTextType,
  readBody,
  type HeaderSource,
  type ResponseHead,
  ResponseTooLarge,
  statusErrorResult,
  textResult,
} from './response.ts';
import type { SsrfGuard } from './ssrf.ts';
import { deepFreeze } from './util.ts';

/** The gateway's version, sent as User-Agent and in serverInfo. */
export const GATEWAY_VERSION: string = pkg.version;
const USER_AGENT = `mcp-gateway/${GATEWAY_VERSION}`;

/** Most redirects followed per call (each one re-checked by the SSRF guard). */
export const MAX_REDIRECTS = 5;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What compiled tools need from the process: settings, the SSRF guard, env access and a clock. */
export interface ToolRuntime {
  /** The template `env` function; the caller applies the settings' env allowlist. */
  env: (name: string) => string | undefined;
  guard: SsrfGuard;
  defaultTimeoutMs: number;
  maxResponseBytes: number;
  now?: () => Date;
  /** Fields never carry header values, rendered config values or URLs with queries. */
  log?: ((level: LogLevel, msg: string, fields: Record<string, unknown>) => void) & {
    /** Whether `level` is logged; absent means every level is. */
    readonly enabled?: (level: LogLevel) => boolean;
  };
}

/** A compiled HTTP tool. */
export interface HttpTool {
  readonly name: string;
  /** The tools/list entry, frozen. */
  readonly definition: Tool;
  /** Never throws: every failure is a result with `isError`. */
  call(args: Record<string, unknown>, ctx: CallContext): Promise<CallToolResult>;
}

/** Headers a client's request never passes on (RFC 9110 §7.6.1 hop-by-hop, plus framing and Host). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'host',
  'content-length',
]);

/** Dropped when a redirect leaves the origin, as browsers and curl do. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'] as const;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_HEADER_VALUE = /[\r\n\0]/;

type Roots = ReadonlySet<string>;

/** A template plus what its render context must contain. */
interface Part {
  readonly template: Template;
  /** Rendered once at load when the template uses no data. */
  readonly value: string | undefined;
  readonly where: string;
}

/** `servers[].config`, compiled once per server and shared by its tools. */
export interface CompiledServerConfig {
  /** The `.Config` object when every value is static (frozen), else undefined. */
  readonly static: Readonly<Record<string, string>> | undefined;
  readonly entries: ReadonlyArray<{ readonly key: string; readonly part: Part }>;
  /** True when some config template reads `.Request`. */
  readonly usesRequest: boolean;
}

/** Compiles a server's `config` map; static values are rendered here, once. */
export function compileServerConfig(server: Server, runtime: ToolRuntime): CompiledServerConfig {
  const entries: { key: string; part: Part }[] = [];
  let allStatic = true;
  let usesRequest = false;
  for (const [key, source] of Object.entries(server.config ?? {})) {
    const part = compilePart(source, `server "${server.name}" config "${key}"`, runtime);
    if (part.value === undefined) {
      allStatic = false;
      if (uses(part.template.roots, 'Request')) usesRequest = true;
    }
    entries.push({ key, part });
  }
  let staticConfig: Record<string, string> | undefined;
  if (allStatic) {
    staticConfig = {};
    for (const { key, part } of entries) staticConfig[key] = part.value!;
    Object.freeze(staticConfig);
  }
  return { static: staticConfig, entries, usesRequest };
}

function compilePart(source: string, where: string, runtime: ToolRuntime, owner = ''): Part {
  let template: Template;
  try {
    template = compile(source);
  } catch (err) {
    if (err instanceof TemplateError) throw new ToolCompileError(`${owner}${where}: ${err.message}`);
    throw err;
  }
  let value: string | undefined;
  if (template.isStatic) value = template.render({}, renderOptions(runtime));
  return { template, value, where };
}

function renderOptions(runtime: ToolRuntime): { env: (name: string) => string | undefined; now?: () => Date } {
  return runtime.now ? { env: runtime.env, now: runtime.now } : { env: runtime.env };
}

/** Whether a template's roots include `name` (or '*': the data used as a whole). */
function uses(roots: Roots, name: string): boolean {
  return roots.has(name) || roots.has('*');
}

/** Parses a Duration (ms number or "500ms", "10s", "2m", "1h") to milliseconds. */
export function durationMs(d: Duration): number {
  if (typeof d === 'number') return d;
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(d);
  if (!m) throw new ToolCompileError(`invalid duration "${d}"`);
  const n = Number(m[1]);
  const unit = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * unit);
}

function formatMs(ms: number): string {
  if (ms >= 1000 && ms % 1000 === 0) return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Go's CanonicalMIMEHeaderKey: `x-user-id` → `X-User-Id`, the form `.Request.Headers` uses. */
export function canonicalHeaderName(name: string): string {
  if (!TOKEN.test(name)) return name;
  let out = '';
  let upper = true;
  for (const c of name) {
    out += upper ? c.toUpperCase() : c.toLowerCase();
    upper = c === '-';
  }
  return out;
}

/**
 * A template's error text for a result. Execution errors quote data values (`"abc"`), which may come
 * from config, env or client headers, so quoted strings are masked (function names are kept).
 */
function templateFailure(toolName: string, where: string, err: unknown): CallToolResult {
  if (err instanceof TemplateError) {
    const reason = err.reason.replace(/(executing "[\w.]*")|"(?:[^"\\]|\\.)*"/g, (_match, fn: string | undefined) => fn ?? '"…"');
    return errorResult(`tool "${toolName}": ${where}: template: ${err.line}:${err.col}: ${reason}`);
  }
  return errorResult(`tool "${toolName}": ${where}: ${err instanceof Error ? err.name : 'render failed'}`);
}

/** A value in string form for a URL, header or form field: arrays/objects as JSON, never `[a b]`. */
function stringForm(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

/** A failure found while building a request, carried to `call` as its result (cheaper than an Error). */
class Failure {
  constructor(readonly result: CallToolResult) {}
}

interface Attempt {
  readonly url: URL;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | FormData | undefined;
  /** The call's `.Config` and `.Request`, reused by responseBody. */
  readonly config: Record<string, string> | undefined;
  readonly request: unknown;
}

/** Compiles one tool. Throws ToolCompileError for a config the schema could not catch. */
export function compileHttpTool(spec: ToolSpec, config: CompiledServerConfig, runtime: ToolRuntime): HttpTool {
  const name = spec.name;
  const opts = renderOptions(runtime);
  const args = compileArgs(name, spec.args);
  const argsOf = (position: CompiledArg['position']) => args.filter((a) => a.position === position);
  const pathArgs = argsOf('path');
  const queryArgs = argsOf('query');
  const headerArgs = argsOf('header');
  const bodyArgs = argsOf('body');
  const formArgs = argsOf('form-data');
  for (const a of headerArgs) {
    if (!TOKEN.test(a.name)) throw new ToolCompileError(`tool "${name}": argument "${a.name}" is not a valid header name`);
  }

  const method = spec.method.toUpperCase();
  const bodyless = method === 'GET' || method === 'HEAD';
  const part = (source: string, where: string) => compilePart(source, where, runtime, `tool "${name}": `);

  const endpoint = part(spec.endpoint, 'endpoint');
  const staticHeaders: Record<string, string> = {};
  const dynamicHeaders: { name: string; part: Part }[] = [];
  for (const [rawName, source] of Object.entries(spec.headers ?? {})) {
    const lower = rawName.toLowerCase();
    if (!TOKEN.test(rawName)) throw new ToolCompileError(`tool "${name}": "${rawName}" is not a valid header name`);
    if (HOP_BY_HOP.has(lower)) {
      runtime.log?.('warn', 'hop-by-hop header ignored', { tool: name, header: rawName });
      continue;
    }
    const p = part(source, `header "${rawName}"`);
    if (p.value === undefined) dynamicHeaders.push({ name: lower, part: p });
    else if (p.value !== '') staticHeaders[lower] = p.value;
  }
  const forwarded: { lower: string; canonical: string }[] = [];
  for (const h of spec.forwardHeaders ?? []) {
    const lower = h.toLowerCase();
    if (HOP_BY_HOP.has(lower) || forwarded.some((f) => f.lower === lower)) continue;
    forwarded.push({ lower, canonical: canonicalHeaderName(h) });
  }
  // A bodyless tool whose headers are all static sends the same frozen object on every call; send()
  // copies it before changing anything (pinned Host, redirects).
  const fixedHeaders =
    bodyless && forwarded.length === 0 && dynamicHeaders.length === 0 && headerArgs.length === 0
      ? Object.freeze(staticHeaders['user-agent'] === undefined ? { ...staticHeaders, 'user-agent': USER_AGENT } : { ...staticHeaders })
      : undefined;
  const requestBody = spec.requestBody !== undefined && spec.requestBody !== '' ? part(spec.requestBody, 'requestBody') : undefined;
  if (bodyless && (requestBody || bodyArgs.length > 0 || formArgs.length > 0)) {
    runtime.log?.('warn', 'GET/HEAD tools send no body; body arguments are ignored', { tool: name });
  }
  const responseBody = spec.responseBody !== undefined && spec.responseBody !== '' ? part(spec.responseBody, 'responseBody') : undefined;
  const responseRoots = responseBody?.template.roots;
  const responseUsesResponse = responseRoots !== undefined && uses(responseRoots, 'Response');

  // What the per-call context must hold: computed once, so a call builds only what templates read.
  const requestParts: Part[] = [endpoint, ...dynamicHeaders.map((h) => h.part)];
  if (requestBody) requestParts.push(requestBody);
  const allParts = responseBody ? [...requestParts, responseBody] : requestParts;
  const dynamicParts = allParts.filter((p) => p.value === undefined);
  const needsConfig = dynamicParts.some((p) => uses(p.template.roots, 'Config'));
  const configIsDynamic = needsConfig && config.static === undefined;
  const needsRequest = dynamicParts.some((p) => uses(p.template.roots, 'Request')) || (configIsDynamic && config.usesRequest);
  const endpointNeedsArgs = endpoint.value === undefined && uses(endpoint.template.roots, 'Args');

  // `proxy`: the gateway connects to the proxy, so the guard checks its address like a backend's.
  const proxy = spec.proxy;
  const socks = proxy?.type === 'socks5';
  const proxyAt = proxy !== undefined && !socks ? proxyUrl(name, proxy) : undefined;

  const timeoutMs = spec.timeout !== undefined ? durationMs(spec.timeout) : runtime.defaultTimeoutMs;
  const maxBytes = spec.maxResponseBytes ?? runtime.maxResponseBytes;

  const definition: Tool = { name, inputSchema: buildInputSchema(spec) };
  if (spec.description !== undefined) definition.description = spec.description;
  if (spec.annotations) definition.annotations = { ...spec.annotations };
  if (spec.meta) definition._meta = { ...spec.meta };
  // A copy: the merged inputSchema shares objects with the config document, which is not ours to freeze.
  const frozenDefinition = deepFreeze(structuredClone(definition));

  const log = runtime.log;
  // The per-call debug line costs a clock read and an object: only when debug lines are written.
  const logCalls = log !== undefined && (log.enabled?.('debug') ?? true);

  /** `.Config` for one call: the shared static object, or rendered when some value is dynamic. */
  function configFor(argv: Record<string, unknown>, request: unknown): Record<string, string> | undefined {
    if (!needsConfig) return undefined;
    if (config.static) return config.static;
    const out: Record<string, string> = {};
    const data = { Args: argv, Request: request };
    for (const { key, part: p } of config.entries) {
      if (p.value !== undefined) {
        out[key] = p.value;
        continue;
      }
      try {
        out[key] = p.template.render(data, opts);
      } catch (err) {
        throw new Failure(templateFailure(name, `config "${key}"`, err));
      }
    }
    return out;
  }

  function requestFor(ctx: CallContext): unknown {
    return needsRequest ? { Headers: ctx.request.headers, Query: ctx.request.query, Cookies: ctx.request.cookies } : undefined;
  }

  function render(p: Part, data: unknown): string {
    return p.value ?? p.template.render(data, opts);
  }

  /** The request for one call; a failure is thrown as Failure carrying the tool result. */
  function build(argv: Record<string, unknown>, ctx: CallContext): Attempt {
    const request = requestFor(ctx);
    const configValue = configFor(argv, request);
    const data = { Args: argv, Config: configValue, Request: request };

    // Path arguments are URL-escaped in the endpoint's context only (traversal fix of the seed system).
    let endpointData = data;
    if (pathArgs.length > 0 && endpointNeedsArgs) {
      const escaped = { ...argv };
      for (const a of pathArgs) {
        const v = argv[a.name];
        if (v === undefined) continue;
        const s = stringForm(v);
        // "." and ".." survive encodeURIComponent and WHATWG URL removes them (also as %2E), so they
        // would climb the path; no real identifier has that form.
        if (s === '.' || s === '..') throw new Failure(errorResult(`tool "${name}": argument "${a.name}" must not be "${s}"`));
        escaped[a.name] = encodeURIComponent(s);
      }
      endpointData = { Args: escaped, Config: configValue, Request: request };
    }

    let urlText: string;
    try {
      urlText = render(endpoint, endpointData);
    } catch (err) {
      throw new Failure(templateFailure(name, 'endpoint', err));
    }
    let url: URL;
    try {
      url = new URL(urlText.trim());
    } catch {
      throw new Failure(errorResult(`tool "${name}": endpoint is not an absolute http(s) URL`));
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Failure(errorResult(`tool "${name}": endpoint is not an absolute http(s) URL`));
    }
    for (const a of queryArgs) {
      const v = argv[a.name];
      if (v === undefined || v === null || v === '') continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(a.name, stringForm(item));
      else url.searchParams.append(a.name, stringForm(v));
    }

    if (fixedHeaders !== undefined) {
      // Frozen: send() copies before changing a header, so the shared object is never written.
      return { url, method, headers: fixedHeaders as Record<string, string>, body: undefined, config: configValue, request };
    }

    // Client headers: only those the tool names. Templates read others through .Request.Headers.
    const headers: Record<string, string> = {};
    for (const f of forwarded) {
      const v = lookupHeader(ctx.request.headers, f.canonical, f.lower);
      if (v !== undefined && !BAD_HEADER_VALUE.test(v)) headers[f.lower] = v;
    }
    Object.assign(headers, staticHeaders);
    for (const h of dynamicHeaders) {
      let v: string;
      try {
        v = h.part.template.render(data, opts);
      } catch (err) {
        throw new Failure(templateFailure(name, h.part.where, err));
      }
      if (v === '') {
        delete headers[h.name];
        continue;
      }
      if (BAD_HEADER_VALUE.test(v)) throw new Failure(errorResult(`tool "${name}": ${h.part.where} renders an invalid header value`));
      headers[h.name] = v;
    }
    for (const a of headerArgs) {
      const v = argv[a.name];
      if (v === undefined || v === null || v === '') continue;
      const s = stringForm(v);
      if (BAD_HEADER_VALUE.test(s)) throw new Failure(errorResult(`tool "${name}": argument "${a.name}" is not a valid header value`));
      headers[a.name.toLowerCase()] = s;
    }
    if (headers['user-agent'] === undefined) headers['user-agent'] = USER_AGENT;

    let body: string | FormData | undefined;
    if (!bodyless) {
      const form = formArgs.length > 0 ? buildForm(argv) : undefined;
      if (form) {
        body = form;
        // fetch writes multipart/form-data with its boundary; a configured Content-Type would lack it.
        delete headers['content-type'];
      } else if (requestBody) {
        try {
          body = render(requestBody, data);
        } catch (err) {
          throw new Failure(templateFailure(name, 'requestBody', err));
        }
        if (headers['content-type'] === undefined && looksLikeJson(body)) {
          headers['content-type'] = 'application/json';
        }
      } else if (bodyArgs.length > 0) {
        const obj: Record<string, unknown> = {};
        for (const a of bodyArgs) if (argv[a.name] !== undefined) obj[a.name] = argv[a.name];
        body = JSON.stringify(obj);
        if (headers['content-type'] === undefined) headers['content-type'] = 'application/json';
      }
    }
    return { url, method, headers, body, config: configValue, request };
  }

  function buildForm(argv: Record<string, unknown>): FormData | undefined {
    let form: FormData | undefined;
    for (const a of formArgs) {
      const v = argv[a.name];
      if (v === undefined || v === null) continue;
      form ??= new FormData();
      if (Array.isArray(v)) for (const item of v) form.append(a.name, stringForm(item));
      else form.append(a.name, stringForm(v));
    }
    return form;
  }

  /**
   * The checked proxy URL for fetch's `proxy` option (pinned to the checked address for an http proxy
   * named by host, as backends are), or the refusal as a result.
   */
  async function proxyFor(at: URL, state: CallState): Promise<string | CallToolResult> {
    const checked = runtime.guard.check(at);
    const verdict = checked instanceof Promise ? await (isLiteralHost(at.hostname) ? checked : untilAborted(checked, state.signal)) : checked;
    if (!verdict.ok) {
      log?.('warn', 'ssrf guard refused a tool proxy', { tool: name, proxy: at.host, reason: verdict.reason });
      return errorResult(`tool "${name}": proxy ${at.host} refused: ${verdict.reason}`);
    }
    return (verdict.pinnedUrl ?? at).origin;
  }

  async function send(first: Attempt, state: CallState): Promise<Response | Http1Response | CallToolResult> {
    if (socks) return errorResult(`tool "${name}": socks5 proxies are not supported; the request was not sent`);
    let via: string | undefined;
    if (proxyAt !== undefined) {
      const checked = await proxyFor(proxyAt, state);
      if (typeof checked !== 'string') return checked;
      via = checked;
    }
    let { url, method, headers, body } = first;
    for (let hop = 0; ; hop++) {
      const checked = runtime.guard.check(url);
      // A host name may wait on DNS, which cannot be aborted: stop waiting when the call is aborted.
      const verdict =
        checked instanceof Promise ? await (isLiteralHost(url.hostname) ? checked : untilAborted(checked, state.signal)) : checked;
      if (!verdict.ok) {
        const target = hop === 0 ? url.origin : `${url.origin}${url.pathname}`;
        log?.('warn', 'ssrf guard refused a tool request', { tool: name, target: url.origin, reason: verdict.reason });
        return errorResult(`tool "${name}": ${hop === 0 ? 'request to' : 'redirect to'} ${target} refused: ${verdict.reason}`);
      }
      // Through a proxy the target keeps its name: the proxy connects to it, and resolves it itself.
      const target = via === undefined ? (verdict.pinnedUrl ?? url) : url;
      let res: Response | Http1Response | undefined;
      try {
        // Plain http to a checked IP literal goes through the pooled client; https, multipart bodies,
        // host names the guard let through unpinned (allowlisted by name) and proxied calls go through fetch.
        if (via === undefined && target.protocol === 'http:' && typeof body !== 'object' && isIpLiteral(target.hostname)) {
          const pending = http1.request(
            {
              method,
              address: target.hostname,
              port: target.port === '' ? 80 : Number(target.port),
              target: target.pathname + target.search,
              // As fetch sends it: the checked name when pinned, else a Host header argument, else the URL's.
              host: verdict.hostHeader ?? headers.host ?? url.host,
              headers,
              body,
              maxBytes,
            },
            state,
          );
          if (pending !== undefined) res = await pending;
        }
        if (res === undefined) {
          const sent = via === undefined && verdict.hostHeader !== undefined ? { ...headers, host: verdict.hostHeader } : headers;
          const init: BunFetchRequestInit = { method, headers: sent, redirect: 'manual', signal: state.signal };
          if (body !== undefined) init.body = body;
          // No Proxy-Authorization: none is configured, and client headers never reach the proxy.
          if (via !== undefined) init.proxy = via;
          res = await fetch(target, init);
        }
      } catch (err) {
        if (state.fired) throw err;
        // Through a proxy, a network failure is the proxy's (it answers 502 and the like for the target).
        const cause = via === undefined ? networkCause(err, target) : `proxy: ${networkCause(err, new URL(via))}`;
        log?.('warn', 'tool call failed', { tool: name, error: cause });
        return errorResult(`tool "${name}": ${cause}`);
      }
      const status = res.status;
      if (status < 300 || status > 308 || status === 304 || status === 305 || status === 306) return res;
      const location = res.headers.get('location');
      if (location === null) return res;
      if (res instanceof Response) await res.body?.cancel().catch(() => {});
      if (hop >= MAX_REDIRECTS) return errorResult(`tool "${name}": more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return errorResult(`tool "${name}": backend redirected to an invalid URL`);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        return errorResult(`tool "${name}": redirect to ${next.protocol} URL refused`);
      }
      // Fetch spec "HTTP-redirect fetch" step 12: 303 (except HEAD), and 301/302 after POST, become GET.
      if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers = { ...headers };
        delete headers['content-type'];
      }
      if (next.origin !== url.origin) {
        headers = { ...headers };
        for (const h of CREDENTIAL_HEADERS) delete headers[h];
      }
      url = next;
    }
  }

  function mapResponse(res: ResponseHead, bytes: Uint8Array, argv: Record<string, unknown>, attempt: Attempt): CallToolResult {
    if (res.status >= 400) return statusErrorResult(name, res, bytes);
    const type = mediaType(res);
    const binary = binaryResult(type, bytes);
    if (binary) return binary;
    return mapText(res, decodeText(bytes, res.headers.get('content-type')), argv, attempt);
  }

  function mapText(res: ResponseHead, text: string, argv: Record<string, unknown>, attempt: Attempt): CallToolResult {
    if (!responseBody) return textResult(text);
    if (responseBody.value !== undefined) return textResult(responseBody.value);
    const response = responseUsesResponse ? lazyResponse(res, text) : undefined;
    try {
      return textResult(responseBody.template.render({ Args: argv, Config: attempt.config, Request: attempt.request, Response: response }, opts));
    } catch (err) {
      return templateFailure(name, 'responseBody', err);
    }
  }

  async function call(input: Record<string, unknown>, ctx: CallContext): Promise<CallToolResult> {
    const prepared = prepareArgs(name, args, input);
    if (!prepared.ok) return errorResult(prepared.message);
    const argv = prepared.args;
    let attempt: Attempt;
    try {
      attempt = build(argv, ctx);
    } catch (err) {
      if (err instanceof Failure) return err.result;
      // Anything else is a bug; the text stays free of values.
      log?.('error', 'tool request build failed', { tool: name, error: err instanceof Error ? err.name : 'unknown' });
      return errorResult(`tool "${name}": internal error while building the request`);
    }
    // The transports' Call says `aborted` without an AbortSignal; other contexts have only `signal`.
    const cancel: Watched = typeof ctx.aborted === 'boolean' ? (ctx as Watched) : ctx.signal;
    if (cancel.aborted) return errorResult(`tool "${name}": cancelled`);

    // The client's cancellation and the timeout are both seen by the shared coarse timer (deadline.ts):
    // no timer and no 'abort' listener per call. An AbortController is created only for what needs one
    // (fetch, a DNS wait); the pooled client is aborted through `state`.
    const state = new CallState();
    const deadline = toolDeadlines.add(timeoutMs, cancel, (reason) => state.fire(reason));
    const started = logCalls ? performance.now() : 0;
    try {
      const res = await send(attempt, state);
      let result: CallToolResult;
      if (res instanceof Http1Response) {
        if (res.tooLarge) return errorResult(`tool "${name}": response larger than ${maxBytes} bytes`);
        const type = res.status < 400 ? res.headers.get('content-type') : undefined;
        result = type === null || (type !== undefined && plainTextType(type)) ? mapText(res, res.text(), argv, attempt) : mapResponse(res, res.body, argv, attempt);
      } else if (!(res instanceof Response)) {
        return res;
      } else if (plainText(res, maxBytes)) {
        result = mapText(res, await res.text(), argv, attempt);
      } else {
        let bytes: Uint8Array;
        try {
          bytes = await readBody(res, maxBytes);
        } catch (err) {
          if (err instanceof ResponseTooLarge) return errorResult(`tool "${name}": response larger than ${maxBytes} bytes`);
          throw err;
        }
        result = mapResponse(res, bytes, argv, attempt);
      }
      if (logCalls) log!('debug', 'tool call', { tool: name, status: res.status, ms: Math.round(performance.now() - started) });
      return result;
    } catch (err) {
      if (state.timedOut) return errorResult(`tool "${name}": backend did not answer within ${formatMs(timeoutMs)}`);
      if (cancel.aborted) return errorResult(`tool "${name}": cancelled`);
      const cause = networkCause(err, attempt.url);
      log?.('warn', 'tool call failed', { tool: name, error: cause });
      return errorResult(`tool "${name}": ${cause}`);
    } finally {
      toolDeadlines.remove(deadline);
    }
  }

  return Object.freeze({ name, definition: frozenDefinition, call });
}

/**
 * What a call's deadline stops: the pooled client's request (`exchange`), or fetch and DNS waits
 * (`signal`, an AbortController created on first use: the pooled client needs none).
 */
class CallState implements Http1Pending {
  timedOut = false;
  fired = false;
  exchange: Http1Exchange | undefined = undefined;
  private controller: AbortController | undefined = undefined;

  fire(reason: FireReason): void {
    this.fired = true;
    this.timedOut = reason === 'timeout';
    this.controller?.abort();
    abortRequest(this);
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.fired) this.controller.abort();
    }
    return this.controller.signal;
  }
}

/** The URL fetch's `proxy` option takes for an http or https proxy: `http://host:port`, `https://[::1]:port`. */
function proxyUrl(toolName: string, proxy: OutboundProxy): URL {
  const bare = proxy.host.startsWith('[') && proxy.host.endsWith(']') ? proxy.host.slice(1, -1) : proxy.host;
  if (isProxyHost(bare)) {
    try {
      return new URL(`${proxy.type}://${bare.includes(':') ? `[${bare}]` : bare}:${proxy.port}`);
    } catch {
      // An IPv6 zone, which URLs cannot carry: reported below.
    }
  }
  throw new ToolCompileError(`tool "${toolName}": proxy host ${JSON.stringify(proxy.host)} is not a host name or IP address`);
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Whether a URL's hostname is an IP literal (WHATWG URL writes IPv4 as dotted decimal, IPv6 in brackets). */
function isIpLiteral(hostname: string): boolean {
  return hostname.charCodeAt(0) === 0x5b || IPV4.test(hostname);
}

/** A cheap test for IP literals (their guard check never waits on DNS); a miss only costs a listener. */
function isLiteralHost(hostname: string): boolean {
  const last = hostname.charCodeAt(hostname.length - 1);
  return hostname.charCodeAt(0) === 0x5b || (last >= 0x30 && last <= 0x39);
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function looksLikeJson(body: string): boolean {
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x7b || c === 0x5b; // { or [
  }
  return false;
}

function lookupHeader(headers: Readonly<Record<string, string>>, canonical: string, lower: string): string | undefined {
  const v = headers[canonical];
  if (v !== undefined) return v;
  for (const key in headers) if (key.toLowerCase() === lower) return headers[key];
  return undefined;
}

/**
 * `.Response` for responseBody templates. Data (a JSON parse) and Headers are own getters, computed on
 * first read and kept, so a template reading only `.Response.Body` pays for neither.
 */
function lazyResponse(res: ResponseHead, text: string): Record<string, unknown> {
  let data: unknown;
  let parsed = false;
  let headers: Record<string, string> | undefined;
  return {
    Body: text,
    Status: res.status,
    get Data() {
      if (!parsed) {
        data = parseJsonBody(text);
        parsed = true;
      }
      return data;
    },
    get Headers() {
      return (headers ??= canonicalHeaders(res.headers));
    },
  };
}

function canonicalHeaders(headers: HeaderSource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headersObject(headers))) out[canonicalHeaderName(k)] = v;
  return out;
}

/**
 * The cause of a failed fetch in Node's wording (`connect ECONNREFUSED 127.0.0.1:9`): code and the
 * host:port connected to, never the URL's path or query, nor any header.
 */
function networkCause(err: unknown, url: URL): string {
  const code = (err as { code?: unknown } | null)?.code;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const hostPort = `${url.hostname.replace(/^\[|\]$/g, '')}:${port}`;
  if (typeof code === 'string' && code !== '') {
    if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      return `connect ${code} ${hostPort}`;
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `getaddrinfo ${code} ${url.hostname}`;
    if (code === 'ECONNRESET') return `read ECONNRESET ${hostPort}`;
    return `${code} ${hostPort}`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>');
}
