/**
 * Test support (not a test file) for the console's config, history, import and dashboard tests: a REAL
 * config repo and a stand-in gateway, plus a request helper that sends what a browser or htmx sends.
 *
 * The repo is a bare repository in a temp dir seeded from `config-repo/configs`, with a work clone to
 * push commits "by someone else" (as ops' pull requests would) and the admin's `ConfigRepo` over it.
 * The gateway is a loopback `Bun.serve`: `/_status` reports what it applied, and `/_reload` checks the
 * webhook's HMAC signature and applies the remote's tip, as a gateway pulling the repo would.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigRepo } from '../../git/repo.ts';
import type { AdminSettings } from '../../settings.ts';
import { type Harness, harness } from '../../test-support.ts';
import { signWebhook } from '../gateways/service.ts';

const SEED = resolve(import.meta.dir, '../../../config-repo/configs');
/** The stand-in gateway's webhook secret. */
const WEBHOOK_SECRET = 'test-webhook-secret';

export interface Person {
  name: string;
  email: string;
}

export const SEEDER: Person = { name: 'Seed Ops', email: 'seed@example.com' };

/** Runs git with a fixed identity and no hooks, signing or global config; throws with git's stderr. */
export async function git(cwd: string, args: string[], author: Person = SEEDER): Promise<string> {
  const config = [`user.name=${author.name}`, `user.email=${author.email}`, 'commit.gpgSign=false', 'core.hooksPath=/dev/null', 'init.defaultBranch=main'];
  const proc = Bun.spawn(['git', ...config.flatMap((c) => ['-c', c]), ...args], {
    cwd,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`git ${args.join(' ')}: ${err.trim()}`);
  return out;
}

export interface StandInGateway {
  url: string;
  /** What `/_status` reports as applied; `/_reload` sets it to the remote's tip. */
  applied: string | null;
  ready: { status: string; reason: string; lastTransitionTime: string | null; message?: string };
  /** Reload webhook calls with a valid signature, with their parsed bodies. */
  reloads: { reason?: string }[];
  /** Calls refused for a bad signature. */
  refused: number;
  /** When set, `/_reload` answers a failed reload at this revision instead of applying the tip. */
  stuckAt: string | undefined;
}

export interface ConfigStack {
  dir: string;
  /** The bare "remote" (what gateways pull). */
  remote: string;
  /** A work clone on `main` for commits made outside the console. */
  work: string;
  repo: ConfigRepo;
  gateway: StandInGateway;
  /** Writes (or with `null` deletes) a file in the work clone, commits it as `author` and pushes; returns the sha. */
  push(path: string, text: string | null, message: string, author?: Person): Promise<string>;
  /** The remote's tip sha. */
  tip(): Promise<string>;
  /** Number of commits on the remote's `main`. */
  count(): Promise<number>;
  /** A file at the remote's tip, or undefined. */
  file(path: string): Promise<string | undefined>;
  /** Author `name <email>` and subject of the remote's tip commit. */
  head(): Promise<{ author: string; subject: string }>;
  close(): Promise<void>;
}

export async function configStack(): Promise<ConfigStack> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-admin-repo-'));
  const remote = join(dir, 'remote.git');
  const work = join(dir, 'work');
  await mkdir(remote);
  await git(remote, ['init', '--quiet', '--bare', '--initial-branch=main']);
  await git(dir, ['clone', '--quiet', remote, work]);
  await cp(SEED, join(work, 'configs'), { recursive: true });
  await git(work, ['add', '--all']);
  await git(work, ['commit', '--quiet', '-m', 'Seed the config repo']);
  await git(work, ['push', '--quiet', 'origin', 'HEAD:main']);

  const tip = async (): Promise<string> => (await git(remote, ['rev-parse', 'main'])).trim();
  const gateway: StandInGateway = {
    url: '',
    applied: `main@sha1:${await tip()}`,
    ready: { status: 'True', reason: 'RevisionApplied', lastTransitionTime: '2026-01-01T00:00:00Z', message: 'applied' },
    reloads: [],
    refused: 0,
    stuckAt: undefined,
  };
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === '/_status') {
        return Response.json({ ready: gateway.ready, lastAppliedRevision: gateway.applied, lastAttemptedRevision: gateway.applied });
      }
      if (path !== '/_reload' || req.method !== 'POST') return new Response('not found', { status: 404 });
      const body = await req.text();
      if (req.headers.get('x-signature-256') !== signWebhook(body, WEBHOOK_SECRET)) {
        gateway.refused++;
        return Response.json({ error: { message: 'bad signature' } }, { status: 401 });
      }
      gateway.reloads.push(JSON.parse(body) as { reason?: string });
      if (gateway.stuckAt) return Response.json({ outcome: 'failed', revision: gateway.stuckAt, message: 'validation failed', issues: ['x.yaml:1:1: boom'] });
      gateway.applied = `main@sha1:${await tip()}`;
      return Response.json({ outcome: 'applied', revision: gateway.applied });
    },
  });
  gateway.url = `http://127.0.0.1:${server.port}`;

  const repo = await ConfigRepo.open({ url: remote, dir: join(dir, 'clone'), env: { PATH: process.env.PATH } });
  return {
    dir,
    remote,
    work,
    repo,
    gateway,
    async push(path, text, message, author) {
      await git(work, ['pull', '--quiet', '--ff-only', 'origin', 'main']);
      if (text === null) await git(work, ['rm', '--quiet', '--', path]);
      else {
        await mkdir(dirname(join(work, path)), { recursive: true });
        await writeFile(join(work, path), text);
        await git(work, ['add', '--', path]);
      }
      await git(work, ['commit', '--quiet', '-m', message], author);
      await git(work, ['push', '--quiet', 'origin', 'HEAD:main']);
      return tip();
    },
    tip,
    async count() {
      return Number((await git(remote, ['rev-list', '--count', 'main'])).trim());
    },
    async file(path) {
      try {
        return await git(remote, ['show', `main:${path}`]);
      } catch {
        return undefined;
      }
    },
    async head() {
      const [author = '', subject = ''] = (await git(remote, ['log', '-1', '--format=%an <%ae>%x1f%s', 'main'])).trim().split('\x1f');
      return { author, subject };
    },
    async close() {
      await server.stop(true);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The admin in-process (see `harness`) over the stack's repo, with its stand-in gateway registered first. */
export function stackHarness(fx: ConfigStack, moreGateways: AdminSettings['gateways'] = []): Promise<Harness> {
  return harness({ repo: fx.repo, settings: { gateways: [{ url: fx.gateway.url, webhookSecret: WEBHOOK_SECRET }, ...moreGateways] } });
}

/** What a signed-in browser sends. */
export interface FormCaller {
  cookie?: string;
  csrf?: string;
}

export interface SendOptions {
  as?: FormCaller;
  /** URL-encoded unless a FormData (multipart). */
  form?: Record<string, string> | FormData;
  /** Ask as htmx does for a fragment. */
  htmx?: boolean;
  /** Where the CSRF token goes: the htmx header (default), the `_csrf` form field, or nowhere. */
  csrf?: 'header' | 'field' | 'none';
}

/** A console request as a browser (plain form) or htmx would send it, handled in-process. */
export function send(app: { handle(r: Request): Promise<Response> }, origin: string, method: string, path: string, opts: SendOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.as?.cookie) headers.cookie = opts.as.cookie;
  const how = opts.csrf ?? 'header';
  if (method !== 'GET' && how === 'header' && opts.as?.csrf) headers['x-csrf-token'] = opts.as.csrf;
  if (opts.htmx) {
    headers['hx-request'] = 'true';
    headers['hx-request-type'] = 'partial';
  }
  let body: string | FormData | undefined;
  if (opts.form instanceof FormData) {
    if (how === 'field' && opts.as?.csrf) opts.form.set('_csrf', opts.as.csrf);
    body = opts.form;
  } else if (opts.form) {
    const fields = { ...opts.form, ...(how === 'field' && opts.as?.csrf ? { _csrf: opts.as.csrf } : {}) };
    body = new URLSearchParams(fields).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  return app.handle(new Request(`${origin}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
}
