/**
 * The demo REST backend: a small in-memory API that the Quick start calls offline and that end-to-end
 * tests use as a real loopback upstream for every feature of a REST tool (arguments in every position,
 * binary and compressed responses, error statuses, slowness, size limits, redirects).
 *
 * Plain `Bun.serve`, no framework and no per-request logging (it runs under benchmarks).
 */
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from "node:zlib";

/** Request counters, read by tests (e.g. to prove the gateway cancelled a backend request). */
export interface DemoStats {
  /** Requests received since start. */
  requests: number;
  /** Requests whose response has not been produced yet. */
  inFlight: number;
  /** `/slow` requests that stopped waiting because the client went away. */
  aborted: number;
}

/** A running demo backend. */
export interface DemoBackend {
  /** `http://<hostname>:<port>`, without a trailing slash. */
  url: string;
  port: number;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
  stats: DemoStats;
}

/** The part of Bun's `Server` the handler uses; optional so the handler can be embedded anywhere. */
export interface DemoServer {
  timeout(request: Request, seconds: number): void;
}

export type DemoHandler = (req: Request, server?: DemoServer) => Response | Promise<Response>;

/** Starts the demo backend; `port: 0` picks a free port. Defaults: port 5236, hostname 127.0.0.1. */
export function startDemoBackend(opts: { port?: number; hostname?: string } = {}): DemoBackend {
  const stats: DemoStats = { requests: 0, inFlight: 0, aborted: 0 };
  const handler = createDemoHandler(stats);
  const hostname = opts.hostname ?? "127.0.0.1";
  const server = Bun.serve({ port: opts.port ?? 5236, hostname, fetch: (req, srv) => handler(req, srv) });
  const port = server.port ?? 0;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return { url: `http://${host}:${port}`, port, stats, stop: () => server.stop(true) };
}

export interface User {
  id: string;
  name: string;
  email: string;
  role: string;
  tags: string[];
  /** Present only when given on create or update. */
  preferences?: Record<string, unknown>;
  createdAt: string;
}

const SEED_USERS: readonly User[] = [
  { id: "1", name: "Ada Lovelace", email: "ada@example.com", role: "admin", tags: ["math", "poetry"], createdAt: "2024-01-01T00:00:00.000Z" },
  { id: "2", name: "Alan Turing", email: "alan@example.com", role: "user", tags: ["crypto", "computing"], createdAt: "2024-01-02T00:00:00.000Z" },
  { id: "3", name: "Grace Hopper", email: "grace@example.com", role: "user", tags: ["navy", "compilers"], createdAt: "2024-01-03T00:00:00.000Z" },
];

/** 2x2 RGB PNG (red, green / blue, white), CRCs checked. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFElEQVR42mP4z8DAAMIM/////w8AH+4F+2BscPIAAAAASUVORK5CYII=",
  "base64",
);

const WAV = makeWav([128, 160, 192, 160, 128, 96, 64, 96, 128, 160, 192, 160, 128, 96, 64, 96]);

/** Canonical 44-byte RIFF header, PCM, mono, 8 kHz, 8-bit unsigned samples. */
function makeWav(samples: number[]): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => bytes.set(Buffer.from(text, "ascii"), offset);
  ascii(0, "RIFF");
  view.setUint32(4, 36 + samples.length, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // channels
  view.setUint32(24, 8000, true); // sample rate
  view.setUint32(28, 8000, true); // byte rate
  view.setUint16(32, 1, true); // block align
  view.setUint16(34, 8, true); // bits per sample
  ascii(36, "data");
  view.setUint32(40, samples.length, true);
  bytes.set(samples, 44);
  return bytes;
}

// HTTP `deflate` means the zlib format (RFC 9110 §8.4.1.2), which is what deflateSync produces.
// Bun's node:zlib has zstdCompressSync, so zstd is served like the others.
const COMPRESSORS: Record<string, (data: Buffer) => Buffer> = {
  gzip: gzipSync,
  deflate: deflateSync,
  br: brotliCompressSync,
  zstd: zstdCompressSync,
};
const COMPRESSED = new Map(
  Object.entries(COMPRESSORS).map(([encoding, compress]) => [
    encoding,
    compress(Buffer.from(JSON.stringify({ compressed: true, encoding }))),
  ]),
);

