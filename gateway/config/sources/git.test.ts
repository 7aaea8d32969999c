import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ASKPASS_SCRIPT,
  gitCredentials,
  gitEnvironment,
  GitSource,
  isGitUrl,
  remoteScheme,
  remoteUrl,
} from './git.ts';
import { openSource, redactUrl, SourceError } from './index.ts';
import { redactText } from './source.ts';

// CI machines have no global git identity; tests' own git commands carry one.
const IDENTITY = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, env: { ...process.env, ...IDENTITY }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A bare repo with a work clone that commits and pushes. */
interface Fixture {
  dir: string;
  bare: string;
  work: string;
  dataDir: string;
}

async function fixture(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'gw-git-'));
  const bare = join(dir, 'config.git');
  const work = join(dir, 'work');
  const dataDir = join(dir, 'data');
  git(dir, 'init', '--quiet', '--bare', bare);
  git(dir, 'init', '--quiet', work);
  git(work, 'symbolic-ref', 'HEAD', 'refs/heads/main');
  git(work, 'remote', 'add', 'origin', bare);
  return { dir, bare, work, dataDir };
}

async function commitAndPush(fx: Fixture, files: Record<string, string>, opts: { branch?: string; force?: boolean } = {}): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(fx.work, path);
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, content);
  }
  git(fx.work, 'add', '-A');
  git(fx.work, 'commit', '--quiet', '-m', `change ${Object.keys(files).join(', ')}`);
  const branch = opts.branch ?? 'main';
  git(fx.work, 'push', '--quiet', ...(opts.force ? ['--force'] : []), 'origin', `HEAD:refs/heads/${branch}`);
  return git(fx.work, 'rev-parse', 'HEAD');
}

const DOC = (n: number) => `tenant: acme\nname: tickets\n# version ${n}\n`;

let fx: Fixture;
const sources: GitSource[] = [];
function source(url = fx.bare, branch = 'main', extra: Partial<ConstructorParameters<typeof GitSource>[0]> = {}): GitSource {
  const s = new GitSource({ url, branch, dataDir: fx.dataDir, env: process.env, ...extra });
  sources.push(s);
  return s;
}

beforeEach(async () => {
  fx = await fixture();
});
afterEach(async () => {
  for (const s of sources.splice(0)) await s.close();
  await rm(fx.dir, { recursive: true, force: true });
});

