/**
 * `bun run start`: the embedded default on one machine. Seeds a local bare config repo under the data
 * dir on the first start (`.data/config.git`, from `config-repo/`), then starts every service below as
 * a child process, waits until each answers its health URL, prints where to connect, and keeps them
 * running together: Ctrl-C (SIGINT), SIGTERM, or any one of them exiting stops the others.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkoutTip, type ConfigRepoInfo, ensureConfigRepo } from './embedded.ts';
import { installReloadHook } from './reload-hook.ts';

/** One child process of the embedded default. Adding a process is adding one entry to SERVICES. */
interface Service {
  name: string;
  /** Command line, run from the project root. */
  cmd: string[];
  /** Answers 2xx once the service is ready. */
  health: string;
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /** Lines for the banner once everything is up. */
  banner?: () => Promise<string[]> | string[];
}

const ROOT = join(import.meta.dir, '..');
/** Shared by the gateway (PID file, clone) and the admin (SQLite file, its clone of the config repo). */
const DATA_DIR = resolve(ROOT, process.env.DATA_DIR || '.data');
/** The config repo of the embedded default: the gateway follows its branch, the console commits to it. */
const CONFIG_REPO = join(DATA_DIR, 'config.git');
const BRANCH = 'main';
/** Seconds between the gateway's polls of the repo: a safety net behind the admin's reload webhook. */
const POLL_INTERVAL_S = 15;
const GATEWAY_URL = 'http://127.0.0.1:5235';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
/** The same Bun that runs this script, so `npx bun@x run start` works without bun on PATH. */
const BUN = process.execPath;

/**
 * The admin signs its reload webhooks with the secret the gateway checks. Unless the operator set one,
 * each start makes a fresh random secret shared by the two children only.
 */
const WEBHOOK_SECRET = process.env.GATEWAY_WEBHOOK_SECRET || crypto.randomUUID();
const ADMIN_URL = 'http://127.0.0.1:5234';

const SERVICES: Service[] = [
  {
    name: 'demo backend',
    cmd: [BUN, 'demo/main.ts'],
    health: 'http://127.0.0.1:5236/health',
    banner: () => ['Demo backend   http://127.0.0.1:5236  (the REST API the sample configs call)'],
  },
  {
    name: 'gateway',
    cmd: [
      BUN,
      'gateway/main.ts',
      '--config',
      CONFIG_REPO,
      '--branch',
      BRANCH,
      '--poll-interval',
      String(POLL_INTERVAL_S),
      // The sample configs call the demo backend on loopback, which the SSRF guard refuses unless allowed.
      '--allowed-networks',
      '127.0.0.1/32,::1',
    ],
    health: `${GATEWAY_URL}/health_check`,
    env: { GATEWAY_WEBHOOK_SECRET: WEBHOOK_SECRET, DATA_DIR },
    banner: gatewayBanner,
  },
  {
    name: 'admin',
    // On an empty data dir the admin creates its SQLite schema and the bootstrap admin, printing a
    // generated password once unless ADMIN_BOOTSTRAP_PASSWORD is set.
    cmd: [BUN, 'admin/main.ts'],
    health: `${ADMIN_URL}/health_check`,
    env: { ADMIN_GATEWAYS: GATEWAY_URL, ADMIN_GATEWAY_WEBHOOK_SECRET: WEBHOOK_SECRET, ADMIN_CONFIG_REPO: CONFIG_REPO, DATA_DIR },
    banner: adminBanner,
  },
];

interface Running {
  service: Service;
  proc: Bun.Subprocess;
}

const running: Running[] = [];
let stopping = false;

/** Stops every child (SIGTERM, then SIGKILL after a grace period) and exits with `code`. */
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await Promise.all(
      running.map(async ({ proc }) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await proc.exited;
        clearTimeout(timer);
      }),
    );
    process.exit(code);
  }
  // A second signal while stopping: the first stopAll exits once the children are gone.
  return new Promise<never>(() => {});
}

function fail(message: string): Promise<never> {
  console.error(`start: ${message}`);
  return stopAll(1);
}

interface Probe {
  /** HTTP status, when anything answered. */
  status?: number;
  body?: string;
}

async function probe(url: string): Promise<Probe> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return { status: res.status, body: (await res.text()).slice(0, 500) };
  } catch {
    return {};
  }
}

const isUp = (p: Probe) => p.status !== undefined && p.status >= 200 && p.status < 300;

async function waitReady({ service, proc }: Running, deadline: number): Promise<void> {
  let last: Probe = {};
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) return; // reported by the exit watcher
    last = await probe(service.health);
    if (isUp(last)) return;
    await Bun.sleep(100);
  }
  const seconds = READY_TIMEOUT_MS / 1000;
  await fail(
    last.status === undefined
      ? `${service.name} did not answer ${service.health} within ${seconds} s`
      : `${service.name} is not ready after ${seconds} s: ${service.health} answered ${last.status} ${last.body ?? ''}`.trim(),
  );
}

interface StatusDoc {
  routers?: { prefix: string; tenant: string; config: string; server: string }[];
  skippedRouters?: { prefix: string; reason: string }[];
}

