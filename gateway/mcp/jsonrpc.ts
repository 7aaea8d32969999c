/**
 * JSON-RPC 2.0 framing for MCP: classifying parsed messages and serializing answers.
 *
 * Answers are built as strings around one `JSON.stringify` of the result, so a response costs one
 * serialization and no intermediate envelope object.
 */

export type JsonRpcId = string | number;

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** Implementation-defined server error; the SDK uses it for transport-level refusals. */
export const SERVER_ERROR = -32000;
/** The SDK's code for "Session not found" (404). */
export const SESSION_NOT_FOUND = -32001;

/** A parsed request: `method` and `id` checked, `params` an object or undefined (anything else is kept for -32602). */
export interface JsonRpcRequest {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId;
  readonly method: string;
  readonly params?: unknown;
}

export interface JsonRpcNotification {
  readonly jsonrpc: '2.0';
  readonly method: string;
  readonly params?: unknown;
}

export type MessageKind = 'invalid' | 'request' | 'notification' | 'response';

function isId(value: unknown): value is JsonRpcId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * Classifies one parsed JSON value. MCP forbids `null` request ids; a response may carry `id: null`
 * (an error about a message the client could not parse) and is accepted and ignored like any response.
 */
export function classify(msg: unknown): MessageKind {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return 'invalid';
  const m = msg as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'invalid';
  const method = m.method;
  if (method !== undefined) {
    if (typeof method !== 'string') return 'invalid';
    if (!('id' in m)) return 'notification';
    return isId(m.id) ? 'request' : 'invalid';
  }
  const hasResult = 'result' in m;
  const hasError = 'error' in m;
  if (hasResult === hasError) return 'invalid';
  if (hasResult) return isId(m.id) ? 'response' : 'invalid';
  return isId(m.id) || m.id === null ? 'response' : 'invalid';
}

function idJson(id: JsonRpcId | null): string {
  return typeof id === 'number' ? String(id) : JSON.stringify(id);
}

/** `{"jsonrpc":"2.0","id":…,"result":…}`; throws what JSON.stringify throws (cycles, BigInt). */
export function resultBody(id: JsonRpcId, result: unknown): string {
  return `{"jsonrpc":"2.0","id":${idJson(id)},"result":${JSON.stringify(result)}}`;
}

/** `{"jsonrpc":"2.0","id":…,"error":{code,message,data?}}`; unserializable `data` is dropped. */
export function errorBody(id: JsonRpcId | null, code: number, message: string, data?: unknown): string {
  let dataJson = '';
  if (data !== undefined) {
    try {
      dataJson = `,"data":${JSON.stringify(data)}`;
    } catch {
      dataJson = '';
    }
  }
  return `{"jsonrpc":"2.0","id":${idJson(id)},"error":{"code":${code},"message":${JSON.stringify(message)}${dataJson}}}`;
}

/** `{"jsonrpc":"2.0","method":…,"params":…}`. */
export function notificationBody(method: string, params?: unknown): string {
  return params === undefined
    ? `{"jsonrpc":"2.0","method":${JSON.stringify(method)}}`
    : `{"jsonrpc":"2.0","method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`;
}