describe('git source', () => {
  it('clones the branch and names main@sha1:<hex> of its tip', async () => {
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const snap = await source().fetch();
    expect(snap.revision).toBe(`main@sha1:${head}`);
    expect(git(snap.root, 'rev-parse', 'HEAD')).toBe(head);
    expect(await readFile(join(snap.root, 'configs/acme/tickets.yaml'), 'utf8')).toBe(DOC(1));
    expect(snap.root.startsWith(join(fx.dataDir, 'sources'))).toBe(true);
  });

  it('returns the new revision and content when a commit was pushed', async () => {
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const s = source();
    const first = await s.fetch();
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(2), 'configs/acme/new.yaml': DOC(3) });
    const second = await s.fetch();
    expect(second.revision).toBe(`main@sha1:${head}`);
    expect(second.revision).not.toBe(first.revision);
    expect(await readFile(join(second.root, 'configs/acme/tickets.yaml'), 'utf8')).toBe(DOC(2));
    expect(await readFile(join(second.root, 'configs/acme/new.yaml'), 'utf8')).toBe(DOC(3));
  });

  it('keeps the revision when nothing was pushed', async () => {
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const s = source();
    expect((await s.fetch()).revision).toBe((await s.fetch()).revision);
  });

  it('follows a force-push that rewrote history', async () => {
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(2) });
    const s = source();
    await s.fetch();
    git(fx.work, 'reset', '--quiet', '--hard', 'HEAD~1');
    const rewritten = await commitAndPush(fx, { 'configs/acme/other.yaml': DOC(9) }, { force: true });
    const snap = await s.fetch();
    expect(snap.revision).toBe(`main@sha1:${rewritten}`);
    expect(await readFile(join(snap.root, 'configs/acme/tickets.yaml'), 'utf8')).toBe(DOC(1));
    expect(await readFile(join(snap.root, 'configs/acme/other.yaml'), 'utf8')).toBe(DOC(9));
  });

  it('ignores a push to another branch', async () => {
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const s = source();
    await s.fetch();
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(2) }, { branch: 'feature' });
    const snap = await s.fetch();
    expect(snap.revision).toBe(`main@sha1:${head}`);
    expect(await readFile(join(snap.root, 'configs/acme/tickets.yaml'), 'utf8')).toBe(DOC(1));
  });

  it('follows another branch of the same URL in the same clone', async () => {
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const feature = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(2) }, { branch: 'feature' });
    await source().fetch();
    const snap = await source(fx.bare, 'feature').fetch();
    expect(snap.revision).toBe(`feature@sha1:${feature}`);
    expect(await readFile(join(snap.root, 'configs/acme/tickets.yaml'), 'utf8')).toBe(DOC(2));
  });

  it('throws SourceError naming the branch when the branch does not exist', async () => {
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const err = await source(fx.bare, 'nope').fetch().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).code).toBe('source_fetch');
    expect((err as SourceError).message).toBe(`git source ${fx.bare}: branch "nope" not found`);
  });

  it('throws SourceError with git\'s reason when the repository does not exist', async () => {
    const missing = `file://${join(fx.dir, 'missing.git')}`;
    const err = await source(missing).fetch().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).message).toStartWith(`git source ${missing}: `);
    expect((err as SourceError).message).toMatch(/does not appear to be a git repository|not found|no such/i);
  });

  it('refuses a branch name that could be read as an option', () => {
    expect(() => source(fx.bare, '--upload-pack=touch /tmp/x')).toThrow(SourceError);
    expect(() => source(fx.bare, 'a..b')).toThrow('invalid branch name');
  });

  it('works with a file:// URL and with a plain path to a bare repository', async () => {
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const viaUrl = openSource({ config: `file://${fx.bare}`, branch: 'main', dataDir: fx.dataDir });
    const viaPath = openSource({ config: fx.bare, branch: 'main', dataDir: fx.dataDir });
    try {
      expect(viaUrl.kind).toBe('git');
      expect(viaPath.kind).toBe('git');
      const a = await viaUrl.fetch();
      const b = await viaPath.fetch();
      expect(a.revision).toBe(`main@sha1:${head}`);
      expect(b.revision).toBe(`main@sha1:${head}`);
      expect(a.root).not.toBe(b.root);
    } finally {
      await viaUrl.close();
      await viaPath.close();
    }
  });

  it('accepts a relative path to a bare repository', async () => {
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const cwd = process.cwd();
    process.chdir(fx.dir);
    try {
      const s = openSource({ config: 'config.git', branch: 'main', dataDir: fx.dataDir });
      expect(s.kind).toBe('git');
      process.chdir(cwd);
      expect((await s.fetch()).revision).toBe(`main@sha1:${head}`);
      await s.close();
    } finally {
      process.chdir(cwd);
    }
  });

  it('discards local edits and untracked files in the clone', async () => {
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const s = source();
    const snap = await s.fetch();
    await writeFile(join(snap.root, 'configs/acme/tickets.yaml'), 'tampered');
    await writeFile(join(snap.root, 'configs/acme/stray.yaml'), DOC(5));
    const again = await s.fetch();
    expect(await readFile(join(again.root, 'configs/acme/tickets.yaml'), 'utf8')).toBe(DOC(1));
    expect(await stat(join(again.root, 'configs/acme/stray.yaml')).catch(() => undefined)).toBeUndefined();
  });

  it('re-clones when the clone is broken', async () => {
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const snap = await source().fetch();
    await rm(join(snap.root, '.git'), { recursive: true, force: true });
    await writeFile(join(snap.root, '.git'), 'garbage');
    const again = await source().fetch();
    expect(again.revision).toBe(`main@sha1:${head}`);
    expect(await readFile(join(again.root, 'configs/acme/tickets.yaml'), 'utf8')).toBe(DOC(1));
  });

  it('never resets an enclosing repository when the clone has lost its .git contents', async () => {
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const dataDir = join(fx.work, '.data');
    const snap = await source(fx.bare, 'main', { dataDir }).fetch();
    await rm(join(snap.root, '.git'), { recursive: true, force: true });
    await mkdir(join(snap.root, '.git'));
    await writeFile(join(fx.work, 'uncommitted.txt'), 'keep me');
    const again = await source(fx.bare, 'main', { dataDir }).fetch();
    expect(again.revision).toBe(`main@sha1:${head}`);
    expect(await readFile(join(fx.work, 'uncommitted.txt'), 'utf8')).toBe('keep me');
    expect(git(fx.work, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('re-clones when the clone points at another URL', async () => {
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const other = join(fx.dir, 'other.git');
    git(fx.dir, 'init', '--quiet', '--bare', other);
    const snap = await source().fetch();
    git(snap.root, 'remote', 'set-url', 'origin', other);
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(2) });
    expect((await source().fetch()).revision).toBe(`main@sha1:${head}`);
    expect(git(snap.root, 'config', '--get', 'remote.origin.url')).toBe(fx.bare);
  });

  it('checks out symbolic links as plain files', async () => {
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    spawnSync('ln', ['-s', '/etc', join(fx.work, 'configs/etc')]);
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(2) });
    const snap = await source().fetch();
    expect(snap.revision).toBe(`main@sha1:${head}`);
    const info = await stat(join(snap.root, 'configs/etc'));
    expect(info.isFile()).toBe(true);
  });

  it('serializes concurrent fetches of one clone, from one instance or two', async () => {
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const s = source();
    const t = source();
    const results = await Promise.all([s.fetch(), t.fetch(), s.fetch(), t.fetch(), s.fetch()]);
    for (const r of results) expect(r.revision).toBe(`main@sha1:${head}`);
  });

  it('keeps working after a failed fetch', async () => {
    const s = source(fx.bare);
    expect(await s.fetch().catch((e: unknown) => e)).toBeInstanceOf(SourceError);
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    expect((await s.fetch()).revision).toBe(`main@sha1:${head}`);
  });

  it('throws SourceError when the signal is already aborted', async () => {
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const err = await source().fetch(AbortSignal.abort()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toContain('aborted');
  });

  it('refuses to fetch after close', async () => {
    const s = source();
    await s.close();
    expect(await s.fetch().catch((e: unknown) => e)).toBeInstanceOf(SourceError);
  });
});

