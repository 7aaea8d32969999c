import { t, type Static } from 'elysia';
import { Id, TokenView } from '../../model.ts';

export const NewTokenBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'What the token is for, e.g. "ci-deploy".' }),
    tenantIds: t.Optional(
      t.Array(Id, {
        maxItems: 1000,
        uniqueItems: true,
        description: "Tenants the token may act on (members: only their own). Empty or absent: the owner's tenants at the time of use.",
      }),
    ),
    expiresAt: t.Optional(t.String({ format: 'date-time', description: 'When the token stops working; absent: never.' })),
  },
  { additionalProperties: false },
);
export type NewTokenBody = Static<typeof NewTokenBody>;

export const CreatedTokenView = t.Composite([
  TokenView,
  t.Object({ token: t.String({ description: 'The token itself: shown this once, stored only as a hash.' }) }),
]);

export const TokenListQuery = t.Object(
  { userId: t.Optional(Id) },
  { additionalProperties: false },
);
