/**
 * Accounts: admins list, create, change (role, active flag, password reset, memberships) and delete
 * users; a member reads only itself. The last active admin cannot be demoted, deactivated or deleted.
 */
import type { AdminContext } from '../../context.ts';
import { conflict, notFound } from '../../errors.ts';
import type { AdminSettings } from '../../settings.ts';
import { type Role, StoreError, type User, type WebStore } from '../../store/types.ts';
import { record } from '../audit/service.ts';
import { isAdmin, type Principal, requireAdmin } from '../auth/authorize.ts';
import { hashPassword, randomSecret } from '../auth/service.ts';

const label = (id: string): string => `user ${JSON.stringify(id)}`;

export interface UserWithTenants {
  user: User;
  tenantIds: string[];
}

async function withTenants(ctx: AdminContext, user: User, visible: readonly string[] | 'all'): Promise<UserWithTenants> {
  const ids = (await ctx.store.memberships.tenantsOf(user.id)).map((x) => x.id);
  return { user, tenantIds: visible === 'all' ? ids : ids.filter((id) => visible.includes(id)) };
}

/** Admins: every user; members: themselves. */
export async function listUsers(ctx: AdminContext, p: Principal): Promise<UserWithTenants[]> {
  if (!isAdmin(p)) return [await withTenants(ctx, p.user, p.tenantIds)];
  const users = await ctx.store.users.list();
  return Promise.all(users.map((u) => withTenants(ctx, u, 'all')));
}

/** Admins read anyone; others only themselves ("not found" for anyone else, existing or not). */
export async function getUser(ctx: AdminContext, p: Principal, id: string): Promise<UserWithTenants> {
  if (!isAdmin(p) && id !== p.user.id) throw notFound(label(id));
  const user = await ctx.store.users.get(id);
  if (!user) throw notFound(label(id));
  return withTenants(ctx, user, isAdmin(p) ? 'all' : p.tenantIds);
}

async function requireTenantsExist(ctx: AdminContext, tenantIds: readonly string[]): Promise<Map<string, string>> {
  const names = new Map((await ctx.store.tenants.list()).map((x) => [x.id, x.name]));
  for (const id of tenantIds) if (!names.has(id)) throw notFound(`tenant ${JSON.stringify(id)}`);
  return names;
}

export interface NewUserInput {
  username: string;
  password: string;
  role?: Role | undefined;
  active?: boolean | undefined;
  tenantIds?: readonly string[] | undefined;
}

export async function createUser(ctx: AdminContext, p: Principal, input: NewUserInput): Promise<UserWithTenants> {
  requireAdmin(p);
  const tenantIds = [...new Set(input.tenantIds ?? [])];
  const names = await requireTenantsExist(ctx, tenantIds);
  if (await ctx.store.users.getByUsername(input.username)) throw conflict(`user "${input.username}" already exists`);
  const user = await ctx.store.users.create({
    username: input.username,
    passwordHash: await hashPassword(input.password),
    role: input.role ?? 'member',
    active: input.active ?? true,
  });
  await record(ctx, p, { action: 'user.create', target: `user:${user.username}`, details: { role: user.role, active: user.active } });
  if (tenantIds.length > 0) {
    await ctx.store.memberships.set(user.id, tenantIds);
    for (const tenantId of tenantIds) {
      await record(ctx, p, { action: 'membership.add', target: `user:${user.username}`, tenantId, details: { tenant: names.get(tenantId) } });
    }
  }
  return { user, tenantIds };
}

/** Refuses a change that would leave no active admin. */
async function keepAnAdmin(ctx: AdminContext, user: User, next: { role: Role; active: boolean } | 'deleted'): Promise<void> {
  if (user.role !== 'admin' || !user.active) return;
  if (next !== 'deleted' && next.role === 'admin' && next.active) return;
  const others = (await ctx.store.users.list()).filter((u) => u.id !== user.id && u.role === 'admin' && u.active);
  if (others.length === 0) throw conflict(`user "${user.username}" is the last active admin`);
}

export interface UserPatchInput {
  role?: Role | undefined;
  active?: boolean | undefined;
  password?: string | undefined;
}

