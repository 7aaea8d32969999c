/**
 * Who is calling and what they may see. `authenticate` (service.ts) resolves a request to a
 * `Principal`; every service decides with the helpers here, so the rules live in one place:
 *
 * - Admins see everything, unless they act through a token scoped to tenants: then they see those
 *   tenants only, and may not do global admin work (users, tenants) with it.
 * - Members see the active tenants they belong to; a token narrows that to its scope.
 * - A tenant the principal cannot see is answered with "not found", exactly as a missing one, so
 *   that hidden objects do not leak through 403s.
 */
import { forbidden, notFound } from '../../errors.ts';
import type { User } from '../../store/types.ts';

export interface Principal {
  readonly user: User;
  /** Tenants the principal may see and act on; `'all'` for an admin not limited by a token scope. */
  readonly tenantIds: readonly string[] | 'all';
  readonly via: 'session' | 'token';
  readonly tokenId?: string;
  readonly tokenName?: string;
  /** Session only: sha256 of the cookie value and the session's CSRF token. */
  readonly sessionIdHash?: string;
  readonly csrfToken?: string;
}

/** Global admin work (users, tenants): an admin, not limited by a token scope. */
export function requireAdmin(p: Principal): void {
  if (p.user.role !== 'admin') throw forbidden('admin role required');
  if (p.tenantIds !== 'all') throw forbidden('a token scoped to tenants cannot do global admin work');
}

export function isAdmin(p: Principal): boolean {
  return p.user.role === 'admin' && p.tenantIds === 'all';
}

/** Whether the principal may see the tenant (existence is the caller's business). */
export function canSeeTenant(p: Principal, tenantId: string): boolean {
  return p.tenantIds === 'all' || p.tenantIds.includes(tenantId);
}

/** Throws "tenant not found" (never "forbidden") when the principal cannot see the tenant. */
export function requireTenant(p: Principal, tenantId: string): void {
  if (!canSeeTenant(p, tenantId)) throw notFound(`tenant ${JSON.stringify(tenantId)}`);
}

/** Refuses work that needs a console session (a password change, minting tokens). */
export function requireSession(p: Principal, what: string): void {
  if (p.via !== 'session') throw forbidden(`${what} needs a console session, not an API token`);
}

/** The audit actor: `user:<username>` or `token:<name>`. */
export function actorOf(p: Principal): string {
  return p.via === 'token' ? `token:${p.tokenName ?? p.tokenId ?? '?'}` : `user:${p.user.username}`;
}
