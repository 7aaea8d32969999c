/** Small pieces shared by the console pages. Pure: props in, HTML string out. */
import { escapeHtml, type PropsWithChildren } from '@kitajs/html';

/** A problem in a config document, as the gateway's validator reports it. */
export interface IssueView {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

/** A notice box; `role=alert` for errors so screen readers announce them after an htmx swap. */
export function Flash(props: PropsWithChildren<{ kind: 'ok' | 'error' | 'warning' | 'info'; id?: string }>): JSX.Element {
  return (
    <div class={`flash flash-${props.kind}`} id={props.id} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children as 'safe'}
    </div>
  );
}

/** Validator issues, line numbers first, as `file:line:col: path: message`. */
export function IssueList({ issues }: { issues: readonly IssueView[] }): JSX.Element {
  if (issues.length === 0) return '';
  return (
    <ul class="issues">
      {issues.map((i) => (
        <li class={`issue issue-${i.severity}`}>
          <a class="issue-at" href={`#L${i.line}`} data-line={String(i.line)} safe>
            {`line ${i.line}, column ${i.col}`}
          </a>{' '}
          <code safe>{i.path || '(document)'}</code>: <span safe>{i.message}</span>
        </li>
      ))}
    </ul>
  );
}

/** The body of an error answer: a fragment for htmx, or the content of a full error page. */
export function ErrorBox({ status, message }: { status: number; message: string }): JSX.Element {
  return (
    <Flash kind="error" id="error">
      <strong safe>{statusText(status)}</strong>: <span safe>{message}</span>
    </Flash>
  );
}

function statusText(status: number): string {
  switch (status) {
    case 400:
      return 'Invalid input';
    case 401:
      return 'Sign in required';
    case 403:
      return 'Not allowed';
    case 404:
      return 'Not found';
    case 409:
      return 'Conflict';
    case 429:
      return 'Too many attempts';
    default:
      return status >= 500 ? 'Server error' : `Error ${status}`;
  }
}

/** A table's head row. */
export function TableHead({ columns }: { columns: readonly string[] }): JSX.Element {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th safe>{c}</th>
        ))}
      </tr>
    </thead>
  );
}

/** Formats a date for tables: ISO-like, UTC, to the minute (no locale guessing on the server). */
export function when(d: Date | string | null | undefined): string {
  if (d === null || d === undefined) return '—';
  const date = typeof d === 'string' ? new Date(d) : d;
  return Number.isNaN(date.getTime()) ? '—' : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * An attribute value from a user, a config or an upstream, fully escaped. kitajs escapes only `"` in
 * attribute values: enough to stay inside the quotes, but `&` passes raw (`&quot;` typed by a user
 * would come back as `"` in a re-rendered input) and `<` reaches the markup as is.
 */
export function attr(value: string): string {
  return escapeHtml(value);
}
