/**
 * The reload pipeline: fetch → load and validate the whole revision → skip if unchanged → compile the
 * new route table → one reference swap → tell sessions → retire the old table after a drain.
 *
 * One reload runs at a time; triggers that arrive meanwhile coalesce into one more run. A revision that
 * fails anywhere before the swap leaves the running table in place (Envoy's NACK), and the status keeps
 * the last applied and the last attempted revision apart (Flux).
 */
import { formatIssue, type ConfigIssue } from './config/issues.ts';
import type { McpConfig } from './config/schema.ts';
import type { ConfigSource } from './config/sources/index.ts';
import { loadAndValidate } from './config/validate.ts';
import type { Endpoint } from './routing/endpoint.ts';
import { RouteTable, type SkippedRouter, type TableSwitch } from './routing/table.ts';

export type ReloadOutcome = 'applied' | 'unchanged' | 'invalid' | 'failed';

export interface ReloadResult {
  readonly outcome: ReloadOutcome;
  readonly revision?: string;
  readonly message: string;
  readonly issues: readonly string[];
  readonly seconds: number;
}

/** Kubernetes-style condition of the gateway's config. */
export interface ReadyCondition {
  status: 'True' | 'False' | 'Unknown';
  reason: 'RevisionApplied' | 'ValidationFailed' | 'FetchFailed' | 'CompileFailed' | 'Loading';
  message: string;
  issues: string[];
  lastTransitionTime: string;
}

export interface ReconcileStatus {
  ready: ReadyCondition;
  lastAppliedRevision?: string;
  lastAppliedAt?: string;
  lastAttemptedRevision?: string;
  lastAttemptedAt?: string;
  reloads: Record<ReloadOutcome, number>;
  skippedRouters: SkippedRouter[];
}

export interface ReconcilerDeps {
  readonly source: ConfigSource;
  readonly routes: TableSwitch;
  /** Compiles validated documents; may throw (e.g. an upstream that cannot be prepared). */
  readonly compile: (revision: string, configs: McpConfig[]) => { table: RouteTable; skipped: SkippedRouter[] };
  /** Called right after a swap so sessions learn about removed prefixes and changed lists. */
  readonly onSwap?: (next: RouteTable, previous: RouteTable) => void;
  readonly onResult?: (result: ReloadResult) => void;
  /** Least time between the starts of two reloads; triggers within it coalesce. */
  readonly minIntervalMs?: number;
  /** Milliseconds retired endpoints get before close(); in-flight calls finish on them meanwhile. */
  readonly drainMs: number;
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  readonly now?: () => Date;
}

/** Serializes and coalesces reloads, and owns the status they produce. */
export class Reconciler {
  private running: Promise<ReloadResult> | undefined;
  private queued: Promise<ReloadResult> | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private readonly retiring = new Set<Promise<void>>();
  /** Retirements still waiting out their drain: `close()` runs them at once. */
  private readonly draining = new Set<() => void>();
  private closed = false;
  private readonly state: ReconcileStatus;

  constructor(private readonly deps: ReconcilerDeps) {
    this.state = {
      ready: { status: 'Unknown', reason: 'Loading', message: 'no revision loaded yet', issues: [], lastTransitionTime: this.nowIso() },
      reloads: { applied: 0, unchanged: 0, invalid: 0, failed: 0 },
      skippedRouters: [],
    };
  }

  /**
   * Asks for a reload. An idle reconciler starts at once; otherwise every trigger shares one follow-up
   * run, which starts when the current run has ended and at least `minIntervalMs` after the previous
   * start. A burst of triggers within that interval therefore costs at most two reloads.
   */
  trigger(reason: string): Promise<ReloadResult> {
    if (this.queued) return this.queued;
    const wait = this.lastStart + (this.deps.minIntervalMs ?? 0) - performance.now();
    if (!this.running && wait <= 0) return this.start(reason);
    this.queued = (async () => {
      await this.running?.catch(() => undefined);
      const left = this.lastStart + (this.deps.minIntervalMs ?? 0) - performance.now();
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
      this.queued = undefined;
      return this.start(reason);
    })();
    return this.queued;
  }

