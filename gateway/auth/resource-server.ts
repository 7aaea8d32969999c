/**
 * Routers with `auth.issuer` act as OAuth 2.1 resource servers (MCP `basic/authorization`, 2025-06-18 and
 * 2025-11-25): every request carries `Authorization: Bearer <JWT>`, checked here against the issuer's
 * JSON Web Key Set (signature, `iss`, `aud`, `exp`/`nbf`, required scopes).
 *
 * The keys come from `jwksUri`, or from the `jwks_uri` of the issuer's metadata (OpenID discovery, then
 * RFC 8414). Both are outbound requests a config chooses, so they pass the gateway's SSRF guard like an
 * HTTP tool's, follow no redirects and time out. jose's remote key set caches the keys and refetches them
 * when a token names an unknown `kid` (key rotation).
 */
import { createRemoteJWKSet, customFetch, errors, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { AuthVerdict, RouterAuthenticator } from '../routing/endpoint.ts';
import type { SsrfGuard } from '../tools/ssrf.ts';

/** What verifying needs from the process. */
export interface ResourceServerRuntime {
  readonly guard: SsrfGuard;
  readonly log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;
  /** Limit of each metadata or key-set fetch (ms). Default 5000. */
  readonly fetchTimeoutMs?: number;
  /** How long a failed discovery or key fetch is answered from memory before it is tried again (ms). Default 10 000. */
  readonly retryAfterMs?: number;
  /** Clock (ms), injectable in tests. */
  readonly now?: () => number;
}

/** The router's `auth` once an issuer and an audience are known (validation guarantees both). */
export interface ResourceServerConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri?: string;
  readonly requiredScopes?: readonly string[];
}

/** Tolerated clock difference with the authorization server for `exp` and `nbf` (seconds). */
const CLOCK_SKEW_S = 30;
/** Largest metadata document read. */
const MAX_METADATA_BYTES = 256 * 1024;
/** Asymmetric algorithms only: a key set never holds shared secrets, and `none` is never accepted. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** A failure to obtain the issuer's keys (as opposed to a bad token): answered 503, never 200. */
class KeySourceError extends Error {
  readonly code = 'auth_key_source';
}

const MISSING: AuthVerdict = Object.freeze({ ok: false, status: 401, message: 'Unauthorized: a bearer token is required' });

/** Compiles a router's auth. Nothing is fetched until the first token arrives. */
export function createResourceServer(config: ResourceServerConfig, runtime: ResourceServerRuntime): RouterAuthenticator {
  const timeoutMs = runtime.fetchTimeoutMs ?? 5000;
  const retryAfterMs = runtime.retryAfterMs ?? 10_000;
  const now = runtime.now ?? Date.now;
  const scopes = Object.freeze([...(config.requiredScopes ?? [])]);
  const fetchGuarded = guardedFetch(runtime.guard, timeoutMs);

  let keys: Promise<JWTVerifyGetKey> | undefined;
  /** The last key-source failure and when it happened: requests meanwhile fail fast with it. */
  let failed: { at: number; error: KeySourceError } | undefined;

  const keySet = (): Promise<JWTVerifyGetKey> => {
    keys ??= (async () => {
      const jwksUri = config.jwksUri ?? (await discoverJwksUri(config.issuer, fetchGuarded));
      return createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: timeoutMs,
        [customFetch]: (url, init) => fetchGuarded(url, init as RequestInit),
      });
    })();
    return keys;
  };

  const keySourceFailed = (err: unknown): AuthVerdict => {
    const error = err instanceof KeySourceError ? err : new KeySourceError(err instanceof Error ? err.message : String(err));
    // Logged at most once per retryAfterMs: requests meanwhile fail fast without trying again.
    runtime.log?.('warn', 'auth: cannot obtain the issuer\'s keys; requests to the router are refused', {
      issuer: config.issuer,
      reason: error.message,
    });
    failed = { at: now(), error };
    // Discovery is retried from scratch: the metadata may have been what failed.
    keys = undefined;
    return { ok: false, status: 503, message: 'Service Unavailable: the router cannot verify access tokens now' };
  };

  const verify = async (authorization: string | null): Promise<AuthVerdict> => {
    const token = bearerToken(authorization);
    if (token === undefined) return MISSING;
    if (failed !== undefined) {
      if (now() - failed.at < retryAfterMs) return { ok: false, status: 503, message: 'Service Unavailable: the router cannot verify access tokens now' };
      failed = undefined;
    }
    let payload: JWTPayload;
    try {
      const getKey = await keySet();
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_SKEW_S,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(now()),
      }));
    } catch (err) {
      const rejection = tokenRejection(err);
      return rejection ?? keySourceFailed(err);
    }
    const granted = grantedScopes(payload);
    for (const scope of scopes) {
      if (!granted.has(scope)) {
        return { ok: false, status: 403, error: 'insufficient_scope', message: `the token lacks the scope ${scope}` };
      }
    }
    return { ok: true, principal: `${payload.iss} ${payload.sub}` };
  };

  return Object.freeze({ mode: 'oauth2' as const, issuer: config.issuer, scopes, verify });
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1), if any. */
function bearerToken(header: string | null): string | undefined {
  if (header === null || header.length < 8) return undefined;
  if (header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}

/** The `scope` claim (space-separated, RFC 8693 §4.2), or `scp` as a list as some issuers send it. */
function grantedScopes(payload: JWTPayload): Set<string> {
  const scope = payload.scope;
  if (typeof scope === 'string') return new Set(scope.split(' ').filter((s) => s !== ''));
  const scp = payload.scp;
  if (Array.isArray(scp)) return new Set(scp.filter((s): s is string => typeof s === 'string'));
  if (typeof scp === 'string') return new Set(scp.split(' ').filter((s) => s !== ''));
  return new Set();
}

/** The 401 for an error that says the token is bad; undefined when the keys could not be obtained. */
function tokenRejection(err: unknown): AuthVerdict | undefined {
  if (!(err instanceof errors.JOSEError) || err instanceof KeySourceError) return undefined;
  let message: string;
  if (err instanceof errors.JWTExpired) message = 'the token has expired';
  else if (err instanceof errors.JWTClaimValidationFailed) message = `the token's ${safeWord(err.claim)} claim is not accepted`;
  else if (err instanceof errors.JWSSignatureVerificationFailed) message = 'the token signature is invalid';
  else if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) message = 'no key of the issuer matches the token';
  else if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) message = 'the token\'s algorithm is not accepted';
  else if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) message = 'the token is malformed';
  else return undefined;
  return { ok: false, status: 401, error: 'invalid_token', message };
}

