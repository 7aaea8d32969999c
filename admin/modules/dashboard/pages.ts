/** The console's home page: configs, the config repo's head, and which gateways have applied it. */
import { Elysia } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { DashboardView } from '../../../views/dashboard/dashboard.tsx';
import { consoleBase, page } from '../console/http.ts';
import { dashboard } from './service.ts';

export function dashboardPages(ctx: AdminContext) {
  return new Elysia().use(consoleBase(ctx)).get(
    '/',
    async ({ principal, viewer, request }) => {
      const d = await dashboard(ctx, principal);
      return page(request, viewer, DashboardView(d), { title: 'Dashboard', active: 'dashboard' });
    },
    { page: true },
  );
}
