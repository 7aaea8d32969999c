import { t } from 'elysia';
import { Id } from '../../model.ts';

export const AuditQuery = t.Object(
  {
    tenantId: t.Optional(Id),
    actor: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
    action: t.Optional(t.String({ minLength: 1, maxLength: 100 })),
    limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000, description: 'At most this many entries (default 100).' })),
    before: t.Optional(t.String({ format: 'date-time', description: 'Only entries older than this (paging).' })),
  },
  { additionalProperties: false },
);
