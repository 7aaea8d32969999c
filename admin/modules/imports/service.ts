/**
 * OpenAPI import as the console runs it: the importer (`admin/openapi/import.ts`, pure) turns a document
 * into a config's YAML; the preview adds what the gateway's validator says about that YAML in the
 * revision it would join; the commit creates the file through the config pages' one write path
 * (`commitConfig`: validation, audit `config.import`, gateway reload), refusing an existing name.
 */
import { normalizePrefix } from '../../../gateway/config/validate.ts';
import type { AdminContext } from '../../context.ts';
import { AdminError, conflict } from '../../errors.ts';
import { ImportError, importOpenApi, MAX_SPEC_BYTES } from '../../openapi/import.ts';
import { isAdmin, type Principal } from '../auth/authorize.ts';
import {
  type CommitOutcome,
  commitConfig,
  configFiles,
  configPath,
  type IssueView,
  repoFailure,
  requireConfigTenant,
  requireRepo,
  validateChange,
} from '../configs/service.ts';
import { listTenants } from '../tenants/service.ts';

/** The largest document the console accepts, pasted or uploaded (the importer's own limit). */
export const MAX_IMPORT_BYTES = MAX_SPEC_BYTES;

/** A document over the size limit: answered 413. */
export class SpecTooLarge extends AdminError {
  constructor(bytes: number) {
    super('validation', `the OpenAPI document is ${mib(bytes)}; the limit is ${mib(MAX_IMPORT_BYTES)}`);
  }
}

const mib = (bytes: number): string => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

/** Throws `SpecTooLarge` when `bytes` is over the limit. */
export function checkSpecSize(bytes: number): void {
  if (bytes > MAX_IMPORT_BYTES) throw new SpecTooLarge(bytes);
}

export interface ImportInput {
  tenant: string;
  name: string;
  /** Empty: the tenant's prefix (or `/<tenant>`) followed by `/<name>`. */
  prefix: string;
  /** Empty: the document's server URL. */
  baseUrl: string;
  spec: string;
}

export interface ImportPreview {
  path: string;
  prefix: string;
  yaml: string;
  tools: { name: string; method: string; endpoint: string; description: string }[];
  warnings: string[];
  /** The gateway validator's issues for this file in the revision a commit would make. */
  issues: IssueView[];
  /** A config of that name exists already: a commit would be refused. */
  exists: boolean;
}

/** Tenant names the import form suggests: the principal's tenants, and for admins the repo's directories too. */
export async function importTenants(ctx: AdminContext, p: Principal): Promise<string[]> {
  const names = new Set((await listTenants(ctx, p)).map((t) => t.name));
  if (ctx.repo && isAdmin(p)) {
    try {
      for (const f of await configFiles(ctx)) names.add(f.tenant);
    } catch {
      // Suggestions only: the form still works when the repo cannot be listed right now.
    }
  }
  return [...names].sort();
}

/** The router prefix a blank field stands for: `<tenant prefix>/<name>`. */
async function defaultPrefix(ctx: AdminContext, tenant: string, name: string): Promise<string> {
  const found = await ctx.store.tenants.getByName(tenant);
  const root = found ? normalizePrefix(found.prefix) : `/${tenant}`;
  return `${root === '/' ? '' : root}/${name}`;
}

/** Repo failures as the console's typed errors. */
async function wrap<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw repoFailure(e);
  }
}

/** Generates the config for review; nothing is written. A document that cannot be imported is a 400. */
export async function previewImport(ctx: AdminContext, p: Principal, input: ImportInput): Promise<ImportPreview> {
  const path = configPath(input.tenant, input.name);
  await requireConfigTenant(ctx, p, input.tenant);
  const repo = requireRepo(ctx);
  checkSpecSize(Buffer.byteLength(input.spec, 'utf8'));
  if (input.spec.trim() === '') throw new AdminError('validation', 'spec: paste the OpenAPI document or choose a file to upload', undefined, 'spec');
  const prefix = input.prefix.trim() || (await defaultPrefix(ctx, input.tenant, input.name));
  const baseUrl = input.baseUrl.trim();
  let generated;
  try {
    generated = importOpenApi(input.spec, { tenant: input.tenant, name: input.name, prefix, ...(baseUrl ? { baseUrl } : {}) });
  } catch (e) {
    if (e instanceof ImportError) throw new AdminError('validation', `cannot import this document: ${e.message}`, undefined, 'spec');
    throw e;
  }
  const tree = await wrap(repo.readTree());
  const exists = tree.some((f) => f.path === path || f.path === path.replace(/\.yaml$/, '.yml'));
  const issues = await validateChange(ctx, path, generated.yaml, tree);
  const tools = (generated.doc.tools ?? []).map((t) => ({
    name: t.name,
    method: t.method ?? 'GET',
    endpoint: t.endpoint ?? '',
    description: t.description ?? '',
  }));
  return { path, prefix, yaml: generated.yaml, tools, warnings: generated.warnings, issues, exists };
}

/** Creates `configs/<tenant>/<name>.yaml` with the reviewed YAML; an existing config of that name is a 409. */
export async function commitImport(
  ctx: AdminContext,
  p: Principal,
  input: { tenant: string; name: string; yaml: string; message?: string | undefined },
): Promise<CommitOutcome> {
  const path = configPath(input.tenant, input.name);
  try {
    return await commitConfig(ctx, p, {
      tenant: input.tenant,
      name: input.name,
      text: input.yaml,
      expectedBlob: null,
      message: input.message?.trim() || `Import ${path} from OpenAPI`,
      action: 'import',
    });
  } catch (e) {
    if (e instanceof AdminError && e.code === 'conflict') {
      throw conflict(`config ${input.tenant}/${input.name} already exists (${path}): choose another name, or edit the existing config`);
    }
    throw e;
  }
}
