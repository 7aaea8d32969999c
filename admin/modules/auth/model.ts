import { t, type Static } from 'elysia';
import { TenantView, UserView } from '../../model.ts';

export const LoginBody = t.Object(
  {
    username: t.String({ minLength: 1, maxLength: 128 }),
    password: t.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const PasswordBody = t.Object(
  {
    currentPassword: t.String({ minLength: 1, maxLength: 1024 }),
    newPassword: t.String({ minLength: 8, maxLength: 1024, description: 'At least 8 characters.' }),
  },
  { additionalProperties: false },
);
export type PasswordBody = Static<typeof PasswordBody>;

export const SessionView = t.Object({
  user: UserView,
  csrfToken: t.String({ description: 'Send it back as the X-CSRF-Token header on every state-changing console request.' }),
  expiresAt: t.String({ format: 'date-time' }),
});
export type SessionView = Static<typeof SessionView>;

export const MeView = t.Object({
  user: UserView,
  tenants: t.Array(TenantView, { description: 'The tenants the caller may see.' }),
  via: t.Union([t.Literal('session'), t.Literal('token')]),
  csrfToken: t.Optional(t.String({ description: 'Console sessions only.' })),
  tokenId: t.Optional(t.String({ description: 'API tokens only.' })),
});
export type MeView = Static<typeof MeView>;
