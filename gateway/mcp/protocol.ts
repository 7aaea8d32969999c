/**
 * MCP protocol versions and negotiation (`basic/lifecycle` › Version Negotiation): echo the client's
 * version when we support it, otherwise answer our preferred one for the transport.
 */
import type { LoggingLevel } from '@modelcontextprotocol/sdk/spec.types.js';

export const LATEST_PROTOCOL_VERSION = '2025-11-25';
/** The version that defines the legacy HTTP+SSE transport. */
export const LEGACY_PROTOCOL_VERSION = '2024-11-05';

/** Every version we speak, newest first. 2024-11-05 is answered on Streamable HTTP too (harmless). */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = Object.freeze([
  '2025-11-25',
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
]);

const SUPPORTED = new Set(SUPPORTED_PROTOCOL_VERSIONS);

export function isSupportedVersion(version: string): boolean {
  return SUPPORTED.has(version);
}

/**
 * The version to answer `initialize` with. An unsupported request gets the latest version on Streamable
 * HTTP and 2024-11-05 on the legacy transport (a client that connected over HTTP+SSE is an old one).
 */
export function negotiateVersion(requested: string, transport: 'streamable' | 'sse'): string {
  if (SUPPORTED.has(requested)) return requested;
  return transport === 'sse' ? LEGACY_PROTOCOL_VERSION : LATEST_PROTOCOL_VERSION;
}

/**
 * JSON-RPC batches: 2025-03-26 requires servers to receive them; 2025-06-18 removed them. 2024-11-05
 * does not mention them and JSON-RPC 2.0 allows them, so they are accepted there as well.
 */
export function allowsBatch(version: string): boolean {
  return version === '2025-03-26' || version === '2024-11-05';
}

/** RFC 5424 severities, as `logging/setLevel` names them. */
export const LOGGING_LEVELS: ReadonlySet<string> = new Set<LoggingLevel>([
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
]);
