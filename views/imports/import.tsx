/**
 * OpenAPI import: the form (paste or upload a document), the preview of the generated config (editable
 * YAML, tools, warnings, validator issues) with its Commit button, and the outcome. Pure.
 *
 * The form is `multipart/form-data` so that a file can be uploaded; htmx sends it as such too (it keeps
 * FormData for a multipart form) and swaps the preview into `#import-result`.
 */
import type { PropsWithChildren } from '@kitajs/html';
import { Flash, IssueList, type IssueView } from '../components.tsx';
import { CsrfField, type Viewer } from '../layout.tsx';

/** What the form's fields hold, as typed (a refused form comes back with them). */
export interface ImportFormValues {
  tenant: string;
  name: string;
  prefix: string;
  baseUrl: string;
  spec: string;
}

export const EMPTY_IMPORT: ImportFormValues = { tenant: '', name: '', prefix: '', baseUrl: '', spec: '' };

/** A generated tool, as the preview lists it. */
export interface ImportToolView {
  name: string;
  method: string;
  endpoint: string;
  description: string;
}

const mib = (bytes: number): string => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

export interface ImportPageProps {
  viewer: Viewer;
  /** Tenants to suggest (the viewer's, plus for admins the repo's directories). */
  tenants: readonly string[];
  values: ImportFormValues;
  maxBytes: number;
  /** Set when no config repo is configured: the form is shown, with the reason it cannot commit. */
  notice?: string | undefined;
  /** The preview, an error, or the outcome, shown under the form. */
  result?: JSX.Element | undefined;
}

/**
 * A form of the import page: posts to `action` and shows the answer under the form (`#import-result`),
 * with the submit button (`button`: its id and test id) last and a spinner while htmx waits.
 */
function ImportForm(
  props: PropsWithChildren<{ id: string; class: string; action: string; multipart?: boolean; viewer: Viewer; button: string; label: string; working: string }>,
): JSX.Element {
  return (
    <form
      id={props.id}
      data-testid={props.id}
      class={props.class}
      method="post"
      action={props.action}
      enctype={props.multipart ? 'multipart/form-data' : undefined}
      hx-post={props.action}
      hx-target="#import-result"
      hx-swap="innerHTML"
    >
      <CsrfField viewer={props.viewer} />
      {props.children as 'safe'}
      <div>
        <button type="submit" id={props.button} data-testid={props.button} safe>
          {props.label}
        </button>{' '}
        <span class="spinner muted" safe>
          {props.working}
        </span>
      </div>
    </form>
  );
}

export function ImportPage(props: ImportPageProps): JSX.Element {
  const v = props.values;
  return (
    <section id="import" data-testid="import">
      <h1>Import an OpenAPI document</h1>
      <p class="muted">
        Each operation of an OpenAPI 3.0/3.1 or Swagger 2.0 document becomes an HTTP tool of a new config. Review the
        generated YAML before committing it.
      </p>
      {props.notice ? (
        <Flash kind="info" id="import-notice">
          <span safe>{props.notice}</span>
        </Flash>
      ) : (
        ''
      )}
      <ImportForm
        id="import-form"
        class="card stack"
        action="/import/preview"
        multipart
        viewer={props.viewer}
        button="import-preview-button"
        label="Preview"
        working="working…"
      >
        <div class="row">
          <label>
            Tenant
            <input name="tenant" id="import-tenant" list="import-tenants" required value={v.tenant} autocomplete="off" />
            <datalist id="import-tenants">
              {props.tenants.map((t) => (
                <option value={t} />
              ))}
            </datalist>
          </label>
          <label>
            Config name
            <input name="name" id="import-name" required value={v.name} placeholder="users" />
          </label>
          <label>
            Router prefix
            <input name="prefix" id="import-prefix" value={v.prefix} placeholder="/<tenant>/<name>" />
          </label>
          <label>
            Base URL (optional)
            <input name="baseUrl" id="import-base-url" value={v.baseUrl} placeholder="the document's server URL" />
          </label>
        </div>
        <label>
          {`Upload the document (YAML or JSON, at most ${mib(props.maxBytes)})` as 'safe'}
          <input type="file" name="file" id="import-file" accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml" />
        </label>
        <label>
          … or paste it
          <textarea name="spec" id="import-spec" class="code" rows="12" spellcheck="false" safe>
            {`\n${v.spec}`}
          </textarea>
        </label>
      </ImportForm>
      <div id="import-result" data-testid="import-result" aria-live="polite">
        {(props.result ?? '') as 'safe'}
      </div>
    </section>
  );
}

