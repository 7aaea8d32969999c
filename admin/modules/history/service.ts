/**
 * A config's git history as the console shows it: the commits that touched the file, the file at a
 * commit, the diff between two commits, and rollback, which is a NEW commit restoring an old version
 * through the same path as every console save (validation, audit, gateway reload); history is never
 * rewritten. Visibility is the config pages' rule: another tenant's config is "not found".
 */
import type { AdminContext } from '../../context.ts';
import { invalid, notFound } from '../../errors.ts';
import type { CommitInfo, DiffLine } from '../../git/repo.ts';
import type { Principal } from '../auth/authorize.ts';
import { type CommitOutcome, commitConfig, configPath, repoFailure, requireConfigTenant, requireRepo } from '../configs/service.ts';

/** Commits the history lists at most (newest first). */
export const HISTORY_LIMIT = 200;

/** A commit sha as URLs and forms carry it: checked here, before it reaches git. */
const SHA = /^[0-9a-f]{7,64}$/;

/** Returns `value` when it is a commit sha (7 to 64 lowercase hex digits), else a 400 naming `field`. */
export function checkSha(field: string, value: string): string {
  if (!SHA.test(value)) throw invalid(field, `${JSON.stringify(value.slice(0, 80))} is not a commit sha (7 to 64 lowercase hex digits)`);
  return value;
}

/** Repo failures as the console's typed errors (409, 404, …), as the config pages map them. */
async function wrap<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw repoFailure(e);
  }
}

export interface ConfigHistory {
  path: string;
  /** Newest first. */
  commits: CommitInfo[];
  /** The file's blob at the tip (what a rollback must still find there); null when it was deleted. */
  base: string | null;
}

/** The commits that touched a config the principal may see; "not found" when none ever did. */
export async function configHistory(ctx: AdminContext, p: Principal, tenant: string, name: string): Promise<ConfigHistory> {
  const path = configPath(tenant, name);
  await requireConfigTenant(ctx, p, tenant);
  const repo = requireRepo(ctx);
  const [commits, current] = await wrap(Promise.all([repo.log({ path, limit: HISTORY_LIMIT }), repo.read(path)]));
  if (commits.length === 0 && !current) throw notFound(`config ${tenant}/${name}`);
  return { path, commits, base: current?.blob ?? null };
}

/** The file at one commit (`text` undefined when it did not exist there), with the history around it. */
export async function configAt(
  ctx: AdminContext,
  p: Principal,
  tenant: string,
  name: string,
  commit: string,
): Promise<ConfigHistory & { commit: string; text: string | undefined; info: CommitInfo | undefined }> {
  checkSha('commit', commit);
  const history = await configHistory(ctx, p, tenant, name);
  const text = await wrap(requireRepo(ctx).show(history.path, commit));
  const info = history.commits.find((c) => c.commit.startsWith(commit));
  return { ...history, commit: info?.commit ?? commit, text, info };
}

/** The change to a config between two commits, plus its history (for the compare form). */
export async function configDiff(
  ctx: AdminContext,
  p: Principal,
  tenant: string,
  name: string,
  from: string,
  to: string,
): Promise<ConfigHistory & { from: string; to: string; lines: DiffLine[] }> {
  checkSha('from', from);
  checkSha('to', to);
  const history = await configHistory(ctx, p, tenant, name);
  const lines = await wrap(requireRepo(ctx).diff(history.path, from, to));
  const full = (sha: string): string => history.commits.find((c) => c.commit.startsWith(sha))?.commit ?? sha;
  return { ...history, from: full(from), to: full(to), lines };
}

export interface RollbackInput {
  tenant: string;
  name: string;
  /** The version to restore. */
  commit: string;
  /** The blob the page showed at the tip ('' when the file did not exist): a concurrent change is a 409. */
  base: string;
}

/**
 * Restores the config as it was at `commit` with a new commit (deleting it if it did not exist there),
 * validated, audited as `config.rollback` and announced to the gateways like any save.
 */
export async function rollbackConfig(ctx: AdminContext, p: Principal, input: RollbackInput): Promise<CommitOutcome> {
  checkSha('commit', input.commit);
  if (input.base !== '') checkSha('base', input.base);
  const path = configPath(input.tenant, input.name);
  await requireConfigTenant(ctx, p, input.tenant);
  const text = await wrap(requireRepo(ctx).show(path, input.commit));
  return commitConfig(ctx, p, {
    tenant: input.tenant,
    name: input.name,
    text: text ?? null,
    expectedBlob: input.base === '' ? null : input.base,
    message: `Roll back ${path} to ${input.commit.slice(0, 7)}`,
    action: 'rollback',
  });
}
