/**
 * Cross-reference validation of a whole revision: what the schema cannot say. Names match the file
 * path, references resolve, prefixes are well-formed and unique across all documents, argument
 * defaults fit their types, upstreams have what their transport needs, and every template compiles,
 * with each issue placed at the spot in the YAML source that has to change.
 *
 * Everything is reported at once: a reload is all or nothing (Envoy's NACK), so an operator should
 * be able to fix a revision in one pass.
 */
import { isIP } from 'node:net';
import { compile, type Template, TemplateError } from '../template/index.ts';
import { type ConfigIssue, compareIssues, didYouMean, formatPath, type PathSegment } from './issues.ts';
import { kindOf, type LoadedConfig, type LoadOptions, type LoadResult, loadConfigDir, show, sourceOf, type YamlSource } from './load.ts';
import { type Arg, type ArgItems, HTTP_METHODS, type McpConfig, type RouterAuth } from './schema.ts';

// Consumers of the validator (the config repo's own test, the CLI) format issues with it.
export { formatIssue } from './issues.ts';

/** A loaded config with what validation learned about it. */
export interface ValidatedConfig extends LoadedConfig {
  /** Names passed to the template `env` function as literals, sorted; the gateway warns about names outside its allowlist. */
  envNames: string[];
}

/** `loadConfigDir` + `validateConfigs`: every issue of the revision, sorted by file, line, column. */
export interface ValidatedLoadResult extends LoadResult {
  configs: ValidatedConfig[];
}

/** The outcome of `checkConfigs`. */
export interface CheckResult {
  issues: ConfigIssue[];
  /** Literal `env "NAME"` references, by config file. */
  envNames: Map<string, string[]>;
}

/** Root fields of template data (Go-cased, as in the seed system). */
const TEMPLATE_ROOTS = ['Args', 'Config', 'Request', 'Response'] as const;
type TemplateRoot = (typeof TEMPLATE_ROOTS)[number];

/** Which roots each kind of template sees, and how the kind is named in messages. */
interface TemplateContext {
  name: string;
  roots: readonly TemplateRoot[];
}
const TOOL_REQUEST: TemplateContext = { name: 'request templates', roots: ['Args', 'Config', 'Request'] };
const TOOL_RESPONSE: TemplateContext = { name: 'responseBody', roots: ['Args', 'Config', 'Request', 'Response'] };
// Server config values are rendered per call before .Config exists, so they cannot refer to it.
const SERVER_CONFIG: TemplateContext = { name: 'server config values', roots: ['Args', 'Request'] };
const UPSTREAM_ENV: TemplateContext = { name: 'mcpServers env values', roots: ['Args', 'Request'] };
// An upstream URL is rendered when connecting, outside any call: only functions such as env apply.
const UPSTREAM_URL: TemplateContext = { name: 'mcpServers url', roots: [] };

const RESERVED_ENDPOINTS = ['mcp', 'sse', 'message'];
const PREFIX_SEGMENT = /^[A-Za-z0-9._~-]+$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Matches `(tenant, name)` in a file path: `configs/<tenant>/<name>.yaml`. */
const FILE_IDENTITY = /(?:^|\/)([^/]+)\/([^/]+)\.ya?ml$/;

/**
 * Validates a set of loaded documents together (prefixes are unique across all of them). Returns
 * every issue, sorted by file, line and column.
 */
export function validateConfigs(configs: readonly LoadedConfig[]): ConfigIssue[] {
  return checkConfigs(configs).issues;
}

/** `validateConfigs`, also returning the `env` names each document references. */
export function checkConfigs(configs: readonly LoadedConfig[]): CheckResult {
  const envNames = new Map<string, string[]>();
  const templates = new TemplateCache();
  const sorted = [...configs].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const checkers = sorted.map((config) => new DocumentChecker(config, templates));
  for (const checker of checkers) {
    checker.checkOnce();
    envNames.set(checker.config.file, [...checker.envNames].sort());
  }
  checkIdentities(checkers);
  checkPrefixes(checkers);
  return { issues: checkers.flatMap((c) => c.issues).sort(compareIssues), envNames };
}

/**
 * Loads `root/configs/**` and validates the revision. Documents that failed to parse are not in
 * `configs`; their issues are.
 */
