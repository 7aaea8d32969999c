import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { brotliDecompressSync, gunzipSync, inflateSync, zstdDecompressSync } from "node:zlib";
import { createDemoHandler, startDemoBackend, type DemoBackend, type User } from "./backend.ts";

interface ErrorBody {
  error: { code: string; message: string };
}
interface UserList {
  items: User[];
  total: number;
}
interface Echo {
  method: string;
  path: string;
  rawQuery: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  contentType: string | null;
  body: unknown;
  form: Record<string, unknown> | null;
}
interface Weather {
  city: string;
  temperatureC: number;
  conditions: string;
  forecast: { day: string; highC: number; lowC: number }[];
}

/** The response's JSON, typed by the test that knows the endpoint. */
async function body<T>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

/** Polls instead of sleeping a fixed time: the condition depends on the server noticing a disconnect. */
async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}

describe("demo backend", () => {
  let backend: DemoBackend;
  const get = (path: string, init?: BunFetchRequestInit) => fetch(backend.url + path, init);
  const sendJson = (method: string, path: string, body: unknown) =>
    get(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  // A fresh backend per test: the users store is mutable and stats are counted per backend.
  beforeEach(() => {
    backend = startDemoBackend({ port: 0 });
  });
  afterEach(async () => {
    await backend.stop();
  });

  describe("server", () => {
    it("listens on a free loopback port when port is 0", () => {
      expect(backend.port).toBeGreaterThan(0);
      expect(backend.url).toBe(`http://127.0.0.1:${backend.port}`);
    });

    it("answers ok on /health when running", async () => {
      const res = await get("/health");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(await body(res)).toEqual({ status: "ok" });
    });

    it("answers a 404 JSON error when the route is unknown", async () => {
      const res = await get("/nope");
      expect(res.status).toBe(404);
      expect(await body<ErrorBody>(res)).toEqual({ error: { code: "not_found", message: "no route for GET /nope" } });
    });

    it("answers 405 with Allow when the method does not fit the route", async () => {
      const res = await get("/health", { method: "POST" });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
      expect((await body<ErrorBody>(res)).error.code).toBe("method_not_allowed");
    });

    it("counts requests when they are served", async () => {
      await get("/health");
      await get("/nope");
      expect(backend.stats).toEqual({ requests: 2, inFlight: 0, aborted: 0 });
    });

    it("refuses connections when stopped", async () => {
      const url = backend.url;
      await backend.stop();
      await expect(fetch(url + "/health")).rejects.toThrow();
      backend = startDemoBackend({ port: 0 });
    });

    it("serves in-process when embedded through createDemoHandler", async () => {
      const handler = createDemoHandler();
      const res = await handler(new Request("http://demo.test/users/1"));
      expect((await body<User>(res)).name).toBe("Ada Lovelace");
    });
  });

  describe("users", () => {
    it("lists the 3 seeded users when no filter is given", async () => {
      const res = await get("/users");
      expect(res.status).toBe(200);
      const { items, total } = await body<UserList>(res);
      expect(total).toBe(3);
      expect(items.map((u) => u.name)).toEqual(["Ada Lovelace", "Alan Turing", "Grace Hopper"]);
      expect(items[0]).toEqual({
        id: "1",
        name: "Ada Lovelace",
        email: "ada@example.com",
        role: "admin",
        tags: ["math", "poetry"],
        createdAt: "2024-01-01T00:00:00.000Z",
      });
    });

    it("filters by name or email case-insensitively when q is given", async () => {
      expect((await body<UserList>(get("/users?q=LOVE"))).items.map((u) => u.id)).toEqual(["1"]);
      expect((await body<UserList>(get("/users?q=GRACE%40"))).items.map((u) => u.id)).toEqual(["3"]);
      expect(await body(get("/users?q=zzz"))).toEqual({ items: [], total: 0 });
    });

    it("filters by role when role is given", async () => {
      const { items, total } = await body<UserList>(get("/users?role=user"));
      expect(total).toBe(2);
      expect(items.map((u) => u.id)).toEqual(["2", "3"]);
    });

    it("caps items but reports the full total when limit is given", async () => {
      const { items, total } = await body<UserList>(get("/users?limit=1"));
      expect(items).toHaveLength(1);
      expect(total).toBe(3);
    });

    it("answers 400 when limit is not a non-negative integer", async () => {
      const res = await get("/users?limit=-1");
      expect(res.status).toBe(400);
      expect((await body<ErrorBody>(res)).error.code).toBe("invalid_query");
    });

    it("returns one user when the id exists", async () => {
      const res = await get("/users/2");
      expect(res.status).toBe(200);
      expect((await body<User>(res)).name).toBe("Alan Turing");
    });

    it("answers 404 when the user does not exist", async () => {
      const res = await get("/users/99");
      expect(res.status).toBe(404);
      expect(await body<ErrorBody>(res)).toEqual({ error: { code: "not_found", message: 'user "99" not found' } });
    });

    it("URL-decodes the id when the path segment is percent-encoded", async () => {
      expect((await body<User>(get("/users/%31"))).id).toBe("1");
      const res = await get("/users/a%2Fb");
      expect(res.status).toBe(404);
      expect((await body<ErrorBody>(res)).error.message).toBe('user "a/b" not found');
    });

    it("answers 400 when the id is malformed percent-encoding", async () => {
      const res = await get("/users/%E0%A4%A");
      expect(res.status).toBe(400);
      expect((await body<ErrorBody>(res)).error.code).toBe("invalid_path");
    });

    it("creates a user with defaults when name and email are given", async () => {
      const res = await sendJson("POST", "/users", { name: "Katherine Johnson", email: "kj@example.com" });
      expect(res.status).toBe(201);
      expect(res.headers.get("location")).toBe("/users/4");
      const user = await body<User>(res);
      expect(user).toMatchObject({ id: "4", name: "Katherine Johnson", email: "kj@example.com", role: "user", tags: [] });
      expect(Number.isNaN(Date.parse(user.createdAt))).toBe(false);
      expect(await body(get("/users/4"))).toEqual(user);
    });

    it("keeps role, tags and preferences when they are given", async () => {
      const fields = { name: "Edsger", email: "ed@example.com", role: "admin", tags: ["goto"], preferences: { theme: "dark" } };
      const user = await body<User>(sendJson("POST", "/users", fields));
      expect(user).toMatchObject(fields);
    });

    it("answers 400 when a required field is missing", async () => {
      const res = await sendJson("POST", "/users", { name: "No Mail" });
      expect(res.status).toBe(400);
      expect(await body<ErrorBody>(res)).toEqual({
        error: { code: "invalid_body", message: '"email" is required and must be a non-empty string' },
      });
    });

    it("answers 400 when tags is not an array of strings", async () => {
      const res = await sendJson("POST", "/users", { name: "A", email: "a@x", tags: ["ok", 1] });
      expect(res.status).toBe(400);
      expect((await body<ErrorBody>(res)).error.message).toBe('"tags" must be an array of strings');
    });

    it("answers 400 when preferences is not an object", async () => {
      const res = await sendJson("POST", "/users", { name: "A", email: "a@x", preferences: ["dark"] });
      expect(res.status).toBe(400);
      expect((await body<ErrorBody>(res)).error.message).toBe('"preferences" must be an object');
    });

    it("answers 400 invalid JSON body when the body does not parse", async () => {
      const res = await get("/users", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
      expect(res.status).toBe(400);
      expect(await body<ErrorBody>(res)).toEqual({ error: { code: "invalid_json", message: "invalid JSON body" } });
    });

    it("updates only the given fields when PUT is partial", async () => {
      const res = await sendJson("PUT", "/users/1", { name: "Augusta Ada King" });
      expect(res.status).toBe(200);
      const user = await body<User>(res);
      expect(user).toMatchObject({ id: "1", name: "Augusta Ada King", email: "ada@example.com", role: "admin" });
      expect((await body<User>(get("/users/1"))).name).toBe("Augusta Ada King");
    });

    it("answers 404 when PUT targets a missing user", async () => {
      expect((await sendJson("PUT", "/users/99", { name: "X" })).status).toBe(404);
    });

    it("deletes a user with 204 when it exists", async () => {
      const res = await get("/users/3", { method: "DELETE" });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");
      expect((await get("/users/3")).status).toBe(404);
      expect((await body<UserList>(get("/users"))).total).toBe(2);
    });
  });

  describe("echo", () => {
    it("echoes method, raw path, query and lowercased headers when called with GET", async () => {
      const res = await get("/echo/a%2Fb/c?x=1&tag=a&tag=b&sp=a+b", { headers: { "X-Api-Key": "secret" } });
      const echo = await body<Echo>(res);
      expect(echo).toMatchObject({
        method: "GET",
        path: "/echo/a%2Fb/c",
        rawQuery: "x=1&tag=a&tag=b&sp=a+b",
        query: { x: "1", tag: ["a", "b"], sp: "a b" },
        contentType: null,
        body: null,
        form: null,
      });
      expect(echo.headers["x-api-key"]).toBe("secret");
    });

    it("parses the body when it is JSON", async () => {
      const echo = await body<Echo>(sendJson("PATCH", "/echo/items/7", { a: [1, { b: true }] }));
      expect(echo).toMatchObject({ method: "PATCH", contentType: "application/json", body: { a: [1, { b: true }] }, form: null });
    });

    it("returns the body as text when it is not JSON", async () => {
      const init = { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" };
      expect((await body<Echo>(get("/echo", init))).body).toBe("hello");
    });

    it("parses form fields when the body is x-www-form-urlencoded", async () => {
      const form = new URLSearchParams([["a", "1"], ["b", "x y"], ["b", "z"]]);
      const echo = await body<Echo>(get("/echo/form", { method: "POST", body: form }));
      expect(echo.contentType).toStartWith("application/x-www-form-urlencoded");
      expect(echo.body).toBe("a=1&b=x+y&b=z");
      expect(echo.form).toEqual({ a: "1", b: ["x y", "z"] });
    });

    it("describes fields and files when the body is multipart/form-data", async () => {
      const form = new FormData();
      form.append("title", "report");
      const bytes = new Uint8Array([0, 1, 2, 255]);
      form.append("file", new File([bytes], "data.bin", { type: "application/octet-stream" }));
      const echo = await body<Echo>(get("/echo/upload", { method: "POST", body: form }));
      expect(echo.contentType).toStartWith("multipart/form-data; boundary=");
      expect(echo.body).toBeNull();
      expect(echo.form).toEqual({
        title: "report",
        file: {
          filename: "data.bin",
          type: "application/octet-stream",
          size: 4,
          sha256: new Bun.CryptoHasher("sha256").update(bytes).digest("hex"),
        },
      });
    });
  });

  describe("media", () => {
    it("serves a 2x2 PNG when /image.png is requested", async () => {
      const res = await get("/image.png");
      expect(res.headers.get("content-type")).toBe("image/png");
      const bytes = Buffer.from(await res.arrayBuffer());
      expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
      expect(bytes.toString("ascii", 12, 16)).toBe("IHDR");
      expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([2, 2]);
    });

    it("serves a PCM WAV when /audio.wav is requested", async () => {
      const res = await get("/audio.wav");
      expect(res.headers.get("content-type")).toBe("audio/wav");
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.toString("ascii", 0, 4)).toBe("RIFF");
      expect(bytes.toString("ascii", 8, 12)).toBe("WAVE");
      expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
      expect(bytes.readUInt32LE(40)).toBe(bytes.length - 44);
      expect(bytes.length).toBeGreaterThan(44);
    });
  });

  describe("compressed", () => {
    const decoders = { gzip: gunzipSync, deflate: inflateSync, br: brotliDecompressSync, zstd: zstdDecompressSync };
    for (const [encoding, decode] of Object.entries(decoders)) {
      it(`sends a ${encoding} body with Content-Encoding when ${encoding} is requested`, async () => {
        const res = await get(`/compressed/${encoding}`, { decompress: false });
        expect(res.headers.get("content-encoding")).toBe(encoding);
        expect(res.headers.get("content-type")).toBe("application/json");
        const raw = Buffer.from(await res.arrayBuffer());
        expect(JSON.parse(decode(raw).toString())).toEqual({ compressed: true, encoding });
      });
    }

    it("is decoded transparently when fetch decompresses", async () => {
      expect(await body(get("/compressed/zstd"))).toEqual({ compressed: true, encoding: "zstd" });
    });

    it("answers 400 when the encoding is unknown", async () => {
      const res = await get("/compressed/lzma");
      expect(res.status).toBe(400);
      expect((await body<ErrorBody>(res)).error.code).toBe("unsupported_encoding");
    });
  });

  describe("status", () => {
    it("answers the requested status with a JSON error when no body is given", async () => {
      const res = await get("/status/418");
      expect(res.status).toBe(418);
      expect(await body<ErrorBody>(res)).toEqual({ error: { code: "status_418", message: "requested status 418" } });
    });

    it("answers the given text when body is given", async () => {
      const res = await get("/status/503?body=down%20for%20maintenance");
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toStartWith("text/plain");
      expect(await res.text()).toBe("down for maintenance");
    });

    it("answers with an empty body when the status forbids one", async () => {
      const res = await get("/status/204");
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");
    });

    it("answers 400 when the code is not an HTTP status", async () => {
      for (const code of ["99", "600", "abc"]) {
        const res = await get(`/status/${code}`);
        expect(res.status).toBe(400);
        expect((await body<ErrorBody>(res)).error.code).toBe("invalid_status");
      }
    });
  });

  describe("slow", () => {
    it("answers after waiting when ms is given", async () => {
      const started = performance.now();
      expect(await body(get("/slow?ms=50"))).toEqual({ waited: 50 });
      expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    });

    it("stops waiting and counts an abort when the client goes away", async () => {
      const controller = new AbortController();
      const pending = get("/slow?ms=5000", { signal: controller.signal });
      await until(() => backend.stats.inFlight === 1);
      controller.abort();
      await expect(pending).rejects.toThrow();
      await until(() => backend.stats.aborted === 1 && backend.stats.inFlight === 0);
      expect(backend.stats).toEqual({ requests: 1, inFlight: 0, aborted: 1 });
    });

    it("answers 400 when ms is out of range", async () => {
      expect((await get("/slow?ms=600000")).status).toBe(400);
    });
  });

  describe("large", () => {
    it("sends exactly N bytes with Content-Length when bytes is given", async () => {
      const res = await get("/large?bytes=100000");
      expect(res.headers.get("content-length")).toBe("100000");
      expect((await res.arrayBuffer()).byteLength).toBe(100000);
    });

    it("streams N bytes without Content-Length when chunked is true", async () => {
      const res = await get("/large?bytes=200001&chunked=true");
      expect(res.headers.get("content-length")).toBeNull();
      expect((await res.arrayBuffer()).byteLength).toBe(200001);
    });

    it("answers 400 when bytes is out of range", async () => {
      expect((await get("/large?bytes=-5")).status).toBe(400);
    });
  });

  describe("redirect", () => {
    it("redirects with 302 to the given URL when only to is given", async () => {
      const res = await get("/redirect?to=http%3A%2F%2F169.254.169.254%2Flatest", { redirect: "manual" });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("http://169.254.169.254/latest");
    });

    it("uses the given status when status is a redirect code", async () => {
      const res = await get("/redirect?to=/health&status=307", { redirect: "manual" });
      expect(res.status).toBe(307);
      expect(res.headers.get("location")).toBe("/health");
    });

    it("is followed by fetch when the target is the backend itself", async () => {
      expect(await body(get("/redirect?to=/health"))).toEqual({ status: "ok" });
    });

    it("answers 400 when to is missing or status is not a redirect", async () => {
      expect((await get("/redirect")).status).toBe(400);
      expect((await get("/redirect?to=/health&status=304")).status).toBe(400);
    });
  });

  describe("weather", () => {
    it("returns the same 5-day forecast when asked twice for a city", async () => {
      const first = await body<Weather>(get("/weather?city=Paris"));
      const second = await body<Weather>(get("/weather?city=Paris"));
      expect(second).toEqual(first);
      expect(first.city).toBe("Paris");
      expect(typeof first.temperatureC).toBe("number");
      expect(typeof first.conditions).toBe("string");
      expect(first.forecast.map((d) => d.day)).toEqual(["Mon", "Tue", "Wed", "Thu", "Fri"]);
      for (const day of first.forecast) expect(day.lowC).toBeLessThan(day.highC);
    });

    it("returns different forecasts when cities differ", async () => {
      const paris = await body<Weather>(get("/weather?city=Paris"));
      const tokyo = await body<Weather>(get("/weather?city=Tokyo"));
      expect({ ...tokyo, city: "Paris" }).not.toEqual(paris);
    });

    it("answers 400 when city is missing", async () => {
      const res = await get("/weather");
      expect(res.status).toBe(400);
      expect((await body<ErrorBody>(res)).error.message).toBe('query "city" is required');
    });
  });
});
