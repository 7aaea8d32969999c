/** API token routes (`/api/tokens`). */
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { errorResponses, NoQuery, IdParams, presentToken, TokenView } from '../../model.ts';
import { authPlugin } from '../auth/index.ts';
import { CreatedTokenView, NewTokenBody, TokenListQuery } from './model.ts';
import { createToken, getToken, listTokens, revokeToken } from './service.ts';

const detail = (summary: string, description?: string) => ({ tags: ['tokens'], summary, ...(description ? { description } : {}) });

export function tokensRoutes(ctx: AdminContext) {
  return new Elysia({ prefix: '/tokens' })
    .use(authPlugin(ctx))
    .get('', async ({ principal, query }) => (await listTokens(ctx, principal, query.userId)).map(presentToken), {
      auth: true,
      query: TokenListQuery,
      response: { 200: t.Array(TokenView), ...errorResponses },
      detail: detail("List the caller's tokens (admins: ?userId= for another user's)"),
    })
    .post(
      '',
      async ({ principal, body, set }) => {
        const created = await createToken(ctx, principal, body);
        set.status = 201;
        return { ...presentToken(created.record), token: created.token };
      },
      {
        auth: true,
        query: NoQuery,
        body: NewTokenBody,
        response: { 201: CreatedTokenView, ...errorResponses },
        detail: detail('Create an API token (console session)', 'The token is in this response only; it is stored as a hash.'),
      },
    )
    .get('/:id', async ({ principal, params }) => presentToken(await getToken(ctx, principal, params.id)), {
      auth: true,
      query: NoQuery,
      params: IdParams,
      response: { 200: TokenView, ...errorResponses },
      detail: detail('Read a token (owner or admins)'),
    })
    .delete('/:id', async ({ principal, params }) => presentToken(await revokeToken(ctx, principal, params.id)), {
      auth: true,
      query: NoQuery,
      params: IdParams,
      response: { 200: TokenView, ...errorResponses },
      detail: detail('Revoke a token (owner or admins)'),
    });
}
