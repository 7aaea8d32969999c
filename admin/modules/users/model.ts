import { t, type Static } from 'elysia';
import { Id } from '../../model.ts';
import { USERNAME_PATTERN } from '../../settings.ts';

export const Role = t.Union([t.Literal('admin'), t.Literal('member')]);
export const Username = t.String({ minLength: 1, maxLength: 64, pattern: USERNAME_PATTERN });
export const Password = t.String({ minLength: 8, maxLength: 1024, description: 'At least 8 characters.' });
export const TenantIds = t.Array(Id, { maxItems: 1000, uniqueItems: true });

export const NewUserBody = t.Object(
  {
    username: Username,
    password: Password,
    role: t.Optional(Role),
    active: t.Optional(t.Boolean()),
    tenantIds: t.Optional(TenantIds),
  },
  { additionalProperties: false },
);
export type NewUserBody = Static<typeof NewUserBody>;

export const UserPatchBody = t.Object(
  {
    role: t.Optional(Role),
    active: t.Optional(t.Boolean()),
    password: t.Optional(Password),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UserPatchBody = Static<typeof UserPatchBody>;

export const MembershipsBody = t.Object({ tenantIds: TenantIds }, { additionalProperties: false });
