/**
 * Config documents as the console sees them: the ones of the tenants a principal may see, read from
 * and committed to the admin's clone of the config repo (`admin/git/repo.ts`, the only write path).
 *
 * Every save is checked before anything is written: the gateway's own validator runs on the whole
 * revision the commit would make (prefixes are unique across all documents), plus the admin's rule
 * that a config's router prefixes sit under its tenant's prefix. Only issues the change is responsible
 * for block it (those of the changed file, and those elsewhere that point at it): a document that was
 * already broken in another tenant neither blocks the save nor leaks into the answer.
 */
import { parseDocument } from 'yaml';
import { parseConfigText, type LoadedConfig } from '../../../gateway/config/load.ts';
import { type ConfigIssue, compareIssues, formatIssue, hasErrors } from '../../../gateway/config/issues.ts';
import type { McpConfig } from '../../../gateway/config/schema.ts';
import { checkConfigs, normalizePrefix } from '../../../gateway/config/validate.ts';
import type { AdminContext } from '../../context.ts';
import { AdminError, notFound } from '../../errors.ts';
import { type CommitInfo, type ConfigFile, type ConfigRepo, type GitAuthor, RepoError } from '../../git/repo.ts';
import type { IssueView } from '../../../views/components.tsx';
import { record } from '../audit/service.ts';
import { canSeeTenant, isAdmin, type Principal } from '../auth/authorize.ts';
import type { ReloadOutcomeView } from '../gateways/model.ts';
import { notifyGateways } from '../gateways/service.ts';

export type { IssueView } from '../../../views/components.tsx';

/** What a config list shows about one document. */
export interface ConfigSummary {
  tenant: string;
  name: string;
  path: string;
  blob: string;
  routers: { prefix: string; server: string }[];
  tools: number;
  upstreams: number;
}

/** The result of a commit made through the console: the commit and how each gateway took it. */
export interface CommitOutcome {
  commit: CommitInfo;
  gateways: ReloadOutcomeView[];
  /** True when the change changed nothing: no commit was made, `commit` is the current tip. */
  unchanged?: boolean;
}

/** The change a console form asks for. `text: null` deletes; `expectedBlob: null` creates. */
export interface ConfigChange {
  tenant: string;
  name: string;
  text: string | null;
  expectedBlob: string | null;
  message?: string;
  /** The audit verb: create, update, delete, rollback or import; derived from the change when absent. */
  action?: string;
}

/**
 * A change refused because the revision would not validate: a `validation` AdminError (HTTP 400) that
 * keeps the issues, so the page shows them inline with their line numbers.
 */
export class ConfigInvalid extends AdminError {
  constructor(
    message: string,
    readonly issues: IssueView[],
  ) {
    super('validation', message);
  }
}

/** Names of tenants and configs: the schema's pattern (they become a path and URL segments). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_NAME = 50;
const CONFIG_FILE = /^configs\/([^/]+)\/([^/]+)\.ya?ml$/;

function checkName(what: 'tenant' | 'name', value: string): void {
  if (value.length === 0 || value.length > MAX_NAME || !NAME.test(value) || value.endsWith('.lock')) {
    throw new AdminError(
      'validation',
      `${what}: ${JSON.stringify(value)} is not a valid ${what === 'tenant' ? 'tenant' : 'config'} name (letters, digits, ".", "_" or "-", starting with a letter or digit, at most ${MAX_NAME} characters)`,
      undefined,
      what,
    );
  }
}

/** `configs/<tenant>/<name>.yaml`, after checking both names. */
export function configPath(tenant: string, name: string): string {
  checkName('tenant', tenant);
  checkName('name', name);
  return `configs/${tenant}/${name}.yaml`;
}

/** The config repo, or an error that says how to configure one. */
export function requireRepo(ctx: AdminContext): ConfigRepo {
  if (!ctx.repo) {
    throw new AdminError(
      'unavailable',
      'no config repository is configured: start the admin with ADMIN_CONFIG_REPO set to the config repo (a git URL or path), as `bun run start` does',
    );
  }
  return ctx.repo;
}

/**
 * Members touch only the configs of tenants they can see (a config's tenant is the store tenant of
 * the same name); anything else is "not found", as in `authorize.ts`. Admins see every tenant,
 * including directories of the repo that have no store tenant.
 */
export async function requireConfigTenant(ctx: AdminContext, p: Principal, tenant: string): Promise<void> {
  if (isAdmin(p)) return;
  const found = await ctx.store.tenants.getByName(tenant);
  if (!found || !canSeeTenant(p, found.id)) throw notFound(`tenant ${JSON.stringify(tenant)}`);
}