export async function loadAndValidate(root: string, options: LoadOptions = {}): Promise<ValidatedLoadResult> {
  const loaded = await loadConfigDir(root, options);
  const checked = checkConfigs(loaded.configs);
  return {
    files: loaded.files,
    // The YAML trees were only needed for positions; a running gateway keeps configs, not trees.
    configs: loaded.configs.map((c) => ({ file: c.file, doc: c.doc, text: c.text, envNames: checked.envNames.get(c.file) ?? [] })),
    issues: [...loaded.issues, ...checked.issues].sort(compareIssues),
  };
}

// ---------------------------------------------------------------------------------------------------

/** Compiles each distinct template source once per validation run (headers repeat across tools). */
class TemplateCache {
  private readonly cache = new Map<string, Template | TemplateError>();
  private readonly env = new Map<string, string[]>();
  get(source: string): Template | TemplateError {
    let entry = this.cache.get(source);
    if (entry === undefined) {
      try {
        entry = compile(source);
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        entry = e;
      }
      this.cache.set(source, entry);
    }
    return entry;
  }

  /** `envReferences(source)`, once per distinct source. */
  envNames(source: string): readonly string[] {
    let names = this.env.get(source);
    if (names === undefined) {
      names = envReferences(source);
      this.env.set(source, names);
    }
    return names;
  }
}

/** What the checks of one document found, kept for the next run on the same document. */
interface DocumentCheck {
  readonly file: string;
  readonly text: string;
  readonly issues: readonly ConfigIssue[];
  readonly envNames: readonly string[];
  readonly prefixes: readonly { prefix: string; index: number }[];
}

/**
 * Per-document results by document object. The loader hands out the same deep-frozen object for a
 * file whose text did not change, so an unchanged document is not checked again (nor its templates
 * compiled); the checks across documents always run, over all of them. Only frozen documents are
 * remembered, as nothing can change them behind the cache's back; entries go with their documents.
 * Checks that look at more than one document must not go into `DocumentChecker.check()`.
 */
const documentChecks = new WeakMap<McpConfig, DocumentCheck>();

/** Checks one document. */
class DocumentChecker {
  readonly envNames = new Set<string>();
  readonly doc: McpConfig;
  /** Normalized prefix and router index, for the cross-document check. */
  readonly prefixes: { prefix: string; index: number }[] = [];
  /** What this document's checks and the cross-document checks found in it. */
  readonly issues: ConfigIssue[] = [];
  private positions: YamlSource | undefined;

  constructor(
    readonly config: LoadedConfig,
    private readonly templates: TemplateCache,
  ) {
    this.doc = config.doc;
  }

  /** Positions in the file, parsed on first use: a document with nothing to report never needs them. */
  get source(): YamlSource {
    this.positions ??= sourceOf(this.config);
    return this.positions;
  }

  /** `check()`, or the results of an earlier run on the same (frozen) document and text. */
  checkOnce(): void {
    const frozen = Object.isFrozen(this.doc);
    const known = frozen ? documentChecks.get(this.doc) : undefined;
    if (known && known.file === this.config.file && known.text === this.config.text) {
      this.issues.push(...known.issues);
      for (const name of known.envNames) this.envNames.add(name);
      this.prefixes.push(...known.prefixes);
      return;
    }
    this.check();
    if (!frozen) return;
    documentChecks.set(this.doc, {
      file: this.config.file,
      text: this.config.text,
      issues: this.issues.map((i) => Object.freeze({ ...i })),
      envNames: [...this.envNames],
      prefixes: [...this.prefixes],
    });
  }

  /** Records an issue at the value (or key) at `path`. */
  report(path: PathSegment[], message: string, severity: ConfigIssue['severity'] = 'error', target: 'key' | 'value' = 'value'): void {
    const p = this.source.locate(path, target);
    this.issues.push({ file: this.config.file, line: p.line, col: p.col, path: formatPath(path), message, severity });
  }

  line(path: PathSegment[]): number {
    return this.source.locate(path).line;
  }

  check(): void {
    this.checkIdentity();
    this.checkNames();
    this.checkRouters();
    this.checkServers();
    this.doc.tools?.forEach((tool, i) => this.checkTool(i));
    this.checkPrompts();
    this.checkUpstreams();
  }

