/**
 * The audit log: every state change is appended with who, what and when; never a secret.
 * Admins read all of it; members read the entries of their tenants and the ones they authored.
 */
import type { AdminContext } from '../../context.ts';
import type { AuditEntry } from '../../store/types.ts';
import { actorOf, canSeeTenant, isAdmin, type Principal, requireTenant } from '../auth/authorize.ts';

export interface AuditEvent {
  action: string;
  target: string;
  tenantId?: string | undefined;
  details?: Record<string, unknown>;
}

/** Appends one entry. `by` is the acting principal, or an actor string (`system`, `user:<name>` at login). */
export async function record(ctx: AdminContext, by: Principal | string, event: AuditEvent): Promise<AuditEntry> {
  const details = { ...event.details };
  // A token's name alone does not say whose it is.
  if (typeof by !== 'string' && by.via === 'token') details.user = by.user.username;
  return ctx.store.audit.append({
    at: ctx.now(),
    actor: typeof by === 'string' ? by : actorOf(by),
    action: event.action,
    target: event.target,
    tenantId: event.tenantId,
    details,
  });
}

export interface AuditQuery {
  tenantId?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  limit?: number | undefined;
  before?: Date | undefined;
}

export const DEFAULT_AUDIT_LIMIT = 100;

/** Newest first, limited to what the principal may see. */
export async function listAudit(ctx: AdminContext, p: Principal, q: AuditQuery): Promise<AuditEntry[]> {
  const limit = q.limit ?? DEFAULT_AUDIT_LIMIT;
  const filter = { actor: q.actor, action: q.action, before: q.before, limit };
  if (q.tenantId !== undefined) requireTenant(p, q.tenantId);
  if (isAdmin(p) || q.tenantId !== undefined) return ctx.store.audit.list(clean({ ...filter, tenantId: q.tenantId }));

  // Members (and scoped tokens): one query per visible tenant, plus the entries they authored.
  const own = `user:${p.user.username}`;
  const lists = await Promise.all([
    ...(p.tenantIds === 'all' ? [] : p.tenantIds).map((tenantId) => ctx.store.audit.list(clean({ ...filter, tenantId }))),
    q.actor === undefined || q.actor === own ? ctx.store.audit.list(clean({ ...filter, actor: own })) : Promise.resolve([]),
  ]);
  const seen = new Set<string>();
  const merged: AuditEntry[] = [];
  for (const e of lists.flat()) {
    if (seen.has(e.id)) continue;
    // An entry authored by the member about a tenant they no longer see stays hidden.
    if (e.tenantId !== undefined && !canSeeTenant(p, e.tenantId)) continue;
    seen.add(e.id);
    merged.push(e);
  }
  merged.sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1));
  return merged.slice(0, limit);
}

function clean<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
