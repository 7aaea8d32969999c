import { t, type Static } from 'elysia';

export const ReadyView = t.Object({
  status: t.String({ description: 'True, False or Unknown' }),
  reason: t.String({ description: 'RevisionApplied, ValidationFailed, FetchFailed, CompileFailed or Loading' }),
  lastTransitionTime: t.Union([t.String(), t.Null()]),
  message: t.Optional(t.String({ description: 'Admins only: may name other tenants\' files.' })),
  issues: t.Optional(t.Array(t.String(), { description: 'Admins only.' })),
});

export const GatewayStatusView = t.Object({
  url: t.String(),
  ok: t.Boolean({ description: 'Whether /_status answered.' }),
  ready: t.Union([ReadyView, t.Null()]),
  lastAppliedRevision: t.Union([t.String(), t.Null()]),
  lastAttemptedRevision: t.Union([t.String(), t.Null()]),
  error: t.Optional(t.String()),
});
export type GatewayStatusView = Static<typeof GatewayStatusView>;

export const ReloadOutcomeView = t.Object({
  url: t.String(),
  ok: t.Boolean({ description: 'Whether the gateway accepted the webhook (2xx).' }),
  status: t.Union([t.Integer(), t.Null()]),
  outcome: t.Optional(t.String({ description: 'The reload outcome the gateway reported (applied, unchanged, failed, …).' })),
  revision: t.Optional(t.Union([t.String(), t.Null()])),
  message: t.Optional(t.String()),
  issues: t.Optional(t.Array(t.String())),
  error: t.Optional(t.String()),
});
export type ReloadOutcomeView = Static<typeof ReloadOutcomeView>;

export const ReloadBody = t.Object(
  { reason: t.Optional(t.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