/** Tenant names whose configs the principal may see; `'all'` for an admin. */
async function visibleTenantNames(ctx: AdminContext, p: Principal): Promise<Set<string> | 'all'> {
  if (isAdmin(p)) return 'all';
  const tenants = await ctx.store.tenants.list();
  return new Set(tenants.filter((t) => canSeeTenant(p, t.id)).map((t) => t.name));
}

/** Summary of one document; a document that does not parse still gets a row (with what can be read). */
export function summarize(file: ConfigFile, text: string): ConfigSummary {
  let doc: Partial<McpConfig> | undefined;
  try {
    const parsed = parseDocument(text, { uniqueKeys: false }).toJS({ maxAliasCount: 100 }) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) doc = parsed as Partial<McpConfig>;
  } catch {
    doc = undefined;
  }
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const routers = (list(doc?.routers) as (Record<string, unknown> | null)[]).map((r) => ({
    prefix: typeof r?.prefix === 'string' ? r.prefix : '',
    server: typeof r?.server === 'string' ? r.server : Array.isArray(r?.servers) ? r.servers.filter((s) => typeof s === 'string').join(', ') : '',
  }));
  return {
    tenant: file.tenant,
    name: file.name,
    path: file.path,
    blob: file.blob,
    routers,
    tools: list(doc?.tools).length,
    upstreams: list(doc?.mcpServers).length,
  };
}

/** Configs of the tenants the principal may see, grouped by tenant (sorted by tenant, then name). */
export async function listConfigs(ctx: AdminContext, p: Principal): Promise<{ tenant: string; configs: ConfigSummary[] }[]> {
  const repo = requireRepo(ctx);
  const visible = await visibleTenantNames(ctx, p);
  const files = (await wrap(repo.list())).filter((f) => visible === 'all' || visible.has(f.tenant));
  const tree = files.length === 0 ? [] : await wrap(repo.readTree());
  const texts = new Map(tree.map((f) => [f.path, f.text]));
  const groups = new Map<string, ConfigSummary[]>();
  for (const f of files) {
    const summary = summarize(f, texts.get(f.path) ?? '');
    const group = groups.get(f.tenant);
    if (group) group.push(summary);
    else groups.set(f.tenant, [summary]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([tenant, configs]) => ({ tenant, configs: configs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) }));
}

/** One document with the blob sha an editor sends back and the revision it was read at. */
export async function readConfig(
  ctx: AdminContext,
  p: Principal,
  tenant: string,
  name: string,
): Promise<{ text: string; blob: string; revision: string; summary: ConfigSummary }> {
  const path = configPath(tenant, name);
  await requireConfigTenant(ctx, p, tenant);
  const repo = requireRepo(ctx);
  const found = await wrap(repo.read(path));
  if (!found) throw notFound(`config ${tenant}/${name}`);
  return { ...found, summary: summarize({ path, tenant, name, blob: found.blob }, found.text) };
}

/**
 * Validates the revision a change makes: `tree` is every config file (before or after the change; the
 * entry at `path` is replaced by `text`, or removed when `text` is null). Returns the issues the change
 * is responsible for: all of the changed file's, then those of other files that name it (the other
 * side of a duplicate prefix). Blocking is the caller's business: errors block, warnings do not.
 */
export async function validateChange(
  ctx: AdminContext,
  path: string,
  text: string | null,
  tree: { path: string; text: string }[],
): Promise<IssueView[]> {
  const files = tree.filter((f) => f.path !== path && CONFIG_FILE.test(f.path));
  if (text !== null) files.push({ path, text });
  const parseIssues: ConfigIssue[] = [];
  const configs: LoadedConfig[] = [];
  for (const f of files) {
    const parsed = parseConfigText(f.path, f.text);
    parseIssues.push(...parsed.issues);
    if (parsed.doc) configs.push({ file: f.path, doc: parsed.doc, text: f.text, source: parsed.source });
  }
  const issues = [...parseIssues, ...checkConfigs(configs).issues];
  const changed = configs.find((c) => c.file === path);
  if (changed) issues.push(...(await tenantPrefixIssues(ctx, changed)));
  const own = issues.filter((i) => i.file === path).sort(compareIssues);
  const related = issues.filter((i) => i.file !== path && i.message.includes(path)).sort(compareIssues);
  return [...own, ...related].map(toView);
}

