/**
 * The users console page (`/users`, admins): the same service calls as `/api/users`, so authorization,
 * validation, the last-admin rule and the audit entries are the API's.
 */
import { Elysia } from 'elysia';
import type { AdminContext } from '../../context.ts';
import type { Role } from '../../store/types.ts';
import { requireAdmin } from '../auth/authorize.ts';
import { consoleBase } from '../console/http.ts';
import { changedFields, checkbox, checked, formPage, list, savedNotice, text } from '../console/form.ts';
import { listTenants } from '../tenants/service.ts';
import { UsersSection } from '../../../views/admin/users.tsx';
import { MembershipsBody, NewUserBody, UserPatchBody } from './model.ts';
import { createUser, deleteUser, getUser, listUsers, setUserTenants, updateUser } from './service.ts';

export function userPages(ctx: AdminContext) {
  const users = formPage({
    title: 'Users',
    active: 'users',
    location: '/users',
    allow: requireAdmin,
    async section(p, viewer, state) {
      const [users, tenants] = await Promise.all([listUsers(ctx, p), listTenants(ctx, p)]);
      return UsersSection({ viewer, selfId: p.user.id, users: users.map((u) => ({ ...u.user, tenantIds: u.tenantIds })), tenants, state });
    },
  });

  return new Elysia()
    .use(consoleBase(ctx))
    .get('/users', (c) => users.show(c), { page: true })
    .post(
      '/users',
      (c) =>
        users.post(c, {
          form: 'create',
          run: (input) => {
            const role = text(input, 'role');
            const user = checked(NewUserBody, {
              username: text(input, 'username'),
              password: text(input, 'password'),
              ...(role ? { role } : {}),
              tenantIds: list(input, 'tenantIds'),
            });
            return createUser(ctx, c.principal, user);
          },
          notice: (r) => `User "${r.user.username}" created.`,
        }),
      { page: true },
    )
    .post(
      '/users/:user',
      (c) =>
        users.post(c, {
          form: `edit:${c.params.user}`,
          run: async (input) => {
            const current = await getUser(ctx, c.principal, c.params.user);
            const patch = changedFields(current.user, { role: text(input, 'role') as Role, active: checkbox(input, 'active') });
            const { tenantIds } = checked(MembershipsBody, { tenantIds: list(input, 'tenantIds') });
            const sameTenants = tenantIds.length === current.tenantIds.length && tenantIds.every((id) => current.tenantIds.includes(id));
            let result = current;
            if (Object.keys(patch).length > 0) result = await updateUser(ctx, c.principal, c.params.user, checked(UserPatchBody, patch));
            if (!sameTenants) result = await setUserTenants(ctx, c.principal, c.params.user, tenantIds);
            return { user: result.user, changed: Object.keys(patch).length > 0 || !sameTenants };
          },
          notice: (r) => savedNotice(`User "${r.user.username}"`, r.changed),
        }),
      { page: true },
    )
    .post(
      '/users/:user/password',
      (c) =>
        users.post(c, {
          form: `password:${c.params.user}`,
          run: (input) => updateUser(ctx, c.principal, c.params.user, checked(UserPatchBody, { password: text(input, 'password') })),
          notice: (r) => `Password of "${r.user.username}" reset; their sessions ended.`,
        }),
      { page: true },
    )
    .post(
      '/users/:user/delete',
      (c) =>
        users.post(c, {
          form: `delete:${c.params.user}`,
          run: async () => {
            const { user } = await getUser(ctx, c.principal, c.params.user);
            await deleteUser(ctx, c.principal, c.params.user);
            return user;
          },
          notice: (user) => `User "${user.username}" deleted.`,
        }),
      { page: true },
    );
}