// ---------------------------------------------------------------------------------------------------
// https credentials, end to end against git's own smart-HTTP backend on loopback behind basic auth.

const USER = 'deploy-bot';
const PASSWORD = 'pa55-w0rd-S3CRET-xyz';

function serveGit(projectRoot: string): { url: string; stop(): void; authorizations: string[] } {
  const authorizations: string[] = [];
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const auth = req.headers.get('authorization') ?? '';
      authorizations.push(auth);
      if (auth !== expected) return new Response('auth required', { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="git"' } });
      const url = new URL(req.url);
      const body = new Uint8Array(await req.arrayBuffer());
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method,
        CONTENT_TYPE: req.headers.get('content-type') ?? '',
        CONTENT_LENGTH: String(body.length),
        REMOTE_USER: USER,
        REMOTE_ADDR: '127.0.0.1',
      };
      const encoding = req.headers.get('content-encoding');
      if (encoding) env.HTTP_CONTENT_ENCODING = encoding;
      const protocol = req.headers.get('git-protocol');
      if (protocol) env.GIT_PROTOCOL = protocol;
      const proc = Bun.spawn(['git', 'http-backend'], { env, stdin: body, stdout: 'pipe', stderr: 'ignore' });
      const out = Buffer.from(await new Response(proc.stdout).arrayBuffer());
      await proc.exited;
      const split = out.indexOf('\r\n\r\n');
      const head = out.subarray(0, split).toString('latin1');
      const headers = new Headers();
      let status = 200;
      for (const line of head.split('\r\n')) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers.append(name, value);
      }
      return new Response(out.subarray(split + 4), { status, headers });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true), authorizations };
}

