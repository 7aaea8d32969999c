/**
 * The HTTP side of routers with `auth` (MCP `basic/authorization`): the `WWW-Authenticate` challenge on
 * 401/403 (RFC 6750 §3, RFC 9728 §5.1) and the Protected Resource Metadata document (RFC 9728 §3).
 * Token checking itself is the router's RouterAuthenticator (gateway/auth).
 */
import type { AuthVerdict, RouterAuthenticator } from '../routing/endpoint.ts';
import type { CorsHeaders } from './cors.ts';
import { rpcError } from './http.ts';
import { SERVER_ERROR } from './jsonrpc.ts';

/** Where a router's metadata is served, under its prefix (the brief's form) and RFC 9728's path form. */
export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

/** The request's origin. The gateway has no trusted-proxy setting, so forwarded headers are ignored. */
export function requestOrigin(req: Request): string {
  return new URL(req.url).origin;
}

/** The URL the challenge points clients at. */
export function resourceMetadataUrl(origin: string, prefix: string): string {
  return `${origin}${prefix}${RESOURCE_METADATA_PATH}`;
}

/** Quoted-string content: our messages never hold quotes or backslashes, but a header must not break. */
function quoted(text: string): string {
  return `"${text.replace(/["\\\r\n]/g, "'")}"`;
}

/** The answer to a refused request: 401/403 with the challenge, or 503 when the keys cannot be fetched. */
export function authRefusal(req: Request, prefix: string, auth: RouterAuthenticator, verdict: AuthVerdict & { ok: false }, cors: CorsHeaders): Response {
  if (verdict.status === 503) return rpcError(503, SERVER_ERROR, verdict.message, cors);
  let challenge = `Bearer resource_metadata=${quoted(resourceMetadataUrl(requestOrigin(req), prefix))}`;
  // 2025-11-25: the server SHOULD say which scopes to ask for, on 401 and on the step-up 403.
  if (auth.scopes.length > 0) challenge += `, scope=${quoted(auth.scopes.join(' '))}`;
  if (verdict.error !== undefined) challenge += `, error=${quoted(verdict.error)}, error_description=${quoted(verdict.message)}`;
  const extra = cors === undefined ? { 'www-authenticate': challenge } : { ...cors, 'www-authenticate': challenge };
  const message = verdict.status === 403 ? `Forbidden: ${verdict.message}` : verdict.error === undefined ? verdict.message : `Unauthorized: ${verdict.message}`;
  return rpcError(verdict.status, SERVER_ERROR, message, extra);
}

/** RFC 9728 Protected Resource Metadata of the router at `prefix`; public, so any origin may read it. */
export function protectedResourceMetadata(req: Request, prefix: string, auth: RouterAuthenticator): Response {
  const doc: Record<string, unknown> = {
    resource: `${requestOrigin(req)}${prefix}/mcp`,
    authorization_servers: [auth.issuer],
  };
  if (auth.scopes.length > 0) doc.scopes_supported = auth.scopes;
  doc.bearer_methods_supported = ['header'];
  return new Response(JSON.stringify(doc), {
    status: 200,
    headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'cache-control': 'max-age=300' },
  });
}
