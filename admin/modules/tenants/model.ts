import { t, type Static } from 'elysia';
import { McpConfig } from '../../../gateway/config/schema.ts';
import { Id } from '../../model.ts';

/** Tenant names are the config repo's directory names: the same rule as a config's `tenant`. */
const tenantName = McpConfig.properties.tenant;
export const TenantName = t.String({ minLength: 1, maxLength: tenantName.maxLength ?? 50, pattern: tenantName.pattern ?? '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });

export const TenantPrefix = t.String({
  minLength: 2,
  maxLength: 200,
  pattern: '^(/[A-Za-z0-9._~-]+)+/?$',
  description: 'Router prefix every config of the tenant must sit under, e.g. /acme. Not nested in another tenant\'s prefix.',
});

export const NewTenantBody = t.Object(
  {
    name: TenantName,
    prefix: TenantPrefix,
    description: t.Optional(t.String({ maxLength: 1000 })),
    active: t.Optional(t.Boolean()),
  },
  { additionalProperties: false },
);
export type NewTenantBody = Static<typeof NewTenantBody>;

export const TenantPatchBody = t.Object(
  {
    prefix: t.Optional(TenantPrefix),
    description: t.Optional(t.String({ maxLength: 1000 })),
    active: t.Optional(t.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type TenantPatchBody = Static<typeof TenantPatchBody>;

export const MemberParams = t.Object({ id: Id, userId: Id });