const CONDITIONS = ["sunny", "partly cloudy", "cloudy", "light rain", "rain", "thunderstorms", "snow", "fog"];
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"];
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
const MAX_SLOW_MS = 60_000;
const MAX_LARGE_BYTES = 100 * 1024 * 1024;
const LARGE_CHUNK = 64 * 1024;

/** A failure answered as `{"error": {"code", "message"}}`. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

const json = (body: unknown, status = 200, headers?: Record<string, string>) =>
  Response.json(body, headers ? { status, headers } : { status });

const errorResponse = (status: number, code: string, message: string, headers?: Record<string, string>) =>
  json({ error: { code, message } }, status, headers);

function allow(req: Request, ...methods: string[]): void {
  if (!methods.includes(req.method)) {
    const path = new URL(req.url).pathname;
    throw new HttpError(405, "method_not_allowed", `${req.method} is not allowed on ${path}`, { allow: methods.join(", ") });
  }
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(400, "invalid_query", `query "${name}" must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, "invalid_path", `path segment "${segment}" is not valid percent-encoding`);
  }
}

async function readJsonObject(req: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(await req.text());
  } catch {
    throw new HttpError(400, "invalid_json", "invalid JSON body");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "invalid_body", "body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** Checks the writable user fields; `partial` allows name and email to be absent (PUT). */
function userFields(body: Record<string, unknown>, partial: boolean): Partial<User> {
  const invalid = (message: string) => new HttpError(400, "invalid_body", message);
  const fields: Partial<User> = {};
  for (const key of ["name", "email"] as const) {
    const value = body[key];
    if (value === undefined && partial) continue;
    if (typeof value !== "string" || value.trim() === "") throw invalid(`"${key}" is required and must be a non-empty string`);
    fields[key] = value;
  }
  if (fields.email !== undefined && !fields.email.includes("@")) throw invalid(`"email" must contain "@", got "${fields.email}"`);
  if (body.role !== undefined) {
    if (typeof body.role !== "string" || body.role === "") throw invalid(`"role" must be a non-empty string`);
    fields.role = body.role;
  }
  if (body.tags !== undefined) {
    if (!Array.isArray(body.tags) || !body.tags.every((tag) => typeof tag === "string")) {
      throw invalid(`"tags" must be an array of strings`);
    }
    fields.tags = body.tags;
  }
  if (body.preferences !== undefined) {
    const prefs = body.preferences;
    if (typeof prefs !== "object" || prefs === null || Array.isArray(prefs)) throw invalid(`"preferences" must be an object`);
    fields.preferences = prefs as Record<string, unknown>;
  }
  return fields;
}

/** Multi-valued entries become arrays, single ones stay scalar. */
function collect<V>(entries: Iterable<[string, V]>): Record<string, V | V[]> {
  const out: Record<string, V | V[]> = {};
  for (const [key, value] of entries) {
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  }
  return out;
}

type FormValue = string | { filename: string; type: string; size: number; sha256: string };

