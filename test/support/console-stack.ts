/**
 * The whole product as real processes, for browser tests: the demo backend, a bare config repo seeded
 * like the embedded default (`scripts/embedded.ts`), a gateway following it, and an admin committing to
 * it, each on a free loopback port with its state in one temp dir. Plus Chromium through playwright-core
 * and a screenshot helper.
 *
 * Differences from `bun run start`, each on purpose: free ports instead of 5234-5236 (a developer's
 * running instance never conflicts), the sample configs rewritten to call this stack's demo backend, a
 * known bootstrap password, and no gateway polling, so a test that sees a change on the gateway proves
 * the admin's reload webhook rather than a poll.
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type Browser, chromium, type Page } from 'playwright-core';
import { checkoutTip, ensureConfigRepo, git } from '../../scripts/embedded.ts';

const ROOT = join(import.meta.dir, '..', '..');
const BUN = process.execPath;
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
/** Keep the last this many characters of each process's output, for failure messages. */
const LOG_TAIL = 20_000;
/** Where the demo backend listens in the sample configs; rewritten to this stack's port. */
const SAMPLE_BACKEND = 'http://127.0.0.1:5236';

export const CI = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

export interface ConsoleStackOptions {
  /** Bootstrap admin's password (ADMIN_BOOTSTRAP_PASSWORD). Default: a fixed test password. */
  password?: string;
  /** Extra environment for the gateway process (e.g. an env allowlist's variables). */
  gatewayEnv?: Record<string, string>;
  /** Extra flags for the gateway process. */
  gatewayArgs?: string[];
  /** Extra environment for the admin process. */
  adminEnv?: Record<string, string>;
}

/** One running process of the stack. */
export interface StackProcess {
  readonly name: string;
  readonly url: string;
  readonly proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
  /** The tail of everything it printed (stdout and stderr interleaved). */
  output(): string;
}

export interface ConsoleStack {
  /** Temp dir holding the config repo and every process's data dir; removed by close(). */
  readonly dir: string;
  /** The bare config repo (branch `main`) the gateway follows and the admin commits to. */
  readonly repo: string;
  readonly branch: string;
  readonly demo: StackProcess;
  readonly gateway: StackProcess;
  readonly admin: StackProcess;
  readonly username: string;
  readonly password: string;
  readonly webhookSecret: string;
  /** Every process's output tail, labelled: attach it to a failure. */
  logs(): string;
  /** Stops every process group (SIGTERM, then SIGKILL) and removes the temp dir. Safe to call twice. */
  close(): Promise<void>;
}

/** A port that was free a moment ago; the process fails loudly if someone took it since. */
function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** The parent's environment minus settings of our own processes, so a developer's shell cannot steer the stack. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(ADMIN_|GATEWAY_|DEMO_)/.test(key) || key === 'DATA_DIR') continue;
    out[key] = value;
  }
  return { ...out, ...extra };
}

/**
 * Every live process group of every stack of this test process. The groups are detached from the
 * runner's, so a Ctrl-C of `bun test` would not reach them: they are killed when the runner exits or is
 * interrupted before close() ran.
 */
const LIVE = new Set<number>();
/** Temp dirs of stacks not closed yet, removed on the same occasions. */
const DIRS = new Set<string>();
let guarded = false;

