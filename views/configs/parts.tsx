/** Pieces shared by the config pages: URLs, the page header with its tabs, problem boxes, form bits. */
import type { PropsWithChildren } from '@kitajs/html';
import { Flash, IssueList, type IssueView } from '../components.tsx';
import { CsrfField, type Viewer } from '../layout.tsx';
import type { EntryFormProps, FormProblem } from './model.ts';

/** `/configs/<tenant>/<name>` plus `rest`, each segment URL-encoded. */
export function configUrl(ref: { tenant: string; name: string }, ...rest: string[]): string {
  return ['/configs', ref.tenant, ref.name, ...rest].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}

export type ConfigTab = 'overview' | 'yaml' | 'history' | 'edit';

/** Breadcrumb and tabs of a config's pages. */
export function ConfigHeader(props: { config: { tenant: string; name: string }; active: ConfigTab; title?: string }): JSX.Element {
  const { config } = props;
  const tab = (key: ConfigTab, href: string, label: string, id: string) => (
    <a href={href} id={id} aria-current={props.active === key ? 'page' : undefined}>
      {label as 'safe'}
    </a>
  );
  return (
    <header class="config-header">
      <p class="crumbs">
        <a href="/configs">Configs</a> › <span safe>{config.tenant}</span> ›{' '}
        <a href={configUrl(config)} safe>
          {config.name}
        </a>
      </p>
      <h1 safe>{props.title ?? `${config.tenant}/${config.name}`}</h1>
      <nav class="tabs" aria-label="Config">
        {tab('overview', configUrl(config), 'Overview', 'tab-overview')}
        {tab('yaml', configUrl(config, 'yaml'), 'YAML editor', 'tab-yaml')}
        {tab('history', configUrl(config, 'history'), 'History', 'tab-history')}
      </nav>
    </header>
  );
}

/**
 * Why a save was refused: the message, the validator's issues (line numbers first) and, for a
 * conflict, a link that reloads the current version (the form's text is lost only if the user follows it).
 */
export function ProblemBox({ problem, reloadHref, file }: { problem: FormProblem | undefined; reloadHref: string; file?: string }): JSX.Element {
  if (!problem) return '';
  const conflict = problem.status === 409;
  return (
    <div id="problem" data-testid={conflict ? 'conflict' : 'problem'}>
      <Flash kind="error" id={conflict ? 'conflict' : 'error'}>
        <strong>{conflict ? 'Conflict' : problem.status >= 500 ? 'Not saved' : 'Not saved: the change does not validate'}</strong>:{' '}
        <span safe>{problem.message}</span>
        {conflict ? (
          <>
            {' '}
            <a id="reload-link" href={reloadHref}>
              Reload the current version
            </a>{' '}
            (your changes here are not kept).
          </>
        ) : (
          ''
        )}
      </Flash>
      {problem.issues && problem.issues.length > 0 ? <Issues issues={problem.issues} file={file} /> : ''}
    </div>
  );
}

/**
 * Issues of the edited file (line numbers into what the user sees), then those of other files that the
 * change caused (the other side of a duplicate prefix), named with their file.
 */
function Issues({ issues, file }: { issues: readonly IssueView[]; file: string | undefined }): JSX.Element {
  const own = file === undefined ? issues : issues.filter((i) => i.file === file);
  const other = file === undefined ? [] : issues.filter((i) => i.file !== file);
  return (
    <section id="issues" aria-label="Issues">
      <IssueList issues={own} />
      {other.length > 0 ? (
        <>
          <p class="muted">In other files:</p>
          <ul class="issues" id="other-issues">
            {other.map((i) => (
              <li class={`issue issue-${i.severity}`}>
                <code safe>{`${i.file}:${i.line}:${i.col}`}</code> <code safe>{i.path || '(document)'}</code>: <span safe>{i.message}</span>
              </li>
            ))}
          </ul>
        </>
      ) : (
        ''
      )}
    </section>
  );
}

/**
 * A form that works as a plain post and as an htmx request whose answer replaces the page content
 * (`hx-target`/`hx-swap` on the form itself: htmx 4 does not inherit them).
 */