async function echo(req: Request, url: URL): Promise<Response> {
  const contentType = req.headers.get("content-type");
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  const bytes = new Uint8Array(await req.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  let body: unknown = bytes.length === 0 ? null : text;
  let form: Record<string, FormValue | FormValue[]> | null = null;

  if (bytes.length > 0 && (mediaType === "application/json" || mediaType.endsWith("+json"))) {
    try {
      body = JSON.parse(text);
    } catch {
      // Echo never fails: malformed JSON comes back as text so the test sees what was sent.
    }
  } else if (mediaType === "application/x-www-form-urlencoded") {
    form = collect(new URLSearchParams(text));
  } else if (mediaType === "multipart/form-data") {
    // The raw multipart text is boundaries and binary noise; the parsed form says what was sent.
    body = null;
    const parsed = await new Response(bytes, { headers: { "content-type": contentType ?? "" } })
      .formData()
      .catch((err: unknown) => {
        throw new HttpError(400, "invalid_form", `multipart body: ${err instanceof Error ? err.message : String(err)}`);
      });
    const entries: [string, FormValue][] = [];
    for (const [key, value] of parsed) {
      if (typeof value === "string") {
        entries.push([key, value]);
      } else {
        const sha256 = new Bun.CryptoHasher("sha256").update(await value.arrayBuffer()).digest("hex");
        entries.push([key, { filename: value.name, type: value.type, size: value.size, sha256 }]);
      }
    }
    form = collect(entries);
  }

  return json({
    method: req.method,
    path: url.pathname,
    rawQuery: url.search.slice(1),
    query: collect(url.searchParams),
    headers: Object.fromEntries(req.headers),
    contentType,
    body,
    form,
  });
}

function weather(city: string) {
  // FNV-1a, so the same city always gets the same forecast.
  let hash = 0x811c9dc5;
  for (const char of city.trim().toLowerCase()) {
    hash = Math.imul(hash ^ char.codePointAt(0)!, 0x01000193) >>> 0;
  }
  const pick = (shift: number, size: number) => (hash >>> shift) % size;
  const temperatureC = pick(0, 35) - 5;
  return {
    city,
    temperatureC,
    conditions: CONDITIONS[pick(8, CONDITIONS.length)]!,
    forecast: WEEKDAYS.map((day, i) => {
      const highC = temperatureC + ((hash >>> (i * 3)) % 7) - 3;
      return { day, highC, lowC: highC - 4 - ((hash >>> (i * 5 + 1)) % 6) };
    }),
  };
}

function waitOrAbort(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function largeBody(bytes: number, chunked: boolean): Response {
  const headers = { "content-type": "text/plain; charset=utf-8" };
  if (!chunked) return new Response("x".repeat(bytes), { headers });
  // No Content-Length: the client can only enforce its limit while reading.
  const chunk = new TextEncoder().encode("x".repeat(Math.min(bytes, LARGE_CHUNK)));
  let left = bytes;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left <= 0) return controller.close();
      const n = Math.min(left, chunk.length);
      controller.enqueue(n === chunk.length ? chunk : chunk.subarray(0, n));
      left -= n;
    },
  });
  return new Response(stream, { headers });
}

/**
 * The demo backend's request handler, with its own in-memory users (seeded with 3).
 * Pass `stats` to have requests counted; `server` lets `/slow` lift Bun's idle timeout.
 */
