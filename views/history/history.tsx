/**
 * A config's git history: the commits that touched the file, the file at one commit, the diff between
 * two commits, and the "roll back to this version" form (a new commit, never a rewrite). Pure.
 */
import { Flash, IssueList, type IssueView, TableHead, when } from '../components.tsx';
import { ConfigHeader } from '../configs/parts.tsx';
import { CsrfField, type Viewer } from '../layout.tsx';

/** One commit, as the history shows it. */
export interface CommitView {
  commit: string;
  /** `<branch>@sha1:<sha>`. */
  revision: string;
  author: { name: string; email: string };
  date: Date | string;
  message: string;
}

/** One line of a unified diff. */
export interface DiffLineView {
  kind: 'hunk' | 'add' | 'del' | 'ctx';
  text: string;
  oldLine?: number;
  newLine?: number;
}

/** `/configs/<tenant>/<name><suffix>`, each segment URL-encoded. */
export function configUrl(tenant: string, name: string, suffix = ''): string {
  return `/configs/${encodeURIComponent(tenant)}/${encodeURIComponent(name)}${suffix}`;
}

export const shortSha = (sha: string): string => sha.slice(0, 7);

interface ConfigRef {
  tenant: string;
  name: string;
  /** `configs/<tenant>/<name>.yaml`. */
  path: string;
}

/**
 * The rollback button for one commit. htmx swaps the refreshed history (with the outcome on top) into
 * `#main`; without JavaScript it is a plain post answered by the same page.
 */
export function RollbackForm(props: ConfigRef & { viewer: Viewer; commit: string; base: string | null }): JSX.Element {
  const action = configUrl(props.tenant, props.name, '/rollback');
  const short = shortSha(props.commit);
  return (
    <form
      method="post"
      action={action}
      class="rollback-form"
      data-testid="rollback-form"
      hx-post={action}
      hx-target="#main"
      hx-swap="innerHTML"
    >
      <CsrfField viewer={props.viewer} />
      <input type="hidden" name="commit" value={props.commit} />
      <input type="hidden" name="base" value={props.base ?? ''} />
      <button type="submit" class="secondary" id={`rollback-${short}`} data-testid="rollback" data-commit={props.commit}>
        Roll back to this version
      </button>
    </form>
  );
}

/** Two revisions to compare; htmx puts the diff under the form, a plain GET opens the diff page. */
export function CompareForm(
  props: ConfigRef & { commits: readonly CommitView[]; from?: string | undefined; to?: string | undefined; target?: string },
): JSX.Element {
  const action = configUrl(props.tenant, props.name, '/diff');
  const { commits } = props;
  const to = props.to ?? commits[0]?.commit;
  const from = props.from ?? commits[1]?.commit ?? commits[0]?.commit;
  const option = (c: CommitView, selected: boolean) => (
    <option value={c.commit} selected={selected} safe>
      {`${shortSha(c.commit)} · ${when(c.date)} · ${c.author.name} · ${c.message}`}
    </option>
  );
  return (
    <form
      method="get"
      action={action}
      id="compare-form"
      class="row"
      data-testid="compare-form"
      hx-get={action}
      hx-target={props.target ?? '#compare-result'}
      hx-swap="innerHTML"
    >
      <label>
        From
        <select name="from" id="diff-from" data-testid="diff-from">
          {commits.map((c) => option(c, c.commit === from))}
        </select>
      </label>
      <label>
        To
        <select name="to" id="diff-to" data-testid="diff-to">
          {commits.map((c) => option(c, c.commit === to))}
        </select>
      </label>
      <button type="submit" id="compare" data-testid="compare">
        Show changes
      </button>
    </form>
  );
}

export interface HistoryProps extends ConfigRef {
  viewer: Viewer;
  /** Newest first. */
  commits: readonly CommitView[];
  /** The file's blob at the tip (the rollback's `base`); null when the file no longer exists. */
  base: string | null;
  /** The outcome of a rollback just made (a `SaveResult`), or an error. */
  result?: JSX.Element;
}

