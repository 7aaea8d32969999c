/**
 * The process's Upstreams, keyed by spec hash. A reload that keeps an mcpServers entry unchanged retains
 * the same Upstream (its live connection and children) instead of starting another; the old endpoint's
 * release after the drain then leaves it running. An Upstream whose last reference goes is closed.
 */
import type { McpServer } from '../config/schema.ts';
import { type LogFn, Upstream, type UpstreamOptions, type UpstreamStatus } from './upstream.ts';
import { specHash } from './spec.ts';

/** Process-wide knobs; `allowStdio` and `env` come with each retain (from the reload's runtime). */
export type UpstreamPoolOptions = Omit<UpstreamOptions, 'allowStdio' | 'env'>;

/** What a retain brings from the compiling side: settings that decide how the Upstream may run. */
export interface RetainOptions {
  allowStdio: boolean;
  /** The template `env` function (allowlisted). */
  env: (name: string) => string | undefined;
  log?: LogFn;
}

interface Slot {
  readonly upstream: Upstream;
  refs: number;
}

export class UpstreamPool {
  private readonly slots = new Map<string, Slot>();
  /** Upstreams released to zero and closing: closeAll waits for them too. */
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;
  private readonly log: LogFn;

  constructor(private readonly opts: UpstreamPoolOptions) {
    this.log = opts.log ?? (() => undefined);
  }

  /** The pool key: the spec's hash, plus whether stdio is allowed (a settings change must not reuse). */
  static key(spec: McpServer, allowStdio: boolean): string {
    const hash = specHash(spec);
    return spec.type === 'stdio' && !allowStdio ? `${hash}:nostdio` : hash;
  }

  /**
   * The Upstream for `spec`, created (and started, per its policy) on first retain; each retain must be
   * matched by one release.
   */
  retain(spec: McpServer, runtime: RetainOptions): Upstream {
    if (this.closed) throw new Error('upstream pool is closed');
    const key = UpstreamPool.key(spec, runtime.allowStdio);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      const upstream = new Upstream(spec, { ...this.opts, allowStdio: runtime.allowStdio, env: runtime.env, log: runtime.log ?? this.opts.log });
      slot = { upstream, refs: 0 };
      this.slots.set(key, slot);
      upstream.start();
      this.log('debug', 'upstream: created', { upstream: spec.name, type: spec.type, hash: upstream.hash.slice(0, 12) });
    }
    slot.refs++;
    return slot.upstream;
  }

  /** Drops one reference; the last one closes the Upstream (children reaped). Resolves once closed. */
  release(upstream: Upstream): Promise<void> {
    for (const [key, slot] of this.slots) {
      if (slot.upstream !== upstream) continue;
      if (--slot.refs > 0) return Promise.resolve();
      this.slots.delete(key);
      const closing = upstream.close().finally(() => this.retiring.delete(closing));
      this.retiring.add(closing);
      this.log('debug', 'upstream: retired', { upstream: upstream.name, hash: upstream.hash.slice(0, 12) });
      return closing;
    }
    return Promise.resolve();
  }

  /** The live Upstream for a spec, if retained. */
  get(spec: McpServer, allowStdio: boolean): Upstream | undefined {
    return this.slots.get(UpstreamPool.key(spec, allowStdio))?.upstream;
  }

  get size(): number {
    return this.slots.size;
  }

  /** References held on an Upstream (0 when it is not in the pool). */
  refs(upstream: Upstream): number {
    for (const slot of this.slots.values()) if (slot.upstream === upstream) return slot.refs;
    return 0;
  }

  health(): UpstreamStatus[] {
    return [...this.slots.values()].map((s) => s.upstream.health());
  }

  /**
   * Shutdown: closes every Upstream and resolves once every child has exited. Children still alive after
   * `deadlineMs` (default 5 s) get SIGKILL on their process group.
   */
  async closeAll(deadlineMs = 5000): Promise<void> {
    this.closed = true;
    const all = [...this.slots.values()].map((s) => s.upstream.close(deadlineMs));
    this.slots.clear();
    await Promise.all([...all, ...this.retiring]);
  }
}