export function PostForm(
  props: PropsWithChildren<{ id: string; action: string; viewer: Viewer; base?: string; class?: string; testid?: string }>,
): JSX.Element {
  return (
    <form
      id={props.id}
      class={props.class}
      data-testid={props.testid}
      method="post"
      action={props.action}
      enctype="application/x-www-form-urlencoded"
      hx-post={props.action}
      hx-target="#main"
      hx-swap="innerHTML"
    >
      <CsrfField viewer={props.viewer} />
      {props.base !== undefined ? <input type="hidden" name="base" value={props.base} /> : ''}
      {props.children as 'safe'}
    </form>
  );
}

/**
 * The frame of an entry editor (tool, router, server, upstream): the header, why a save was refused,
 * a note, and the form posting to `<segment>` (a new entry) or `<segment>/<original>` (a change).
 */
export function EntryEditor(props: PropsWithChildren<{ segment: string; noun: string; title?: string; entry: EntryFormProps<unknown> }>): JSX.Element {
  const { config, original, note } = props.entry;
  const isNew = original === undefined;
  const action = isNew ? configUrl(config, props.segment) : configUrl(config, props.segment, original);
  const title = props.title ?? (isNew ? `New ${props.noun}` : `${props.noun[0]?.toUpperCase()}${props.noun.slice(1)} ${original}`);
  return (
    <section id={`${props.noun}-editor`}>
      <ConfigHeader config={config} active="edit" title={title} />
      <ProblemBox
        problem={props.entry.problem}
        reloadHref={isNew ? configUrl(config, props.segment, 'new') : action}
        file={`configs/${config.tenant}/${config.name}.yaml`}
      />
      {note ? (
        <p class="flash flash-info" id="note" safe>
          {note}
        </p>
      ) : (
        ''
      )}
      <PostForm id={`${props.noun}-form`} action={action} viewer={props.entry.viewer} base={config.base} class="card stack">
        {props.children as 'safe'}
      </PostForm>
    </section>
  );
}

/** The optional commit message field every saving form has. */
export function CommitMessage({ value, placeholder }: { value?: string; placeholder: string }): JSX.Element {
  return (
    <label>
      Commit message <span class="muted">(optional)</span>
      <input type="text" id="commit-message" name="message" maxlength="200" value={value ?? ''} placeholder={placeholder} />
    </label>
  );
}

/**
 * A URL to copy: a read-only input (focus it, select, Ctrl+C / ⌘C) and a "Copy" label that focuses it.
 * The console runs no script of its own (only htmx; the CSP forbids inline handlers and `hx-on` would
 * need eval), so copying is the browser's own; the input's text is selectable and fits the full URL.
 */
export function CopyField({ id, label, value }: { id: string; label: string; value: string }): JSX.Element {
  return (
    <div class="copy" data-testid="client-url">
      <span class="copy-label" safe>
        {label}
      </span>
      <input type="text" id={id} name={id} value={value} readonly aria-label={label} spellcheck="false" autocomplete="off" />
      <label for={id} class="button secondary copy-button" title="Select the URL, then press Ctrl+C (⌘C on a Mac)">
        Copy
      </label>
    </div>
  );
}

/** A small post button (entry delete), with the form's CSRF token and blob. */
export function InlinePost(props: { id: string; action: string; viewer: Viewer; base: string; label: string; confirm?: string }): JSX.Element {
  return (
    <form class="inline" id={props.id} method="post" action={props.action} hx-post={props.action} hx-target="#main" hx-swap="innerHTML" hx-confirm={props.confirm}>
      <CsrfField viewer={props.viewer} />
      <input type="hidden" name="base" value={props.base} />
      <button type="submit" class="link danger-link" safe>
        {props.label}
      </button>
    </form>
  );
}

/**
 * A textarea whose value survives as typed: browsers drop one newline right after `<textarea>`, so one
 * is always written there and a value that starts with a newline keeps it.
 */
export function TextArea(props: { id: string; name: string; value: string; rows: number; class?: string }): JSX.Element {
  return (
    <textarea id={props.id} name={props.name} rows={String(props.rows)} class={props.class} safe>
      {`\n${props.value}`}
    </textarea>
  );
}
