/**
 * The dashboard's facts: the configs per tenant a principal may see, the config repo's head, and each
 * gateway's `/_status`. Each part fails on its own: a repo that cannot be read or a gateway that does
 * not answer is shown as such, never a broken page.
 */
import type { AdminContext } from '../../context.ts';
import type { CommitInfo } from '../../git/repo.ts';
import { canSeeTenant, isAdmin, type Principal } from '../auth/authorize.ts';
import { type ConfigSummary, listConfigs, repoFailure } from '../configs/service.ts';
import type { GatewayStatusView } from '../gateways/model.ts';
import { gatewayStatuses } from '../gateways/service.ts';

export interface Dashboard {
  repoConfigured: boolean;
  /** Why the repo could not be read (message without credentials). */
  repoError?: string;
  head: CommitInfo | null;
  /** The tenants the principal may see (with or without configs) and their configs. */
  tenants: { tenant: string; configs: ConfigSummary[] }[];
  gateways: GatewayStatusView[];
}

/** Matches `configs/<tenant>/…`. */
const TENANT_OF = /^configs\/([^/]+)\//;

export async function dashboard(ctx: AdminContext, p: Principal): Promise<Dashboard> {
  const admin = isAdmin(p);
  const gateways = gatewayStatuses(ctx.settings.gateways, { fetch: ctx.fetch, detailed: admin });
  const storeTenants = (await ctx.store.tenants.list()).filter((t) => canSeeTenant(p, t.id)).map((t) => t.name);
  if (!ctx.repo) return { repoConfigured: false, head: null, tenants: [], gateways: await gateways };

  let head: CommitInfo | null = null;
  let groups: { tenant: string; configs: ConfigSummary[] }[] = [];
  let repoError: string | undefined;
  try {
    const [tip, listed] = await Promise.all([ctx.repo.head(), listConfigs(ctx, p)]);
    head = tip ?? null;
    groups = listed;
  } catch (e) {
    const mapped = repoFailure(e);
    repoError = mapped instanceof Error ? mapped.message : String(mapped);
  }
  const seen = new Set(groups.map((g) => g.tenant));
  const tenants = [...groups, ...storeTenants.filter((n) => !seen.has(n)).map((tenant) => ({ tenant, configs: [] }))].sort((a, b) =>
    a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0,
  );
  // A member sees the head's subject only when the commit touched nothing outside their tenants:
  // a subject such as "Update configs/<other>/<name>.yaml" would name another tenant's config.
  if (head && !admin) {
    const visible = new Set(storeTenants);
    const own = (head.files ?? []).every((f) => visible.has(TENANT_OF.exec(f)?.[1] ?? ''));
    if (!own) head = { ...head, message: '(a change outside your tenants)' };
  }
  return { repoConfigured: true, ...(repoError !== undefined ? { repoError } : {}), head, tenants, gateways: await gateways };
}