  private start(reason: string): Promise<ReloadResult> {
    this.lastStart = performance.now();
    const run = this.runOnce(reason).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  status(): ReconcileStatus {
    return this.state;
  }

  /** True once a revision is being served. */
  get ready(): boolean {
    return this.state.lastAppliedRevision !== undefined;
  }

  /**
   * Waits for the running reload and closes retired endpoints now (the transport has drained by then);
   * further triggers are ignored.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.running?.catch(() => undefined);
    await this.queued?.catch(() => undefined);
    for (const now of [...this.draining]) now();
    await Promise.all(this.retiring);
  }

  private nowIso(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  private setReady(next: Omit<ReadyCondition, 'lastTransitionTime'>): void {
    const prev = this.state.ready;
    const changed = prev.status !== next.status || prev.reason !== next.reason;
    this.state.ready = { ...next, lastTransitionTime: changed ? this.nowIso() : prev.lastTransitionTime };
  }

  private finish(result: ReloadResult): ReloadResult {
    this.state.reloads[result.outcome]++;
    this.deps.onResult?.(result);
    // Polls find nothing new most of the time: that is debug, not news.
    const level = result.outcome === 'applied' ? 'info' : result.outcome === 'unchanged' ? 'debug' : 'error';
    this.deps.log(level, `reload ${result.outcome}`, {
      revision: result.revision,
      message: result.message,
      issues: result.issues.length ? result.issues : undefined,
      seconds: result.seconds,
    });
    return result;
  }

  private async runOnce(reason: string): Promise<ReloadResult> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    if (this.closed) return { outcome: 'unchanged', message: 'reconciler closed', issues: [], seconds: 0 };
    this.deps.log('debug', 'reload started', { reason });

    let snapshot: { revision: string; root: string };
    try {
      snapshot = await this.deps.source.fetch();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.state.lastAttemptedAt = this.nowIso();
      // A fetch failure keeps serving what we have; readiness only drops if nothing was ever applied.
      if (!this.ready) this.setReady({ status: 'False', reason: 'FetchFailed', message, issues: [] });
      return this.finish({ outcome: 'failed', message, issues: [], seconds: seconds() });
    }

    const { revision } = snapshot;
    if (revision === this.state.lastAttemptedRevision && (revision === this.state.lastAppliedRevision || this.state.ready.reason === 'ValidationFailed')) {
      return this.finish({ outcome: 'unchanged', revision, message: `revision ${revision} already ${revision === this.state.lastAppliedRevision ? 'applied' : 'rejected'}`, issues: [], seconds: seconds() });
    }
    this.state.lastAttemptedRevision = revision;
    this.state.lastAttemptedAt = this.nowIso();

    let configs: McpConfig[];
    try {
      const loaded = await loadAndValidate(snapshot.root);
      const errors: ConfigIssue[] = loaded.issues.filter((i) => i.severity === 'error');
      if (errors.length > 0) {
        const issues = errors.map(formatIssue);
        const message = `revision ${revision} rejected: ${errors.length} error(s); still serving ${this.state.lastAppliedRevision ?? 'nothing'}`;
        this.setReady({ status: 'False', reason: 'ValidationFailed', message, issues });
        return this.finish({ outcome: 'invalid', revision, message, issues, seconds: seconds() });
      }
      configs = loaded.configs.map((c) => c.doc);
    } catch (err) {
      const message = `revision ${revision}: ${err instanceof Error ? err.message : String(err)}`;
      this.setReady({ status: 'False', reason: 'FetchFailed', message, issues: [] });
      return this.finish({ outcome: 'failed', revision, message, issues: [], seconds: seconds() });
    }

    let next: { table: RouteTable; skipped: SkippedRouter[] };
    try {
      next = this.deps.compile(revision, configs);
    } catch (err) {
      const message = `revision ${revision} could not be compiled: ${err instanceof Error ? err.message : String(err)}`;
      this.setReady({ status: 'False', reason: 'CompileFailed', message, issues: [] });
      return this.finish({ outcome: 'failed', revision, message, issues: [], seconds: seconds() });
    }

    const previous = this.deps.routes.swap(next.table);
    this.state.lastAppliedRevision = revision;
    this.state.lastAppliedAt = this.nowIso();
    this.state.skippedRouters = next.skipped;
    this.setReady({ status: 'True', reason: 'RevisionApplied', message: `serving ${revision}`, issues: [] });
    try {
      this.deps.onSwap?.(next.table, previous);
    } catch (err) {
      this.deps.log('error', 'session notification after swap failed', { error: err instanceof Error ? err.message : String(err) });
    }
    this.retire(previous, next.table);
    return this.finish({ outcome: 'applied', revision, message: `applied ${revision} (${reason})`, issues: [], seconds: seconds() });
  }

  /** Closes endpoints of the old table that the new one does not reuse, after the drain period. */
  private retire(previous: RouteTable, next: RouteTable): void {
    const kept = new Set<Endpoint>(next.endpoints.values());
    const retired = [...previous.endpoints.values()].filter((ep) => !kept.has(ep) && ep.close);
    if (retired.length === 0) return;
    const done = new Promise<void>((resolve) => {
      const run = async (): Promise<void> => {
        clearTimeout(timer);
        if (!this.draining.delete(run)) return;
        await Promise.all(retired.map((ep) => ep.close?.().catch(() => undefined)));
        resolve();
      };
      const timer = setTimeout(run, this.closed ? 0 : this.deps.drainMs);
      timer.unref?.();
      this.draining.add(run);
    }).finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }
}
