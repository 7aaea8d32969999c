/**
 * The tenants console page (`/tenants`, admins): the same service calls as `/api/tenants`, so prefix
 * rules, membership changes and audit entries are the API's.
 */
import { Elysia } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { requireAdmin } from '../auth/authorize.ts';
import { consoleBase } from '../console/http.ts';
import { changedFields, checkbox, checked, formPage, savedNotice, text } from '../console/form.ts';
import { listUsers } from '../users/service.ts';
import { TenantsSection } from '../../../views/admin/tenants.tsx';
import { NewTenantBody, TenantPatchBody } from './model.ts';
import { addMember, createTenant, deleteTenant, getTenant, listMembers, listTenants, removeMember, updateTenant } from './service.ts';

export function tenantPages(ctx: AdminContext) {
  const tenants = formPage({
    title: 'Tenants',
    active: 'tenants',
    location: '/tenants',
    allow: requireAdmin,
    async section(p, viewer, state) {
      const [tenants, users] = await Promise.all([listTenants(ctx, p), listUsers(ctx, p)]);
      const rows = await Promise.all(tenants.map(async (x) => ({ ...x, members: await listMembers(ctx, p, x.id) })));
      return TenantsSection({ viewer, tenants: rows, users: users.map((u) => u.user), state });
    },
  });

  return new Elysia()
    .use(consoleBase(ctx))
    .get('/tenants', (c) => tenants.show(c), { page: true })
    .post(
      '/tenants',
      (c) =>
        tenants.post(c, {
          form: 'create',
          run: (input) =>
            createTenant(
              ctx,
              c.principal,
              checked(NewTenantBody, {
                name: text(input, 'name'),
                prefix: text(input, 'prefix'),
                description: text(input, 'description'),
                active: checkbox(input, 'active'),
              }),
            ),
          notice: (x) => `Tenant "${x.name}" created.`,
        }),
      { page: true },
    )
    .post(
      '/tenants/:tenant',
      (c) =>
        tenants.post(c, {
          form: `edit:${c.params.tenant}`,
          run: async (input) => {
            const current = await getTenant(ctx, c.principal, c.params.tenant);
            const patch = changedFields(current, { prefix: text(input, 'prefix'), description: text(input, 'description'), active: checkbox(input, 'active') });
            if (Object.keys(patch).length === 0) return { tenant: current, changed: false };
            return { tenant: await updateTenant(ctx, c.principal, c.params.tenant, checked(TenantPatchBody, patch)), changed: true };
          },
          notice: (r) => savedNotice(`Tenant "${r.tenant.name}"`, r.changed),
        }),
      { page: true },
    )
    .post(
      '/tenants/:tenant/members',
      (c) =>
        tenants.post(c, {
          form: `member:${c.params.tenant}`,
          run: (input) => addMember(ctx, c.principal, c.params.tenant, text(input, 'userId')),
          notice: () => 'Member added.',
        }),
      { page: true },
    )
    .post(
      '/tenants/:tenant/members/:user/remove',
      (c) =>
        tenants.post(c, {
          form: `member:${c.params.tenant}`,
          run: () => removeMember(ctx, c.principal, c.params.tenant, c.params.user),
          notice: () => 'Member removed.',
        }),
      { page: true },
    )
    .post(
      '/tenants/:tenant/delete',
      (c) =>
        tenants.post(c, {
          form: `delete:${c.params.tenant}`,
          run: async () => {
            const tenant = await getTenant(ctx, c.principal, c.params.tenant);
            await deleteTenant(ctx, c.principal, c.params.tenant);
            return tenant;
          },
          notice: (x) => `Tenant "${x.name}" deleted.`,
        }),
      { page: true },
    );
}
