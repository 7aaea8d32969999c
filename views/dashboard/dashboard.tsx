/**
 * The console's home: the configs the viewer can see, the config repo's head commit, and whether each
 * gateway has applied it. Pure.
 */
import { Flash, TableHead, when } from '../components.tsx';
import type { CommitView } from '../history/history.tsx';
import { configUrl, shortSha } from '../history/history.tsx';

export interface TenantConfigsView {
  tenant: string;
  configs: readonly { name: string }[];
}

/** A gateway's `/_status` as the admin reads it (same shape as the API's GatewayStatusView). */
export interface GatewayView {
  url: string;
  ok: boolean;
  ready: { status: string; reason: string; lastTransitionTime: string | null; message?: string; issues?: string[] } | null;
  lastAppliedRevision: string | null;
  lastAttemptedRevision: string | null;
  error?: string;
}

/** Whether a gateway runs the repo's head: `current`, `behind`, `not-ready`, `unreachable`, or `unknown` (no head to compare with). */
export type SyncState = 'current' | 'behind' | 'not-ready' | 'unreachable' | 'unknown';

/** The commit hex of a revision (`main@sha1:<hex>` → `<hex>`), so two branch names do not matter. */
function revisionSha(rev: string): string {
  const i = rev.lastIndexOf(':');
  return i < 0 ? rev : rev.slice(i + 1);
}

/** A gateway's sync state against the repo head, with the reason shown next to the badge. */
export function syncState(g: GatewayView, head: CommitView | null): { state: SyncState; reason: string } {
  if (!g.ok) return { state: 'unreachable', reason: g.error ?? 'no answer from /_status' };
  if (head && g.lastAppliedRevision !== null && revisionSha(g.lastAppliedRevision) === revisionSha(head.revision)) {
    return { state: 'current', reason: '' };
  }
  if (g.ready && g.ready.status !== 'True') {
    const why = [g.ready.reason, g.ready.message].filter((s): s is string => Boolean(s)).join(': ');
    return { state: 'not-ready', reason: why || `Ready is ${g.ready.status}` };
  }
  if (!g.ready) return { state: 'not-ready', reason: 'the gateway reported no Ready condition' };
  if (!head) return { state: 'unknown', reason: 'no config repo head to compare with' };
  if (g.lastAppliedRevision === null) return { state: 'behind', reason: 'no revision applied yet' };
  return { state: 'behind', reason: `applied ${shortSha(revisionSha(g.lastAppliedRevision))}, head is ${shortSha(head.commit)}` };
}

const SYNC_LABEL: Record<SyncState, string> = {
  current: 'up to date',
  behind: 'behind',
  'not-ready': 'not ready',
  unreachable: 'unreachable',
  unknown: 'unknown',
};

function SyncBadge({ state }: { state: SyncState }): JSX.Element {
  const cls = state === 'current' ? 'badge badge-ok' : state === 'unknown' ? 'badge' : 'badge badge-err';
  return (
    <span class={cls} data-testid="gateway-sync" data-state={state}>
      {SYNC_LABEL[state] as 'safe'}
    </span>
  );
}

export interface DashboardProps {
  /** false: no config repo configured. */
  repoConfigured: boolean;
  /** Why the repo could not be read (it is configured but git failed). */
  repoError?: string | undefined;
  head: CommitView | null;
  /** Configs per tenant the viewer can see; empty when there is no repo. */
  tenants: readonly TenantConfigsView[];
  gateways: readonly GatewayView[];
}