export function createDemoHandler(
  stats: DemoStats = { requests: 0, inFlight: 0, aborted: 0 },
): DemoHandler {
  const users = new Map(SEED_USERS.map((user) => [user.id, structuredClone(user)]));
  let nextId = SEED_USERS.length + 1;

  async function route(req: Request, server: DemoServer | undefined): Promise<Response> {
    const url = new URL(req.url);
    const [head = "", ...rest] = url.pathname.slice(1).split("/");
    const params = url.searchParams;

    switch (head) {
      case "health":
        if (rest.length > 0) break;
        allow(req, "GET", "HEAD");
        return json({ status: "ok" });

      case "users": {
        if (rest.length === 0) {
          allow(req, "GET", "HEAD", "POST");
          if (req.method === "POST") {
            const fields = userFields(await readJsonObject(req), false);
            const user: User = {
              id: String(nextId++),
              name: fields.name!,
              email: fields.email!,
              role: fields.role ?? "user",
              tags: fields.tags ?? [],
              ...(fields.preferences && { preferences: fields.preferences }),
              createdAt: new Date().toISOString(),
            };
            users.set(user.id, user);
            return json(user, 201, { location: `/users/${encodeURIComponent(user.id)}` });
          }
          const q = params.get("q")?.toLowerCase() ?? "";
          const role = params.get("role") ?? "";
          const limit = intParam(params, "limit", 20, 0, 1000);
          const matches = [...users.values()].filter(
            (u) =>
              (!q || u.name.toLowerCase().includes(q) || u.email.toLowerCase().includes(q)) && (!role || u.role === role),
          );
          return json({ items: matches.slice(0, limit), total: matches.length });
        }
        if (rest.length > 1) break;
        const id = decodeSegment(rest[0]!);
        allow(req, "GET", "HEAD", "PUT", "DELETE");
        const user = users.get(id);
        if (!user) throw new HttpError(404, "not_found", `user "${id}" not found`);
        if (req.method === "DELETE") {
          users.delete(id);
          return new Response(null, { status: 204 });
        }
        if (req.method === "PUT") Object.assign(user, userFields(await readJsonObject(req), true));
        return json(user);
      }

      case "echo":
        return echo(req, url);

      case "image.png":
      case "audio.wav":
        if (rest.length > 0) break;
        allow(req, "GET", "HEAD");
        return head === "image.png"
          ? new Response(PNG, { headers: { "content-type": "image/png" } })
          : new Response(WAV, { headers: { "content-type": "audio/wav" } });

      case "compressed": {
        if (rest.length !== 1) break;
        allow(req, "GET", "HEAD");
        const encoding = decodeSegment(rest[0]!);
        const body = COMPRESSED.get(encoding);
        if (!body) {
          throw new HttpError(400, "unsupported_encoding", `encoding "${encoding}" is not one of ${[...COMPRESSED.keys()].join(", ")}`);
        }
        return new Response(body, { headers: { "content-type": "application/json", "content-encoding": encoding } });
      }

      case "status": {
        if (rest.length !== 1) break;
        const raw = decodeSegment(rest[0]!);
        const code = Number(raw);
        if (!/^\d{3}$/.test(raw) || code < 200 || code > 599) {
          throw new HttpError(400, "invalid_status", `status "${raw}" must be an integer from 200 to 599`);
        }
        if (NULL_BODY_STATUSES.has(code)) return new Response(null, { status: code });
        const text = params.get("body");
        if (text !== null) return new Response(text, { status: code, headers: { "content-type": "text/plain; charset=utf-8" } });
        return errorResponse(code, `status_${code}`, `requested status ${code}`);
      }

      case "slow": {
        if (rest.length > 0) break;
        allow(req, "GET", "HEAD");
        const ms = intParam(params, "ms", 1000, 0, MAX_SLOW_MS);
        // Bun closes connections idle for 10 s by default; a deliberately slow answer must outlive that.
        server?.timeout(req, 0);
        if (await waitOrAbort(ms, req.signal)) return json({ waited: ms });
        stats.aborted++;
        // Nobody reads this: the client is gone. 499 is nginx's "client closed request".
        return errorResponse(499, "client_closed", `client went away after less than ${ms} ms`);
      }

      case "large":
        if (rest.length > 0) break;
        allow(req, "GET", "HEAD");
        return largeBody(intParam(params, "bytes", 1024, 0, MAX_LARGE_BYTES), params.get("chunked") === "true");

      case "redirect": {
        if (rest.length > 0) break;
        allow(req, "GET", "HEAD");
        const to = params.get("to");
        if (!to) throw new HttpError(400, "invalid_query", `query "to" is required`);
        const status = intParam(params, "status", 302, 300, 308);
        if (!REDIRECT_STATUSES.has(status)) {
          throw new HttpError(400, "invalid_query", `query "status" must be one of ${[...REDIRECT_STATUSES].join(", ")}, got ${status}`);
        }
        return new Response(null, { status, headers: { location: to } });
      }

      case "weather": {
        if (rest.length > 0) break;
        allow(req, "GET", "HEAD");
        const city = params.get("city")?.trim();
        if (!city) throw new HttpError(400, "invalid_query", `query "city" is required`);
        return json(weather(city));
      }
    }
    throw new HttpError(404, "not_found", `no route for ${req.method} ${url.pathname}`);
  }

  return async (req, server) => {
    stats.requests++;
    stats.inFlight++;
    try {
      return await route(req, server);
    } catch (err) {
      if (err instanceof HttpError) return errorResponse(err.status, err.code, err.message, err.headers);
      return errorResponse(500, "internal", `demo backend: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      stats.inFlight--;
    }
  };
}