  private checkIdentity(): void {
    const m = FILE_IDENTITY.exec(this.config.file);
    if (!m) return;
    const [, tenant, name] = m;
    if (this.doc.tenant !== tenant) this.report(['tenant'], `must equal the directory name ${JSON.stringify(tenant)} (got ${show(this.doc.tenant)})`);
    if (this.doc.name !== name) this.report(['name'], `must equal the file name ${JSON.stringify(name)} (got ${show(this.doc.name)})`);
  }

  /** Names unique per list; servers and upstreams share one namespace because routers name either. */
  private checkNames(): void {
    const unique = (list: string, what: string, names: (string | undefined)[]) => {
      const first = new Map<string, number>();
      names.forEach((name, i) => {
        if (name === undefined) return;
        const prev = first.get(name);
        if (prev === undefined) first.set(name, i);
        else this.report([list, i, 'name'], `duplicate ${what} name ${JSON.stringify(name)} (first defined at line ${this.line([list, prev, 'name'])})`);
      });
      return first;
    };
    const servers = unique('servers', 'server', this.doc.servers?.map((s) => s.name) ?? []);
    const upstreams = unique('mcpServers', 'mcpServer', this.doc.mcpServers?.map((s) => s.name) ?? []);
    unique('tools', 'tool', this.doc.tools?.map((t) => t.name) ?? []);
    unique('prompts', 'prompt', this.doc.prompts?.map((p) => p.name) ?? []);
    for (const [name, i] of upstreams) {
      const s = servers.get(name);
      if (s !== undefined) {
        this.report(
          ['mcpServers', i, 'name'],
          `${JSON.stringify(name)} is also the name of servers[${s}] (line ${this.line(['servers', s, 'name'])}); routers could not tell them apart`,
        );
      }
    }
  }

  private checkRouters(): void {
    const targets = [...(this.doc.servers ?? []).map((s) => s.name), ...(this.doc.mcpServers ?? []).map((s) => s.name)];
    this.doc.routers?.forEach((router, i) => {
      if (router.server !== undefined && router.servers !== undefined) {
        this.report(['routers', i, 'servers'], 'set either server or servers, not both');
      } else if (router.server === undefined && router.servers === undefined) {
        this.report(['routers', i], 'missing required key "server" (or "servers" to aggregate several)');
      }
      if (router.server !== undefined && !targets.includes(router.server)) {
        this.report(['routers', i, 'server'], `no server or mcpServer named ${JSON.stringify(router.server)}${didYouMean(router.server, targets)}`);
      }
      const seen = new Set<string>();
      router.servers?.forEach((name, j) => {
        if (!targets.includes(name)) {
          this.report(['routers', i, 'servers', j], `no server or mcpServer named ${JSON.stringify(name)}${didYouMean(name, targets)}`);
        } else if (seen.has(name)) {
          this.report(['routers', i, 'servers', j], `${JSON.stringify(name)} is listed twice`);
        }
        seen.add(name);
      });
      if (router.servers === undefined && (router.prefixMode !== undefined || router.failureMode !== undefined)) {
        this.report(['routers', i, router.prefixMode !== undefined ? 'prefixMode' : 'failureMode'], 'only applies to routers that aggregate several servers', 'warning');
      }
      const problem = prefixProblem(router.prefix);
      if (problem) this.report(['routers', i, 'prefix'], problem);
      else this.prefixes.push({ prefix: normalizePrefix(router.prefix), index: i });
      if (router.ssePrefix !== undefined && router.ssePrefix !== '' && !router.ssePrefix.startsWith('/')) {
        this.report(['routers', i, 'ssePrefix'], `must start with "/" (got ${show(router.ssePrefix)})`);
      }
      if (router.auth !== undefined) this.checkAuth(i, router.auth);
      const cors = router.cors;
      if (cors?.allowCredentials === true && cors.allowOrigins?.includes('*')) {
        this.report(
          ['routers', i, 'cors', 'allowCredentials'],
          'allowCredentials with allowOrigins "*" lets any web site make credentialed calls; list the allowed origins instead',
          'warning',
        );
      }
    });
  }