/** The history page's content. */
export function HistoryView(props: HistoryProps): JSX.Element {
  const { tenant, name, commits } = props;
  return (
    <section id="history" data-testid="history" data-tenant={tenant} data-name={name}>
      <ConfigHeader config={{ tenant, name }} active="history" title={`${tenant}/${name}: history`} />
      <p class="muted">
        Every commit that changed <code safe>{props.path}</code>, newest first. Rolling back makes a new commit; history is never rewritten.
      </p>
      <div id="rollback-result" data-testid="rollback-result">
        {(props.result ?? '') as 'safe'}
      </div>
      {props.base === null && commits.length > 0 ? (
        <Flash kind="info">This config no longer exists at the branch tip; rolling back to an earlier version restores it.</Flash>
      ) : (
        ''
      )}
      {commits.length === 0 ? (
        <Flash kind="info">No commit touched this config.</Flash>
      ) : (
        <>
          <table id="history-table" data-testid="history-table">
            <TableHead columns={['When', 'Author', 'Message', 'Commit', 'Actions']} />
            <tbody>
              {commits.map((c, i) => {
                const previous = commits[i + 1];
                const short = shortSha(c.commit);
                return (
                  <tr data-testid="history-row" data-commit={c.commit} id={`commit-${short}`}>
                    <td safe>{when(c.date)}</td>
                    <td>
                      <span data-testid="history-author" safe>
                        {c.author.name}
                      </span>{' '}
                      <span class="muted" safe>{`<${c.author.email}>`}</span>
                    </td>
                    <td data-testid="history-message" safe>
                      {c.message}
                    </td>
                    <td>
                      <code title={c.revision} data-testid="history-sha" safe>
                        {short}
                      </code>
                    </td>
                    <td class="history-actions">
                      <a href={configUrl(tenant, name, `/at/${c.commit}`)} id={`view-${short}`} data-testid="view-commit">
                        view
                      </a>
                      {previous ? (
                        <>
                          {' · '}
                          <a
                            href={configUrl(tenant, name, `/diff?from=${previous.commit}&to=${c.commit}`)}
                            id={`diff-${short}`}
                            data-testid="diff-previous"
                          >
                            diff with previous
                          </a>
                        </>
                      ) : (
                        <span class="muted"> · first version</span>
                      )}
                      {i === 0 ? (
                        <span class="muted">{props.base === null ? ' · deleted here' : ' · current'}</span>
                      ) : (
                        <RollbackForm tenant={tenant} name={name} path={props.path} viewer={props.viewer} commit={c.commit} base={props.base} />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <h2>Compare two versions</h2>
          <CompareForm tenant={tenant} name={name} path={props.path} commits={commits} />
          <div id="compare-result" data-testid="compare-result"></div>
        </>
      )}
    </section>
  );
}

/** Unified diff lines with old and new line numbers; classes `.add`, `.del`, `.hunk`, `.ctx`, `.ln`. */
export function DiffLines({ lines }: { lines: readonly DiffLineView[] }): JSX.Element {
  if (lines.length === 0) return <Flash kind="info">No changes to this config between these versions.</Flash>;
  return (
    <div class="diff" id="diff" data-testid="diff">
      {lines.map((l) => {
        const marker = l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : l.kind === 'ctx' ? ' ' : '';
        if (l.kind === 'hunk') {
          return (
            <div class="hunk" data-kind="hunk">
              <span class="ln"></span>
              <span class="ln"></span>
              <span safe>{l.text}</span>
            </div>
          );
        }
        return (
          <div class={l.kind} data-kind={l.kind}>
            <span class="ln" safe>
              {l.oldLine === undefined || l.kind === 'add' ? '' : String(l.oldLine)}
            </span>
            <span class="ln" safe>
              {l.newLine === undefined || l.kind === 'del' ? '' : String(l.newLine)}
            </span>
            <span class="marker">{marker}</span>
            <span class="text" safe>
              {l.text}
            </span>
          </div>
        );
      })}
    </div>
  );
}

function CommitLabel({ sha, commits }: { sha: string; commits: readonly CommitView[] }): JSX.Element {
  const c = commits.find((x) => x.commit === sha);
  return (
    <>
      <code title={c?.revision ?? sha} safe>
        {shortSha(sha)}
      </code>
      {c ? <span class="muted" safe>{` (${c.author.name}, ${when(c.date)}: ${c.message})`}</span> : ''}
    </>
  );
}

/** The diff page's content: what changed from one commit to another, and the form to pick others. */
export function DiffView(props: ConfigRef & { from: string; to: string; lines: readonly DiffLineView[]; commits: readonly CommitView[] }): JSX.Element {
  const { tenant, name } = props;
  const added = props.lines.filter((l) => l.kind === 'add').length;
  const deleted = props.lines.filter((l) => l.kind === 'del').length;
  return (
    <section id="diff-view" data-testid="diff-view" data-from={props.from} data-to={props.to}>
      <h2>
        Changes to <code safe>{props.path}</code>
      </h2>
      <p>
        From <CommitLabel sha={props.from} commits={props.commits} />
        <br />
        to <CommitLabel sha={props.to} commits={props.commits} />
        <br />
        <span class="muted" data-testid="diff-stats" safe>{`${added} added, ${deleted} deleted`}</span>
      </p>
      <DiffLines lines={props.lines} />
      <p>
        <a href={configUrl(tenant, name, '/history')} id="back-to-history">
          Back to the history
        </a>
      </p>
    </section>
  );
}

/** The diff page: the diff plus the compare form (which reloads this page's diff in place). */
export function DiffPage(props: ConfigRef & { from: string; to: string; lines: readonly DiffLineView[]; commits: readonly CommitView[] }): JSX.Element {
  return (
    <>
      <ConfigHeader config={{ tenant: props.tenant, name: props.name }} active="history" title={`${props.tenant}/${props.name}: compare versions`} />
      <CompareForm tenant={props.tenant} name={props.name} path={props.path} commits={props.commits} from={props.from} to={props.to} />
      <div id="compare-result" data-testid="compare-result">
        <DiffView {...props} />
      </div>
    </>
  );
}

/** The file as it was at one commit, with the button to restore it. */
export function FileAtView(
  props: ConfigRef & { viewer: Viewer; commit: string; text: string | undefined; info: CommitView | undefined; base: string | null },
): JSX.Element {
  const { tenant, name } = props;
  const lines = props.text === undefined ? [] : props.text.replace(/\n$/, '').split('\n');
  return (
    <section id="file-at" data-testid="file-at" data-commit={props.commit}>
      <ConfigHeader config={{ tenant, name }} active="history" title={`${tenant}/${name} at ${shortSha(props.commit)}`} />
      <p>
        {props.info ? (
          <span class="muted" safe>{`${props.info.author.name} <${props.info.author.email}>, ${when(props.info.date)}: ${props.info.message}`}</span>
        ) : (
          ''
        )}
        <br />
        <a href={configUrl(tenant, name, '/history')} id="back-to-history">
          Back to the history
        </a>
      </p>
      {props.text === undefined ? (
        <Flash kind="info">This config did not exist at this commit; rolling back to it deletes the config.</Flash>
      ) : (
        <div class="diff" data-testid="file-content">
          {lines.map((l, i) => (
            <div class="ctx" id={`L${i + 1}`}>
              <span class="ln" safe>
                {String(i + 1)}
              </span>
              <span class="text" safe>
                {l}
              </span>
            </div>
          ))}
        </div>
      )}
      <RollbackForm tenant={tenant} name={name} path={props.path} viewer={props.viewer} commit={props.commit} base={props.base} />
    </section>
  );
}

/** Why a rollback was refused (a concurrent change, a version that no longer validates), with the issues. */
export function RollbackRefused(props: { status: number; message: string; issues?: readonly IssueView[] | undefined }): JSX.Element {
  return (
    <div data-testid="rollback-refused">
      <Flash kind="error" id={props.status === 409 ? 'conflict' : 'error'}>
        <strong>{props.status === 409 ? 'Conflict' : 'Not rolled back'}</strong>: <span safe>{props.message}</span>
      </Flash>
      {props.issues && props.issues.length > 0 ? <IssueList issues={props.issues} /> : ''}
    </div>
  );
}
