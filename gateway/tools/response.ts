/**
 * Backend response → MCP tool result: body read with a size limit, content decoded, images and audio as
 * base64 content, text passed through or rendered with the tool's `responseBody` template, statuses
 * ≥ 400 as `isError` results with a short excerpt.
 */
import { STATUS_CODES } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync, inflateRawSync, zstdDecompressSync } from 'node:zlib';
import type { CallToolResult } from '../routing/endpoint.ts';

/** What mapping reads of a backend answer: a fetch Response, or an Http1Response of http1.ts. */
export interface ResponseHead {
  readonly status: number;
  readonly statusText: string;
  readonly headers: HeaderSource;
}

/** The part of the fetch Headers API mapping uses (Http1Headers has it too). */
export interface HeaderSource {
  get(name: string): string | null;
  forEach(callback: (value: string, name: string) => void): void;
}

/** Characters of an error body quoted in the error text. */
export const ERROR_EXCERPT_CHARS = 512;

/** Thrown while reading a body that exceeds the limit (the body stream is cancelled first). */
export class ResponseTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`response larger than ${limit} bytes`);
    this.name = 'ResponseTooLarge';
  }
}

/**
 * Reads a response body, never holding more than `limit` bytes: a declared Content-Length over the
 * limit is refused before reading, otherwise the stream is counted and cancelled once it passes the
 * limit. Bun's fetch has already decoded a single Content-Encoding (gzip, x-gzip, deflate, br, zstd),
 * so what is counted is the decoded size; stacked encodings (`deflate, gzip`), which Bun leaves as they
 * are, are decoded here with the same limit on the output.
 */
export async function readBody(res: Response, limit: number): Promise<Uint8Array> {
  const encoding = res.headers.get('content-encoding');
  const stacked = encoding !== null && encoding.includes(',') ? codings(encoding) : undefined;
  const declared = res.headers.get('content-length');
  if (declared !== null && (encoding === null || stacked)) {
    const length = Number(declared);
    if (length > limit) {
      await res.body?.cancel().catch(() => {});
      throw new ResponseTooLarge(limit);
    }
    // res.body is left alone on this path: creating the stream object costs more than the read.
    if (!stacked && Number.isSafeInteger(length)) return new Uint8Array(await res.arrayBuffer());
  }
  const body = res.body;
  if (!body) return EMPTY;
  const raw = await readLimited(body, limit);
  return stacked ? decodeStacked(raw, stacked, limit) : raw;
}

const EMPTY = new Uint8Array(0);

const CHARSET = /;\s*charset="?([^";\s]+)"?/i;
const BINARY_TYPE = /^\s*(?:image|audio)\//i;

/**
 * Whether the body can be read with `res.text()` and nothing else: status below 400, a Content-Length
 * within the limit, no Content-Encoding, a media type that is not image/audio, and UTF-8 or no charset.
 * That is what nearly every JSON API answers, and it skips `res.body`: in Bun, materializing the body
 * stream and reading it costs more than the whole native `text()`. Anything else goes to readBody.
 */
export function plainText(res: Response, limit: number): boolean {
  if (res.status >= 400) return false;
  const headers = res.headers;
  const declared = headers.get('content-length');
  if (declared === null || headers.get('content-encoding') !== null) return false;
  const length = Number(declared);
  if (!(length <= limit)) return false;
  const type = headers.get('content-type');
  return type === null || plainTextType(type);
}

/** Whether a Content-Type is text to decode as UTF-8: not image/audio, and UTF-8 or no charset. */
export function plainTextType(type: string): boolean {
  // A backend answers with the same Content-Type call after call: remember the last verdict.
  if (type === lastType) return lastTypePlain;
  lastType = type;
  lastTypePlain = !BINARY_TYPE.test(type) && utf8Charset(type);
  return lastTypePlain;
}

let lastType = '';
let lastTypePlain = false;