  /** An oauth2 router is served only with an issuer, and then its tokens' audience must be known. */
  private checkAuth(i: number, auth: RouterAuth): void {
    const path: PathSegment[] = ['routers', i, 'auth'];
    if (auth.issuer === undefined) {
      this.report(path, 'without issuer the router is not served (the gateway has no authorization server of its own)', 'warning');
      return;
    }
    for (const key of ['issuer', 'jwksUri'] as const) {
      const value = auth[key];
      if (value === undefined) continue;
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        this.report([...path, key], `not a URL: ${show(value)}`);
        continue;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') this.report([...path, key], `must be an https URL (got ${show(value)})`);
      else if (url.protocol === 'http:') this.report([...path, key], 'plain http: keys and metadata can be tampered with in transit; use https', 'warning');
      if (url.search !== '' || url.hash !== '') this.report([...path, key], 'must not have a query or fragment');
    }
    if (auth.audience === undefined) {
      this.report([...path, 'audience'], 'required with issuer: the expected aud claim, usually the router\'s public URL (https://host<prefix>/mcp)');
    }
  }

  private checkServers(): void {
    const tools = (this.doc.tools ?? []).map((t) => t.name);
    this.doc.servers?.forEach((server, i) => {
      server.allowedTools?.forEach((name, j) => {
        if (!tools.includes(name)) this.report(['servers', i, 'allowedTools', j], `unknown tool ${JSON.stringify(name)}${didYouMean(name, tools)}`);
      });
      for (const [key, value] of Object.entries(server.config ?? {})) {
        this.template(['servers', i, 'config', key], value, SERVER_CONFIG);
      }
      this.checkConfigKeys(i);
    });
  }