/** Every router prefix of a config equals its tenant's prefix or sits under it (when the tenant is in the store). */
async function tenantPrefixIssues(ctx: AdminContext, config: LoadedConfig): Promise<ConfigIssue[]> {
  const m = CONFIG_FILE.exec(config.file);
  if (!m) return [];
  const tenant = await ctx.store.tenants.getByName(m[1]!);
  if (!tenant) return [];
  const root = normalizePrefix(tenant.prefix);
  const issues: ConfigIssue[] = [];
  (config.doc.routers ?? []).forEach((router, i) => {
    const prefix = normalizePrefix(router.prefix);
    if (root === '/' || prefix === root || prefix.startsWith(`${root}/`)) return;
    const at = config.source?.locate(['routers', i, 'prefix']) ?? { line: 1, col: 1 };
    issues.push({
      file: config.file,
      line: at.line,
      col: at.col,
      path: `routers[${i}].prefix`,
      message: `prefix ${JSON.stringify(router.prefix)} is outside tenant "${tenant.name}"'s prefix ${JSON.stringify(root)}: use ${JSON.stringify(root)} or a path under it`,
      severity: 'error',
    });
  });
  return issues;
}

function toView(i: ConfigIssue): IssueView {
  return { file: i.file, line: i.line, col: i.col, path: i.path, message: i.message, severity: i.severity };
}

/** The console user as a commit author (an address that is clearly not a mailbox). */
export function authorOf(p: Principal): GitAuthor {
  const local = p.user.username.replace(/[^A-Za-z0-9._+-]/g, '-') || 'user';
  return { name: p.user.username, email: `${local}@users.noreply.mcp-gateway` };
}

/**
 * Validates, commits and pushes one change, records it in the audit log and tells every gateway to
 * reload. Nothing is written when the change does not validate (`ConfigInvalid`, 400), when the file
 * changed since the editor read it (`conflict`, 409) or when it is gone (`not_found`).
 */
export async function commitConfig(ctx: AdminContext, p: Principal, change: ConfigChange): Promise<CommitOutcome> {
  const path = configPath(change.tenant, change.name);
  await requireConfigTenant(ctx, p, change.tenant);
  const repo = requireRepo(ctx);
  const verb = change.action ?? (change.text === null ? 'delete' : change.expectedBlob === null ? 'create' : 'update');

  // The repo re-validates on every push retry; the page shows the issues of the last run.
  let issues: IssueView[] = [];
  const validate = async (tree: { path: string; text: string }[]): Promise<string[]> => {
    issues = await validateChange(ctx, path, change.text, tree);
    return hasErrors(issues) ? issues.filter((i) => i.severity === 'error').map(formatIssue) : [];
  };

  let saved: { commit: CommitInfo; attempts: number };
  try {
    saved = await repo.save({
      path,
      text: change.text,
      expectedBlob: change.expectedBlob,
      author: authorOf(p),
      message: change.message?.trim() ?? '',
      validate,
    });
  } catch (e) {
    throw repoFailure(e, issues);
  }
  if (saved.attempts === 0) return { commit: saved.commit, gateways: [], unchanged: true };

  const tenant = await ctx.store.tenants.getByName(change.tenant);
  await record(ctx, p, {
    action: `config.${verb}`,
    target: `config:${change.tenant}/${change.name}`,
    tenantId: tenant?.id,
    details: { commit: saved.commit.commit },
  });
  const gateways = await notifyGateways(ctx.settings.gateways, {
    fetch: ctx.fetch,
    reason: `config.${verb} ${change.tenant}/${change.name} by ${p.user.username}`,
  });
  return { commit: saved.commit, gateways };
}

/** A repo failure as the console's typed error. RepoError messages name the repo without credentials. */
export function repoFailure(e: unknown, issues: IssueView[] = []): unknown {
  if (!(e instanceof RepoError)) return e;
  switch (e.code) {
    case 'invalid':
      if (e.issues !== undefined) {
        const shown = issues.length > 0 ? issues : e.issues.map((message) => ({ file: '', line: 1, col: 1, path: '', message, severity: 'error' as const }));
        return new ConfigInvalid(e.message, shown);
      }
      return new AdminError('validation', e.message);
    case 'conflict':
      return new AdminError('conflict', e.message);
    case 'not_found':
      return new AdminError('not_found', e.message);
    case 'push':
      return new AdminError('unavailable', `the config repository refused the commit: ${e.message}`);
    case 'unavailable':
      return new AdminError('unavailable', `the config repository is unavailable: ${e.message}`);
  }
}

/** Reads go through the same mapping as saves. */
async function wrap<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw repoFailure(e);
  }
}

/** The config files of a tenant (for "does this name exist" checks in forms). */
export async function configFiles(ctx: AdminContext): Promise<ConfigFile[]> {
  return wrap(requireRepo(ctx).list());
}
