/**
 * Tenants: admins create, change and delete them and manage their members; members see the active
 * tenants they belong to (and their co-members). A tenant owns a router prefix: every router of its
 * configs must equal it or sit under it, so no tenant's prefix may be nested in another's.
 */
import { normalizePrefix, prefixProblem } from '../../../gateway/config/validate.ts';
import type { AdminContext } from '../../context.ts';
import { conflict, invalid, notFound } from '../../errors.ts';
import type { Tenant, User } from '../../store/types.ts';
import { record } from '../audit/service.ts';
import { type Principal, requireAdmin, requireTenant } from '../auth/authorize.ts';

const label = (id: string): string => `tenant ${JSON.stringify(id)}`;

/** The tenants the principal may see. */
export async function listTenants(ctx: AdminContext, p: Principal): Promise<Tenant[]> {
  const all = await ctx.store.tenants.list();
  const visible = p.tenantIds;
  return visible === 'all' ? all : all.filter((x) => visible.includes(x.id));
}

/** One tenant; "not found" alike for a missing one and one the principal cannot see. */
export async function getTenant(ctx: AdminContext, p: Principal, id: string): Promise<Tenant> {
  requireTenant(p, id);
  const found = await ctx.store.tenants.get(id);
  if (!found) throw notFound(label(id));
  return found;
}

/** Whether two normalized prefixes overlap: equal, or one a path-segment ancestor of the other. */
export function prefixesOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return short === '/' || long.startsWith(`${short}/`);
}

/** Normalizes and checks a prefix against the gateway's rules and every other tenant's prefix. */
async function checkPrefix(ctx: AdminContext, prefix: string, selfId?: string): Promise<string> {
  const problem = prefixProblem(prefix);
  if (problem) throw invalid('body.prefix', problem);
  const normalized = normalizePrefix(prefix);
  for (const other of await ctx.store.tenants.list()) {
    if (other.id === selfId) continue;
    if (prefixesOverlap(normalized, other.prefix)) {
      throw conflict(`prefix ${JSON.stringify(normalized)} overlaps tenant "${other.name}" (prefix ${JSON.stringify(other.prefix)})`);
    }
  }
  return normalized;
}

export interface NewTenantInput {
  name: string;
  prefix: string;
  description?: string | undefined;
  active?: boolean | undefined;
}

export async function createTenant(ctx: AdminContext, p: Principal, input: NewTenantInput): Promise<Tenant> {
  requireAdmin(p);
  const prefix = await checkPrefix(ctx, input.prefix);
  if (await ctx.store.tenants.getByName(input.name)) throw conflict(`tenant "${input.name}" already exists`);
  const created = await ctx.store.tenants.create({
    name: input.name,
    prefix,
    description: input.description ?? '',
    active: input.active ?? true,
  });
  await record(ctx, p, {
    action: 'tenant.create',
    target: `tenant:${created.name}`,
    tenantId: created.id,
    details: { prefix: created.prefix, active: created.active },
  });
  return created;
}

export interface TenantPatchInput {
  prefix?: string | undefined;
  description?: string | undefined;
  active?: boolean | undefined;
}

export async function updateTenant(ctx: AdminContext, p: Principal, id: string, patch: TenantPatchInput): Promise<Tenant> {
  requireAdmin(p);
  const before = await ctx.store.tenants.get(id);
  if (!before) throw notFound(label(id));
  const prefix = patch.prefix === undefined ? undefined : await checkPrefix(ctx, patch.prefix, id);
  const changes: Record<string, unknown> = {};
  if (prefix !== undefined && prefix !== before.prefix) changes.prefix = { from: before.prefix, to: prefix };
  if (patch.description !== undefined && patch.description !== before.description) changes.description = true;
  if (patch.active !== undefined && patch.active !== before.active) changes.active = { from: before.active, to: patch.active };
  const updated = await ctx.store.tenants.update(id, {
    ...(prefix !== undefined ? { prefix } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.active !== undefined ? { active: patch.active } : {}),
  });
  if (!updated) throw notFound(label(id));
  await record(ctx, p, { action: 'tenant.update', target: `tenant:${updated.name}`, tenantId: id, details: changes });
  return updated;
}

export async function deleteTenant(ctx: AdminContext, p: Principal, id: string): Promise<void> {
  requireAdmin(p);
  const found = await ctx.store.tenants.get(id);
  if (!found) throw notFound(label(id));
  // Memberships go first, whether or not the driver cascades, so none dangles.
  const members = await ctx.store.memberships.membersOf(id);
  for (const m of members) await ctx.store.memberships.remove(m.id, id);
  if (!(await ctx.store.tenants.delete(id))) throw notFound(label(id));
  await record(ctx, p, {
    action: 'tenant.delete',
    target: `tenant:${found.name}`,
    tenantId: id,
    details: { prefix: found.prefix, members: members.map((m) => m.username) },
  });
}

/** Members of a tenant the principal can see. */
export async function listMembers(ctx: AdminContext, p: Principal, id: string): Promise<User[]> {
  await getTenant(ctx, p, id);
  return ctx.store.memberships.membersOf(id);
}

/** The tenant and the user of a membership change (admins), and whether the user is a member now. */
async function membership(ctx: AdminContext, p: Principal, tenantId: string, userId: string): Promise<{ tenant: Tenant; user: User; member: boolean }> {
  requireAdmin(p);
  const tenant = await ctx.store.tenants.get(tenantId);
  if (!tenant) throw notFound(label(tenantId));
  const user = await ctx.store.users.get(userId);
  if (!user) throw notFound(`user ${JSON.stringify(userId)}`);
  const member = (await ctx.store.memberships.tenantsOf(userId)).some((x) => x.id === tenantId);
  return { tenant, user, member };
}

export async function addMember(ctx: AdminContext, p: Principal, tenantId: string, userId: string): Promise<void> {
  const { tenant, user, member } = await membership(ctx, p, tenantId, userId);
  if (member) return;
  await ctx.store.memberships.add(userId, tenantId);
  await record(ctx, p, { action: 'membership.add', target: `user:${user.username}`, tenantId, details: { tenant: tenant.name } });
}

export async function removeMember(ctx: AdminContext, p: Principal, tenantId: string, userId: string): Promise<void> {
  const { tenant, user, member } = await membership(ctx, p, tenantId, userId);
  if (!member) throw notFound(`membership of user "${user.username}" in tenant "${tenant.name}"`);
  await ctx.store.memberships.remove(userId, tenantId);
  await record(ctx, p, { action: 'membership.remove', target: `user:${user.username}`, tenantId, details: { tenant: tenant.name } });
}