export function DashboardView(props: DashboardProps): JSX.Element {
  const { head } = props;
  const total = props.tenants.reduce((n, t) => n + t.configs.length, 0);
  return (
    <section id="dashboard" data-testid="dashboard">
      <h1>Dashboard</h1>

      <h2>Config repo</h2>
      {!props.repoConfigured ? (
        <Flash kind="info" id="no-repo">
          No config repo is configured, so there are no configs to show or edit here. Start the admin with{' '}
          <code>--config-repo</code> (or <code>ADMIN_CONFIG_REPO</code>).
        </Flash>
      ) : props.repoError ? (
        <Flash kind="error" id="repo-error">
          <span safe>{props.repoError}</span>
        </Flash>
      ) : head ? (
        <div class="card" id="repo-head" data-testid="repo-head" data-commit={head.commit} data-revision={head.revision}>
          Head <code data-testid="head-revision" safe>{head.revision}</code>
          <br />
          <span data-testid="head-message" safe>{head.message}</span>
          <br />
          <span class="muted" safe>{`${head.author.name} <${head.author.email}>, ${when(head.date)}`}</span>
        </div>
      ) : (
        <Flash kind="info" id="repo-empty">
          The config repo has no commits yet.
        </Flash>
      )}

      <h2>Gateways</h2>
      {props.gateways.length === 0 ? (
        <Flash kind="info" id="no-gateways">
          No gateway is configured; the admin cannot reload or watch any. Start it with <code>--gateways</code> (or{' '}
          <code>ADMIN_GATEWAYS</code>).
        </Flash>
      ) : (
        <table id="gateways" data-testid="gateways">
          <TableHead columns={['Gateway', 'Health', 'Applied revision', 'Config']} />
          <tbody>
            {props.gateways.map((g) => {
              const sync = syncState(g, head);
              return (
                <tr data-testid="gateway-row" data-url={g.url}>
                  <td>
                    <code safe>{g.url}</code>
                  </td>
                  <td>
                    {!g.ok ? (
                      <span class="badge badge-err" data-testid="gateway-health" data-health="down">
                        down
                      </span>
                    ) : (
                      <span
                        class={g.ready?.status === 'True' ? 'badge badge-ok' : 'badge badge-err'}
                        data-testid="gateway-health"
                        data-health={g.ready?.status === 'True' ? 'ready' : 'not-ready'}
                      >
                        {g.ready ? (
                          <>
                            Ready <span safe>{g.ready.status}</span> (<span safe>{g.ready.reason}</span>)
                          </>
                        ) : (
                          'no Ready condition'
                        )}
                      </span>
                    )}
                    {g.ready?.lastTransitionTime ? <div class="muted" safe>{`since ${when(g.ready.lastTransitionTime)}`}</div> : ''}
                  </td>
                  <td>
                    <code data-testid="gateway-applied" safe>
                      {g.lastAppliedRevision ?? '—'}
                    </code>
                    {g.lastAttemptedRevision && g.lastAttemptedRevision !== g.lastAppliedRevision ? (
                      <div class="muted" safe>{`last attempted ${g.lastAttemptedRevision}`}</div>
                    ) : (
                      ''
                    )}
                  </td>
                  <td>
                    <SyncBadge state={sync.state} />
                    {sync.reason ? (
                      <div class="muted" data-testid="gateway-sync-reason" safe>
                        {sync.reason}
                      </div>
                    ) : (
                      ''
                    )}
                    {g.ready?.issues?.length ? (
                      <ul class="issues">
                        {g.ready.issues.map((i) => (
                          <li class="issue issue-error" safe>
                            {i}
                          </li>
                        ))}
                      </ul>
                    ) : (
                      ''
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}

      <h2>Configs</h2>
      {props.repoConfigured && !props.repoError ? (
        props.tenants.length === 0 ? (
          <Flash kind="info" id="no-configs">
            You have no tenant with configs yet. <a href="/import">Import an OpenAPI document</a> to create one.
          </Flash>
        ) : (
          <>
            <p class="muted" data-testid="config-total" safe>{`${total} config${total === 1 ? '' : 's'} in ${props.tenants.length} tenant${props.tenants.length === 1 ? '' : 's'}`}</p>
            {props.tenants.map((t) => (
              <div class="card" data-testid="tenant-configs" data-tenant={t.tenant}>
                <h3>
                  <span safe>{t.tenant}</span>{' '}
                  <span class="badge" data-testid="tenant-config-count" safe>{`${t.configs.length} config${t.configs.length === 1 ? '' : 's'}`}</span>
                </h3>
                {t.configs.length === 0 ? (
                  <p class="muted">No configs.</p>
                ) : (
                  <ul>
                    {t.configs.map((c) => (
                      <li>
                        <a href={configUrl(t.tenant, c.name)} data-testid="config-link" safe>
                          {c.name}
                        </a>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            ))}
          </>
        )
      ) : (
        <p class="muted">—</p>
      )}
    </section>
  );
}