/** Whether a Content-Type names UTF-8 or no charset at all. */
function utf8Charset(type: string): boolean {
  if (!type.includes(';')) return true;
  const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

async function readLimited(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new ResponseTooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function codings(header: string): string[] {
  return header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

/** Decodes codings in reverse order of application (RFC 9110 §8.4). Unknown codings stay as they are. */
function decodeStacked(raw: Uint8Array, list: readonly string[], limit: number): Uint8Array {
  // maxOutputLength makes a decompression bomb fail fast instead of filling memory.
  const options = { maxOutputLength: limit + 1 };
  let data: Uint8Array = raw;
  for (let i = list.length - 1; i >= 0; i--) {
    const coding = list[i]!;
    try {
      if (coding === 'gzip' || coding === 'x-gzip') data = gunzipSync(data, options);
      else if (coding === 'br') data = brotliDecompressSync(data, options);
      else if (coding === 'zstd') data = zstdDecompressSync(data, options);
      else if (coding === 'deflate') data = data[0] !== undefined && (data[0] & 0x0f) === 8 ? inflateSync(data, options) : inflateRawSync(data, options);
      else return data;
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new ResponseTooLarge(limit);
      throw new Error(`cannot decode ${coding} content: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (data.byteLength > limit) throw new ResponseTooLarge(limit);
  }
  return data;
}

/** The response's media type, lowercased, without parameters. */
export function mediaType(res: ResponseHead): string {
  const type = res.headers.get('content-type');
  if (!type) return '';
  const semi = type.indexOf(';');
  return (semi < 0 ? type : type.slice(0, semi)).trim().toLowerCase();
}

const utf8 = new TextDecoder();

/** Decodes text with the charset of Content-Type (UTF-8 when absent or unknown). */
export function decodeText(bytes: Uint8Array, contentType: string | null): string {
  if (contentType) {
    const match = CHARSET.exec(contentType);
    const charset = match?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      try {
        return new TextDecoder(charset as ConstructorParameters<typeof TextDecoder>[0]).decode(bytes);
      } catch {
        // An unknown label falls back to UTF-8 rather than failing the call.
      }
    }
  }
  return utf8.decode(bytes);
}

/** Parses a body as JSON when it looks like an object or array; undefined otherwise. */
export function parseJsonBody(text: string): unknown {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) <= 32 || text.charCodeAt(i) === 0xfeff)) i++;
  const c = text[i];
  if (c !== '{' && c !== '[') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function statusLine(res: ResponseHead): string {
  return `${res.status} ${res.statusText || STATUS_CODES[res.status] || ''}`.trimEnd();
}

/** A one-text-block error result. */
export function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** A one-text-block success result. */
export function textResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }] };
}

/** `tool "x": backend answered 404 Not Found: <first 512 chars of body>`. */
export function statusErrorResult(toolName: string, res: ResponseHead, bytes: Uint8Array): CallToolResult {
  const type = mediaType(res);
  let excerpt = '';
  if (bytes.byteLength > 0 && !type.startsWith('image/') && !type.startsWith('audio/')) {
    // Decode at most a few bytes per quoted character: an error page can be large.
    const text = decodeText(bytes.subarray(0, ERROR_EXCERPT_CHARS * 4), res.headers.get('content-type'));
    excerpt = text.length > ERROR_EXCERPT_CHARS ? text.slice(0, ERROR_EXCERPT_CHARS) : text;
    excerpt = excerpt.trim();
  }
  return errorResult(`tool "${toolName}": backend answered ${statusLine(res)}${excerpt ? `: ${excerpt}` : ''}`);
}

/** `image/*` and `audio/*` bodies become base64 content blocks; undefined for anything else. */
export function binaryResult(type: string, bytes: Uint8Array): CallToolResult | undefined {
  if (type.startsWith('image/')) {
    return { content: [{ type: 'image', data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), mimeType: type }] };
  }
  if (type.startsWith('audio/')) {
    return { content: [{ type: 'audio', data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), mimeType: type }] };
  }
  return undefined;
}

/** Headers of the backend response as a plain object (lowercase names; repeated values joined). */
export function headersObject(headers: HeaderSource): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