/** The MCP URL of every router the gateway serves (from its /_status), and the routers it skips. */
async function gatewayBanner(): Promise<string[]> {
  const lines = [`Gateway        ${GATEWAY_URL}  (health: /health_check, metrics: /metrics, status: /_status)`];
  let status: StatusDoc;
  try {
    const res = await fetch(`${GATEWAY_URL}/_status`, { signal: AbortSignal.timeout(2_000) });
    status = (await res.json()) as StatusDoc;
  } catch (err) {
    lines.push(`(could not read ${GATEWAY_URL}/_status: ${err instanceof Error ? err.message : String(err)})`);
    return lines;
  }
  const upstreams = await upstreamNames();
  const served = (status.routers ?? []).map((r) => {
    const note = upstreams.has(`${r.tenant}/${r.config}/${r.server}`) ? `  (proxies upstream "${r.server}", which must be running)` : '';
    return `  ${GATEWAY_URL}${r.prefix}/mcp${note}`;
  });
  if (served.length > 0) lines.push('', 'MCP endpoints (Streamable HTTP; legacy SSE clients use .../sse instead of .../mcp):', ...served);
  const skipped = (status.skippedRouters ?? []).map((r) => `  ${r.prefix}: ${r.reason}`);
  if (skipped.length > 0) lines.push('', 'Routers not served:', ...skipped);
  return lines;
}

/** `tenant/config/name` of every upstream (mcpServers entry) on the branch the gateway follows. */
async function upstreamNames(): Promise<Set<string>> {
  const names = new Set<string>();
  let tip: string | undefined;
  try {
    tip = await checkoutTip(CONFIG_REPO, BRANCH);
    const { loadConfigDir } = await import('../gateway/config/load.ts');
    const { configs } = await loadConfigDir(tip);
    for (const { doc } of configs) {
      for (const upstream of doc.mcpServers ?? []) names.add(`${doc.tenant}/${doc.name}/${upstream.name}`);
    }
  } catch {
    // Only decorates the banner; the gateway itself reports config problems.
  } finally {
    if (tip !== undefined) await rm(tip, { recursive: true, force: true });
  }
  return names;
}

function adminBanner(): string[] {
  const user = process.env.ADMIN_BOOTSTRAP_USER || 'admin';
  return [
    '',
    `Console        ${ADMIN_URL}  (REST API: /api, OpenAPI: /swagger)`,
    `               sign in as "${user}" with the password the admin printed when it created the account`,
    '               (first start only, above), or ADMIN_BOOTSTRAP_PASSWORD if it was set then',
    `Config repo    ${CONFIG_REPO}  (branch ${BRANCH})`,
    '               the console commits here and the gateway follows it (webhook, and a poll every',
    `               ${POLL_INTERVAL_S} s); to edit by hand: git clone ${CONFIG_REPO}, commit, push to ${BRANCH}`,
    '               (a push reloads the gateway at once: the repo has a post-receive hook for it)',
  ];
}

const TRY_IT = `Try it:
  curl -si ${GATEWAY_URL}/demo/users/mcp \\
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1.0.0"}}}'
  # then, with the Mcp-Session-Id header of that answer:
  curl -s ${GATEWAY_URL}/demo/users/mcp \\
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\
    -H 'MCP-Protocol-Version: 2025-06-18' -H 'Mcp-Session-Id: <session id>' \\
    -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'

MCP clients: use the URL ${GATEWAY_URL}/demo/users/mcp (transport: Streamable HTTP).
Press Ctrl-C to stop.`;

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void stopAll(0));
  }

  // A service already answering means another instance holds the port: starting ours would fail, and
  // the banner would describe a process this script does not control.
  for (const service of SERVICES) {
    if ((await probe(service.health)).status !== undefined) {
      console.error(`start: ${service.health} already answers: is ${service.name} running elsewhere? Stop it first.`);
      process.exit(1);
    }
  }

  let repo: ConfigRepoInfo;
  try {
    repo = await ensureConfigRepo({ path: CONFIG_REPO, branch: BRANCH });
  } catch (err) {
    console.error(`start: config repo: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  try {
    // A push to the repo reloads the gateway at once, like a git host's webhook would.
    await installReloadHook(repo.path, { gatewayUrl: GATEWAY_URL, webhookSecret: WEBHOOK_SECRET, branch: repo.branch });
  } catch (err) {
    console.error(`start: could not install the config repo's reload hook (the gateway still polls): ${err instanceof Error ? err.message : String(err)}`);
  }
  console.error(
    repo.created
      ? `start: created the config repo ${repo.path} (branch ${repo.branch}) from config-repo/`
      : `start: using the config repo ${repo.path} (branch ${repo.branch} at ${repo.head.slice(0, 12)})`,
  );

  for (const service of SERVICES) {
    const proc = Bun.spawn({
      cmd: service.cmd,
      cwd: ROOT,
      env: { ...process.env, ...service.env },
      stdio: ['inherit', 'inherit', 'inherit'],
    });
    const entry = { service, proc };
    running.push(entry);
    void proc.exited.then((code) => {
      if (stopping) return;
      const how = proc.signalCode ? `signal ${proc.signalCode}` : `code ${code}`;
      void fail(`${service.name} exited (${how}); stopping the others`);
    });
  }

  const deadline = Date.now() + READY_TIMEOUT_MS;
  await Promise.all(running.map((entry) => waitReady(entry, deadline)));
  if (stopping) return;

  const lines: string[] = [];
  for (const service of SERVICES) {
    if (service.banner) lines.push(...(await service.banner()));
  }
  lines.push('', TRY_IT);
  console.log(`\n${lines.join('\n')}\n`);
}

await main();