  /** `.Config.<key>` in a tool listed by a server, where that server's config lacks the key: a likely typo. */
  private checkConfigKeys(serverIndex: number): void {
    const server = this.doc.servers?.[serverIndex];
    if (!server?.allowedTools) return;
    const keys = Object.keys(server.config ?? {});
    this.doc.tools?.forEach((tool, t) => {
      if (!server.allowedTools?.includes(tool.name)) return;
      const fields: [PathSegment[], string | undefined][] = [
        [['tools', t, 'endpoint'], tool.endpoint],
        [['tools', t, 'requestBody'], tool.requestBody],
        [['tools', t, 'responseBody'], tool.responseBody],
        ...Object.entries(tool.headers ?? {}).map(([k, v]): [PathSegment[], string] => [['tools', t, 'headers', k], v]),
      ];
      for (const [path, text] of fields) {
        if (text === undefined) continue;
        for (const m of text.matchAll(/\.Config\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
          const key = m[1] ?? '';
          if (keys.includes(key)) continue;
          const at = this.source.mapInString(path, ...lineCol(text, m.index ?? 0));
          this.issues.push({
            file: this.config.file,
            ...at,
            path: formatPath(path),
            message: `.Config.${key} is not set by server ${JSON.stringify(server.name)}${didYouMean(key, keys)}`,
            severity: 'warning',
          });
        }
      }
    });
  }

  private checkTool(i: number): void {
    const tool = this.doc.tools![i]!;
    const base: PathSegment[] = ['tools', i];
    if (!(HTTP_METHODS as readonly string[]).includes(tool.method.toUpperCase())) {
      this.report([...base, 'method'], `must be one of ${HTTP_METHODS.join(', ')} (got ${show(tool.method)})`);
    }
    this.template([...base, 'endpoint'], tool.endpoint, TOOL_REQUEST);
    for (const [name, value] of Object.entries(tool.headers ?? {})) {
      if (!HEADER_NAME.test(name)) this.report([...base, 'headers', name], `${JSON.stringify(name)} is not a valid HTTP header name`, 'error', 'key');
      this.template([...base, 'headers', name], value, TOOL_REQUEST);
    }
    if (tool.requestBody !== undefined) this.template([...base, 'requestBody'], tool.requestBody, TOOL_REQUEST);
    if (tool.responseBody !== undefined) this.template([...base, 'responseBody'], tool.responseBody, TOOL_RESPONSE);
    if (tool.proxy?.type === 'socks5') {
      // A warning, so configs written for the seed system still load; the tool's calls fail instead.
      this.report([...base, 'proxy', 'type'], 'socks5 proxies are not supported: calls to this tool fail without sending the request', 'warning');
    } else if (tool.proxy !== undefined && !isProxyHost(tool.proxy.host)) {
      this.report([...base, 'proxy', 'host'], `must be a host name or an IP address, without scheme or port (got ${show(tool.proxy.host)})`);
    }

    const seen = new Map<string, number>();
    tool.args?.forEach((arg, j) => {
      const at: PathSegment[] = [...base, 'args', j];
      const prev = seen.get(arg.name);
      if (prev !== undefined) {
        this.report([...at, 'name'], `duplicate argument name ${JSON.stringify(arg.name)} (first defined at line ${this.line([...base, 'args', prev, 'name'])})`);
      } else seen.set(arg.name, j);
      this.checkArg(at, arg, tool.endpoint, tool.requestBody);
    });
  }

  private checkArg(at: PathSegment[], arg: Arg, endpoint: string, requestBody: string | undefined): void {
    const type = arg.type ?? 'string';
    if (arg.position === 'path' && !referencesArg(endpoint, arg.name)) {
      this.report([...at, 'name'], `path argument ${JSON.stringify(arg.name)} is not used in the endpoint`, 'warning');
    }
    if (arg.position === 'body' && requestBody === undefined) {
      this.report([...at, 'position'], `body argument ${JSON.stringify(arg.name)} is not sent: the tool has no requestBody`, 'warning');
    }
    if (arg.items !== undefined && type !== 'array') {
      this.report([...at, 'items'], `only allowed when type is "array" (type is ${JSON.stringify(type)})`);
    } else if (arg.items !== undefined) {
      this.checkItems([...at, 'items'], arg.items);
    }
    arg.enum?.forEach((v, k) => {
      if (!fitsType(v, type)) this.report([...at, 'enum', k], `must be ${typeWords(type)} to match type ${JSON.stringify(type)} (got ${show(v)})`);
    });
    if (arg.default !== undefined && arg.default !== null) {
      const parsed = parseDefault(arg.default, type);
      if (!parsed.ok) {
        this.report([...at, 'default'], `${show(arg.default)} is not ${typeWords(type)} (type is ${JSON.stringify(type)})`);
      } else if (arg.enum && arg.enum.length > 0 && !arg.enum.some((v) => sameValue(v, parsed.value))) {
        this.report([...at, 'default'], `${show(arg.default)} is not one of the enum values`);
      }
    }
  }

  private checkItems(at: PathSegment[], items: ArgItems): void {
    const type = items.type;
    items.enum?.forEach((v, k) => {
      if (type !== undefined && !fitsType(v, type)) this.report([...at, 'enum', k], `must be ${typeWords(type)} to match type ${JSON.stringify(type)} (got ${show(v)})`);
    });
    if (items.items !== undefined) {
      if (type !== undefined && type !== 'array') this.report([...at, 'items'], `only allowed when type is "array" (type is ${JSON.stringify(type)})`);
      else this.checkItems([...at, 'items'], items.items);
    }
  }

  private checkPrompts(): void {
    this.doc.prompts?.forEach((prompt, i) => {
      const seen = new Map<string, number>();
      prompt.arguments?.forEach((arg, j) => {
        const prev = seen.get(arg.name);
        if (prev === undefined) seen.set(arg.name, j);
        else this.report(['prompts', i, 'arguments', j, 'name'], `duplicate argument name ${JSON.stringify(arg.name)} (first defined at line ${this.line(['prompts', i, 'arguments', prev, 'name'])})`);
      });
    });
  }

  private checkUpstreams(): void {
    this.doc.mcpServers?.forEach((up, i) => {
      const at: PathSegment[] = ['mcpServers', i];
      if (up.type === 'stdio') {
        if (up.command === undefined || up.command.trim() === '') {
          this.report(up.command === undefined ? at : [...at, 'command'], up.command === undefined ? 'missing required key "command" (stdio upstreams run a command)' : 'must not be empty');
        }
        if (up.url !== undefined) this.report([...at, 'url'], 'only sse and streamable-http upstreams connect to a url (type is "stdio")', 'error', 'key');
      } else {
        if (up.url === undefined) this.report(at, `missing required key "url" (${up.type} upstreams connect to a URL)`);
        else this.checkUrl([...at, 'url'], up.url);
        if (up.command !== undefined) this.report([...at, 'command'], `only stdio upstreams run a command (type is ${JSON.stringify(up.type)})`, 'error', 'key');
        if (up.args !== undefined) this.report([...at, 'args'], 'ignored: only stdio upstreams take args', 'warning', 'key');
        if (up.env !== undefined) this.report([...at, 'env'], 'ignored: only stdio upstreams take env', 'warning', 'key');
      }
      for (const [name, value] of Object.entries(up.env ?? {})) this.template([...at, 'env', name], value, UPSTREAM_ENV);
    });
  }

  private checkUrl(path: PathSegment[], url: string): void {
    const t = this.template(path, url, UPSTREAM_URL);
    if (!t || !t.isStatic) return;
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      this.report(path, `must be an http or https URL (got ${show(url)})`);
    }
  }

