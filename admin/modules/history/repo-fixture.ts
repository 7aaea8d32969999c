/**
 * Test fixture (not a test file): a REAL config repo for the console's history, import and dashboard
 * tests. A bare repository in a temp dir seeded from `config-repo/configs`, a work clone to push
 * commits "by someone else" (as ops' pull requests would), the admin's `ConfigRepo` over it, and a
 * loopback HTTP server standing in for a gateway (`/_status`, and `/_reload` which applies the
 * remote's current tip, as a gateway pulling the repo would).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigRepo } from '../../git/repo.ts';

const SEED = resolve(import.meta.dir, '../../../config-repo/configs');

export interface Person {
  name: string;
  email: string;
}

export const SEEDER: Person = { name: 'Seed Ops', email: 'seed@example.com' };

/** Runs git with a fixed identity and no hooks, signing or global config; throws with git's stderr. */
export async function git(cwd: string, args: string[], author?: Person): Promise<string> {
  const who = author ?? SEEDER;
  const proc = Bun.spawn(
    [
      'git',
      '-c',
      `user.name=${who.name}`,
      '-c',
      `user.email=${who.email}`,
      '-c',
      'commit.gpgSign=false',
      '-c',
      'core.hooksPath=/dev/null',
      '-c',
      'init.defaultBranch=main',
      ...args,
    ],
    {
      cwd,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
    },
  );
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`git ${args.join(' ')}: ${err.trim()}`);
  return out;
}

export interface FakeGateway {
  url: string;
  /** What `/_status` reports as applied; `/_reload` sets it to the remote's tip. */
  applied: string | null;
  ready: { status: string; reason: string; lastTransitionTime: string | null; message?: string };
  reloads: number;
  stop(): Promise<void>;
}

export interface RepoFixture {
  dir: string;
  /** The bare "remote" (what gateways pull). */
  remote: string;
  /** A work clone on `main` for commits made outside the console. */
  work: string;
  repo: ConfigRepo;
  gateway: FakeGateway;
  /** Writes (or with `null` deletes) a file in the work clone, commits it as `author` and pushes; returns the sha. */
  push(path: string, text: string | null, message: string, author?: Person): Promise<string>;
  /** The remote's tip sha. */
  tip(): Promise<string>;
  /** Number of commits on the remote's `main`. */
  count(): Promise<number>;
  /** A file on the remote's tip, or undefined. */
  remoteFile(path: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function repoFixture(): Promise<RepoFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-admin-repo-'));
  const remote = join(dir, 'remote.git');
  const work = join(dir, 'work');
  await mkdir(remote);
  await git(remote, ['init', '--bare', '--initial-branch=main']);
  await git(dir, ['clone', '--quiet', remote, work]);
  await cp(SEED, join(work, 'configs'), { recursive: true });
  await git(work, ['add', '--all']);
  await git(work, ['commit', '--quiet', '-m', 'Seed the config repo']);
  await git(work, ['push', '--quiet', 'origin', 'HEAD:main']);

  const tip = async (): Promise<string> => (await git(remote, ['rev-parse', 'main'])).trim();
  const state: FakeGateway = {
    url: '',
    applied: `main@sha1:${await tip()}`,
    ready: { status: 'True', reason: 'RevisionApplied', lastTransitionTime: '2026-01-01T00:00:00Z', message: 'applied' },
    reloads: 0,
    stop: async () => {},
  };
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === '/_status') {
        return Response.json({ ready: state.ready, lastAppliedRevision: state.applied, lastAttemptedRevision: state.applied });
      }
      if (path === '/_reload' && req.method === 'POST') {
        state.reloads++;
        state.applied = `main@sha1:${await tip()}`;
        return Response.json({ outcome: 'applied', revision: state.applied });
      }
      return new Response('not found', { status: 404 });
    },
  });
  state.url = `http://127.0.0.1:${server.port}`;
  state.stop = () => server.stop(true);

  const repo = await ConfigRepo.open({ url: remote, dir: join(dir, 'clone'), env: { PATH: process.env.PATH } });
  return {
    dir,
    remote,
    work,
    repo,
    gateway: state,
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
    async remoteFile(path) {
      try {
        return await git(remote, ['show', `main:${path}`]);
      } catch {
        return undefined;
      }
    },
    async close() {
      await state.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
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
