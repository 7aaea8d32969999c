/**
 * API tokens for CI/CD and scripts: `mgw_` + 32 random bytes (base64url), shown once at creation and
 * stored as their sha256. A token acts as its owner, limited to its tenant scope (∩ the owner's
 * memberships at the time of use, see authenticate). Owners list and revoke their tokens; admins
 * any. Tokens are minted from a console session only, so a leaked token cannot mint more.
 */
import type { AdminContext } from '../../context.ts';
import { invalid, notFound } from '../../errors.ts';
import type { ApiToken } from '../../store/types.ts';
import { record } from '../audit/service.ts';
import { isAdmin, type Principal, requireSession, requireTenant } from '../auth/authorize.ts';
import { randomSecret, sha256Hex } from '../auth/service.ts';

const label = (id: string): string => `token ${JSON.stringify(id)}`;

export interface NewTokenInput {
  name: string;
  tenantIds?: readonly string[] | undefined;
  /** ISO date-time. */
  expiresAt?: string | undefined;
}

export async function createToken(ctx: AdminContext, p: Principal, input: NewTokenInput): Promise<{ token: string; record: ApiToken }> {
  requireSession(p, 'creating an API token');
  const tenantIds = [...new Set(input.tenantIds ?? [])];
  for (const id of tenantIds) requireTenant(p, id);
  if (tenantIds.length > 0) {
    const known = new Set((await ctx.store.tenants.list()).map((x) => x.id));
    for (const id of tenantIds) if (!known.has(id)) throw notFound(`tenant ${JSON.stringify(id)}`);
  }
  let expiresAt: Date | undefined;
  if (input.expiresAt !== undefined) {
    expiresAt = new Date(input.expiresAt);
    if (Number.isNaN(expiresAt.getTime())) throw invalid('body.expiresAt', 'must be a date-time');
    if (expiresAt.getTime() <= ctx.now().getTime()) throw invalid('body.expiresAt', 'must be in the future');
  }
  const token = `mgw_${randomSecret()}`;
  const created = await ctx.store.tokens.create({
    userId: p.user.id,
    name: input.name,
    tokenHash: sha256Hex(token),
    displayPrefix: token.slice(0, 10),
    tenantIds,
    ...(expiresAt ? { expiresAt } : {}),
  });
  await record(ctx, p, {
    action: 'token.create',
    target: `token:${created.name}`,
    tenantId: tenantIds.length === 1 ? tenantIds[0] : undefined,
    details: { tokenId: created.id, owner: p.user.username, tenantIds, expiresAt: expiresAt?.toISOString() ?? null },
  });
  return { token, record: created };
}

/** The principal's own tokens; admins may name another user. */
export async function listTokens(ctx: AdminContext, p: Principal, userId?: string): Promise<ApiToken[]> {
  const owner = userId ?? p.user.id;
  if (owner !== p.user.id && !isAdmin(p)) throw notFound(`user ${JSON.stringify(owner)}`);
  return ctx.store.tokens.listByUser(owner);
}

/** A token the principal owns (admins: any); "not found" alike for missing and foreign ones. */
export async function getToken(ctx: AdminContext, p: Principal, id: string): Promise<ApiToken> {
  const found = await ctx.store.tokens.get(id);
  if (!found || (found.userId !== p.user.id && !isAdmin(p))) throw notFound(label(id));
  return found;
}

/** Revokes a token (idempotent); it answers 401 from then on. */
export async function revokeToken(ctx: AdminContext, p: Principal, id: string): Promise<ApiToken> {
  const found = await getToken(ctx, p, id);
  if (found.revokedAt !== undefined) return found;
  const now = ctx.now();
  await ctx.store.tokens.revoke(id, now);
  await record(ctx, p, {
    action: 'token.revoke',
    target: `token:${found.name}`,
    tenantId: found.tenantIds.length === 1 ? found.tenantIds[0] : undefined,
    details: { tokenId: found.id, ownerId: found.userId },
  });
  return (await ctx.store.tokens.get(id)) ?? { ...found, revokedAt: now };
}