  /** Compiles a template value; reports syntax errors, unknown functions and fields at the failing spot. */
  private template(path: PathSegment[], text: string, context: TemplateContext): Template | undefined {
    const t = this.templates.get(text);
    if (t instanceof TemplateError) {
      const at = this.source.mapInString(path, t.line, t.col);
      this.issues.push({ file: this.config.file, ...at, path: formatPath(path), message: templateMessage(t), severity: 'error' });
      return undefined;
    }
    for (const raw of t.roots) {
      // '*' means the data is used whole (`{{ toJSON . }}`): nothing names a field to check.
      if (raw === '*') continue;
      const root = raw.replace(/^\$?\./, '');
      if ((context.roots as readonly string[]).includes(root)) continue;
      const known = (TEMPLATE_ROOTS as readonly string[]).includes(root);
      const message = !known
        ? `unknown field ".${root}" (templates see ${TEMPLATE_ROOTS.map((r) => `.${r}`).join(', ')})`
        : root === 'Response'
          ? '.Response is only available in responseBody'
          : context.roots.length === 0
            ? `.${root} is not available in ${context.name} (they see no fields; use functions such as env)`
            : `.${root} is not available in ${context.name} (they see ${context.roots.map((r) => `.${r}`).join(', ')})`;
      const index = findField(text, root);
      const at = index < 0 ? this.source.locate(path) : this.source.mapInString(path, ...lineCol(text, index));
      this.issues.push({ file: this.config.file, ...at, path: formatPath(path), message, severity: 'error' });
    }
    for (const name of this.templates.envNames(text)) this.envNames.add(name);
    return t;
  }
}

// ---------------------------------------------------------------------------------------------------
// Cross-document checks

function checkIdentities(checkers: DocumentChecker[]): void {
  const seen = new Map<string, DocumentChecker>();
  for (const c of checkers) {
    const key = `${c.doc.tenant}/${c.doc.name}`;
    const prev = seen.get(key);
    if (!prev) {
      seen.set(key, c);
      continue;
    }
    c.report(['name'], `config ${JSON.stringify(key)} is already defined by ${prev.config.file}:${prev.line(['name'])}`);
  }
}

