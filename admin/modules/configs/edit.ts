/**
 * Form edits of one config document, made through the `yaml` package's Document API: the entry a form
 * edits is changed node by node, and everything else (other entries, keys the form does not show,
 * comments, quoting, flow lists) is printed back as it was written. A field whose value did not change
 * keeps its node untouched. The printer options below reproduce the sample configs byte for byte.
 *
 * Pure functions: text in, text out. Errors name the field (`args[2].default: …`).
 */
import { type Document, isMap, isScalar, isSeq, type Node, parseDocument, Scalar, stringify, type YAMLMap, type YAMLSeq } from 'yaml';
import { ARG_POSITIONS, ARG_TYPES, HTTP_METHODS, UPSTREAM_TYPES } from '../../../gateway/config/schema.ts';
import { AdminError, notFound } from '../../errors.ts';
import type {
  ArgFormValues,
  ConfigDetail,
  RouterFormValues,
  ServerFormValues,
  ToolFormValues,
  UpstreamFormValues,
} from '../../../views/configs/model.ts';

/** Printing that leaves untouched parts as written (checked against every sample config). */
const PRINT = { lineWidth: 0, flowCollectionPadding: false } as const;

const fieldError = (field: string, message: string): AdminError => new AdminError('validation', `${field}: ${message}`, undefined, field);

type Doc = Document.Parsed;
type Plain = Record<string, unknown>;

/** Parses a document for editing; one with YAML errors can be fixed only in the YAML editor. */
export function openDocument(text: string): Doc {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new AdminError('validation', `the document has YAML errors${line ? ` (line ${line})` : ''}; fix it in the YAML editor first`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) throw new AdminError('validation', 'the document is not a map; fix it in the YAML editor first');
  return doc;
}

export function print(doc: Doc): string {
  return doc.toString(PRINT);
}