export async function updateUser(ctx: AdminContext, p: Principal, id: string, patch: UserPatchInput): Promise<UserWithTenants> {
  requireAdmin(p);
  const before = await ctx.store.users.get(id);
  if (!before) throw notFound(label(id));
  await keepAnAdmin(ctx, before, { role: patch.role ?? before.role, active: patch.active ?? before.active });
  const updated = await ctx.store.users.update(id, {
    ...(patch.role !== undefined ? { role: patch.role } : {}),
    ...(patch.active !== undefined ? { active: patch.active } : {}),
    ...(patch.password !== undefined ? { passwordHash: await hashPassword(patch.password) } : {}),
  });
  if (!updated) throw notFound(label(id));
  // A deactivated account or a reset password ends the user's console sessions.
  if (patch.active === false || patch.password !== undefined) await ctx.store.sessions.deleteByUser(id);
  if (patch.password !== undefined) await ctx.store.users.recordLoginSuccess(id);
  const changes: Record<string, unknown> = {};
  if (patch.role !== undefined && patch.role !== before.role) changes.role = { from: before.role, to: patch.role };
  if (patch.active !== undefined && patch.active !== before.active) changes.active = { from: before.active, to: patch.active };
  if (patch.password !== undefined) changes.passwordReset = true;
  await record(ctx, p, { action: 'user.update', target: `user:${updated.username}`, details: changes });
  return withTenants(ctx, updated, 'all');
}

/** Replaces the user's memberships; one audit entry per tenant added or removed. */
export async function setUserTenants(ctx: AdminContext, p: Principal, id: string, tenantIds: readonly string[]): Promise<UserWithTenants> {
  requireAdmin(p);
  const user = await ctx.store.users.get(id);
  if (!user) throw notFound(label(id));
  const wanted = [...new Set(tenantIds)];
  const names = await requireTenantsExist(ctx, wanted);
  const current = (await ctx.store.memberships.tenantsOf(id)).map((x) => x.id);
  await ctx.store.memberships.set(id, wanted);
  for (const tenantId of wanted.filter((x) => !current.includes(x))) {
    await record(ctx, p, { action: 'membership.add', target: `user:${user.username}`, tenantId, details: { tenant: names.get(tenantId) } });
  }
  for (const tenantId of current.filter((x) => !wanted.includes(x))) {
    await record(ctx, p, { action: 'membership.remove', target: `user:${user.username}`, tenantId, details: { tenant: names.get(tenantId) } });
  }
  return { user, tenantIds: wanted };
}

export async function deleteUser(ctx: AdminContext, p: Principal, id: string): Promise<void> {
  requireAdmin(p);
  const user = await ctx.store.users.get(id);
  if (!user) throw notFound(label(id));
  if (user.id === p.user.id) throw conflict('you cannot delete your own account');
  await keepAnAdmin(ctx, user, 'deleted');
  // Sessions, tokens and memberships go first, whether or not the driver cascades.
  await ctx.store.sessions.deleteByUser(id);
  const now = ctx.now();
  for (const token of await ctx.store.tokens.listByUser(id)) if (token.revokedAt === undefined) await ctx.store.tokens.revoke(token.id, now);
  await ctx.store.memberships.set(id, []);
  if (!(await ctx.store.users.delete(id))) throw notFound(label(id));
  await record(ctx, p, { action: 'user.delete', target: `user:${user.username}`, details: { role: user.role } });
}

export interface BootstrapResult {
  /** Whether this start created the admin. */
  created: boolean;
  username: string;
  /** Set only when the admin was created with a generated password: print it once. */
  generatedPassword?: string;
}

/**
 * First start: when the store has no user, creates the admin from the settings (`bootstrapUser`,
 * `bootstrapPassword`), generating a password when none is set. Later starts change nothing.
 */
export async function bootstrapAdmin(store: WebStore, settings: AdminSettings, now: () => Date = () => new Date()): Promise<BootstrapResult> {
  const username = settings.bootstrapUser;
  if ((await store.users.count()) > 0) return { created: false, username };
  const generated = settings.bootstrapPassword === undefined ? randomSecret().slice(0, 24) : undefined;
  const password = settings.bootstrapPassword ?? generated ?? '';
  let user: User;
  try {
    user = await store.users.create({ username, passwordHash: await hashPassword(password), role: 'admin', active: true });
  } catch (e) {
    // Another replica bootstrapped at the same moment: its admin stands.
    if (e instanceof StoreError && e.code === 'conflict') return { created: false, username };
    throw e;
  }
  await store.audit.append({
    at: now(),
    actor: 'system',
    action: 'user.create',
    target: `user:${user.username}`,
    tenantId: undefined,
    details: { role: 'admin', bootstrap: true, passwordGenerated: generated !== undefined },
  });
  return generated === undefined ? { created: true, username } : { created: true, username, generatedPassword: generated };
}
