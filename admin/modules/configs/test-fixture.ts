/**
 * Test fixture (not a test file) for the config pages: a REAL config repo (a bare repository in a temp
 * dir seeded from `config-repo/configs`, the admin's `ConfigRepo` clone of it) and a loopback
 * `Bun.serve` standing in for a gateway: its `/_reload` checks the webhook's HMAC signature and applies
 * the remote's tip, as a gateway pulling the repo would.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigRepo } from '../../git/repo.ts';
import { signWebhook } from '../gateways/service.ts';

const SEED = resolve(import.meta.dir, '../../../config-repo/configs');
export const WEBHOOK_SECRET = 'test-webhook-secret';

export async function git(cwd: string, args: string[]): Promise<string> {
  const proc = Bun.spawn(['git', '-c', 'user.name=Seed Ops', '-c', 'user.email=seed@example.com', '-c', 'commit.gpgSign=false', '-c', 'core.hooksPath=/dev/null', ...args], {
    cwd,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`git ${args.join(' ')}: ${err.trim()}`);
  return out;
}

export interface GatewayStub {
  url: string;
  /** Reload webhook calls with a valid signature, with their parsed bodies. */
  reloads: { reason?: string }[];
  /** Calls refused for a bad signature. */
  refused: number;
  /** When set, `/_reload` answers this revision instead of the remote's tip (a gateway that did not apply). */
  stuckAt: string | undefined;
}

export interface ConfigFixture {
  dir: string;
  remote: string;
  repo: ConfigRepo;
  gateway: GatewayStub;
  tip(): Promise<string>;
  count(): Promise<number>;
  /** A file at the remote's tip, or undefined. */
  file(path: string): Promise<string | undefined>;
  /** Author `name <email>` and subject of the remote's tip commit. */
  head(): Promise<{ author: string; subject: string }>;
  close(): Promise<void>;
}

export async function configFixture(): Promise<ConfigFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-configs-'));
  const remote = join(dir, 'remote.git');
  const work = join(dir, 'work');
  await git(dir, ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  await git(dir, ['init', '--quiet', '--initial-branch=main', work]);
  await cp(SEED, join(work, 'configs'), { recursive: true });
  await git(work, ['add', '--all']);
  await git(work, ['commit', '--quiet', '-m', 'Seed the config repo']);
  await git(work, ['push', '--quiet', remote, 'HEAD:refs/heads/main']);

  const tip = async (): Promise<string> => (await git(remote, ['rev-parse', 'main'])).trim();
  const gateway: GatewayStub = { url: '', reloads: [], refused: 0, stuckAt: undefined };
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path !== '/_reload' || req.method !== 'POST') return new Response('not found', { status: 404 });
      const body = await req.text();
      if (req.headers.get('x-signature-256') !== signWebhook(body, WEBHOOK_SECRET)) {
        gateway.refused++;
        return Response.json({ error: { message: 'bad signature' } }, { status: 401 });
      }
      gateway.reloads.push(JSON.parse(body) as { reason?: string });
      if (gateway.stuckAt) return Response.json({ outcome: 'failed', revision: gateway.stuckAt, message: 'validation failed', issues: ['x.yaml:1:1: boom'] });
      return Response.json({ outcome: 'applied', revision: `main@sha1:${await tip()}` });
    },
  });
  gateway.url = `http://127.0.0.1:${server.port}`;
  const repo = await ConfigRepo.open({ url: remote, dir: join(dir, 'clone'), env: { PATH: process.env.PATH } });
  return {
    dir,
    remote,
    repo,
    gateway,
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