describe('git source over https with credentials', () => {
  it('authenticates through askpass and stores no credential in the clone', async () => {
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const http = serveGit(fx.dir);
    try {
      const env = { ...process.env, GATEWAY_GIT_USERNAME: USER, GATEWAY_GIT_PASSWORD: PASSWORD };
      const s = source(`${http.url}/config.git`, 'main', { env });
      const snap = await s.fetch();
      expect(snap.revision).toBe(`main@sha1:${head}`);
      expect(http.authorizations.some((a) => a.startsWith('Basic '))).toBe(true);

      const gitConfig = await readFile(join(snap.root, '.git/config'), 'utf8');
      expect(gitConfig).toContain(`${http.url}/config.git`);
      expect(gitConfig).not.toContain(PASSWORD);
      expect(gitConfig).not.toContain(USER);
      const askpass = join(fx.dataDir, 'git-askpass.sh');
      expect((await stat(askpass)).mode & 0o777).toBe(0o700);
      expect(await readFile(askpass, 'utf8')).not.toContain(PASSWORD);
      // A second fetch reuses the clone and authenticates again.
      const head2 = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(2) });
      expect((await s.fetch()).revision).toBe(`main@sha1:${head2}`);
    } finally {
      http.stop();
    }
  });

  it('takes credentials from the URL without keeping them in the URL', async () => {
    const head = await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const http = serveGit(fx.dir);
    try {
      const withUserinfo = http.url.replace('http://', `http://${USER}:${encodeURIComponent(PASSWORD)}@`);
      const s = openSource({ config: `${withUserinfo}/config.git`, branch: 'main', dataDir: fx.dataDir, env: { PATH: process.env.PATH } });
      expect(s.description).toBe(`git ${http.url}/config.git (branch "main")`);
      const snap = await s.fetch();
      expect(snap.revision).toBe(`main@sha1:${head}`);
      expect(await readFile(join(snap.root, '.git/config'), 'utf8')).not.toContain(PASSWORD);
      await s.close();
    } finally {
      http.stop();
    }
  });

  it('fails with a clear message that does not contain the password when it is wrong', async () => {
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const http = serveGit(fx.dir);
    try {
      const env = { ...process.env, GATEWAY_GIT_USERNAME: USER, GATEWAY_GIT_PASSWORD: 'wrong-password-123' };
      const err = await source(`${http.url}/config.git`, 'main', { env }).fetch().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceError);
      const message = (err as SourceError).message;
      expect(message).toStartWith(`git source ${http.url}/config.git: `);
      expect(message).toMatch(/authentication failed/i);
      expect(message).not.toContain('wrong-password-123');
      expect(String((err as SourceError).cause)).not.toContain('wrong-password-123');
    } finally {
      http.stop();
    }
  });

  it('fails instead of prompting when no credentials are configured', async () => {
    await commitAndPush(fx, { 'configs/acme/tickets.yaml': DOC(1) });
    const http = serveGit(fx.dir);
    try {
      const env = { PATH: process.env.PATH, HOME: fx.dir };
      const err = await source(`${http.url}/config.git`, 'main', { env }).fetch().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceError);
      expect((err as SourceError).message).toMatch(/could not read Username|terminal prompts disabled|authentication/i);
    } finally {
      http.stop();
    }
  });

  it('kills a git command that stays silent past the timeout', async () => {
    // A server that accepts the connection and never answers.
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Promise<Response>(() => {}) });
    try {
      const s = source(`http://127.0.0.1:${server.port}/config.git`, 'main', { timeoutMs: 300 });
      const err = await s.fetch().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceError);
      expect((err as SourceError).message).toContain('timed out');
    } finally {
      server.stop(true);
    }
  });
});

