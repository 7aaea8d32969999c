/** Tenant routes (`/api/tenants`): admins manage tenants and members; members see their own tenants. */
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { errorResponses, NoQuery, IdParams, presentTenant, presentUser, TenantView, UserView } from '../../model.ts';
import { authPlugin } from '../auth/index.ts';
import { MemberParams, NewTenantBody, TenantPatchBody } from './model.ts';
import { addMember, createTenant, deleteTenant, getTenant, listMembers, listTenants, removeMember, updateTenant } from './service.ts';

const detail = (summary: string) => ({ tags: ['tenants'], summary });

export function tenantsRoutes(ctx: AdminContext) {
  return new Elysia({ prefix: '/tenants' })
    .use(authPlugin(ctx))
    .get('', async ({ principal }) => (await listTenants(ctx, principal)).map(presentTenant), {
      auth: true,
      query: NoQuery,
      response: { 200: t.Array(TenantView), ...errorResponses },
      detail: detail('List tenants (admins: all; members: their active tenants)'),
    })
    .post(
      '',
      async ({ principal, body, set }) => {
        const created = await createTenant(ctx, principal, body);
        set.status = 201;
        return presentTenant(created);
      },
      { auth: true, query: NoQuery, body: NewTenantBody, response: { 201: TenantView, ...errorResponses }, detail: detail('Create a tenant (admins)') },
    )
    .get('/:id', async ({ principal, params }) => presentTenant(await getTenant(ctx, principal, params.id)), {
      auth: true,
      query: NoQuery,
      params: IdParams,
      response: { 200: TenantView, ...errorResponses },
      detail: detail('Read a tenant the caller can see'),
    })
    .patch('/:id', async ({ principal, params, body }) => presentTenant(await updateTenant(ctx, principal, params.id, body)), {
      auth: true,
      query: NoQuery,
      params: IdParams,
      body: TenantPatchBody,
      response: { 200: TenantView, ...errorResponses },
      detail: detail('Change prefix, description or active flag (admins)'),
    })
    .delete(
      '/:id',
      async ({ principal, params, set }) => {
        await deleteTenant(ctx, principal, params.id);
        set.status = 204;
        return undefined;
      },
      { auth: true, query: NoQuery, params: IdParams, detail: detail('Delete a tenant (admins)') },
    )
    .get('/:id/members', async ({ principal, params }) => (await listMembers(ctx, principal, params.id)).map((u) => presentUser(u)), {
      auth: true,
      query: NoQuery,
      params: IdParams,
      response: { 200: t.Array(UserView), ...errorResponses },
      detail: detail('Members of a tenant the caller can see'),
    })
    .put(
      '/:id/members/:userId',
      async ({ principal, params, set }) => {
        await addMember(ctx, principal, params.id, params.userId);
        set.status = 204;
        return undefined;
      },
      { auth: true, query: NoQuery, params: MemberParams, detail: detail('Add a member (admins)') },
    )
    .delete(
      '/:id/members/:userId',
      async ({ principal, params, set }) => {
        await removeMember(ctx, principal, params.id, params.userId);
        set.status = 204;
        return undefined;
      },
      { auth: true, query: NoQuery, params: MemberParams, detail: detail('Remove a member (admins)') },
    );
}
