/** Runs the demo backend: `bun demo/main.ts [--port 5236] [--host 127.0.0.1]` (or DEMO_PORT / DEMO_HOST). */
import { parseArgs } from "node:util";
import { startDemoBackend } from "./backend.ts";

function fail(message: string): never {
  console.error(JSON.stringify({ level: "error", msg: `demo backend: ${message}` }));
  process.exit(2);
}

let args: { port?: string; host?: string };
try {
  args = parseArgs({ options: { port: { type: "string" }, host: { type: "string" } } }).values;
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
const rawPort = args.port ?? process.env.DEMO_PORT ?? "5236";
const port = Number(rawPort);
if (!/^\d+$/.test(rawPort) || port > 65535) fail(`invalid port "${rawPort}"`);

const backend = startDemoBackend({ port, hostname: args.host ?? process.env.DEMO_HOST ?? "127.0.0.1" });
console.log(JSON.stringify({ level: "info", msg: "demo backend listening", url: backend.url }));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await backend.stop();
    process.exit(0);
  });
}
