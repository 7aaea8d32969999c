/** `GET /configs/new`: a new config document (one router to one server), committed on create. */
import type { Viewer } from '../layout.tsx';
import type { FormProblem } from './model.ts';
import { CommitMessage, PostForm, ProblemBox } from './parts.tsx';

export interface NewConfigValues {
  tenant: string;
  tenantOther: string;
  name: string;
  prefix: string;
  server: string;
  message: string;
}

export interface NewConfigProps {
  viewer: Viewer;
  /** Tenants the viewer may create configs in, with their prefixes. */
  tenants: { name: string; prefix: string }[];
  /** Admins may also type a tenant directory that has no tenant in the store. */
  allowOther: boolean;
  values: NewConfigValues;
  problem?: FormProblem;
}

export function NewConfigForm(props: NewConfigProps): JSX.Element {
  const v = props.values;
  return (
    <section id="config-new">
      <p class="crumbs">
        <a href="/configs">Configs</a> › new
      </p>
      <h1>New config</h1>
      <ProblemBox problem={props.problem} reloadHref="/configs/new" file={`configs/${v.tenantOther || v.tenant}/${v.name}.yaml`} />
      <PostForm id="config-new-form" action="/configs" viewer={props.viewer} class="card stack">
        <div class="row">
          <label>
            Tenant
            <select id="tenant" name="tenant">
              {props.tenants.map((t) => (
                <option value={t.name} selected={t.name === v.tenant}>
                  {`${t.name} (${t.prefix})` as 'safe'}
                </option>
              ))}
              {props.allowOther ? (
                <option value="" selected={v.tenant === ''}>
                  other (type below)
                </option>
              ) : (
                ''
              )}
            </select>
          </label>
          {props.allowOther ? (
            <label>
              Other tenant <span class="muted">(admins: a directory with no tenant in the store)</span>
              <input type="text" id="tenant-other" name="tenantOther" value={v.tenantOther} maxlength="50" pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*" />
            </label>
          ) : (
            ''
          )}
          <label>
            Name
            <input type="text" id="name" name="name" value={v.name} required maxlength="50" pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*" placeholder="tickets" />
          </label>
        </div>
        <div class="row">
          <label>
            First router prefix
            <input type="text" id="prefix" name="prefix" value={v.prefix} required placeholder="/acme/tickets" />
          </label>
          <label>
            Server name
            <input type="text" id="server" name="server" value={v.server} required maxlength="100" placeholder="tickets-api" />
          </label>
        </div>
        <p class="muted">
          The file <code>configs/&lt;tenant&gt;/&lt;name&gt;.yaml</code> is created with one router to one (empty) server; add tools next.
          The prefix must sit under the tenant's prefix.
        </p>
        <CommitMessage value={v.message} placeholder="Create configs/<tenant>/<name>.yaml" />
        <div>
          <button type="submit" id="create-config">
            Create config
          </button>
        </div>
      </PostForm>
    </section>
  );
}
