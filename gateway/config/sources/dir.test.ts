import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirSource, isRelevantChange } from './dir.ts';
import { openSource, SourceError } from './index.ts';

const DOC = (n: number) => `tenant: acme\nname: tickets\n# version ${n}\n`;

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

/** Resolves once `check` is true, polling; fails after the deadline instead of sleeping a fixed time. */
async function eventually(check: () => boolean, deadlineMs = 5000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met before the deadline');
    await Bun.sleep(10);
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gw-dir-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dir source', () => {
  it('is chosen for a path that is not a git URL', () => {
    const s = openSource({ config: dir, branch: 'main', dataDir: join(dir, '.data') });
    expect(s.kind).toBe('dir');
    expect(s.description).toBe(`dir ${dir}`);
  });

  it('names the same revision for byte-equal trees', async () => {
    const files = { 'configs/acme/tickets.yaml': DOC(1), 'configs/beta/x.yml': DOC(2) };
    await writeTree(join(dir, 'a'), files);
    await writeTree(join(dir, 'b'), files);
    const a = await new DirSource(join(dir, 'a')).fetch();
    const b = await new DirSource(join(dir, 'b')).fetch();
    expect(a.revision).toMatch(/^dir@sha1:[0-9a-f]{40}$/);
    expect(a.revision).toBe(b.revision);
    expect(a.root).toBe(join(dir, 'a'));
    expect((await new DirSource(join(dir, 'a')).fetch()).revision).toBe(a.revision);
  });

  it('names a new revision when a document is edited, added, renamed or removed', async () => {
    await writeTree(dir, { 'configs/acme/tickets.yaml': DOC(1) });
    const s = new DirSource(dir);
    const seen = new Set([(await s.fetch()).revision]);
    await writeTree(dir, { 'configs/acme/tickets.yaml': DOC(2) });
    seen.add((await s.fetch()).revision);
    await writeTree(dir, { 'configs/acme/other.yaml': DOC(2) });
    seen.add((await s.fetch()).revision);
    await rm(join(dir, 'configs/acme/other.yaml'));
    await writeTree(dir, { 'configs/acme/renamed.yaml': DOC(2) });
    seen.add((await s.fetch()).revision);
    await rm(join(dir, 'configs/acme/renamed.yaml'));
    const back = (await s.fetch()).revision;
    expect(seen.size).toBe(4);
    expect(seen.has(back)).toBe(true);
  });

  it('keeps the revision when only non-YAML files change', async () => {
    await writeTree(dir, { 'configs/acme/tickets.yaml': DOC(1) });
    const s = new DirSource(dir);
    const before = (await s.fetch()).revision;
    await writeTree(dir, { 'README.md': '# hi', 'configs/acme/notes.txt': 'x', 'configs/acme/.tickets.yaml.swp': 'x' });
    expect((await s.fetch()).revision).toBe(before);
  });

  it('counts a symbolic link by name without following it', async () => {
    await writeTree(dir, { 'configs/acme/tickets.yaml': DOC(1), 'outside.yaml': 'secret: 1' });
    const s = new DirSource(dir);
    const before = (await s.fetch()).revision;
    await symlink(join(dir, 'outside.yaml'), join(dir, 'configs/acme/link.yaml'));
    const withLink = (await s.fetch()).revision;
    expect(withLink).not.toBe(before);
    await writeFile(join(dir, 'outside.yaml'), 'secret: 2');
    expect((await s.fetch()).revision).toBe(withLink);
  });

  it('names a revision for a directory without configs/ and leaves the complaint to the loader', async () => {
    expect((await new DirSource(dir).fetch()).revision).toMatch(/^dir@sha1:/);
  });

  it('throws SourceError when the directory does not exist', async () => {
    const missing = join(dir, 'missing');
    const err = await new DirSource(missing).fetch().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).code).toBe('source_fetch');
    expect((err as SourceError).message).toBe(`dir source ${missing}: directory not found`);
  });

  it('calls onChange when a YAML document is edited', async () => {
    await writeTree(dir, { 'configs/acme/tickets.yaml': DOC(1) });
    const s = new DirSource(dir);
    let calls = 0;
    const stop = s.watch(() => calls++);
    try {
      // The watch may miss writes made before it is armed; keep writing until one is seen.
      let n = 2;
      await eventually(() => {
        if (calls === 0) void writeFile(join(dir, 'configs/acme/tickets.yaml'), DOC(n++));
        return calls > 0;
      });
    } finally {
      stop();
      await s.close();
    }
    expect(calls).toBeGreaterThan(0);
  });

  it('calls onChange for a document in a tenant directory created after the watch started', async () => {
    await writeTree(dir, { 'configs/acme/tickets.yaml': DOC(1) });
    const s = new DirSource(dir);
    const changed: number[] = [];
    const stop = s.watch(() => changed.push(Date.now()));
    try {
      await mkdir(join(dir, 'configs/newco'));
      await eventually(() => changed.length > 0);
      changed.length = 0;
      let n = 0;
      await eventually(() => {
        if (changed.length === 0) void writeFile(join(dir, 'configs/newco/svc.yaml'), DOC(n++));
        return changed.length > 0;
      });
    } finally {
      stop();
      await s.close();
    }
  });

  it('survives a throwing listener and the removal of the watched directory', async () => {
    const root = join(dir, 'root');
    await writeTree(root, { 'configs/acme/tickets.yaml': DOC(1) });
    const s = new DirSource(root);
    let calls = 0;
    const stop = s.watch(() => {
      calls++;
      throw new Error('listener bug');
    });
    await writeFile(join(root, 'configs/acme/tickets.yaml'), DOC(2));
    await eventually(() => calls > 0);
    await rm(root, { recursive: true, force: true });
    stop();
    await s.close();
  });

  it('returns a no-op unsubscribe when the directory cannot be watched', () => {
    const stop = new DirSource(join(dir, 'missing')).watch(() => {});
    expect(() => stop()).not.toThrow();
  });
});

describe('isRelevantChange', () => {
  it('accepts YAML documents and the directories that hold them', () => {
    expect(isRelevantChange('configs/acme/tickets.yaml')).toBe(true);
    expect(isRelevantChange('configs/acme/tickets.yml')).toBe(true);
    expect(isRelevantChange('configs/acme')).toBe(true);
    expect(isRelevantChange('configs/acme.corp')).toBe(true);
    expect(isRelevantChange('configs')).toBe(true);
    expect(isRelevantChange('..data')).toBe(true);
  });

  it('ignores other files, dot-files and everything outside configs/', () => {
    expect(isRelevantChange('configs/acme/notes.txt')).toBe(false);
    expect(isRelevantChange('configs/acme/.tickets.yaml.swp')).toBe(false);
    expect(isRelevantChange('configs/acme/4913')).toBe(false);
    expect(isRelevantChange('.git/index')).toBe(false);
    expect(isRelevantChange('README.md')).toBe(false);
    expect(isRelevantChange('schema/mcp-config.schema.json')).toBe(false);
  });
});
