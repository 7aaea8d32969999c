/** User routes (`/api/users`): admins manage accounts; members read themselves. */
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { errorResponses, NoQuery, IdParams, presentUser, UserView } from '../../model.ts';
import { authPlugin } from '../auth/index.ts';
import { MembershipsBody, NewUserBody, UserPatchBody } from './model.ts';
import { createUser, deleteUser, getUser, listUsers, setUserTenants, updateUser, type UserWithTenants } from './service.ts';

const view = (x: UserWithTenants) => presentUser(x.user, x.tenantIds);
const detail = (summary: string) => ({ tags: ['users'], summary });

export function usersRoutes(ctx: AdminContext) {
  return new Elysia({ prefix: '/users' })
    .use(authPlugin(ctx))
    .get('', async ({ principal }) => (await listUsers(ctx, principal)).map(view), {
      auth: true,
      query: NoQuery,
      response: { 200: t.Array(UserView), ...errorResponses },
      detail: detail('List users (admins: all; members: themselves)'),
    })
    .post(
      '',
      async ({ principal, body, set }) => {
        const created = await createUser(ctx, principal, body);
        set.status = 201;
        return view(created);
      },
      { auth: true, query: NoQuery, body: NewUserBody, response: { 201: UserView, ...errorResponses }, detail: detail('Create a user (admins)') },
    )
    .get('/:id', async ({ principal, params }) => view(await getUser(ctx, principal, params.id)), {
      auth: true,
      query: NoQuery,
      params: IdParams,
      response: { 200: UserView, ...errorResponses },
      detail: detail('Read a user (admins: any; members: themselves)'),
    })
    .patch('/:id', async ({ principal, params, body }) => view(await updateUser(ctx, principal, params.id, body)), {
      auth: true,
      query: NoQuery,
      params: IdParams,
      body: UserPatchBody,
      response: { 200: UserView, ...errorResponses },
      detail: detail('Change role, active flag or password (admins)'),
    })
    .put('/:id/tenants', async ({ principal, params, body }) => view(await setUserTenants(ctx, principal, params.id, body.tenantIds)), {
      auth: true,
      query: NoQuery,
      params: IdParams,
      body: MembershipsBody,
      response: { 200: UserView, ...errorResponses },
      detail: detail("Replace a user's tenant memberships (admins)"),
    })
    .delete(
      '/:id',
      async ({ principal, params, set }) => {
        await deleteUser(ctx, principal, params.id);
        set.status = 204;
        return undefined;
      },
      { auth: true, query: NoQuery, params: IdParams, detail: detail('Delete a user (admins)') },
    );
}
