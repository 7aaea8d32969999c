/**
 * The tenants console page (`/tenants`, admins): the same service calls as `/api/tenants`, so prefix
 * rules, membership changes and audit entries are the API's.
 */
import { Elysia } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { type Principal, requireAdmin } from '../auth/authorize.ts';
import { consoleBase, page } from '../console/http.ts';
import { checkbox, checked, formOf, submit, text } from '../console/form.ts';
import { listUsers } from '../users/service.ts';
import type { PageState } from '../../../views/admin/forms.tsx';
import { TenantsSection } from '../../../views/admin/tenants.tsx';
import type { Viewer } from '../../../views/layout.tsx';
import { NewTenantBody, TenantPatchBody } from './model.ts';
import { addMember, createTenant, deleteTenant, getTenant, listMembers, listTenants, removeMember, type TenantPatchInput, updateTenant } from './service.ts';

const PAGE = { title: 'Tenants', active: 'tenants', location: '/tenants' } as const;

export function tenantPages(ctx: AdminContext) {
  async function section(p: Principal, viewer: Viewer, state: PageState = {}): Promise<JSX.Element> {
    const [tenants, users] = await Promise.all([listTenants(ctx, p), listUsers(ctx, p)]);
    const rows = await Promise.all(tenants.map(async (x) => ({ ...x, members: await listMembers(ctx, p, x.id) })));
    return TenantsSection({ viewer, tenants: rows, users: users.map((u) => u.user), state });
  }

  return new Elysia()
    .use(consoleBase(ctx))
    .get(
      '/tenants',
      async ({ principal, viewer, request }) => {
        requireAdmin(principal);
        return page(request, viewer, await section(principal, viewer), PAGE);
      },
      { page: true },
    )
    .post(
      '/tenants',
      async ({ principal, viewer, request, body }) => {
        requireAdmin(principal);
        const input = formOf(body);
        return submit({
          ...PAGE,
          request,
          viewer,
          form: 'create',
          input,
          run: () =>
            createTenant(
              ctx,
              principal,
              checked(NewTenantBody, {
                name: text(input, 'name'),
                prefix: text(input, 'prefix'),
                description: text(input, 'description'),
                active: checkbox(input, 'active'),
              }),
            ),
          render: (state) => section(principal, viewer, state),
          notice: (x) => `Tenant "${x.name}" created.`,
        });
      },
      { page: true },
    )
    .post(
      '/tenants/:tenant',
      async ({ principal, viewer, request, body, params }) => {
        requireAdmin(principal);
        const input = formOf(body);
        return submit({
          ...PAGE,
          request,
          viewer,
          form: `edit:${params.tenant}`,
          input,
          run: async () => {
            const current = await getTenant(ctx, principal, params.tenant);
            // Send only what changed, as a PATCH client would: no empty audit entries.
            const patch: TenantPatchInput = {};
            const prefix = text(input, 'prefix');
            if (prefix !== current.prefix) patch.prefix = prefix;
            const description = text(input, 'description');
            if (description !== current.description) patch.description = description;
            const active = checkbox(input, 'active');
            if (active !== current.active) patch.active = active;
            if (Object.keys(patch).length === 0) return { tenant: current, changed: false };
            return { tenant: await updateTenant(ctx, principal, params.tenant, checked(TenantPatchBody, patch)), changed: true };
          },
          render: (state) => section(principal, viewer, state),
          notice: (r) => (r.changed ? `Tenant "${r.tenant.name}" saved.` : `Tenant "${r.tenant.name}": nothing changed.`),
        });
      },
      { page: true },
    )
    .post(
      '/tenants/:tenant/members',
      async ({ principal, viewer, request, body, params }) => {
        requireAdmin(principal);
        const input = formOf(body);
        return submit({
          ...PAGE,
          request,
          viewer,
          form: `member:${params.tenant}`,
          input,
          run: async () => {
            await addMember(ctx, principal, params.tenant, text(input, 'userId'));
            return params.tenant;
          },
          render: (state) => section(principal, viewer, state),
          notice: () => 'Member added.',
        });
      },
      { page: true },
    )
    .post(
      '/tenants/:tenant/members/:user/remove',
      async ({ principal, viewer, request, body, params }) => {
        requireAdmin(principal);
        return submit({
          ...PAGE,
          request,
          viewer,
          form: `member:${params.tenant}`,
          input: formOf(body),
          run: () => removeMember(ctx, principal, params.tenant, params.user),
          render: (state) => section(principal, viewer, state),
          notice: () => 'Member removed.',
        });
      },
      { page: true },
    )
    .post(
      '/tenants/:tenant/delete',
      async ({ principal, viewer, request, body, params }) => {
        requireAdmin(principal);
        return submit({
          ...PAGE,
          request,
          viewer,
          form: `delete:${params.tenant}`,
          input: formOf(body),
          run: async () => {
            const tenant = await getTenant(ctx, principal, params.tenant);
            await deleteTenant(ctx, principal, params.tenant);
            return tenant;
          },
          render: (state) => section(principal, viewer, state),
          notice: (x) => `Tenant "${x.name}" deleted.`,
        });
      },
      { page: true },
    );
}