function plain(node: unknown): unknown {
  return node && typeof node === 'object' && 'toJSON' in node ? (node as { toJSON(): unknown }).toJSON() : node;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The document's list at `key`, created (empty, block style) when `create` and absent. */
function listOf(doc: Doc, key: string, create: true): YAMLSeq;
function listOf(doc: Doc, key: string, create?: false): YAMLSeq | undefined;
function listOf(doc: Doc, key: string, create = false): YAMLSeq | undefined {
  const node = doc.get(key, true);
  if (isSeq(node)) return node;
  if (node !== undefined && node !== null && !(isScalar(node) && node.value === null)) {
    throw new AdminError('validation', `${key} is not a list; fix it in the YAML editor first`);
  }
  if (!create) return undefined;
  const seq = doc.createNode([]) as YAMLSeq;
  seq.flow = false;
  doc.set(key, seq);
  return seq;
}

/** Appends a new entry, separated by a blank line when the list's entries are. */
function appendEntry(doc: Doc, key: string): YAMLMap {
  const seq = listOf(doc, key, true);
  const map = doc.createNode({}) as YAMLMap;
  if (seq.items.slice(1).some((i) => (i as Node).spaceBefore)) map.spaceBefore = true;
  seq.items.push(map);
  return map;
}

/** An entry of a list: its node (edited in place), its plain value and its position. */
interface Entry {
  node: YAMLMap;
  value: Plain;
  index: number;
}

function entries(doc: Doc, key: string): Entry[] {
  const seq = listOf(doc, key);
  if (!seq) return [];
  const out: Entry[] = [];
  seq.items.forEach((item, index) => {
    if (isMap(item)) out.push({ node: item, value: (item.toJSON() ?? {}) as Plain, index });
  });
  return out;
}

function byName(doc: Doc, key: string, name: string): Entry | undefined {
  return entries(doc, key).find((e) => e.value.name === name);
}

/** The lists of named entries the forms edit, and what their entries are called in errors. */
const TOOLS = { key: 'tools', what: 'tool' };
const SERVERS = { key: 'servers', what: 'server' };
const UPSTREAMS = { key: 'mcpServers', what: 'upstream' };
type Named = typeof TOOLS;

/** Entry `name` of a list; "not found" when there is none. */
function named(doc: Doc, list: Named, name: string): Entry {
  const found = byName(doc, list.key, name);
  if (!found) throw notFound(`${list.what} ${JSON.stringify(name)}`);
  return found;
}

/** Router `index` (0-based); "not found" when there is none. */
function routerAt(doc: Doc, index: number): Entry {
  const found = entries(doc, 'routers').find((e) => e.index === index);
  if (!found) throw notFound(`router #${index + 1}`);
  return found;
}

/** Takes `entry` out of the list at `key`. */
function removeEntry(doc: Doc, key: string, entry: Entry): void {
  listOf(doc, key, true).items.splice(entry.index, 1);
}

/** A new node: lists of scalars in flow style (`[a, b]`), the rest in block style. */
function createNode(doc: Doc, value: unknown): Node {
  const node = doc.createNode(value) as Node;
  const style = (n: unknown): void => {
    if (isSeq(n)) {
      n.flow = n.items.length > 0 && n.items.every((i) => isScalar(i));
      for (const i of n.items) style(i);
    } else if (isMap(n)) {
      n.flow = false;
      for (const pair of n.items) style(pair.value);
    } else if (isScalar(n) && typeof n.value === 'string' && n.value.includes('\n')) {
      n.type = Scalar.BLOCK_LITERAL;
    }
  };
  style(node);
  return node;
}

/**
 * Sets `key` of `map` to `value`, or deletes it when `value` is undefined. An unchanged value keeps its
 * node (and its comments and quoting); a changed scalar keeps its node and takes the new value.
 */
function setField(doc: Doc, map: YAMLMap, key: string, value: unknown): void {
  if (value === undefined) {
    if (map.has(key)) map.delete(key);
    return;
  }
  const current = map.get(key, true);
  if (current !== undefined && sameValue(plain(current), value)) return;
  if (isScalar(current) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) {
    current.value = value;
    if (typeof value === 'string' && value.includes('\n')) current.type = Scalar.BLOCK_LITERAL;
    else if (current.type === Scalar.BLOCK_LITERAL || current.type === Scalar.BLOCK_FOLDED || typeof value !== 'string') current.type = undefined;
    return;
  }
  map.set(key, createNode(doc, value));
}

/** Replaces a string map (headers, config, env) entry by entry, so untouched entries keep their comments. */
function setStringMap(doc: Doc, map: YAMLMap, key: string, pairs: [string, string][]): void {
  if (pairs.length === 0) {
    if (map.has(key)) map.delete(key);
    return;
  }
  const current = map.get(key, true);
  if (!isMap(current)) {
    map.set(key, createNode(doc, Object.fromEntries(pairs)));
    return;
  }
  const wanted = new Map(pairs);
  for (const pair of [...current.items]) {
    const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (!wanted.has(k)) current.delete(pair.key);
  }
  for (const [k, v] of pairs) setField(doc, current, k, v);
}

const opt = (s: string): string | undefined => (s.trim() === '' ? undefined : s);

/** `Name: value` lines; blank lines skipped. */
export function parsePairs(field: string, text: string): [string, string][] {
  const out: [string, string][] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const at = line.indexOf(':');
    if (at <= 0) throw fieldError(field, `line ${i + 1}: expected "name: value", got ${JSON.stringify(line.trim())}`);
    const k = line.slice(0, at).trim();
    if (seen.has(k)) throw fieldError(field, `line ${i + 1}: ${JSON.stringify(k)} is given twice`);
    seen.add(k);
    out.push([k, line.slice(at + 1).trim()]);
  });
  return out;
}

export function pairsText(map: unknown): string {
  if (!map || typeof map !== 'object') return '';
  return Object.entries(map as Plain)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}

const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

// --- tools -------------------------------------------------------------------------------------------

/** How an argument's default or enum value reads in the form. */
function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function enumText(v: unknown): string {
  if (!Array.isArray(v)) return '';
  return v.every((x) => typeof x === 'string' && !x.includes(',') && x.trim() === x && x !== '') ? v.join(', ') : JSON.stringify(v);
}

