/**
 * What anything thrown by a route means for the caller: a stable code, a message that is safe to show
 * (never a value from the request, which may be a password), the offending field, and `Retry-After`.
 * The API renders it as JSON (`server.ts`), the console as HTML (`modules/console/http.ts`); statuses
 * come from `ERROR_STATUS`. Failures that are ours, not the caller's, are logged here.
 */
import { ValidationError } from 'elysia';
import { AdminError, type AdminErrorCode } from './errors.ts';
import { StoreError } from './store/types.ts';

export interface DescribedError {
  code: AdminErrorCode;
  message: string;
  /** For validation errors: the offending field, e.g. `body.prefix`. */
  path?: string;
  retryAfter?: number;
}

/** `/body/tenantIds/0` in `body` → `body.tenantIds[0]`. */
function fieldPath(where: string, pointer: string): string {
  let out = where;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }
  return out;
}

export function describeError(code: string | number, error: unknown, request: Request): DescribedError {
  if (error instanceof AdminError) {
    return {
      code: error.code,
      message: error.message,
      ...(error.path !== undefined ? { path: error.path } : {}),
      ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
    };
  }
  if (error instanceof ValidationError) {
    if (error.type === 'response') {
      console.error(`admin: response of ${request.method} ${new URL(request.url).pathname} does not match its schema: ${error.message}`);
      return { code: 'internal', message: 'internal error' };
    }
    const first = error.all[0] as { path?: string; message?: string; schema?: { anyOf?: { type?: unknown; format?: unknown }[] } } | undefined;
    const path = fieldPath(error.type, first?.path ?? '');
    // TypeBox's `message` never quotes the value (which may be a password); a union says little alone.
    // (Elysia accepts query numbers as `{ type: string, format: integer } | integer`.)
    const kinds = first?.schema?.anyOf?.map((s) => s.format ?? s.type).filter((k): k is string => typeof k === 'string');
    const message = kinds?.length ? `Expected ${[...new Set(kinds)].join(' or ')}` : (first?.message ?? 'invalid value');
    return { code: 'validation', message: `${path}: ${message}`, path };
  }
  if (code === 'PARSE') return { code: 'validation', message: 'body: malformed request body', path: 'body' };
  if (code === 'NOT_FOUND') return { code: 'not_found', message: `no route for ${request.method} ${new URL(request.url).pathname}` };
  if (error instanceof StoreError && error.code === 'conflict') return { code: 'conflict', message: error.message };
  if (error instanceof StoreError) {
    console.error(`admin: data store: ${error.message}`);
    return { code: 'internal', message: 'data store unavailable' };
  }
  console.error('admin: unexpected error', error);
  return { code: 'internal', message: 'internal error' };
}