/** Prefixes are global: the later use names the earlier one and the earlier one names the later. */
function checkPrefixes(checkers: DocumentChecker[]): void {
  const owners = new Map<string, { checker: DocumentChecker; index: number }>();
  for (const c of checkers) {
    for (const { prefix, index } of c.prefixes) {
      const owner = owners.get(prefix);
      const path: PathSegment[] = ['routers', index, 'prefix'];
      if (!owner) {
        owners.set(prefix, { checker: c, index });
        continue;
      }
      const ownerPath: PathSegment[] = ['routers', owner.index, 'prefix'];
      c.report(path, `prefix ${JSON.stringify(prefix)} is already used by ${owner.checker.config.file}:${owner.checker.line(ownerPath)}`);
      owner.checker.report(ownerPath, `prefix ${JSON.stringify(prefix)} is also used by ${c.config.file}:${c.line(path)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Helpers

const HOST_NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i;

/** Whether `tools[].proxy.host` is a bare host name or IP address (not `http://proxy` nor `proxy:3128`). */
export function isProxyHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) !== 0 || HOST_NAME.test(bare);
}

/** Drops a trailing slash: `/acme/tickets/` and `/acme/tickets` are the same prefix. */
export function normalizePrefix(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/** Why a router prefix is unusable, or undefined when it is fine. */
export function prefixProblem(prefix: string): string | undefined {
  if (!prefix.startsWith('/')) return `must start with "/" (got ${show(prefix)})`;
  const normalized = normalizePrefix(prefix);
  const segments = normalized.split('/').slice(1);
  if (segments.some((s) => s === '')) return `must not contain an empty segment (got ${show(prefix)})`;
  for (const s of segments) {
    if (s === '.' || s === '..') return `must not contain "." or ".." segments (got ${show(prefix)})`;
    if (!PREFIX_SEGMENT.test(s)) return `segment ${JSON.stringify(s)} may only contain letters, digits, ".", "_", "~" or "-"`;
  }
  const last = segments.at(-1) ?? '';
  if (RESERVED_ENDPOINTS.includes(last)) {
    const parent = normalized.slice(0, -last.length - 1) || '/';
    return `must not end in "/${last}" (an endpoint name): "${normalized}" would also be the ${last} endpoint of prefix "${parent}"`;
  }
  return undefined;
}

/** Message of a template compile error, without any position (the issue carries it). */
function templateMessage(e: TemplateError): string {
  if (e.code === 'template_unknown_function') {
    const name = /"([^"]+)"/.exec(e.message)?.[1];
    if (name !== undefined) return `unknown function ${JSON.stringify(name)}`;
  }
  const reason = (e as { reason?: unknown }).reason;
  if (typeof reason === 'string') return reason;
  return e.message.replace(/^template:\s*/, '').replace(/^(?:[^:\s]*:)?\d+:\d+:\s*/, '');
}

/** 1-based line and column of `index` in `text`. */
function lineCol(text: string, index: number): [number, number] {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return [line, index - lineStart + 1];
}

/** Index of `.Root` used as a field in a template (not as part of a longer name), or -1. */
function findField(text: string, root: string): number {
  const re = new RegExp(`\\.${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`, 'g');
  for (const m of text.matchAll(re)) {
    const before = text[(m.index ?? 0) - 1] ?? ' ';
    if (!/[A-Za-z0-9_]/.test(before)) return m.index ?? -1;
  }
  return -1;
}

/** Names passed to `env` as string literals: `env "NAME"`, `env \`NAME\``, `"NAME" | env`. */
export function envReferences(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/\benv\s+(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`)/g)) names.push(m[1] ?? m[2] ?? '');
  for (const m of text.matchAll(/(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`)\s*\|\s*env\b/g)) names.push(m[1] ?? m[2] ?? '');
  return names.filter((n) => n !== '');
}

/** Whether a template reads `.Args.<name>` (or `index .Args "<name>"`). */
function referencesArg(template: string, name: string): boolean {
  if (IDENTIFIER.test(name) && findField(template, `Args.${name}`) >= 0) return true;
  return template.includes(`"${name}"`) && /index\s+\.Args\b/.test(template);
}

type ArgType = NonNullable<Arg['type']>;

function typeWords(type: ArgType): string {
  switch (type) {
    case 'integer':
      return 'an integer';
    case 'array':
      return 'a list';
    case 'object':
      return 'a map';
    default:
      return `a ${type}`;
  }
}

/** Whether a native YAML value has the JSON type `type`. */
export function fitsType(value: unknown, type: ArgType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return kindOf(value) === 'map';
  }
}

/**
 * A default as the gateway will use it. The seed system keeps defaults as strings ("20", "[]"), so a
 * string is parsed as the argument type; a native YAML value must already have the type.
 */
function parseDefault(value: unknown, type: ArgType): { ok: true; value: unknown } | { ok: false } {
  if (type === 'string') {
    // Scalars are sent as their text; a list or map cannot be.
    return typeof value === 'object' ? { ok: false } : { ok: true, value: String(value) };
  }
  if (fitsType(value, type)) return { ok: true, value };
  if (typeof value !== 'string') return { ok: false };
  const text = value.trim();
  switch (type) {
    case 'integer':
      return /^-?\d+$/.test(text) ? { ok: true, value: Number(text) } : { ok: false };
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? { ok: true, value: Number(text) } : { ok: false };
    case 'boolean':
      return text === 'true' || text === 'false' ? { ok: true, value: text === 'true' } : { ok: false };
    case 'array':
    case 'object': {
      try {
        const parsed: unknown = JSON.parse(text);
        return fitsType(parsed, type) ? { ok: true, value: parsed } : { ok: false };
      } catch {
        return { ok: false };
      }
    }
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null) return a === b || (typeof b === 'string' && String(a) === b);
  return JSON.stringify(a) === JSON.stringify(b);
}