export function toolValues(tool: Plain | undefined): ToolFormValues {
  const args = Array.isArray(tool?.args) ? (tool.args as Plain[]) : [];
  return {
    name: str(tool?.name),
    description: str(tool?.description),
    method: str(tool?.method) || 'GET',
    endpoint: str(tool?.endpoint),
    headers: pairsText(tool?.headers),
    requestBody: str(tool?.requestBody),
    responseBody: str(tool?.responseBody),
    args: args.map((a, i) => ({
      orig: String(i),
      name: str(a?.name),
      position: str(a?.position),
      type: str(a?.type),
      required: a?.required === true,
      description: str(a?.description),
      default: a?.default === undefined ? '' : valueText(a.default),
      enum: enumText(a?.enum),
    })),
  };
}

/** A blank argument row. */
export function blankArg(): ArgFormValues {
  return { orig: '', name: '', position: 'query', type: 'string', required: false, description: '', default: '', enum: '' };
}

function parseEnum(field: string, text: string, type: string): unknown[] | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (t.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch {
      throw fieldError(field, 'not a valid JSON list');
    }
    if (!Array.isArray(parsed)) throw fieldError(field, 'expected a list');
    return parsed;
  }
  return list(t).map((s) => {
    if ((type === 'number' || type === 'integer') && s !== '' && Number.isFinite(Number(s))) return Number(s);
    if (type === 'boolean' && (s === 'true' || s === 'false')) return s === 'true';
    return s;
  });
}