function guardExit(): void {
  if (guarded) return;
  guarded = true;
  const killAll = () => {
    for (const pid of LIVE) killGroup(pid, 'SIGKILL');
    for (const dir of DIRS) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAll);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(code);
    });
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function spawn(name: string, cmd: string[], env: Record<string, string>, url: string): StackProcess {
  // detached: the child leads its own process group, so close() also reaches anything it spawned.
  guardExit();
  const proc = Bun.spawn(cmd, { cwd: ROOT, env: cleanEnv(env), stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', detached: true });
  LIVE.add(proc.pid);
  void proc.exited.then(() => LIVE.delete(proc.pid));
  let tail = '';
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        tail += decoder.decode(chunk, { stream: true });
        if (tail.length > 2 * LOG_TAIL) tail = tail.slice(-LOG_TAIL);
      }
    } catch {
      // The pipe closed with the process.
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  return { name, url, proc, output: () => tail.slice(-LOG_TAIL) };
}

/** Polls `health` until it answers 2xx; fails early, with the process's output, if it exits. */
async function waitHealthy(p: StackProcess, path: string, deadline: number): Promise<void> {
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (p.proc.exitCode !== null || p.proc.signalCode !== null) {
      throw new Error(`${p.name} exited (${p.proc.signalCode ?? `code ${p.proc.exitCode}`}) before it was ready:\n${p.output()}`);
    }
    try {
      const res = await fetch(`${p.url}${path}`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) {
        await res.body?.cancel();
        return;
      }
      last = `${res.status} ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await Bun.sleep(50);
  }
  throw new Error(`${p.name} not ready within ${READY_TIMEOUT_MS} ms (${p.url}${path}: ${last}):\n${p.output()}`);
}

async function stop(p: StackProcess): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) {
    killGroup(p.proc.pid, 'SIGKILL'); // the leader is gone; its group may not be
    return;
  }
  killGroup(p.proc.pid, 'SIGTERM');
  const timer = setTimeout(() => killGroup(p.proc.pid, 'SIGKILL'), STOP_TIMEOUT_MS);
  await p.proc.exited;
  clearTimeout(timer);
  killGroup(p.proc.pid, 'SIGKILL');
  LIVE.delete(p.proc.pid);
}

/**
 * Starts the demo backend, seeds the config repo, starts the gateway on it and the admin on both, and
 * resolves once all three answer their health checks (the gateway's once it serves the seeded revision).
 */
export async function startConsoleStack(opts: ConsoleStackOptions = {}): Promise<ConsoleStack> {
  const dir = await mkdtemp(join(tmpdir(), 'console-stack-'));
  DIRS.add(dir);
  const started: StackProcess[] = [];
  const password = opts.password ?? 'console-test-password';
  const webhookSecret = crypto.randomUUID();
  let closed = false;

  const close = async () => {
    if (closed) return;
    closed = true;
    // Admin first (it calls the gateway), the demo backend last (the gateway calls it).
    for (const p of [...started].reverse()) await stop(p);
    await rm(dir, { recursive: true, force: true });
    DIRS.delete(dir);
  };

  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const demoPort = freePort();
    const demo = spawn('demo backend', [BUN, 'demo/main.ts', '--port', String(demoPort), '--host', '127.0.0.1'], {}, `http://127.0.0.1:${demoPort}`);
    started.push(demo);

    const { path: repo, branch } = await ensureConfigRepo({
      path: join(dir, 'config.git'),
      rewrite: (path, text) => (path.startsWith('configs/') ? text.replaceAll(SAMPLE_BACKEND, demo.url) : text),
    });

    const gatewayPort = freePort();
    const gateway = spawn(
      'gateway',
      [
        BUN,
        'gateway/main.ts',
        '--config',
        repo,
        '--branch',
        branch,
        '--host',
        '127.0.0.1',
        '--port',
        String(gatewayPort),
        '--allowed-networks',
        '127.0.0.1/32,::1',
        '--poll-interval',
        '0',
        '--data-dir',
        join(dir, 'gateway'),
        '--log-level',
        'warn',
        ...(opts.gatewayArgs ?? []),
      ],
      { GATEWAY_WEBHOOK_SECRET: webhookSecret, ...opts.gatewayEnv },
      `http://127.0.0.1:${gatewayPort}`,
    );
    started.push(gateway);

    const adminPort = freePort();
    const admin = spawn(
      'admin',
      [BUN, 'admin/main.ts', '--host', '127.0.0.1', '--port', String(adminPort), '--data-dir', join(dir, 'admin')],
      {
        ADMIN_BOOTSTRAP_PASSWORD: password,
        ADMIN_GATEWAYS: gateway.url,
        ADMIN_GATEWAY_WEBHOOK_SECRET: webhookSecret,
        ADMIN_CONFIG_REPO: repo,
        ...opts.adminEnv,
      },
      `http://127.0.0.1:${adminPort}`,
    );
    started.push(admin);

    await Promise.all([waitHealthy(demo, '/health', deadline), waitHealthy(gateway, '/health_check', deadline), waitHealthy(admin, '/health_check', deadline)]);

    return {
      dir,
      repo,
      branch,
      demo,
      gateway,
      admin,
      username: 'admin',
      password,
      webhookSecret,
      logs: () => started.map((p) => `--- ${p.name} (${p.url})\n${p.output()}`).join('\n'),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

// --- Chromium ----------------------------------------------------------------------------------------

/** `CHROMIUM_PATH`, else `chromium` (or `chromium-browser`) on PATH, else /usr/bin/chromium if present. */
export function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    const found = Bun.which(name);
    if (found) return found;
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

/** Headless Chromium through playwright-core (no bundled browser: the system's). */
export async function launchChromium(executablePath = chromiumPath()): Promise<Browser> {
  if (executablePath === undefined) throw new Error('chromium not found: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH');
  // --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
}

export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');

/** Saves a full-page PNG as `test-results/screenshots/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Why browser suites cannot run here, or undefined when Chromium is available. */
export function chromiumMissing(): string | undefined {
  const path = chromiumPath();
  if (path === undefined) return 'chromium not found (install it, e.g. apt-get install chromium, or set CHROMIUM_PATH)';
  if (!existsSync(path)) return `chromium not found at ${path} (CHROMIUM_PATH)`;
  return undefined;
}

/**
 * A describe block that needs Chromium; `body` launches it (launchChromium) in its beforeAll. Without
 * Chromium: under CI=true one failing test says why; elsewhere the suite is reported as skipped, with
 * the reason (like the PostgreSQL and MySQL store suites).
 */
export function browserSuite(name: string, body: () => void): void {
  const reason = chromiumMissing();
  if (reason === undefined) {
    describe(name, body);
    return;
  }
  if (CI) {
    describe(name, () => {
      it('runs in Chromium (required under CI=true)', () => {
        throw new Error(`${name}: ${reason}`);
      });
    });
    return;
  }
  console.warn(`[skip] ${name}: ${reason}`);
  describe.skip(`${name} skipped: ${reason}`, () => {
    it('runs in Chromium', () => {});
  });
}

// --- Flows shared by browser tests -------------------------------------------------------------------

/** Signs in through the console's login form (the real form, as a user would) and waits for the page after it. */
export async function signIn(page: Page, stack: Pick<ConsoleStack, 'admin' | 'username' | 'password'>, next = '/'): Promise<void> {
  await page.goto(`${stack.admin.url}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Username').fill(stack.username);
  await page.getByLabel('Password').fill(stack.password);
  await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** An official SDK client connected over Streamable HTTP to `<gateway><prefix>/mcp`; the caller closes it. */
export async function mcpClient(stack: Pick<ConsoleStack, 'gateway'>, prefix: string): Promise<Client> {
  const client = new Client({ name: 'console-browser-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${stack.gateway.url}${prefix}/mcp`)));
  return client;
}

/** Tool names a client sees, sorted. */
export async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name).sort();
}

