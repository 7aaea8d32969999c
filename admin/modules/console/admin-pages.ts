/**
 * The console's administration pages: users and tenants (admins), API tokens, the audit log and the
 * account. Each lives in its feature module beside the REST routes and calls the same services.
 */
import { Elysia } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { auditPages } from '../audit/pages.ts';
import { accountPages } from '../auth/pages.ts';
import { tenantPages } from '../tenants/pages.ts';
import { tokenPages } from '../tokens/pages.ts';
import { userPages } from '../users/pages.ts';
import { consoleBase } from './http.ts';

export function adminPages(ctx: AdminContext) {
  return new Elysia()
    .use(consoleBase(ctx))
    .use(userPages(ctx))
    .use(tenantPages(ctx))
    .use(tokenPages(ctx))
    .use(auditPages(ctx))
    .use(accountPages(ctx));
}
