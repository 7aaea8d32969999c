/**
 * The audit log console page (`/audit`): what `listAudit` lets the viewer see (admins everything,
 * members their tenants' entries and their own), newest first.
 *
 * Paging uses the API's `before` cursor plus `skip`, the number of entries at exactly the cursor's
 * millisecond already shown: entries can share a timestamp, and `before` alone would skip or repeat
 * them at a page boundary (the order within a millisecond, by id, is stable).
 */
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { invalid } from '../../errors.ts';
import { consoleBase, page } from '../console/http.ts';
import { listTenants } from '../tenants/service.ts';
import { AUDIT_PAGE_SIZES, AuditSection, type AuditFilters } from '../../../views/admin/audit.tsx';
import { listAudit } from './service.ts';

const DEFAULT_PAGE_SIZE = 50;
/** The store answers at most this many entries per query. */
const MAX_FETCH = 1000;

const AuditPageQuery = t.Object({
  action: t.Optional(t.String({ maxLength: 100 })),
  actor: t.Optional(t.String({ maxLength: 200 })),
  tenant: t.Optional(t.String({ maxLength: 128 })),
  limit: t.Optional(t.String({ maxLength: 5 })),
  before: t.Optional(t.String({ maxLength: 40 })),
  skip: t.Optional(t.String({ maxLength: 4 })),
});

function href(filters: AuditFilters, cursor?: { before: Date; skip: number }): string {
  const q = new URLSearchParams();
  if (filters.action) q.set('action', filters.action);
  if (filters.actor) q.set('actor', filters.actor);
  if (filters.tenantId) q.set('tenant', filters.tenantId);
  if (filters.limit !== DEFAULT_PAGE_SIZE) q.set('limit', String(filters.limit));
  if (cursor) {
    q.set('before', cursor.before.toISOString());
    if (cursor.skip > 0) q.set('skip', String(cursor.skip));
  }
  const s = q.toString();
  return s ? `/audit?${s}` : '/audit';
}

export function auditPages(ctx: AdminContext) {
  return new Elysia().use(consoleBase(ctx)).get(
    '/audit',
    async ({ principal, viewer, request, query }) => {
      const limitAsked = Number(query.limit ?? DEFAULT_PAGE_SIZE);
      const filters: AuditFilters = {
        action: query.action?.trim() ?? '',
        actor: query.actor?.trim() ?? '',
        tenantId: query.tenant ?? '',
        limit: (AUDIT_PAGE_SIZES as readonly number[]).includes(limitAsked) ? limitAsked : DEFAULT_PAGE_SIZE,
      };
      let cursor: { before: Date; skip: number } | undefined;
      if (query.before) {
        const before = new Date(query.before);
        if (Number.isNaN(before.getTime())) throw invalid('query.before', 'must be a date-time');
        const skip = Number(query.skip ?? 0);
        if (!Number.isInteger(skip) || skip < 0 || skip >= MAX_FETCH - 1) throw invalid('query.skip', `must be an integer from 0 to ${MAX_FETCH - 2}`);
        cursor = { before, skip };
      }
      const skip = cursor?.skip ?? 0;
      const fetched = await listAudit(ctx, principal, {
        action: filters.action || undefined,
        actor: filters.actor || undefined,
        tenantId: filters.tenantId || undefined,
        // `before` is exclusive: one millisecond later includes the cursor's own millisecond.
        before: cursor ? new Date(cursor.before.getTime() + 1) : undefined,
        limit: Math.min(MAX_FETCH, skip + filters.limit + 1),
      });
      const entries = fetched.slice(skip, skip + filters.limit);
      let older: string | undefined;
      const last = entries.at(-1);
      if (last && fetched.length > skip + entries.length) {
        const at = last.at.getTime();
        const sameMs = fetched.slice(0, skip + entries.length).filter((e) => e.at.getTime() === at).length;
        older = href(filters, { before: last.at, skip: sameMs });
      }
      const tenants = await listTenants(ctx, principal);
      const content = AuditSection({ entries, tenants, filters, older, newest: cursor ? href(filters) : undefined });
      return page(request, viewer, content, { title: 'Audit log', active: 'audit' });
    },
    { page: true, query: AuditPageQuery },
  );
}
