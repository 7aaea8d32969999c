/**
 * The admin's typed errors. Services throw them with a stable `code`; only the HTTP edge
 * (`server.ts`) maps a code to a status and the JSON body `{ "error": { "code", "message" } }`.
 */

export type AdminErrorCode =
  | 'not_found'
  | 'forbidden'
  | 'unauthorized'
  | 'validation'
  | 'conflict'
  | 'csrf'
  | 'rate_limited'
  /** A service the admin depends on (the config repo) cannot be used now. */
  | 'unavailable'
  | 'internal';

/** The HTTP status of each code: the API and the console answer the same. */
export const ERROR_STATUS: Readonly<Record<AdminErrorCode, number>> = Object.freeze({
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  csrf: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
});

/** A failure a client can act on; `message` names the thing and the failure and never holds a secret. */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    /** For `rate_limited`: seconds until a retry can succeed (the `Retry-After` header). */
    readonly retryAfter?: number,
    /** For `validation`: the offending field, e.g. `body.prefix`. */
    readonly path?: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string): AdminError => new AdminError('not_found', `${what} not found`);
export const forbidden = (message: string): AdminError => new AdminError('forbidden', message);
export const unauthorized = (message: string): AdminError => new AdminError('unauthorized', message);
export const conflict = (message: string): AdminError => new AdminError('conflict', message);
/** A value the schema accepts but the rules do not: `body.prefix: must not contain an empty segment`. */
export const invalid = (path: string, message: string): AdminError => new AdminError('validation', `${path}: ${message}`, undefined, path);