/** A default as typed: JSON for non-string types when it parses, else the text (parsed by the gateway). */
function parseDefault(text: string, type: string): unknown {
  if (text === '') return undefined;
  if (type === 'string' || type === '') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function checkArg(i: number, a: ArgFormValues): void {
  const at = `args[${i}]`;
  if (a.name.trim() === '') throw fieldError(`${at}.name`, 'an argument needs a name');
  if (!(ARG_POSITIONS as readonly string[]).includes(a.position)) throw fieldError(`${at}.position`, `must be one of ${ARG_POSITIONS.join(', ')}`);
  if (a.type !== '' && !(ARG_TYPES as readonly string[]).includes(a.type)) throw fieldError(`${at}.type`, `must be one of ${ARG_TYPES.join(', ')}`);
}

function argFields(doc: Doc, map: YAMLMap, a: ArgFormValues, i: number): void {
  const current = (map.toJSON() ?? {}) as Plain;
  setField(doc, map, 'name', a.name.trim());
  setField(doc, map, 'position', a.position);
  setField(doc, map, 'required', a.required ? true : current.required === false ? false : undefined);
  setField(doc, map, 'type', opt(a.type));
  setField(doc, map, 'description', opt(a.description));
  // An unchanged default keeps its written form ("20" stays a string even for an integer argument).
  if (current.default === undefined || valueText(current.default) !== a.default) setField(doc, map, 'default', parseDefault(a.default, a.type));
  const e = parseEnum(`args[${i}].enum`, a.enum, a.type);
  if (current.enum === undefined || enumText(current.enum) !== a.enum.trim()) setField(doc, map, 'enum', e);
}

function newArg(doc: Doc, a: ArgFormValues, i: number): YAMLMap {
  const map = doc.createNode({}) as YAMLMap;
  argFields(doc, map, a, i);
  return map;
}

/**
 * Adds (`original` null) or changes the tool `original`. A new tool is also added to the
 * `allowedTools` list of server `expose`, when that server has one (tools not listed are invisible).
 * A renamed tool is renamed in every `allowedTools` list.
 */
export function applyTool(text: string, original: string | null, v: ToolFormValues, expose: string | null = null): string {
  const doc = openDocument(text);
  const name = v.name.trim();
  if (name === '') throw fieldError('name', 'a tool needs a name');
  const method = v.method.trim().toUpperCase();
  if (!(HTTP_METHODS as readonly string[]).includes(method)) throw fieldError('method', `must be one of ${HTTP_METHODS.join(', ')}`);
  if (v.endpoint.trim() === '') throw fieldError('endpoint', 'a tool needs an endpoint');
  const headers = parsePairs('headers', v.headers);
  v.args.forEach((a, i) => checkArg(i, a));
  const argNames = new Set<string>();
  v.args.forEach((a, i) => {
    if (argNames.has(a.name.trim())) throw fieldError(`args[${i}].name`, `argument ${JSON.stringify(a.name.trim())} is given twice`);
    argNames.add(a.name.trim());
  });

  const existing = original === null ? undefined : named(doc, TOOLS, original);
  if (name !== original && byName(doc, 'tools', name)) throw fieldError('name', `a tool named ${JSON.stringify(name)} already exists in this config`);

  const map = existing?.node ?? appendEntry(doc, 'tools');
  setField(doc, map, 'name', name);
  setField(doc, map, 'description', opt(v.description));
  setField(doc, map, 'method', method);
  setField(doc, map, 'endpoint', v.endpoint.trim());
  setStringMap(doc, map, 'headers', headers);

  // Rows rendered from an argument keep that argument's node (its comments, its items schema).
  const current = map.get('args', true);
  const old = isSeq(current) ? current.items : [];
  const items = v.args.map((a, i) => {
    const idx = a.orig === '' ? -1 : Number(a.orig);
    const reuse = Number.isInteger(idx) && idx >= 0 ? old[idx] : undefined;
    if (isMap(reuse)) {
      argFields(doc, reuse, a, i);
      return reuse;
    }
    return newArg(doc, a, i);
  });
  if (items.length === 0) {
    if (isSeq(current) && current.items.length > 0) map.delete('args');
  } else if (isSeq(current)) {
    if (items.length !== old.length || items.some((n, i) => n !== old[i])) current.items = items;
    current.flow = false;
  } else {
    const seq = doc.createNode([]) as YAMLSeq;
    seq.flow = false;
    seq.items = items;
    map.set('args', seq);
  }
  setField(doc, map, 'requestBody', opt(v.requestBody));
  setField(doc, map, 'responseBody', opt(v.responseBody));

  if (original !== null && name !== original) renameInAllowedTools(doc, original, name);
  if (original === null && expose) {
    const server = byName(doc, 'servers', expose);
    if (!server) throw fieldError('expose', `no server named ${JSON.stringify(expose)}`);
    const allowed = server.node.get('allowedTools', true);
    if (isSeq(allowed) && !allowed.items.some((i) => isScalar(i) && i.value === name)) allowed.add(doc.createNode(name));
  }
  return print(doc);
}

function renameInAllowedTools(doc: Doc, from: string, to: string | null): void {
  for (const server of entries(doc, 'servers')) {
    const allowed = server.node.get('allowedTools', true);
    if (!isSeq(allowed)) continue;
    if (to === null) allowed.items = allowed.items.filter((i) => !(isScalar(i) && i.value === from));
    else for (const i of allowed.items) if (isScalar(i) && i.value === from) i.value = to;
  }
}

/** Removes a tool, and its name from every `allowedTools` list. */
export function removeTool(text: string, name: string): string {
  const doc = openDocument(text);
  removeEntry(doc, 'tools', named(doc, TOOLS, name));
  renameInAllowedTools(doc, name, null);
  return print(doc);
}

/** Servers with an `allowedTools` list: where a new tool must be listed to be visible. */
export function serversWithAllowList(text: string): string[] {
  const doc = openDocument(text);
  return entries(doc, 'servers')
    .filter((s) => Array.isArray(s.value.allowedTools))
    .map((s) => str(s.value.name));
}

export function findTool(text: string, name: string): Plain {
  return named(openDocument(text), TOOLS, name).value;
}

// --- routers -----------------------------------------------------------------------------------------

export function routerValues(r: Plain | undefined): RouterFormValues {
  const cors = (r?.cors ?? {}) as Plain;
  return {
    prefix: str(r?.prefix),
    server: typeof r?.server === 'string' ? r.server : Array.isArray(r?.servers) ? (r.servers as unknown[]).map(str).join(', ') : '',
    ssePrefix: str(r?.ssePrefix),
    allowOrigins: Array.isArray(cors.allowOrigins) ? (cors.allowOrigins as unknown[]).map(str).join(', ') : '',
    ...authValues(r?.auth),
  };
}

type AuthFormValues = Pick<RouterFormValues, 'authMode' | 'authIssuer' | 'authAudience' | 'authJwksUri' | 'authScopes'>;

/** A router's `auth` block as the form shows it; no block is mode '' (none). */
function authValues(auth: unknown): AuthFormValues {
  if (auth === undefined || auth === null) return { authMode: '', authIssuer: '', authAudience: '', authJwksUri: '', authScopes: '' };
  const a = (typeof auth === 'object' ? auth : {}) as Plain;
  return {
    authMode: str(a.mode) || 'oauth2',
    authIssuer: str(a.issuer),
    authAudience: str(a.audience),
    authJwksUri: str(a.jwksUri),
    authScopes: Array.isArray(a.requiredScopes) ? (a.requiredScopes as unknown[]).map(str).join(' ') : '',
  };
}

/** Scopes as typed: separated by commas and/or whitespace. */
const scopeList = (text: string): string[] => text.split(/[\s,]+/).filter((s) => s !== '');

/**
 * Writes the router's `auth` block from the form, or removes it (mode none). An existing block is edited
 * key by key, so unchanged keys keep their nodes and comments; the gateway validator judges the values
 * (an issuer without an audience, a URL that is not one).
 */
function applyAuth(doc: Doc, map: YAMLMap, v: RouterFormValues): void {
  const mode = v.authMode.trim();
  if (mode === '') {
    // `auth:` with no value is no block either; it is left as written.
    const current = map.get('auth', true);
    if (current !== undefined && !(isScalar(current) && current.value === null)) map.delete('auth');
    return;
  }
  if (mode !== 'oauth2') throw fieldError('authMode', 'must be none or oauth2');
  const scopes = scopeList(v.authScopes);
  const current = map.get('auth', true);
  if (!isMap(current)) {
    const wanted: Plain = { mode };
    for (const [key, value] of [
      ['issuer', v.authIssuer],
      ['audience', v.authAudience],
      ['jwksUri', v.authJwksUri],
    ] as const) {
      if (value.trim() !== '') wanted[key] = value.trim();
    }
    if (scopes.length > 0) wanted.requiredScopes = scopes;
    map.set('auth', createNode(doc, wanted));
    return;
  }
  const now = (current.toJSON() ?? {}) as Plain;
  setField(doc, current, 'mode', mode);
  setField(doc, current, 'issuer', opt(v.authIssuer.trim()));
  setField(doc, current, 'audience', opt(v.authAudience.trim()));
  setField(doc, current, 'jwksUri', opt(v.authJwksUri.trim()));
  // An empty list written as such stays (the form shows it as no scopes, as it shows no list).
  const keepEmpty = scopes.length === 0 && Array.isArray(now.requiredScopes) && now.requiredScopes.length === 0;
  setField(doc, current, 'requiredScopes', scopes.length > 0 || keepEmpty ? scopes : undefined);
}

export function findRouter(text: string, index: number): Plain {
  return routerAt(openDocument(text), index).value;
}

/** Adds (`index` null) or changes router `index` (0-based). */
export function applyRouter(text: string, index: number | null, v: RouterFormValues): string {
  const doc = openDocument(text);
  const prefix = v.prefix.trim();
  if (prefix === '') throw fieldError('prefix', 'a router needs a prefix');
  const servers = list(v.server);
  if (servers.length === 0) throw fieldError('server', 'a router needs a server');
  const map = index === null ? appendEntry(doc, 'routers') : routerAt(doc, index).node;
  if (servers.length === 1) {
    setField(doc, map, 'servers', undefined);
    setField(doc, map, 'server', servers[0]);
  } else {
    setField(doc, map, 'server', undefined);
    setField(doc, map, 'servers', servers);
  }
  setField(doc, map, 'prefix', prefix);
  setField(doc, map, 'ssePrefix', opt(v.ssePrefix));
  const origins = list(v.allowOrigins);
  const cors = map.get('cors', true);
  if (origins.length > 0) {
    if (isMap(cors)) setField(doc, cors, 'allowOrigins', origins);
    else map.set('cors', createNode(doc, { allowOrigins: origins }));
  } else if (isMap(cors)) {
    setField(doc, cors, 'allowOrigins', undefined);
    if (cors.items.length === 0) map.delete('cors');
  }
  applyAuth(doc, map, v);
  return print(doc);
}

export function removeRouter(text: string, index: number): string {
  const doc = openDocument(text);
  removeEntry(doc, 'routers', routerAt(doc, index));
  return print(doc);
}

/** Renames (or, with `to` null, reports nothing and leaves) router references to a server or upstream. */
function renameInRouters(doc: Doc, from: string, to: string): void {
  for (const r of entries(doc, 'routers')) {
    const server = r.node.get('server', true);
    if (isScalar(server) && server.value === from) server.value = to;
    const servers = r.node.get('servers', true);
    if (isSeq(servers)) for (const i of servers.items) if (isScalar(i) && i.value === from) i.value = to;
  }
}

/** Names used by servers and upstreams (one namespace). */
function serverNames(doc: Doc): Set<string> {
  return new Set([...entries(doc, 'servers'), ...entries(doc, 'mcpServers')].map((e) => str(e.value.name)));
}

/** Server or upstream `original` (null for a new one); `name` must not be another's (one namespace). */
function serverOrUpstream(doc: Doc, list: Named, original: string | null, name: string): Entry | undefined {
  const existing = original === null ? undefined : named(doc, list, original);
  if (name !== original && serverNames(doc).has(name)) throw fieldError('name', `a server or upstream named ${JSON.stringify(name)} already exists in this config`);
  return existing;
}

// --- servers -----------------------------------------------------------------------------------------

export function serverValues(s: Plain | undefined): ServerFormValues {
  return {
    name: str(s?.name),
    description: str(s?.description),
    restrictTools: s === undefined || Array.isArray(s.allowedTools),
    allowedTools: Array.isArray(s?.allowedTools) ? (s.allowedTools as unknown[]).map(str).join(', ') : '',
    config: pairsText(s?.config),
  };
}

export function findServer(text: string, name: string): Plain {
  return named(openDocument(text), SERVERS, name).value;
}

/** Adds (`original` null) or changes a server; a rename follows into the routers. */
export function applyServer(text: string, original: string | null, v: ServerFormValues): string {
  const doc = openDocument(text);
  const name = v.name.trim();
  if (name === '') throw fieldError('name', 'a server needs a name');
  const existing = serverOrUpstream(doc, SERVERS, original, name);
  const config = parsePairs('config', v.config);
  const map = existing?.node ?? appendEntry(doc, 'servers');
  setField(doc, map, 'name', name);
  setField(doc, map, 'description', opt(v.description));
  if (!v.restrictTools) {
    setField(doc, map, 'allowedTools', undefined);
  } else {
    const tools = list(v.allowedTools);
    const current = map.get('allowedTools', true);
    if (isSeq(current)) {
      // Keep the list node (its style and comments); only its items change.
      if (!sameValue(current.toJSON(), tools)) current.items = tools.map((t) => doc.createNode(t) as Node);
    } else {
      map.set('allowedTools', createNode(doc, tools));
    }
  }
  setStringMap(doc, map, 'config', config);
  if (original !== null && name !== original) renameInRouters(doc, original, name);
  return print(doc);
}

export function removeServer(text: string, name: string): string {
  const doc = openDocument(text);
  removeEntry(doc, 'servers', named(doc, SERVERS, name));
  return print(doc);
}

// --- upstreams (mcpServers) --------------------------------------------------------------------------

export function upstreamValues(u: Plain | undefined): UpstreamFormValues {
  return {
    name: str(u?.name),
    type: str(u?.type) || 'streamable-http',
    url: str(u?.url),
    command: str(u?.command),
    args: Array.isArray(u?.args) ? (u.args as unknown[]).map(str).join('\n') : '',
    env: pairsText(u?.env),
    headers: pairsText(u?.headers),
    policy: str(u?.policy),
  };
}

export function findUpstream(text: string, name: string): Plain {
  return named(openDocument(text), UPSTREAMS, name).value;
}

/** Adds (`original` null) or changes an upstream; a rename follows into the routers. */
export function applyUpstream(text: string, original: string | null, v: UpstreamFormValues): string {
  const doc = openDocument(text);
  const name = v.name.trim();
  if (name === '') throw fieldError('name', 'an upstream needs a name');
  if (!(UPSTREAM_TYPES as readonly string[]).includes(v.type)) throw fieldError('type', `must be one of ${UPSTREAM_TYPES.join(', ')}`);
  if (v.policy !== '' && v.policy !== 'onStart' && v.policy !== 'onDemand') throw fieldError('policy', 'must be onStart, onDemand or empty');
  const existing = serverOrUpstream(doc, UPSTREAMS, original, name);
  const env = parsePairs('env', v.env);
  const headers = parsePairs('headers', v.headers);
  const args = v.args.split(/\r?\n/).filter((l) => l.trim() !== '');
  const map = existing?.node ?? appendEntry(doc, 'mcpServers');
  setField(doc, map, 'name', name);
  setField(doc, map, 'type', v.type);
  const stdio = v.type === 'stdio';
  setField(doc, map, 'url', stdio ? undefined : opt(v.url.trim()));
  setField(doc, map, 'command', stdio ? opt(v.command.trim()) : undefined);
  setField(doc, map, 'args', stdio && args.length > 0 ? args : undefined);
  setStringMap(doc, map, 'env', stdio ? env : []);
  setStringMap(doc, map, 'headers', stdio ? [] : headers);
  setField(doc, map, 'policy', opt(v.policy));
  if (original !== null && name !== original) renameInRouters(doc, original, name);
  return print(doc);
}

export function removeUpstream(text: string, name: string): string {
  const doc = openDocument(text);
  removeEntry(doc, 'mcpServers', named(doc, UPSTREAMS, name));
  return print(doc);
}

// --- whole documents ---------------------------------------------------------------------------------

/** The smallest useful document: one router to one server with no tools yet. */
export function newDocument(tenant: string, name: string, prefix: string, server: string): string {
  const q = (s: string): string => stringify(s, { lineWidth: 0 }).trimEnd();
  return [
    '# yaml-language-server: $schema=../../schema/mcp-config.schema.json',
    `name: ${q(name)}`,
    `tenant: ${q(tenant)}`,
    '',
    'routers:',
    `  - server: ${q(server)}`,
    `    prefix: ${q(prefix)}`,
    '',
    'servers:',
    `  - name: ${q(server)}`,
    '    allowedTools: []',
    '',
  ].join('\n');
}

/** What the overview lists, read leniently (a document with errors still shows what it has). */
export function configDetail(text: string, gatewayBase: string): ConfigDetail {
  let doc: Plain = {};
  try {
    const v = parseDocument(text, { uniqueKeys: false }).toJS({ maxAliasCount: 100 }) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) doc = v as Plain;
  } catch {
    doc = {};
  }
  const items = (k: string): Plain[] => (Array.isArray(doc[k]) ? (doc[k] as unknown[]).map((x) => (x && typeof x === 'object' ? (x as Plain) : {})) : []);
  const base = gatewayBase.replace(/\/+$/, '');
  return {
    routers: items('routers').map((r, index) => {
      const prefix = str(r.prefix).replace(/\/+$/, '');
      const auth = r.auth === undefined || r.auth === null ? undefined : authValues(r.auth);
      return {
        index,
        prefix: str(r.prefix),
        server: routerValues(r).server,
        mcpUrl: `${base}${prefix}/mcp`,
        sseUrl: `${base}${prefix}/sse`,
        auth: auth ? { mode: auth.authMode, issuer: auth.authIssuer } : undefined,
      };
    }),
    servers: items('servers').map((s) => ({
      name: str(s.name),
      description: str(s.description),
      allowedTools: Array.isArray(s.allowedTools) ? (s.allowedTools as unknown[]).map(str) : null,
    })),
    tools: items('tools').map((t) => ({
      name: str(t.name),
      description: str(t.description),
      method: str(t.method),
      endpoint: str(t.endpoint),
      args: Array.isArray(t.args) ? t.args.length : 0,
    })),
    upstreams: items('mcpServers').map((u) => ({
      name: str(u.name),
      type: str(u.type),
      target: str(u.type) === 'stdio' ? [str(u.command), ...(Array.isArray(u.args) ? (u.args as unknown[]).map(str) : [])].join(' ') : str(u.url),
    })),
    prompts: items('prompts').length,
  };
}
