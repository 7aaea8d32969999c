/**
 * OpenAPI 3.0 / 3.1 and Swagger 2.0 → one config document (`configs/<tenant>/<name>.yaml`): one router,
 * one server, one HTTP tool per operation. Pure: text in, YAML text and warnings out; nothing is fetched.
 *
 * What the output relies on in the gateway (gateway/tools/http-tool.ts):
 * - path arguments are URL-escaped before the endpoint renders, so `{{ .Args.id }}` needs no `urlquery`;
 * - query, header and form-data arguments go on the wire under their own names, so those keep the
 *   document's names, while path and body arguments (only read by templates) are renamed on a clash;
 * - absent optional arguments are absent from `.Args` (null is dropped too), so `hasKey .Args "x"` says
 *   whether to send a field, also for values a `with` would skip (false, 0, "");
 * - a header template rendering "" sends no header, so credentials read from an unset variable vanish.
 *
 * Only local `$ref`s (`#/...`) are followed: an external one would be a fetch (SSRF) or a file read.
 * Aliases, `$ref` chains, schema depth and the total number of schema nodes are bounded, so a small
 * document cannot expand into a huge one (billion laughs, by YAML alias or by `$ref`).
 */
import { Document, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { MAX_CONFIG_BYTES } from '../../gateway/config/load.ts';
import { type Arg, type ArgItems, ARG_TYPES, type McpConfig, type Tool } from '../../gateway/config/schema.ts';
import { fitsType, prefixProblem } from '../../gateway/config/validate.ts';

/** What to generate: the document's identity, its router prefix, and optional overrides. */
export interface ImportOptions {
  tenant: string;
  /** Config name (the file name without `.yaml`). */
  name: string;
  /** Router prefix, e.g. `/acme/petstore`. */
  prefix: string;
  /** Overrides the document's server URL (required when that URL is relative or absent). */
  baseUrl?: string;
  /** Name of the generated server; defaults to `name`. */
  serverName?: string;
}

/** A generated config document: its YAML text (to review and commit) and what was left out. */
export interface ImportResult {
  yaml: string;
  /** The generated document, as `yaml` holds it. */
  doc: McpConfig;
  /** Number of tools generated. */
  tools: number;
  /** Operations skipped or degraded, secrets to provide, choices made; each names `METHOD /path` where it applies. */
  warnings: string[];
}

/** The document cannot be imported at all: not OpenAPI, not parseable, or a `$ref` that cannot be followed. */
export class ImportError extends Error {
  readonly code = 'openapi_import' as const;
  override readonly name = 'ImportError';
}

/** Largest document accepted; the biggest public API descriptions are a few MiB. */
export const MAX_SPEC_BYTES = 10 * 1024 * 1024;
/** Alias expansions allowed while reading YAML (the config loader's limit). */
const MAX_ALIAS_COUNT = 100;
/** Links followed in one `$ref` chain (`A` → `B` → ...) before giving up. */
const MAX_REF_CHAIN = 32;
/** Nesting kept in argument schemas; deeper levels are left open (`{}`). */
const MAX_SCHEMA_DEPTH = 12;
/** Schema nodes produced over the whole import; `$ref` fan-out past this is an attack or a mistake. */
const MAX_SCHEMA_NODES = 100_000;
/** Bounds of a literal value (enum value, default, const) copied into the config. */
const MAX_VALUE_DEPTH = 8;
const MAX_VALUE_ITEMS = 100;
const MAX_VALUE_CHARS = 1000;
const MAX_TOOL_DESCRIPTION = 1024;
const MAX_ARG_DESCRIPTION = 400;
const MAX_SERVER_DESCRIPTION = 400;
/** Below the schema's 128: the common LLM APIs accept at most 64 characters of `[A-Za-z0-9_-]`. */
const MAX_TOOL_NAME = 64;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Argument names every MCP client accepts; query, header and form names outside it are kept but warned about. */
const PORTABLE_ARG_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Loopback, private, link-local and unique-local hosts (literal addresses and the usual names). */
const PRIVATE_HOST =
  /^(?:localhost|.*\.localhost|127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+|169\.254\.\d+\.\d+|0\.0\.0\.0|::1?|f[cd][0-9a-f]{2}:.*|fe[89ab][0-9a-f]:.*)$/i;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const JSON_MEDIA = /^application\/(?:[\w.+-]+\+)?json$/i;

type Json = Record<string, unknown>;
type Version = '2.0' | '3.0' | '3.1';
type ArgType = (typeof ARG_TYPES)[number];

/**
 * Turns an OpenAPI 3.0/3.1 or Swagger 2.0 document (YAML or JSON) into a config document. Throws
 * ImportError when the document cannot be read; operations it cannot map are skipped with a warning.
 */
export function importOpenApi(text: string, opts: ImportOptions): ImportResult {
  checkOptions(opts);
  try {
    const root = parseSpec(text);
    if (!isObject(root)) throw new ImportError('not an OpenAPI document: expected a map at the top level');
    return new Importer(root, detectVersion(root), opts).run();
  } catch (err) {
    // Parsers and structuredClone recurse: a document nested thousands deep overflows the stack.
    if (err instanceof RangeError) throw new ImportError('the document nests too deeply to be read');
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------
// Input

function checkOptions(opts: ImportOptions): void {
  const named = (what: string, value: string, max: number) => {
    if (typeof value !== 'string' || !NAME.test(value) || value.length > max) {
      throw new ImportError(`${what} ${JSON.stringify(value)}: must be 1-${max} letters, digits, ".", "_" or "-", starting with a letter or digit`);
    }
  };
  named('tenant', opts.tenant, 50);
  named('name', opts.name, 50);
  if (opts.serverName !== undefined) named('serverName', opts.serverName, 100);
  const problem = typeof opts.prefix === 'string' ? prefixProblem(opts.prefix) : 'must be a string';
  if (problem) throw new ImportError(`prefix: ${problem}`);
  if (opts.baseUrl !== undefined) httpUrl(opts.baseUrl, 'baseUrl');
}

/** Parses JSON (fast path) or YAML; a syntax error names its line. */
function parseSpec(text: string): unknown {
  if (typeof text !== 'string' || text.trim() === '') throw new ImportError('empty document');
  if (text.length > MAX_SPEC_BYTES || Buffer.byteLength(text) > MAX_SPEC_BYTES) throw new ImportError(`document is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB`);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trimStart().startsWith('{')) {
    try {
      return JSON.parse(body);
    } catch {
      // YAML reads JSON too and says where the syntax error is.
    }
  }
  const lines = new LineCounter();
  const doc = parseDocument(body, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const { line, col } = lines.linePos(error.pos[0]);
    const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new ImportError(`line ${line}, column ${col}: invalid YAML: ${message}`);
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/alias/i.test(message)) throw new ImportError(`too many YAML alias expansions (more than ${MAX_ALIAS_COUNT}): ${message}`);
    throw new ImportError(`invalid YAML: ${message}`);
  }
}

function detectVersion(root: Json): Version {
  const { openapi, swagger } = root;
  if (openapi === undefined && swagger === undefined) {
    throw new ImportError('not an OpenAPI document: missing "openapi" or "swagger" field');
  }
  if (swagger !== undefined) {
    // An unquoted `swagger: 2.0` is the YAML number 2.
    if (swagger === '2.0' || swagger === 2) return '2.0';
    throw new ImportError(`unsupported Swagger version ${JSON.stringify(swagger)} (supported: 2.0, OpenAPI 3.0 and 3.1)`);
  }
  const v = String(openapi);
  if (/^3(?:\.0(?:\.\d+)?)?$/.test(v)) return '3.0';
  if (/^3\.1(?:\.\d+)?$/.test(v)) return '3.1';
  throw new ImportError(`unsupported OpenAPI version ${JSON.stringify(openapi)} (supported: 3.0, 3.1 and Swagger 2.0)`);
}

// ---------------------------------------------------------------------------------------------------
// The import

/** How one security scheme reaches the backend. */
interface Credential {
  /** Key in `servers[].config`, holding `{{ env "NAME" }}`. */
  readonly configKey: string;
  readonly envName: string;
  readonly place: { in: 'header'; name: string; value: string } | { in: 'query'; name: string } | { in: 'cookie'; name: string };
}

/** A request body the importer knows how to send. */
type BodyPlan =
  | { kind: 'json'; mediaType: string; schema: unknown; required: boolean; description: string | undefined; argName: string }
  | { kind: 'text'; mediaType: string; required: boolean; description: string | undefined; argName: string }
  | { kind: 'multipart'; fields: FormField[] }
  | { kind: 'urlencoded'; fields: FormField[] };

interface FormField {
  name: string;
  schema: unknown;
  required: boolean;
  description: string | undefined;
}

/** One argument on its way into a tool, with what the templates need to know about it. */
interface Planned {
  readonly arg: Arg;
  /** Full JSON Schema for `inputSchema` when the arg cannot say everything (nested objects, oneOf...). */
  readonly full: Json | undefined;
}

class Importer {
  private readonly warnings: string[] = [];
  private readonly warned = new Set<string>();
  private readonly toolNames = new Set<string>();
  private readonly credentials = new Map<string, Credential | null>();
  private readonly configKeys = new Set(['base']);
  private nodes = 0;

  constructor(
    private readonly root: Json,
    private readonly version: Version,
    private readonly opts: ImportOptions,
  ) {}

  run(): ImportResult {
    const base = this.baseUrl();
    const paths = this.root.paths;
    if (!isObject(paths)) throw new ImportError('the document has no "paths" map: nothing to import');
    const tools: Tool[] = [];
    let operations = 0;
    for (const [path, rawItem] of Object.entries(paths)) {
      if (path.startsWith('x-')) continue;
      const item = this.resolve(rawItem, `path "${path}"`);
      if (!isObject(item)) continue;
      if (!path.startsWith('/')) {
        this.warn(`path "${path}" does not start with "/"; skipped`);
        continue;
      }
      if (item.servers !== undefined) this.warn(`${path}: path-level servers are ignored; every tool calls ${base}`);
      for (const [key, rawOp] of Object.entries(item)) {
        const method = key.toLowerCase();
        if (!(METHODS as readonly string[]).includes(method)) continue;
        operations++;
        const label = `${method.toUpperCase()} ${path}`;
        if (method === 'trace') {
          this.warn(`${label}: TRACE is not a method HTTP tools can use; skipped`);
          continue;
        }
        const op = this.resolve(rawOp, label);
        if (!isObject(op)) {
          this.warn(`${label}: the operation is not a map; skipped`);
          continue;
        }
        const tool = new OperationBuilder(this, label, method, path, item, op).build();
        if (tool) tools.push(tool);
      }
    }
    if (this.version !== '2.0' && this.root.webhooks !== undefined) this.warn('webhooks are not imported (they are calls from the API, not to it)');
    if (tools.length === 0) {
      const why = this.warnings.slice(0, 3).join('; ');
      throw new ImportError(operations === 0 ? 'the document describes no operations under "paths"' : `no operation could be imported: ${why}`);
    }

    const doc = this.document(base, tools);
    const tooLarge = (size: number) =>
      new ImportError(
        `the generated config is ${(size / 1024 / 1024).toFixed(1)} MiB, over the gateway's ${MAX_CONFIG_BYTES / 1024 / 1024} MiB limit for one document; import a smaller part of the API`,
      );
    // YAML text is about as long as JSON text; rendering YAML is the slow part, so skip it when hopeless.
    const estimate = JSON.stringify(doc).length;
    if (estimate > 2 * MAX_CONFIG_BYTES) throw tooLarge(estimate);
    const yaml = this.header() + toYaml(doc);
    if (Buffer.byteLength(yaml) > MAX_CONFIG_BYTES) throw tooLarge(Buffer.byteLength(yaml));
    return { yaml, doc, tools: tools.length, warnings: this.warnings };
  }

  // -------------------------------------------------------------------------------------------------
  // Shared state used by operations

  warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warnings.push(message);
  }

  /** Counts one produced schema node against the import's budget. */
  tick(): void {
    if (++this.nodes > MAX_SCHEMA_NODES) {
      throw new ImportError(`schemas expand to more than ${MAX_SCHEMA_NODES} nodes (a $ref fan-out this large is refused)`);
    }
  }

  get swagger2(): boolean {
    return this.version === '2.0';
  }

  get spec(): Json {
    return this.root;
  }

  uniqueToolName(operationId: unknown, method: string, path: string): string {
    let base = typeof operationId === 'string' ? toolName(operationId) : '';
    if (base === '') {
      const words = path
        .split('/')
        .map((s) => s.replace(/[{}]/g, ''))
        .join('_');
      base = toolName(`${method}_${words}`) || method;
      if (base === method) base = `${method}_root`;
    }
    let name = base;
    for (let n = 2; this.toolNames.has(name.toLowerCase()); n++) name = `${base.slice(0, MAX_TOOL_NAME - String(n).length - 1)}_${n}`;
    this.toolNames.add(name.toLowerCase());
    if (name !== base) this.warn(`${method.toUpperCase()} ${path}: tool name ${base} is taken by an earlier operation; this one is ${name}`);
    return name;
  }

  /**
   * Follows `$ref`s (local only) to a value; sibling keys of a `$ref` (3.1 allows `description` and
   * `summary` there) override the target's. A chain that comes back to itself is an ImportError.
   */
  resolve(node: unknown, where: string): unknown {
    let current = node;
    const chain: string[] = [];
    while (isObject(current) && current.$ref !== undefined) {
      const ref = current.$ref;
      if (typeof ref !== 'string') throw new ImportError(`${where}: $ref must be a string`);
      if (chain.includes(ref)) throw new ImportError(`${where}: $ref cycle: ${[...chain, ref].join(' → ')}`);
      if (chain.length >= MAX_REF_CHAIN) throw new ImportError(`${where}: $ref chain longer than ${MAX_REF_CHAIN} links`);
      chain.push(ref);
      const target = this.pointer(ref, where);
      const { $ref: _, ...siblings } = current;
      // The target's own $ref (if any) survives the spread and is followed next; outer siblings win.
      current = Object.keys(siblings).length > 0 && isObject(target) ? { ...target, ...siblings } : target;
    }
    return current;
  }

  /** The value a local JSON Pointer (`#/components/schemas/Pet`) names. */
  pointer(ref: string, where: string): unknown {
    if (!ref.startsWith('#')) {
      throw new ImportError(
        `${where}: external $ref ${JSON.stringify(ref)} is not supported: only refs inside the document ("#/...") are followed; bundle the document into one file first`,
      );
    }
    if (ref === '#' || ref === '#/') return this.root;
    if (!ref.startsWith('#/')) throw new ImportError(`${where}: $ref ${JSON.stringify(ref)} is not a JSON Pointer ("#/...")`);
    let value: unknown = this.root;
    for (const raw of ref.slice(2).split('/')) {
      let token: string;
      try {
        token = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
      } catch {
        throw new ImportError(`${where}: $ref ${JSON.stringify(ref)} is not a valid JSON Pointer`);
      }
      if (Array.isArray(value) && /^(0|[1-9]\d*)$/.test(token) && Number(token) < value.length) value = value[Number(token)];
      else if (isObject(value) && Object.hasOwn(value, token)) value = value[token];
      else throw new ImportError(`${where}: $ref ${JSON.stringify(ref)} does not resolve: nothing at "${token}"`);
    }
    return value;
  }

  /**
   * The credential for a security scheme, or null when the scheme cannot be sent (warned once). Each
   * scheme gets a config value read from an environment variable; the secret never enters the config.
   */
  credential(schemeName: string): Credential | null {
    const known = this.credentials.get(schemeName);
    if (known !== undefined) return known;
    const credential = this.makeCredential(schemeName);
    this.credentials.set(schemeName, credential);
    return credential;
  }

  private makeCredential(schemeName: string): Credential | null {
    const defs = this.swagger2 ? this.root.securityDefinitions : isObject(this.root.components) ? this.root.components.securitySchemes : undefined;
    const where = `security scheme "${schemeName}"`;
    const scheme = isObject(defs) && Object.hasOwn(defs, schemeName) ? this.resolve(defs[schemeName], where) : undefined;
    if (!isObject(scheme)) {
      this.warn(`${where} is used but not defined; calls go without it`);
      return null;
    }
    const type = String(scheme.type ?? '');
    const envName = this.envName(schemeName);
    const configKey = this.configKey(schemeName);
    const httpScheme = String(scheme.scheme ?? '').toLowerCase();
    let place: Credential['place'];
    let what: string;
    if (type === 'apiKey') {
      const name = typeof scheme.name === 'string' ? scheme.name : '';
      const location = scheme.in;
      if (name === '' || (location !== 'header' && location !== 'query' && location !== 'cookie')) {
        this.warn(`${where}: an apiKey scheme needs "name" and "in" (header, query or cookie); calls go without it`);
        return null;
      }
      if (location === 'header' && !HEADER_TOKEN.test(name)) {
        this.warn(`${where}: ${JSON.stringify(name)} is not a valid header name; calls go without it`);
        return null;
      }
      place =
        location === 'header'
          ? { in: 'header', name, value: `{{ .Config.${configKey} }}` }
          : location === 'query'
            ? { in: 'query', name }
            : { in: 'cookie', name };
      what = `the API key (sent as ${location} ${JSON.stringify(name)})`;
    } else if ((type === 'http' && httpScheme === 'bearer') || type === 'oauth2' || type === 'openIdConnect') {
      place = { in: 'header', name: 'Authorization', value: `{{ with .Config.${configKey} }}Bearer {{ . }}{{ end }}` };
      what = type === 'http' ? 'the bearer token' : `an access token (${type}: the gateway runs no OAuth flow, so obtain the token out of band)`;
    } else if ((type === 'http' && httpScheme === 'basic') || type === 'basic') {
      place = { in: 'header', name: 'Authorization', value: `{{ with .Config.${configKey} }}Basic {{ b64enc . }}{{ end }}` };
      what = '"user:password" (sent as HTTP Basic credentials)';
    } else {
      this.warn(`${where}: type ${JSON.stringify(type)}${httpScheme ? ` (${httpScheme})` : ''} is not supported; calls go without it`);
      return null;
    }
    this.configKeys.add(configKey);
    this.warn(
      `${where}: set the environment variable ${envName} to ${what} and add ${envName} to the gateway's env allowlist (security.envAllowlist or GATEWAY_ENV_ALLOWLIST); until then calls go without it`,
    );
    return { configKey, envName, place };
  }

  /** `PETSTORE_API_KEY` for scheme `api_key` of config `petstore`: unique per config, shell-safe. */
  private envName(schemeName: string): string {
    const config = upperSnake(this.opts.name);
    const scheme = upperSnake(schemeName) || 'CREDENTIAL';
    let name = scheme === config || scheme.startsWith(`${config}_`) ? scheme : `${config}_${scheme}`;
    if (!/^[A-Z_]/.test(name)) name = `API_${name}`;
    const taken = new Set([...this.credentials.values()].map((c) => c?.envName));
    let unique = name;
    for (let n = 2; taken.has(unique); n++) unique = `${name}_${n}`;
    return unique;
  }

  private configKey(schemeName: string): string {
    const base = identifier(schemeName, 'credential');
    let key = base;
    for (let n = 2; this.configKeys.has(key); n++) key = `${base}_${n}`;
    return key;
  }

  // -------------------------------------------------------------------------------------------------
  // Servers and output

  /** The backend's base URL, with a warning when the gateway's SSRF guard would refuse it by default. */
  private baseUrl(): string {
    const base = this.chooseBaseUrl();
    const host = new URL(base).hostname.replace(/^\[|\]$/g, '');
    if (PRIVATE_HOST.test(host)) {
      this.warn(
        `the backend ${base} is on a private or loopback address: the gateway refuses it unless security.allowedNetworks (GATEWAY_ALLOWED_NETWORKS) lists ${host}`,
      );
    }
    return base;
  }

  /** The option, else the document's first server. Never ends in "/". */
  private chooseBaseUrl(): string {
    if (this.opts.baseUrl !== undefined) return trimSlash(httpUrl(this.opts.baseUrl, 'baseUrl').href);
    let url: string;
    let shown: string;
    if (this.swagger2) {
      const host = this.root.host;
      const basePath = typeof this.root.basePath === 'string' ? this.root.basePath : '';
      if (typeof host !== 'string' || host === '') {
        throw new ImportError(
          `the document names no host, so its URLs are relative to where it is served; give baseUrl (e.g. https://api.example.com${basePath === '/' ? '' : basePath})`,
        );
      }
      const schemes = Array.isArray(this.root.schemes) ? this.root.schemes.map(String) : [];
      const scheme = schemes.includes('https') ? 'https' : schemes.includes('http') ? 'http' : undefined;
      if (scheme === undefined) this.warn(`the document lists no http(s) scheme; using https://${host}`);
      url = `${scheme ?? 'https'}://${host}${basePath === '/' ? '' : basePath}`;
      shown = url;
    } else {
      const servers = Array.isArray(this.root.servers) ? this.root.servers : [];
      const first = servers[0];
      if (!isObject(first) || typeof first.url !== 'string') {
        throw new ImportError('the document has no servers, so its URLs are relative to where it is served; give baseUrl (e.g. https://api.example.com)');
      }
      shown = first.url;
      url = first.url.replace(/\{([^}]*)\}/g, (_m, name: string) => {
        const variable = isObject(first.variables) ? first.variables[name] : undefined;
        if (isObject(variable) && variable.default !== undefined) return String(variable.default);
        throw new ImportError(`server URL ${JSON.stringify(first.url)}: variable "${name}" has no default; give baseUrl`);
      });
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url)) {
        const path = url.startsWith('/') ? trimSlash(url) : '';
        throw new ImportError(
          `the server URL ${JSON.stringify(url)} is relative to where the document is served; give baseUrl (e.g. https://api.example.com${path})`,
        );
      }
      if (servers.length > 1) this.warn(`the document lists ${servers.length} servers; using the first, ${url} (give baseUrl to choose another)`);
    }
    return trimSlash(httpUrl(url, `server URL ${JSON.stringify(shown)}`).href);
  }

  private document(base: string, tools: Tool[]): McpConfig {
    const serverName = this.opts.serverName ?? this.opts.name;
    const config: Record<string, string> = { base: literal(base) };
    for (const c of this.credentials.values()) if (c) config[c.configKey] = `{{ env "${c.envName}" }}`;
    const info = isObject(this.root.info) ? this.root.info : {};
    const description = joinText(str(info.title), str(info.summary) ?? str(info.description), MAX_SERVER_DESCRIPTION);
    const server: McpConfig['servers'] = [
      {
        name: serverName,
        ...(description ? { description } : {}),
        allowedTools: tools.map((t) => t.name),
        config,
      },
    ];
    return {
      name: this.opts.name,
      tenant: this.opts.tenant,
      routers: [{ server: serverName, prefix: this.opts.prefix }],
      servers: server,
      tools,
    };
  }

  private header(): string {
    const info = isObject(this.root.info) ? this.root.info : {};
    const title = oneLine(str(info.title) ?? 'untitled API');
    const version = str(info.version);
    const kind = this.swagger2 ? 'Swagger 2.0' : `OpenAPI ${String(this.root.openapi)}`;
    return [
      '# yaml-language-server: $schema=../../schema/mcp-config.schema.json',
      '#',
      `# Generated from the ${kind} description of ${JSON.stringify(title)}${version ? `, version ${oneLine(version)}` : ''}.`,
      '# Review the tools, arguments and credentials before committing.',
      '',
    ].join('\n');
  }
}