export interface ImportPreviewProps {
  viewer: Viewer;
  tenant: string;
  name: string;
  /** `configs/<tenant>/<name>.yaml`. */
  path: string;
  yaml: string;
  /** Absent when re-shown after a refused commit (only the YAML came back). */
  tools?: readonly ImportToolView[] | undefined;
  warnings?: readonly string[] | undefined;
  issues: readonly IssueView[];
  /** Why the last commit was refused, or that the name is taken. */
  error?: string | undefined;
  /** The config already exists: committing would be refused. */
  exists?: boolean | undefined;
  configHref: string;
}

/** The generated config for review, editable, with the Commit form. */
export function ImportPreview(props: ImportPreviewProps): JSX.Element {
  const errors = props.issues.filter((i) => i.severity === 'error').length;
  return (
    <section id="import-preview" data-testid="import-preview" data-path={props.path}>
      <h2>
        Review <code safe>{props.path}</code>
      </h2>
      {props.error ? <ImportFailed message={props.error} /> : ''}
      {props.exists && !props.error ? (
        <Flash kind="warning" id="import-exists">
          A config with this name already exists (<a href={props.configHref} safe>{props.path}</a>); committing will be refused. Choose another name.
        </Flash>
      ) : (
        ''
      )}
      {props.tools ? (
        <>
          <p data-testid="import-tool-count" safe>{`${props.tools.length} tool${props.tools.length === 1 ? '' : 's'} generated`}</p>
          <ul id="import-tools" data-testid="import-tools">
            {props.tools.map((t) => (
              <li data-testid="import-tool" data-tool={t.name}>
                <code safe>{t.name}</code> <span class="badge" safe>{t.method}</span> <code class="muted" safe>{t.endpoint}</code>
                {t.description ? (
                  <>
                    {' — '}
                    <span safe>{t.description}</span>
                  </>
                ) : (
                  ''
                )}
              </li>
            ))}
          </ul>
        </>
      ) : (
        ''
      )}
      {props.warnings && props.warnings.length > 0 ? (
        <>
          <h3>Warnings</h3>
          <ul id="import-warnings" data-testid="import-warnings" class="issues">
            {props.warnings.map((w) => (
              <li class="issue issue-warning" safe>
                {w}
              </li>
            ))}
          </ul>
        </>
      ) : (
        ''
      )}
      {props.issues.length > 0 ? (
        <div id="import-issues" data-testid="import-issues">
          <h3>Validator</h3>
          {errors > 0 ? (
            <Flash kind="error">
              <span safe>{`The gateway's validator reports ${errors} error${errors === 1 ? '' : 's'}: fix the YAML below before committing.`}</span>
            </Flash>
          ) : (
            ''
          )}
          <IssueList issues={props.issues} />
        </div>
      ) : (
        ''
      )}
      <ImportForm
        id="import-commit-form"
        class="stack"
        action="/import/commit"
        viewer={props.viewer}
        button="import-commit"
        label="Commit"
        working="committing…"
      >
        <input type="hidden" name="tenant" value={props.tenant} />
        <input type="hidden" name="name" value={props.name} />
        <label>
          Generated config (editable)
          <textarea name="yaml" id="import-yaml" data-testid="import-yaml" class="code" spellcheck="false" safe>
            {`\n${props.yaml}`}
          </textarea>
        </label>
        <label>
          Commit message (optional)
          <input name="message" id="import-message" placeholder={`Import ${props.path}`} />
        </label>
      </ImportForm>
    </section>
  );
}

/** An import that could not run (bad document, too large, …): the message, under the form. */
export function ImportFailed({ message }: { message: string }): JSX.Element {
  return (
    <Flash kind="error" id="import-error">
      <span safe>{message}</span>
    </Flash>
  );
}

/** After the commit: the save result (with the link to the new config). */
export function ImportDone(props: { saved: JSX.Element }): JSX.Element {
  return (
    <section id="import-done" data-testid="import-done">
      {props.saved as 'safe'}
    </section>
  );
}
