/** Audit log routes (`/api/audit`): admins read everything; members their tenants' entries and their own. */
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { AuditView, errorResponses, presentAudit } from '../../model.ts';
import { authPlugin } from '../auth/index.ts';
import { AuditQuery } from './model.ts';
import { listAudit } from './service.ts';

export function auditRoutes(ctx: AdminContext) {
  return new Elysia({ prefix: '/audit' }).use(authPlugin(ctx)).get(
    '',
    async ({ principal, query }) =>
      (
        await listAudit(ctx, principal, {
          tenantId: query.tenantId,
          actor: query.actor,
          action: query.action,
          limit: query.limit,
          before: query.before === undefined ? undefined : new Date(query.before),
        })
      ).map(presentAudit),
    {
      auth: true,
      query: AuditQuery,
      response: { 200: t.Array(AuditView), ...errorResponses },
      detail: {
        tags: ['audit'],
        summary: 'Audit entries, newest first',
        description: 'Admins: all. Members: entries of their tenants and entries they authored; another tenant is "not found".',
      },
    },
  );
}