// ---------------------------------------------------------------------------------------------------
// One operation → one tool

class OperationBuilder {
  private readonly names = new Set<string>();
  private readonly path: Planned[] = [];
  private readonly query: Planned[] = [];
  private readonly header: Planned[] = [];
  private readonly body: Planned[] = [];
  private readonly headers: Record<string, string> = {};
  private requestBody: string | undefined;
  /** Query string the endpoint carries itself (credentials), after "?". */
  private endpointQuery = '';

  constructor(
    private readonly imp: Importer,
    private readonly label: string,
    private readonly method: string,
    private readonly pathText: string,
    private readonly item: Json,
    private readonly op: Json,
  ) {}

  build(): Tool | undefined {
    const params = this.parameters();
    const body = this.bodyPlan(params);
    if (body === null) return undefined;

    // Names: query, header and form fields go on the wire as they are, so they are claimed first;
    // path and body arguments only appear in templates and give way.
    for (const p of params.filter((p) => p.in === 'query' || p.in === 'header')) this.wireParam(p);
    if (body?.kind === 'multipart') for (const f of body.fields) this.formField(f);
    const path = this.endpointPath(params);
    if (body && body.kind !== 'multipart') this.bodyArgs(body);
    this.security();

    const tool: Tool = {
      name: this.imp.uniqueToolName(this.op.operationId, this.method, this.pathText),
      description: this.description(),
      method: this.method.toUpperCase(),
      endpoint: this.endpointQuery ? `${path}?${this.endpointQuery}` : path,
    };
    if (Object.keys(this.headers).length > 0) tool.headers = this.headers;
    const planned = [...this.path, ...this.query, ...this.header, ...this.body];
    if (planned.length > 0) tool.args = planned.map((p) => p.arg);
    if (this.requestBody !== undefined) tool.requestBody = this.requestBody;
    const full = planned.filter((p) => p.full !== undefined);
    if (full.length > 0) tool.inputSchema = Object.fromEntries(full.map((p) => [p.arg.name, p.full]));
    tool.annotations = this.annotations();
    return tool;
  }

