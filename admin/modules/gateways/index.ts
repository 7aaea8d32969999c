/** Gateway routes (`/api/gateways`): status of every configured gateway; admins can trigger a reload. */
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { errorResponses, NoQuery } from '../../model.ts';
import { record } from '../audit/service.ts';
import { isAdmin, requireAdmin } from '../auth/authorize.ts';
import { authPlugin } from '../auth/index.ts';
import { GatewayStatusView, ReloadBody, ReloadOutcomeView } from './model.ts';
import { gatewayStatuses, notifyGateways } from './service.ts';

export function gatewaysRoutes(ctx: AdminContext) {
  return new Elysia({ prefix: '/gateways' })
    .use(authPlugin(ctx))
    .get('', ({ principal }) => gatewayStatuses(ctx.settings.gateways, { fetch: ctx.fetch, detailed: isAdmin(principal) }), {
      auth: true,
      query: NoQuery,
      response: { 200: t.Array(GatewayStatusView), ...errorResponses },
      detail: {
        tags: ['gateways'],
        summary: "Each gateway's /_status: Ready condition and revisions",
        description: 'Fetched live, 2 s timeout each. Members get the Ready status and reason without the message and issues.',
      },
    })
    .post(
      '/reload',
      async ({ principal, body }) => {
        requireAdmin(principal);
        const reason = body?.reason ?? 'admin';
        const outcomes = await notifyGateways(ctx.settings.gateways, { fetch: ctx.fetch, reason });
        await record(ctx, principal, {
          action: 'gateway.reload',
          target: 'gateways',
          details: { reason, outcomes: outcomes.map((o) => ({ url: o.url, ok: o.ok, outcome: o.outcome ?? null, revision: o.revision ?? null })) },
        });
        return outcomes;
      },
      {
        auth: true,
        query: NoQuery,
        body: t.Optional(ReloadBody),
        response: { 200: t.Array(ReloadOutcomeView), ...errorResponses },
        detail: { tags: ['gateways'], summary: 'Send the signed reload webhook to every gateway and wait for the outcomes (admins)' },
      },
    );
}
