/**
 * The users console page (`/users`, admins): the same service calls as `/api/users`, so authorization,
 * validation, the last-admin rule and the audit entries are the API's.
 */
import { Elysia } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { type Principal, requireAdmin } from '../auth/authorize.ts';
import { consoleBase, page } from '../console/http.ts';
import { checkbox, checked, formOf, list, submit, text } from '../console/form.ts';
import { listTenants } from '../tenants/service.ts';
import type { PageState } from '../../../views/admin/forms.tsx';
import { UsersSection } from '../../../views/admin/users.tsx';
import type { Viewer } from '../../../views/layout.tsx';
import { MembershipsBody, NewUserBody, UserPatchBody } from './model.ts';
import { createUser, deleteUser, getUser, listUsers, setUserTenants, updateUser, type UserPatchInput } from './service.ts';

const PAGE = { title: 'Users', active: 'users', location: '/users' } as const;

export function userPages(ctx: AdminContext) {
  async function section(p: Principal, viewer: Viewer, state: PageState = {}): Promise<JSX.Element> {
    const [users, tenants] = await Promise.all([listUsers(ctx, p), listTenants(ctx, p)]);
    return UsersSection({ viewer, selfId: p.user.id, users: users.map((u) => ({ ...u.user, tenantIds: u.tenantIds })), tenants, state });
  }

  return new Elysia()
    .use(consoleBase(ctx))
    .get(
      '/users',
      async ({ principal, viewer, request }) => {
        requireAdmin(principal);
        return page(request, viewer, await section(principal, viewer), PAGE);
      },
      { page: true },
    )
    .post(
      '/users',
      async ({ principal, viewer, request, body }) => {
        requireAdmin(principal);
        const input = formOf(body);
        return submit({
          ...PAGE,
          request,
          viewer,
          form: 'create',
          input,
          run: () => {
            const role = text(input, 'role');
            const user = checked(NewUserBody, {
              username: text(input, 'username'),
              password: text(input, 'password'),
              ...(role ? { role } : {}),
              tenantIds: list(input, 'tenantIds'),
            });
            return createUser(ctx, principal, user);
          },
          render: (state) => section(principal, viewer, state),
          notice: (r) => `User "${r.user.username}" created.`,
        });
      },
      { page: true },
    )
    .post(
      '/users/:user',
      async ({ principal, viewer, request, body, params }) => {
        requireAdmin(principal);
        const input = formOf(body);
        return submit({
          ...PAGE,
          request,
          viewer,
          form: `edit:${params.user}`,
          input,
          run: async () => {
            const current = await getUser(ctx, principal, params.user);
            // Send only what changed, as a PATCH client would: no empty audit entries.
            const patch: UserPatchInput = {};
            const role = text(input, 'role');
            if (role !== current.user.role) patch.role = role as UserPatchInput['role'];
            const active = checkbox(input, 'active');
            if (active !== current.user.active) patch.active = active;
            const { tenantIds } = checked(MembershipsBody, { tenantIds: list(input, 'tenantIds') });
            const sameTenants = tenantIds.length === current.tenantIds.length && tenantIds.every((id) => current.tenantIds.includes(id));
            let result = current;
            if (Object.keys(patch).length > 0) result = await updateUser(ctx, principal, params.user, checked(UserPatchBody, patch));
            if (!sameTenants) result = await setUserTenants(ctx, principal, params.user, tenantIds);
            return { user: result.user, changed: Object.keys(patch).length > 0 || !sameTenants };
          },
          render: (state) => section(principal, viewer, state),
          notice: (r) => (r.changed ? `User "${r.user.username}" saved.` : `User "${r.user.username}": nothing changed.`),
        });
      },
      { page: true },
    )
    .post(
      '/users/:user/password',
      async ({ principal, viewer, request, body, params }) => {
        requireAdmin(principal);
        const input = formOf(body);
        return submit({
          ...PAGE,
          request,
          viewer,
          form: `password:${params.user}`,
          input,
          run: () => updateUser(ctx, principal, params.user, checked(UserPatchBody, { password: text(input, 'password') })),
          render: (state) => section(principal, viewer, state),
          notice: (r) => `Password of "${r.user.username}" reset; their sessions ended.`,
        });
      },
      { page: true },
    )
    .post(
      '/users/:user/delete',
      async ({ principal, viewer, request, body, params }) => {
        requireAdmin(principal);
        return submit({
          ...PAGE,
          request,
          viewer,
          form: `delete:${params.user}`,
          input: formOf(body),
          run: async () => {
            const { user } = await getUser(ctx, principal, params.user);
            await deleteUser(ctx, principal, params.user);
            return user;
          },
          render: (state) => section(principal, viewer, state),
          notice: (user) => `User "${user.username}" deleted.`,
        });
      },
      { page: true },
    );
}