  private warn(message: string): void {
    this.imp.warn(`${this.label}: ${message}`);
  }

  // -- parameters -----------------------------------------------------------------------------------

  /** Path-level then operation-level parameters, the operation's winning on the same name and place. */
  private parameters(): Param[] {
    const merged = new Map<string, Param>();
    for (const [list, where] of [
      [this.item.parameters, 'path parameters'],
      [this.op.parameters, 'parameters'],
    ] as const) {
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        this.warn(`${where} is not a list; ignored`);
        continue;
      }
      list.forEach((raw, i) => {
        const p = this.imp.resolve(raw, `${this.label} ${where}[${i}]`);
        if (!isObject(p) || typeof p.name !== 'string' || p.name === '' || typeof p.in !== 'string') {
          this.warn(`${where}[${i}] has no name or "in"; ignored`);
          return;
        }
        const key = `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
        merged.set(key, { name: p.name, in: p.in, raw: p });
      });
    }
    const out: Param[] = [];
    for (const p of merged.values()) {
      switch (p.in) {
        case 'path':
        case 'query':
        case 'body':
        case 'formData':
          out.push(p);
          break;
        case 'header': {
          const lower = p.name.toLowerCase();
          if (lower === 'accept' || lower === 'content-type') continue; // OpenAPI 3: such parameters are ignored
          if (lower === 'authorization') {
            this.warn('header parameter "Authorization" is ignored (credentials come from security schemes, read from the environment)');
            continue;
          }
          if (!HEADER_TOKEN.test(p.name)) {
            this.warn(`header parameter ${JSON.stringify(p.name)} is not a valid header name; left out`);
            continue;
          }
          out.push(p);
          break;
        }
        case 'cookie':
          this.warn(`cookie parameter ${JSON.stringify(p.name)} cannot be sent by HTTP tools; left out${p.raw.required === true ? ' (it is required: calls may fail)' : ''}`);
          break;
        default:
          this.warn(`parameter ${JSON.stringify(p.name)} in ${JSON.stringify(p.in)} is not a known place; left out`);
      }
    }
    return out;
  }

  /** The schema of a parameter: 3.x `schema` or `content`, 2.0's inline type fields. */
  private paramSchema(p: Param): unknown {
    const raw = p.raw;
    if (this.imp.swagger2 && p.in !== 'body') {
      const { name: _n, in: _i, description: _d, required: _r, allowEmptyValue: _a, ...schema } = raw;
      return schema;
    }
    if (raw.schema !== undefined) return raw.schema;
    if (isObject(raw.content)) {
      const first = Object.values(raw.content)[0];
      if (isObject(first)) return first.schema ?? {};
    }
    return {};
  }

  private wireParam(p: Param): void {
    const position = p.in === 'query' ? 'query' : 'header';
    const taken = [...this.names].find((n) => (position === 'header' ? n.toLowerCase() === p.name.toLowerCase() : n === p.name));
    if (taken !== undefined) {
      this.warn(`${p.in} parameter ${JSON.stringify(p.name)} has the name of another argument, and ${p.in} arguments are sent under their own name; left out`);
      return;
    }
    this.names.add(p.name);
    if (!PORTABLE_ARG_NAME.test(p.name)) {
      this.warn(`${p.in} parameter ${JSON.stringify(p.name)} keeps its name (it is sent under it), but some MCP clients accept only letters, digits, "_", "." and "-" in argument names`);
    }
    const schema = this.convert(this.paramSchema(p));
    const planned = plan(p.name, position, schema, p.raw.required === true, str(p.raw.description));
    if (planned.arg.type === 'array' && position === 'query') this.checkArrayStyle(p);
    if (planned.arg.type === 'object' && position === 'query' && p.raw.content === undefined) {
      this.warn(`query parameter ${JSON.stringify(p.name)} is an object; it is sent as JSON text, not in the style the document gives`);
    }
    (position === 'query' ? this.query : this.header).push(planned);
  }

  /** The gateway repeats an array query parameter (`a=1&a=2`); say so when the document wants another style. */
  private checkArrayStyle(p: Param): void {
    const raw = p.raw;
    let style: string | undefined;
    if (this.imp.swagger2) {
      const format = typeof raw.collectionFormat === 'string' ? raw.collectionFormat : 'csv';
      if (format !== 'multi') style = format;
    } else {
      const s = typeof raw.style === 'string' ? raw.style : 'form';
      const explode = typeof raw.explode === 'boolean' ? raw.explode : s === 'form';
      if (s !== 'form' || !explode) style = explode ? s : `${s}, explode: false`;
    }
    if (style !== undefined) {
      this.warn(`query parameter ${JSON.stringify(p.name)} is sent as repeated parameters (${p.name}=a&${p.name}=b), not in the "${style}" style the document gives`);
    }
  }

  /** `{{ .Config.base }}/pets/{{ .Args.petId }}`: every path variable becomes a required path argument. */
  private endpointPath(params: Param[]): string {
    const pathParams = new Map(params.filter((p) => p.in === 'path').map((p) => [p.name, p]));
    let endpoint = '{{ .Config.base }}';
    let last = 0;
    const used = new Map<string, string>();
    for (const m of this.pathText.matchAll(/\{([^{}]+)\}/g)) {
      endpoint += literal(this.pathText.slice(last, m.index));
      last = m.index + m[0].length;
      const name = m[1]!;
      let argName = used.get(name);
      if (argName === undefined) {
        const p = pathParams.get(name);
        if (!p) this.warn(`path variable {${name}} has no parameter; it becomes a required string argument`);
        argName = this.claim(identifier(name, 'param'), 'path');
        used.set(name, argName);
        const schema = p ? this.convert(this.paramSchema(p)) : { type: 'string' };
        this.path.push(plan(argName, 'path', schema, true, p ? str(p.raw.description) : undefined));
      }
      endpoint += `{{ .Args.${argName} }}`;
    }
    endpoint += literal(this.pathText.slice(last));
    for (const name of pathParams.keys()) if (!used.has(name)) this.warn(`path parameter ${JSON.stringify(name)} does not appear in the path; left out`);
    return endpoint;
  }

  /** An argument name for a template-only argument: `base`, else `<prefix>_base`, else numbered. */
  private claim(base: string, prefix: string): string {
    let name = base;
    if (this.names.has(name)) name = `${prefix}_${base}`;
    for (let n = 2; this.names.has(name); n++) name = `${prefix}_${base}_${n}`;
    this.names.add(name);
    return name;
  }

  // -- request bodies -------------------------------------------------------------------------------

  /** What body the operation sends: undefined for none, null when the operation must be skipped. */
  private bodyPlan(params: Param[]): BodyPlan | undefined | null {
    const bodyless = this.method === 'get' || this.method === 'head';
    const plan = this.imp.swagger2 ? this.bodyPlan2(params) : this.bodyPlan3();
    if (plan && bodyless) {
      this.warn(`${this.method.toUpperCase()} requests carry no body in the gateway; the request body is left out`);
      return undefined;
    }
    return plan;
  }

  private bodyPlan3(): BodyPlan | undefined | null {
    if (this.op.requestBody === undefined) return undefined;
    const rb = this.imp.resolve(this.op.requestBody, `${this.label} requestBody`);
    if (!isObject(rb) || !isObject(rb.content)) return undefined;
    const required = rb.required === true;
    const description = str(rb.description);
    const content = rb.content;
    const types = Object.keys(content);
    const media = (type: string) => this.imp.resolve(content[type], `${this.label} requestBody`);
    const pick = (test: (t: string) => boolean) => types.find((t) => test(mediaTypeOf(t)));
    const json = pick((t) => t === 'application/json') ?? pick((t) => JSON_MEDIA.test(t)) ?? pick((t) => t === '*/*' || t === 'application/*');
    if (json !== undefined) {
      const m = media(json);
      const mediaType = JSON_MEDIA.test(mediaTypeOf(json)) ? mediaTypeOf(json) : 'application/json';
      return { kind: 'json', mediaType, schema: isObject(m) ? m.schema : undefined, required, description, argName: 'body' };
    }
    const form = pick((t) => t === 'multipart/form-data') ?? pick((t) => t === 'application/x-www-form-urlencoded');
    if (form !== undefined) {
      const m = media(form);
      const schema = this.convert(isObject(m) ? m.schema : undefined);
      const fields: FormField[] = [];
      const props = isObject(schema.properties) ? schema.properties : {};
      const req = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
      for (const [name, s] of Object.entries(props)) fields.push({ name, schema: s, required: req.has(name), description: undefined });
      if (fields.length === 0) this.warn(`the ${mediaTypeOf(form)} body has no properties; no form arguments`);
      return mediaTypeOf(form) === 'multipart/form-data' ? { kind: 'multipart', fields } : { kind: 'urlencoded', fields };
    }
    const text = pick((t) => t.startsWith('text/'));
    if (text !== undefined) {
      return { kind: 'text', mediaType: mediaTypeOf(text), required, description, argName: 'body' };
    }
    return this.unsupportedBody(types.join(', '), required);
  }

  private bodyPlan2(params: Param[]): BodyPlan | undefined | null {
    const consumes = (Array.isArray(this.op.consumes) ? this.op.consumes : Array.isArray(this.imp.spec.consumes) ? this.imp.spec.consumes : []).map((t) => mediaTypeOf(String(t)));
    const bodyParam = params.find((p) => p.in === 'body');
    const formParams = params.filter((p) => p.in === 'formData');
    if (bodyParam) {
      const json = consumes.length === 0 ? 'application/json' : consumes.find((t) => JSON_MEDIA.test(t)) ?? (consumes.includes('*/*') ? 'application/json' : undefined);
      if (json === undefined) return this.unsupportedBody(consumes.join(', '), bodyParam.raw.required === true);
      return {
        kind: 'json',
        mediaType: json,
        schema: bodyParam.raw.schema,
        required: bodyParam.raw.required === true,
        description: str(bodyParam.raw.description),
        argName: identifier(bodyParam.name, 'body'),
      };
    }
    if (formParams.length > 0) {
      const multipart = consumes.includes('multipart/form-data') || formParams.some((p) => p.raw.type === 'file') || !consumes.includes('application/x-www-form-urlencoded');
      const fields = formParams.map((p) => ({ name: p.name, schema: this.paramSchema(p), required: p.raw.required === true, description: str(p.raw.description) }));
      return multipart ? { kind: 'multipart', fields } : { kind: 'urlencoded', fields };
    }
    return undefined;
  }

  private unsupportedBody(types: string, required: boolean): BodyPlan | undefined | null {
    if (required) {
      this.warn(`request body of type ${types || '(none)'} cannot be sent (only JSON, form and text bodies can); skipped`);
      return null;
    }
    this.warn(`optional request body of type ${types || '(none)'} cannot be sent (only JSON, form and text bodies can); the tool sends none`);
    return undefined;
  }

  /** multipart/form-data fields: `form-data` arguments, sent under their own names. */
  private formField(f: FormField): void {
    if (this.names.has(f.name)) {
      this.warn(`form field ${JSON.stringify(f.name)} has the name of another argument, and form fields are sent under their own name; left out`);
      return;
    }
    this.names.add(f.name);
    const schema = this.convert(f.schema);
    if (isBinary(schema)) this.warn(`form field ${JSON.stringify(f.name)} is a file; HTTP tools send it as a text field`);
    this.body.push(plan(f.name, 'form-data', stripBinary(schema), f.required, f.description ?? str(schema.description)));
  }

  private bodyArgs(body: Exclude<BodyPlan, { kind: 'multipart' }>): void {
    if (body.kind === 'urlencoded') {
      const fields: { key: string; arg: string; array: boolean }[] = [];
      for (const f of body.fields) {
        const schema = this.convert(f.schema);
        if (isBinary(schema)) this.warn(`form field ${JSON.stringify(f.name)} is a file; it is sent as text`);
        const arg = this.claim(identifier(f.name, 'field'), 'form');
        const planned = plan(arg, 'body', stripBinary(schema), f.required, f.description ?? str(schema.description));
        this.body.push(planned);
        fields.push({ key: f.name, arg, array: planned.arg.type === 'array' });
      }
      this.requestBody = urlencodedTemplate(fields);
      this.headers['Content-Type'] = 'application/x-www-form-urlencoded';
      return;
    }
    if (body.kind === 'text') {
      const arg = this.claim(body.argName, 'body');
      this.body.push(plan(arg, 'body', { type: 'string' }, body.required, body.description));
      this.requestBody = body.required ? `{{ .Args.${arg} }}` : `{{ if hasKey .Args "${arg}" }}{{ .Args.${arg} }}{{ end }}`;
      this.headers['Content-Type'] = body.required ? body.mediaType : `{{ if hasKey .Args "${arg}" }}${body.mediaType}{{ end }}`;
      return;
    }
    const schema = this.convert(body.schema);
    const props = objectProperties(schema);
    if (props === undefined) {
      // A list, a scalar, a free-form map or a oneOf: the whole body is one argument.
      const arg = this.claim(body.argName, 'body');
      const planned = plan(arg, 'body', schema, body.required, body.description ?? str(schema.description));
      this.body.push(planned);
      const always = planned.arg.required === true || planned.arg.default !== undefined;
      this.requestBody = always ? `{{ toJSON .Args.${arg} }}` : `{{ if hasKey .Args "${arg}" }}{{ toJSON .Args.${arg} }}{{ end }}`;
      this.headers['Content-Type'] = always ? body.mediaType : `{{ if hasKey .Args "${arg}" }}${body.mediaType}{{ end }}`;
      return;
    }
    const fields: BodyField[] = [];
    const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
    for (const [key, propSchema] of Object.entries(props)) {
      const arg = this.claim(identifier(key, 'field'), 'body');
      const prop = isObject(propSchema) ? propSchema : {};
      const planned = plan(arg, 'body', prop, required.has(key), str(prop.description));
      this.body.push(planned);
      fields.push({ key, arg, always: planned.arg.required === true || planned.arg.default !== undefined });
    }
    this.requestBody = jsonObjectTemplate(fields);
    this.headers['Content-Type'] = body.mediaType;
  }

  /** A schema in the shape args and inputSchema use (refs inlined, OpenAPI keywords translated). */
  private convert(schema: unknown): Json {
    return new SchemaConverter(this.imp, this.label).convert(schema, 0);
  }

  // -- security -------------------------------------------------------------------------------------

  /** The first alternative of the operation's (else the document's) requirements that can be sent. */
  private security(): void {
    const requirements = this.op.security !== undefined ? this.op.security : this.imp.spec.security;
    if (!Array.isArray(requirements) || requirements.length === 0) return;
    let chosen: Credential[] | undefined;
    let anonymous = false;
    for (const alternative of requirements) {
      if (!isObject(alternative)) continue;
      const names = Object.keys(alternative);
      if (names.length === 0) {
        anonymous = true;
        continue;
      }
      const credentials = names.map((n) => this.imp.credential(n));
      if (credentials.every((c): c is Credential => c !== null)) {
        chosen = credentials;
        break;
      }
    }
    if (!chosen) {
      if (!anonymous) this.warn('none of its security requirements can be met by the gateway; calls go without credentials');
      return;
    }
    let cookie = '';
    for (const c of chosen) {
      const place = c.place;
      // A parameter for the credential itself would let the model send (or override) the secret.
      const list = place.in === 'query' ? this.query : place.in === 'header' ? this.header : [];
      const same = (name: string) => (place.in === 'header' ? name.toLowerCase() === place.name.toLowerCase() : name === place.name);
      for (let i = list.length - 1; i >= 0; i--) {
        if (!same(list[i]!.arg.name)) continue;
        this.warn(`${place.in} parameter ${JSON.stringify(list[i]!.arg.name)} carries the credential of a security scheme; left out (the value comes from the environment)`);
        list.splice(i, 1);
      }
      if (place.in === 'header') {
        if (this.headers[place.name] !== undefined) this.warn(`two security schemes set header ${place.name}; the first one is sent`);
        else this.headers[place.name] = place.value;
      } else if (place.in === 'query') {
        this.endpointQuery += `{{ with .Config.${c.configKey} }}&${literal(encodeURIComponent(place.name))}={{ urlquery . }}{{ end }}`;
      } else {
        cookie += `{{ with .Config.${c.configKey} }}${cookie ? '; ' : ''}${literal(place.name)}={{ . }}{{ end }}`;
      }
    }
    if (cookie) this.headers.Cookie = cookie;
  }

  // -- text -----------------------------------------------------------------------------------------

  private description(): string {
    const deprecated = this.op.deprecated === true ? 'Deprecated. ' : '';
    const text = joinText(str(this.op.summary), str(this.op.description), MAX_TOOL_DESCRIPTION - deprecated.length);
    return deprecated + (text ?? `${this.method.toUpperCase()} ${this.pathText}`);
  }

  private annotations(): NonNullable<Tool['annotations']> {
    const summary = str(this.op.summary);
    const out: NonNullable<Tool['annotations']> = {};
    if (summary && summary.length <= 100 && !summary.includes('\n')) out.title = summary.replace(/\.$/, '');
    const m = this.method;
    out.readOnlyHint = m === 'get' || m === 'head' || m === 'options';
    if (m === 'delete') out.destructiveHint = true;
    if (m !== 'post' && m !== 'patch') out.idempotentHint = true;
    return out;
  }

}

interface Param {
  name: string;
  in: string;
  raw: Json;
}

interface BodyField {
  /** Key in the JSON object. */
  key: string;
  /** Argument holding its value. */
  arg: string;
  /** Required or defaulted: always in `.Args`. */
  always: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Templates

/**
 * A JSON object body in which every value goes through `toJSON` (so any string, number, list or map is
 * valid JSON) and optional fields absent from the call are left out. Fields always present come first,
 * so the separators need no bookkeeping; with none, a `$sep` variable places the commas.
 */
function jsonObjectTemplate(fields: readonly BodyField[]): string {
  const key = (f: BodyField) => literal(JSON.stringify(f.key));
  const value = (f: BodyField) => `{{ toJSON .Args.${f.arg} }}`;
  const always = fields.filter((f) => f.always);
  const optional = fields.filter((f) => !f.always);
  if (fields.length === 0) return '{}';
  const lines: string[] = [];
  if (always.length > 0) {
    lines.push('{');
    always.forEach((f, i) => lines.push(`  ${key(f)}: ${value(f)}${i < always.length - 1 ? ',' : ''}`));
    for (const f of optional) lines.push(`  {{- if hasKey .Args "${f.arg}" }},`, `  ${key(f)}: ${value(f)}`, '  {{- end }}');
    lines.push('}');
    return lines.join('\n');
  }
  lines.push('{{- $sep := "" -}}', '{');
  for (const f of optional) lines.push(`  {{- if hasKey .Args "${f.arg}" }}{{ $sep }}`, `  ${key(f)}: ${value(f)}`, '  {{- $sep = "," }}{{ end }}');
  lines.push('}');
  return lines.join('\n');
}

/** An `application/x-www-form-urlencoded` body: present fields joined by "&", lists repeated. */
function urlencodedTemplate(fields: readonly { key: string; arg: string; array: boolean }[]): string {
  const parts = ['{{- $sep := "" -}}'];
  for (const f of fields) {
    const name = literal(encodeURIComponent(f.key));
    parts.push(
      f.array
        ? `{{- range .Args.${f.arg} }}{{ $sep }}${name}={{ urlquery . }}{{ $sep = "&" }}{{ end }}`
        : `{{- if hasKey .Args "${f.arg}" }}{{ $sep }}${name}={{ urlquery .Args.${f.arg} }}{{ $sep = "&" }}{{ end }}`,
    );
  }
  return parts.join('\n');
}

/** Block style, no line folding (diffs stay line-based); short lists of scalars in flow style, as people write them. */
function toYaml(doc: McpConfig): string {
  const document = new Document(doc, { aliasDuplicateObjects: false });
  visit(document, {
    Seq(_key, node) {
      if (node.items.every((item) => isScalar(item)) && JSON.stringify(node.toJSON()).length <= 80) node.flow = true;
    },
  });
  return document.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Text placed in a template as it is: `{{` would open an action, so it is written as one. */
function literal(text: string): string {
  return text.includes('{{') ? text.replaceAll('{{', '{{ "{{" }}') : text;
}

// ---------------------------------------------------------------------------------------------------
// Schemas

/** Schema keywords copied as they are (JSON Schema validation keywords MCP clients understand). */
const COPIED = [
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
] as const;

class SchemaConverter {
  /** `$ref`s being expanded on the current branch: meeting one again is recursion. */
  private readonly expanding: string[] = [];

  constructor(
    private readonly imp: Importer,
    private readonly label: string,
  ) {}

  /** The schema for a request: refs inlined (recursion cut), readOnly properties dropped, 3.0/2.0 keywords translated. */
  convert(node: unknown, depth: number): Json {
    this.imp.tick();
    if (node === true || node === undefined || node === null) return {};
    if (!isObject(node)) return {};
    if (node.$ref !== undefined) {
      const ref = String(node.$ref);
      if (this.expanding.includes(ref)) {
        this.imp.warn(`schema ${JSON.stringify(ref)} contains itself; its nested levels are left open`);
        const target = this.imp.resolve(node, this.label);
        return isObject(target) && typeof target.type === 'string' ? { type: target.type } : {};
      }
      const target = this.imp.resolve(node, this.label);
      this.expanding.push(ref);
      try {
        return this.convert(target, depth);
      } finally {
        this.expanding.pop();
      }
    }
    if (depth > MAX_SCHEMA_DEPTH) {
      this.imp.warn(`${this.label}: schemas nested deeper than ${MAX_SCHEMA_DEPTH} levels are left open`);
      return {};
    }
    const out: Json = {};
    let type = node.type;
    if (type === 'file') {
      type = 'string';
      out.format = 'binary';
    }
    if (node.nullable === true && typeof type === 'string') type = [type, 'null'];
    if (typeof type === 'string' || Array.isArray(type)) out.type = type;
    const description = str(node.description) ?? str(node.title);
    if (description) out.description = bound(description, MAX_ARG_DESCRIPTION);
    for (const k of COPIED) if (node[k] !== undefined && out[k] === undefined) out[k] = copy(node[k]);
    // OpenAPI 3.0 and Swagger 2.0 write exclusive bounds as booleans (JSON Schema draft 4).
    for (const [flag, bound] of [
      ['exclusiveMinimum', 'minimum'],
      ['exclusiveMaximum', 'maximum'],
    ] as const) {
      const v = node[flag];
      if (v === true && typeof node[bound] === 'number') {
        out[flag] = node[bound];
        delete out[bound];
      } else if (typeof v === 'number') out[flag] = v;
    }
    if (Array.isArray(node.enum)) {
      const values = node.enum.filter((v) => smallValue(v));
      if (values.length > 0) out.enum = copy(values);
    }
    if (node.const !== undefined && smallValue(node.const)) out.const = copy(node.const);
    if (node.default !== undefined && smallValue(node.default)) out.default = copy(node.default);
    if (isObject(node.properties)) {
      const properties: Json = {};
      for (const [name, prop] of Object.entries(node.properties)) {
        const resolved = this.imp.resolve(prop, this.label);
        // OpenAPI: readOnly properties "SHOULD NOT be sent as part of the request".
        if (isObject(resolved) && resolved.readOnly === true) continue;
        properties[name] = this.convert(prop, depth + 1);
      }
      out.properties = properties;
      if (Array.isArray(node.required)) {
        const required = node.required.map(String).filter((r) => Object.hasOwn(properties, r));
        if (required.length > 0) out.required = required;
      }
    }
    if (node.additionalProperties === true || node.additionalProperties === false) out.additionalProperties = node.additionalProperties;
    else if (isObject(node.additionalProperties)) out.additionalProperties = this.convert(node.additionalProperties, depth + 1);
    if (isObject(node.items) || node.items === true) out.items = this.convert(node.items, depth + 1);
    for (const k of ['oneOf', 'anyOf'] as const) {
      const list = node[k];
      if (Array.isArray(list) && list.length > 0) out[k] = list.map((s) => this.convert(s, depth + 1));
    }
    if (Array.isArray(node.allOf) && node.allOf.length > 0) {
      const parts = node.allOf.map((s) => this.convert(s, depth + 1));
      return mergeAllOf(out, parts);
    }
    return out;
  }
}

/**
 * `allOf` folded into one schema when its parts agree on the type (object inheritance, or the
 * `allOf: [$ref]` idiom that adds a description to a ref): properties and required lists are unions,
 * other keywords come from the schema itself, then from the first part that has them. Anything else
 * stays an allOf.
 */
function mergeAllOf(base: Json, parts: Json[]): Json {
  const all = [base, ...parts];
  const types = new Set(all.filter((p) => p.type !== undefined).map((p) => JSON.stringify(p.type)));
  const mergeable = types.size <= 1 && parts.every((p) => p.oneOf === undefined && p.anyOf === undefined && p.allOf === undefined);
  if (!mergeable) return { ...base, allOf: parts };
  const out: Json = {};
  const properties: Json = {};
  const required: string[] = [];
  let hasProperties = false;
  for (const part of all) {
    for (const [k, v] of Object.entries(part)) {
      if (k === 'properties' && isObject(v)) {
        hasProperties = true;
        for (const [name, schema] of Object.entries(v)) if (!Object.hasOwn(properties, name)) properties[name] = schema;
      } else if (k === 'required' && Array.isArray(v)) {
        for (const r of v) if (!required.includes(String(r))) required.push(String(r));
      } else if (out[k] === undefined) out[k] = v;
    }
  }
  if (hasProperties) {
    out.type ??= 'object';
    out.properties = properties;
  }
  if (required.length > 0) out.required = required;
  return out;
}

/** The properties of an object schema a body can be split into, or undefined for any other body. */
function objectProperties(schema: Json): Json | undefined {
  if (schema.oneOf !== undefined || schema.anyOf !== undefined || schema.allOf !== undefined) return undefined;
  const type = schema.type;
  if (type !== undefined && type !== 'object') return undefined;
  if (!isObject(schema.properties) || Object.keys(schema.properties).length === 0) return undefined;
  return schema.properties;
}

/** An argument from a converted schema; the full schema goes to inputSchema when the arg cannot hold it. */
function plan(name: string, position: Arg['position'], schema: Json, required: boolean, description: string | undefined): Planned {
  const type = argType(schema);
  const arg: Arg = { name, position };
  if (required) arg.required = true;
  if (type) arg.type = type;
  const desc = bound(description ?? str(schema.description), MAX_ARG_DESCRIPTION);
  if (desc) arg.description = desc;
  const values = enumFor(schema, type);
  if (values) arg.enum = values;
  // A const is the only value the backend accepts: make it the default, so the model need not send it.
  const def = defaultFor(schema.default ?? schema.const, type, values);
  if (def !== undefined) arg.default = def;
  if (type === 'array' && isObject(schema.items)) {
    const items = argItems(schema.items);
    if (Object.keys(items).length > 0) arg.items = items;
  }
  if (!needsFullSchema(schema, type)) return { arg, full: undefined };
  const full: Json = { ...schema };
  delete full.description;
  delete full.default;
  if (desc) full.description = desc;
  if (def !== undefined) full.default = def;
  return { arg, full };
}

/** The argument type: the schema's single non-null type, else what its keywords imply. */
function argType(schema: Json): ArgType | undefined {
  let t = schema.type;
  if (Array.isArray(t)) {
    const types = t.filter((x) => x !== 'null');
    t = types.length === 1 ? types[0] : undefined;
  }
  if (typeof t === 'string') return (ARG_TYPES as readonly string[]).includes(t) ? (t as ArgType) : undefined;
  if (schema.oneOf !== undefined || schema.anyOf !== undefined) return undefined;
  if (isObject(schema.properties) || isObject(schema.additionalProperties)) return 'object';
  if (schema.items !== undefined) return 'array';
  const values = schema.const !== undefined ? [schema.const] : schema.enum;
  if (Array.isArray(values) && values.length > 0 && values.every((v) => typeof v === 'string')) return 'string';
  return undefined;
}

/** Enum values that fit the type (the validator checks; an untyped argument is a string to it). */
function enumFor(schema: Json, type: ArgType | undefined): unknown[] | undefined {
  const values = schema.const !== undefined ? [schema.const] : schema.enum;
  if (!Array.isArray(values)) return undefined;
  const kept = values.filter((v) => fitsType(v, type ?? 'string'));
  return kept.length > 0 ? copy(kept) : undefined;
}

/** A default the gateway can use: of the argument's type and among the enum values. */
function defaultFor(value: unknown, type: ArgType | undefined, values: unknown[] | undefined): unknown {
  if (value === undefined || value === null) return undefined;
  let v = value;
  if ((type ?? 'string') === 'string') {
    if (typeof v === 'object') return undefined;
    v = String(v);
  } else if (!fitsType(v, type!)) return undefined;
  if (values && !values.some((e) => JSON.stringify(e) === JSON.stringify(v))) return undefined;
  return copy(v);
}

function argItems(schema: Json, depth = 0): ArgItems {
  const out: ArgItems = {};
  const type = argType(schema);
  if (type) out.type = type;
  const desc = str(schema.description);
  if (desc) out.description = bound(desc, MAX_ARG_DESCRIPTION);
  const values = type ? enumFor(schema, type) : undefined;
  if (values) out.enum = values;
  if (type === 'object' && isObject(schema.properties)) {
    out.properties = copy(schema.properties);
    if (Array.isArray(schema.required) && schema.required.length > 0) out.required = schema.required.map(String);
  }
  if (type === 'array' && isObject(schema.items) && depth < MAX_SCHEMA_DEPTH) {
    const items = argItems(schema.items, depth + 1);
    if (Object.keys(items).length > 0) out.items = items;
  }
  return out;
}

/** Whether args lose something that matters for calling: nested object shapes, unions. */
function needsFullSchema(schema: Json, type: ArgType | undefined): boolean {
  if (schema.oneOf !== undefined || schema.anyOf !== undefined || schema.allOf !== undefined) return true;
  if (type === 'object') {
    return (isObject(schema.properties) && Object.keys(schema.properties).length > 0) || isObject(schema.additionalProperties);
  }
  if (type === 'array' && isObject(schema.items)) {
    const items = schema.items;
    return items.oneOf !== undefined || items.anyOf !== undefined || items.allOf !== undefined || isObject(items.additionalProperties) || (argType(items) === 'array' && needsFullSchema(items, 'array'));
  }
  return false;
}

function isBinary(schema: Json): boolean {
  return schema.format === 'binary' || schema.format === 'byte' || schema.contentMediaType !== undefined;
}

function stripBinary(schema: Json): Json {
  if (schema.format !== 'binary') return schema;
  const { format: _, ...rest } = schema;
  return rest;
}


// ---------------------------------------------------------------------------------------------------
// Small helpers

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  return t === '' ? undefined : t;
}

/** A literal (enum value, default) worth copying: shallow and short. Others are dropped, not truncated. */
function smallValue(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'string' || value.length <= MAX_VALUE_CHARS;
  if (depth >= MAX_VALUE_DEPTH) return false;
  const items = Array.isArray(value) ? value : Object.values(value);
  if (items.length > MAX_VALUE_ITEMS) return false;
  return items.every((v) => smallValue(v, depth + 1));
}

function copy<T>(value: T): T {
  return structuredClone(value);
}

/** `text` cut to `max` characters at a word boundary where one is near, with an ellipsis. */
function bound(text: string | undefined, max: number): string | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.8 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** Summary and description joined (the description alone when it repeats the summary), bounded. */
function joinText(first: string | undefined, second: string | undefined, max: number): string | undefined {
  if (first && second && !second.startsWith(first)) return bound(`${first}\n\n${second}`, max);
  return bound(second ?? first, max);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function mediaTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** A valid template identifier: other characters become "_", a leading digit gets one. */
function identifier(text: string, fallback: string): string {
  let id = text.replace(/[^A-Za-z0-9_]+/g, '_');
  if (/^_+$/.test(id)) id = '';
  if (id === '') id = fallback;
  if (/^[0-9]/.test(id)) id = `_${id}`;
  return IDENTIFIER.test(id) ? id : fallback;
}

/** A tool name of `[A-Za-z0-9_-]`, at most MAX_TOOL_NAME long; "" when nothing is left. */
function toolName(text: string): string {
  return text
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, MAX_TOOL_NAME)
    .replace(/[_-]+$/, '');
}

/** `petStore-v2` → `PET_STORE_V2`. */
function upperSnake(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** An absolute http(s) URL without credentials, or an ImportError naming `what`. */
function httpUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ImportError(`${what}: ${JSON.stringify(text)} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ImportError(`${what}: ${JSON.stringify(text)} is not an http or https URL`);
  if (url.username || url.password) throw new ImportError(`${what}: credentials in the URL are not allowed (use a security scheme)`);
  if (url.search || url.hash) throw new ImportError(`${what}: ${JSON.stringify(text)} must not have a query or fragment`);
  return url;
}