/** Claim names come from the token's validation; keep them fit for a quoted header parameter. */
function safeWord(text: string): string {
  return /^[A-Za-z0-9_.-]{1,32}$/.test(text) ? text : 'a';
}

type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** fetch through the SSRF guard: refused addresses throw KeySourceError, no redirects, a timeout. */
function guardedFetch(guard: SsrfGuard, timeoutMs: number): FetchLike {
  return async (url, init = {}) => {
    const target = new URL(url);
    const verdict = await guard.check(target);
    if (!verdict.ok) throw new KeySourceError(`${target.origin} refused by the SSRF guard: ${verdict.reason}`);
    const headers = new Headers(init.headers);
    if (verdict.hostHeader !== undefined) headers.set('host', verdict.hostHeader);
    try {
      return await fetch(verdict.pinnedUrl ?? target, {
        ...init,
        headers,
        redirect: 'manual',
        signal: init.signal ?? AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new KeySourceError(`${target.origin}${target.pathname}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

/**
 * The issuer's `jwks_uri`: OpenID discovery (`<issuer>/.well-known/openid-configuration`), then RFC 8414
 * (`/.well-known/oauth-authorization-server` inserted before the issuer's path). The document's `issuer`
 * must equal the configured one (RFC 8414 §3.3), or another server's keys could be trusted.
 */
async function discoverJwksUri(issuer: string, fetchGuarded: FetchLike): Promise<string> {
  const base = new URL(issuer);
  const path = base.pathname === '/' ? '' : base.pathname.replace(/\/+$/, '');
  const candidates = [
    `${base.origin}${path}/.well-known/openid-configuration`,
    `${base.origin}/.well-known/oauth-authorization-server${path}`,
  ];
  const failures: string[] = [];
  for (const url of candidates) {
    let res: Response;
    try {
      res = await fetchGuarded(url, { headers: { accept: 'application/json' } });
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
      continue;
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      failures.push(`${url}: HTTP ${res.status}`);
      continue;
    }
    const text = await res.text();
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      if (text.length > MAX_METADATA_BYTES) throw new Error('too large');
      doc = JSON.parse(text) as typeof doc;
    } catch (err) {
      failures.push(`${url}: not a JSON document (${err instanceof Error ? err.message : 'invalid'})`);
      continue;
    }
    if (doc.issuer !== issuer) {
      failures.push(`${url}: the document's issuer ${JSON.stringify(doc.issuer)} is not ${JSON.stringify(issuer)}`);
      continue;
    }
    if (typeof doc.jwks_uri !== 'string' || !/^https?:\/\//.test(doc.jwks_uri)) {
      failures.push(`${url}: no jwks_uri`);
      continue;
    }
    return doc.jwks_uri;
  }
  throw new KeySourceError(`issuer metadata: ${failures.join('; ')}`);
}
