/**
 * Shared HTTP models: the error body and the presenters that turn store records into JSON-ready
 * views (ISO times, never a hash or a secret). Feature models sit in `modules/<feature>/model.ts`.
 */
import { t, type Static } from 'elysia';
import type { ApiToken, AuditEntry, Tenant, User } from './store/types.ts';

export const ErrorBody = t.Object(
  {
    error: t.Object({
      code: t.Union(
        ['not_found', 'forbidden', 'unauthorized', 'validation', 'conflict', 'csrf', 'rate_limited', 'unavailable', 'internal'].map((c) => t.Literal(c)),
      ),
      message: t.String(),
      path: t.Optional(t.String({ description: 'For validation errors: the offending field, e.g. body.tenantIds[0].' })),
    }),
  },
  { description: 'Every error: a stable code and a message for people.' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** Ids are opaque strings chosen by the store. */
export const Id = t.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });
export const IdParams = t.Object({ id: Id });
/** For routes without query parameters: an unexpected one is a validation error, not ignored. */
export const NoQuery = t.Object({}, { additionalProperties: false });

const Time = t.String({ format: 'date-time' });

export const UserView = t.Object({
  id: t.String(),
  username: t.String(),
  role: t.Union([t.Literal('admin'), t.Literal('member')]),
  active: t.Boolean(),
  createdAt: Time,
  updatedAt: Time,
  tenantIds: t.Optional(t.Array(t.String(), { description: 'Tenant memberships (in lists and single reads).' })),
});
export type UserView = Static<typeof UserView>;

export function presentUser(u: User, tenantIds?: readonly string[]): UserView {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    active: u.active,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    ...(tenantIds ? { tenantIds: [...tenantIds] } : {}),
  };
}

export const TenantView = t.Object({
  id: t.String(),
  name: t.String(),
  prefix: t.String(),
  description: t.String(),
  active: t.Boolean(),
  createdAt: Time,
  updatedAt: Time,
});
export type TenantView = Static<typeof TenantView>;

export function presentTenant(x: Tenant): TenantView {
  return {
    id: x.id,
    name: x.name,
    prefix: x.prefix,
    description: x.description,
    active: x.active,
    createdAt: x.createdAt.toISOString(),
    updatedAt: x.updatedAt.toISOString(),
  };
}

export const TokenView = t.Object({
  id: t.String(),
  userId: t.String(),
  name: t.String(),
  displayPrefix: t.String({ description: 'The first characters of the token, to tell tokens apart.' }),
  tenantIds: t.Array(t.String(), { description: "Scope; empty = the owner's tenants at the time of use." }),
  createdAt: Time,
  lastUsedAt: t.Union([Time, t.Null()]),
  expiresAt: t.Union([Time, t.Null()]),
  revokedAt: t.Union([Time, t.Null()]),
});
export type TokenView = Static<typeof TokenView>;

const iso = (d: Date | undefined): string | null => (d === undefined ? null : d.toISOString());

export function presentToken(x: ApiToken): TokenView {
  return {
    id: x.id,
    userId: x.userId,
    name: x.name,
    displayPrefix: x.displayPrefix,
    tenantIds: [...x.tenantIds],
    createdAt: x.createdAt.toISOString(),
    lastUsedAt: iso(x.lastUsedAt),
    expiresAt: iso(x.expiresAt),
    revokedAt: iso(x.revokedAt),
  };
}

export const AuditView = t.Object({
  id: t.String(),
  at: Time,
  actor: t.String(),
  action: t.String(),
  target: t.String(),
  tenantId: t.Union([t.String(), t.Null()]),
  details: t.Record(t.String(), t.Unknown()),
});
export type AuditView = Static<typeof AuditView>;

export function presentAudit(e: AuditEntry): AuditView {
  return {
    id: e.id,
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    target: e.target,
    tenantId: e.tenantId ?? null,
    details: e.details,
  };
}

/** Standard error responses for the swagger document. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  429: ErrorBody,
} as const;