describe('git source helpers', () => {
  it('redactUrl removes userinfo from http URLs and only the password from ssh URLs', () => {
    expect(redactUrl('https://user:tok3n@github.com/acme/cfg.git')).toBe('https://github.com/acme/cfg.git');
    expect(redactUrl('https://tok3n@github.com/acme/cfg.git')).toBe('https://github.com/acme/cfg.git');
    expect(redactUrl('https://u:p%40ss@host:8443/x.git?y#z')).toBe('https://host:8443/x.git?y#z');
    expect(redactUrl('ssh://git:secret@host/x.git')).toBe('ssh://git@host/x.git');
    expect(redactUrl('ssh://git@host/x.git')).toBe('ssh://git@host/x.git');
    expect(redactUrl('git@github.com:acme/cfg.git')).toBe('git@github.com:acme/cfg.git');
    expect(redactUrl('/srv/config.git')).toBe('/srv/config.git');
  });

  it('redactText scrubs userinfo and secret values from free text', () => {
    expect(redactText("fatal: unable to access 'https://bob:hunter22@h/x/': 403", [])).toBe("fatal: unable to access 'https://h/x/': 403");
    expect(redactText('token abcd1234 leaked', ['abcd1234'])).toBe('token *** leaked');
  });

  it('classifies config values as git or directory', () => {
    expect(isGitUrl('https://github.com/acme/cfg.git')).toBe(true);
    expect(isGitUrl('http://127.0.0.1/cfg')).toBe(true);
    expect(isGitUrl('ssh://git@host/cfg.git')).toBe(true);
    expect(isGitUrl('git@github.com:acme/cfg.git')).toBe(true);
    expect(isGitUrl('file:///srv/cfg.git')).toBe(true);
    expect(isGitUrl('config-repo')).toBe(false);
    expect(isGitUrl('./does-not-exist.git')).toBe(false);
    expect(remoteScheme('git@github.com:acme/cfg.git')).toBe('ssh');
    expect(remoteScheme('/srv/cfg.git')).toBe('file');
    expect(remoteUrl('relative.git')).toBe(join(process.cwd(), 'relative.git'));
  });

  it('takes https credentials from the URL first, then the environment', () => {
    const env = { GATEWAY_GIT_USERNAME: 'bot', GATEWAY_GIT_PASSWORD: 'envpass' };
    expect(gitCredentials('https://u:p@h/x.git', env)).toEqual({ username: 'u', password: 'p' });
    expect(gitCredentials('https://tok@h/x.git', {})).toEqual({ username: 'x-access-token', password: 'tok' });
    expect(gitCredentials('https://h/x.git', env)).toEqual({ username: 'bot', password: 'envpass' });
    expect(gitCredentials('https://h/x.git', { GATEWAY_GIT_TOKEN: 'ghp_x' })).toEqual({ username: 'x-access-token', password: 'ghp_x' });
    expect(gitCredentials('https://h/x.git', {})).toBeUndefined();
    expect(gitCredentials('ssh://git@h/x.git', env)).toBeUndefined();
    expect(gitCredentials('/srv/x.git', env)).toBeUndefined();
  });

  it('builds a git environment with askpass, no prompts and no foreign GIT_ variables', () => {
    const env = gitEnvironment({
      env: {
        PATH: '/usr/bin',
        HOME: '/home/gw',
        GIT_DIR: '/elsewhere',
        GIT_CONFIG_PARAMETERS: "'core.sshcommand=evil'",
        GIT_SSL_CAINFO: '/etc/ca.pem',
        GATEWAY_GIT_TOKEN: 'ghp_leak',
        EDITOR: 'vi',
        UNSET: undefined,
      },
      credentials: { username: 'bot', password: 's3cret' },
      askpassPath: '/data/git-askpass.sh',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/gw',
      GIT_SSL_CAINFO: '/etc/ca.pem',
      GIT_TERMINAL_PROMPT: '0',
      LC_ALL: 'C',
      GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
      GIT_ASKPASS: '/data/git-askpass.sh',
      GATEWAY_GIT_USERNAME: 'bot',
      GATEWAY_GIT_PASSWORD: 's3cret',
    });
  });

  it('keeps the operator\'s ssh command and passes no credentials without them', () => {
    const env = gitEnvironment({
      env: { GIT_SSH_COMMAND: 'ssh -i /keys/deploy', GATEWAY_GIT_PASSWORD: 'x' },
      credentials: undefined,
      askpassPath: '/data/git-askpass.sh',
    });
    expect(env).toEqual({ GIT_SSH_COMMAND: 'ssh -i /keys/deploy', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' });
  });

  it('answers git\'s prompts from the environment in the askpass script', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gw-askpass-'));
    try {
      const path = join(dir, 'askpass.sh');
      await writeFile(path, ASKPASS_SCRIPT, { mode: 0o700 });
      const env = { PATH: process.env.PATH, GATEWAY_GIT_USERNAME: 'bot', GATEWAY_GIT_PASSWORD: "p'a$s \"w" };
      const ask = (prompt: string) => spawnSync(path, [prompt], { env, encoding: 'utf8' }).stdout;
      expect(ask("Username for 'https://h': ")).toBe('bot\n');
      expect(ask("Password for 'https://bot@h': ")).toBe("p'a$s \"w\n");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