/** Polls tools/list until `name` is there (or, with `present: false`, gone); throws after `ms`. */
export async function waitForTool(client: Client, name: string, ms: number, present = true): Promise<void> {
  const deadline = Date.now() + ms;
  let names: string[] = [];
  while (Date.now() <= deadline) {
    names = await toolNames(client);
    if (names.includes(name) === present) return;
    await Bun.sleep(50);
  }
  throw new Error(`tool ${JSON.stringify(name)} ${present ? 'not listed' : 'still listed'} within ${ms} ms (tools: ${names.join(', ')})`);
}

interface GatewayStatus {
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  ready?: { status: string; reason: string; message: string; issues: string[] };
}

/** The gateway's `/_status` document (the part tests read). */
export async function gatewayStatus(stack: Pick<ConsoleStack, 'gateway'>): Promise<GatewayStatus> {
  return (await (await fetch(`${stack.gateway.url}/_status`)).json()) as GatewayStatus;
}

/** Waits until the gateway serves `commit` (`<branch>@sha1:<commit>`); throws after `ms`. */
export async function waitForRevision(stack: Pick<ConsoleStack, 'gateway' | 'branch'>, commit: string, ms: number): Promise<void> {
  const want = `${stack.branch}@sha1:${commit}`;
  const deadline = Date.now() + ms;
  let last: string | undefined;
  while (Date.now() <= deadline) {
    last = (await gatewayStatus(stack)).lastAppliedRevision;
    if (last === want) return;
    await Bun.sleep(50);
  }
  throw new Error(`gateway serves ${last ?? 'nothing'}, not ${want}, after ${ms} ms`);
}

/** The branch tip of the stack's config repo (what the console committed last). */
export function repoHead(stack: Pick<ConsoleStack, 'repo' | 'branch'>): string {
  return git(stack.repo, ['rev-parse', `refs/heads/${stack.branch}`]);
}

/** A file's text at the branch tip of the stack's config repo (or at commit `rev`), or undefined when absent. */
export function repoFile(stack: Pick<ConsoleStack, 'repo' | 'branch'>, path: string, rev = stack.branch): string | undefined {
  try {
    return git(stack.repo, ['show', `${rev}:${path}`]);
  } catch {
    return undefined;
  }
}

/** The commits of the branch that touched `path` (every commit without it), newest first. */
export function repoLog(stack: Pick<ConsoleStack, 'repo' | 'branch'>, path?: string): string[] {
  const out = git(stack.repo, ['rev-list', `refs/heads/${stack.branch}`, ...(path === undefined ? [] : ['--', path])]);
  return out.split('\n').filter(Boolean);
}

/**
 * Commits `files` (path → text; undefined deletes) to the branch from outside the console, as an ops
 * pull request would land, and returns the new commit. The gateway is not notified (it does not poll
 * in this stack): call its webhook or let the console do it.
 */
export async function pushOutsideConsole(stack: Pick<ConsoleStack, 'repo' | 'branch'>, files: Record<string, string | undefined>, message: string): Promise<string> {
  const work = await checkoutTip(stack.repo, stack.branch);
  try {
    for (const [path, text] of Object.entries(files)) {
      if (text === undefined) await rm(join(work, path), { force: true });
      else {
        await mkdir(dirname(join(work, path)), { recursive: true });
        await writeFile(join(work, path), text);
      }
    }
    git(work, ['add', '-A']);
    git(work, ['commit', '-q', '-m', message]);
    git(work, ['push', '-q', 'origin', `HEAD:refs/heads/${stack.branch}`]);
    return git(work, ['rev-parse', 'HEAD']);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
