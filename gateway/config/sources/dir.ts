/**
 * A directory as a config source: the working copy of a config repo on disk, or a mounted volume.
 *
 * The revision is a content hash of what the loader reads, so a byte-equal tree keeps its revision and
 * the reconciler skips it (Caddy); any edit, added or removed file gives a new one. Changes are noticed
 * with one recursive `fs.watch` (Bun supports `recursive` on Linux, macOS and Windows), filtered to
 * YAML files and the directories that hold them; the caller debounces.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, watch as fsWatch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type ConfigSource, SourceError, type SourceSnapshot } from './source.ts';

const CONFIG_EXTENSION = /\.ya?ml$/i;

/** A directory watched for changes; its revision is `dir@sha1:<hex>` over `configs/**` YAML files. */
export class DirSource implements ConfigSource {
  readonly kind = 'dir';
  readonly description: string;
  /** Absolute path of the directory that holds `configs/`. */
  readonly root: string;
  private readonly watchers = new Set<FSWatcher>();

  constructor(path: string) {
    this.root = resolve(path);
    this.description = `dir ${this.root}`;
  }

  async fetch(signal?: AbortSignal): Promise<SourceSnapshot> {
    if (signal?.aborted) throw new SourceError('source_fetch', `dir source ${this.root}: fetch aborted`);
    const info = await stat(this.root).catch((err: NodeJS.ErrnoException) => err);
    if (info instanceof Error) {
      const reason = info.code === 'ENOENT' ? 'directory not found' : info.message;
      throw new SourceError('source_fetch', `dir source ${this.root}: ${reason}`, { cause: info });
    }
    if (!info.isDirectory()) throw new SourceError('source_fetch', `dir source ${this.root}: not a directory`);
    try {
      return { revision: `dir@sha1:${await hashConfigTree(this.root)}`, root: this.root };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new SourceError('source_fetch', `dir source ${this.root}: ${message}`, { cause: err });
    }
  }

  watch(onChange: () => void): () => void {
    const notify = (filename: string | Buffer | null | undefined): void => {
      try {
        if (filename === null || filename === undefined || isRelevantChange(String(filename))) onChange();
      } catch {
        // A failing listener must not take the watcher (or the process) down; the poll still runs.
      }
    };
    let watcher: FSWatcher;
    try {
      watcher = fsWatch(this.root, { recursive: true, persistent: false }, (_event, filename) => notify(filename));
    } catch {
      // Missing directory or watch limit reached: the poll and the webhook still trigger reloads.
      return () => {};
    }
    // Removing the watched directory ends the watch with an error event; nothing to recover here.
    watcher.on('error', () => {
      watcher.close();
      this.watchers.delete(watcher);
    });
    this.watchers.add(watcher);
    return () => {
      watcher.close();
      this.watchers.delete(watcher);
    };
  }

  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.close();
    this.watchers.clear();
  }
}

/**
 * True when a changed path (relative to the root, as fs.watch reports it) can change what the loader
 * reads: YAML files and the directories under `configs/`, and Kubernetes' `..data` swaps of a mounted
 * ConfigMap. Editor swap files, `.git/` and everything else are ignored.
 */
export function isRelevantChange(relative: string): boolean {
  const parts = relative.replaceAll('\\', '/').split('/').filter((p) => p !== '' && p !== '.');
  const [top] = parts;
  if (top === undefined) return true;
  if (top.startsWith('..')) return true;
  if (top !== 'configs') return false;
  const base = parts[parts.length - 1] ?? '';
  if (parts.length === 1) return true;
  if (base.startsWith('.')) return false;
  // configs/<tenant> is a directory (tenant names may contain dots); deeper, only documents matter.
  return parts.length === 2 || CONFIG_EXTENSION.test(base);
}

/**
 * sha1 over the sorted relative paths and contents of the YAML files under `root/configs/` (and the
 * names of symbolic links there, which the loader reports). Dot-entries are skipped, as the loader does.
 */
export async function hashConfigTree(root: string): Promise<string> {
  const entries: { path: string; link: boolean }[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const listing = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
      throw err;
    });
    for (const entry of listing) {
      if (entry.name.startsWith('.')) continue;
      const path = `${rel}/${entry.name}`;
      if (entry.isSymbolicLink()) entries.push({ path, link: true });
      else if (entry.isDirectory()) await walk(join(dir, entry.name), path);
      else if (entry.isFile() && CONFIG_EXTENSION.test(entry.name)) entries.push({ path, link: false });
    }
  };
  // `configs` itself may be a symbolic link (a mounted ConfigMap); readdir follows it.
  await walk(join(root, 'configs'), 'configs');
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const hash = createHash('sha1');
  for (const entry of entries) {
    if (entry.link) {
      hash.update(`link\0${entry.path}\0`);
      continue;
    }
    const content = await readFile(join(root, entry.path)).catch((err: NodeJS.ErrnoException) => {
      // Deleted between listing and reading: the watcher reports it and the next fetch sees the tree.
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (content === undefined) continue;
    // Path and length framing: no two different trees hash the same byte stream.
    hash.update(`file\0${entry.path}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}
