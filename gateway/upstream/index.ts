/**
 * Upstream MCP servers behind the gateway: SDK clients per transport (stdio on our own process-group
 * transport, SSE, Streamable HTTP), pooled by spec hash so reloads keep live connections, and the
 * Endpoint a router pointing at an mcpServers entry serves.
 */
export { CLIENT_INFO, Connection } from './connection.ts';
export { type RetainOptions, UpstreamPool, type UpstreamPoolOptions } from './pool.ts';
export { compileShaper, globToRegExp, type ToolShaper } from './shaping.ts';
export {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  displayUrl,
  type NormalizedSpec,
  normalizeSpec,
  redact,
  SAFE_ENV_NAMES,
  safeBaseEnv,
  specHash,
} from './spec.ts';
export { ProcessTransport, type ProcessTransportOptions } from './stdio-transport.ts';
export { type LogFn, Upstream, type UpstreamOptions, type UpstreamResult, type UpstreamStatus, UpstreamUnavailable } from './upstream.ts';
export { compileUpstreamEndpoint, type UpstreamEndpoint, type UpstreamEndpointInput, type UpstreamRuntime } from './upstream-endpoint.ts';
