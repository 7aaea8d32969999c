/** The API tokens page: the viewer's tokens; create one (shown once) and revoke. */
import { attr, Flash, when } from '../components.tsx';
import { CsrfField, type Viewer } from '../layout.tsx';
import { ActionButton, FormError, invalidIf, Notice, Options, type PageState, postTo, valueOf, valuesOf } from './forms.tsx';

export interface TokenRow {
  id: string;
  name: string;
  displayPrefix: string;
  tenantIds: readonly string[];
  createdAt: Date;
  lastUsedAt: Date | undefined;
  expiresAt: Date | undefined;
  revokedAt: Date | undefined;
}

const SECTION = 'tokens-page';

/** `created`: the token just minted, in this answer only (it is stored as a hash). */
export function TokensSection(props: {
  viewer: Viewer;
  now: Date;
  tokens: readonly TokenRow[];
  tenants: readonly { id: string; name: string }[];
  created?: { name: string; token: string } | undefined;
  state?: PageState;
}): JSX.Element {
  const { viewer, state } = props;
  const names = new Map(props.tenants.map((x) => [x.id, x.name]));
  const orphan = state?.failed && state.failed.form !== 'create' && !props.tokens.some((x) => state.failed?.form.endsWith(`:${x.id}`));
  return (
    <section id={SECTION} data-testid={SECTION}>
      <h1>API tokens</h1>
      <p class="muted">
        Tokens act as you for scripts and CI/CD: send <code>Authorization: Bearer mgw_…</code>.
      </p>
      <Notice state={state} id="tokens-notice" />
      {orphan ? <FormError state={state} form={state?.failed?.form ?? ''} id="tokens-error" /> : ''}
      {props.created ? (
        <div id="token-created" data-testid="token-created">
          <Flash kind="warning">
            Copy the token <strong safe>{props.created.name}</strong> now: it is shown this once and cannot be retrieved later.
          </Flash>
          <label class="copy">
            <span>Token</span>
            <input id="new-token" data-testid="new-token" readonly value={props.created.token} autocomplete="off" spellcheck="false" />
          </label>
        </div>
      ) : (
        ''
      )}
      <table id="tokens-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Token</th>
            <th>Tenants</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Expires</th>
            <th>Status</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {props.tokens.length === 0 ? (
            <tr>
              <td colspan="8" class="muted">
                No tokens yet.
              </td>
            </tr>
          ) : (
            ''
          )}
          {props.tokens.map((x) => {
            const expired = x.expiresAt !== undefined && x.expiresAt.getTime() <= props.now.getTime();
            const status = x.revokedAt ? 'revoked' : expired ? 'expired' : 'active';
            return (
              <tr id={`token-${x.id}`} data-testid="token-row" data-name={attr(x.name)} data-status={status}>
                <td data-testid="token-name" safe>
                  {x.name}
                </td>
                <td>
                  <code safe>{`${x.displayPrefix}…`}</code>
                </td>
                <td data-testid="token-tenants" safe>
                  {x.tenantIds.length === 0 ? 'all my tenants' : x.tenantIds.map((id) => names.get(id) ?? id).join(', ')}
                </td>
                <td safe>{when(x.createdAt)}</td>
                <td>{x.lastUsedAt ? when(x.lastUsedAt) : 'never'}</td>
                <td>{x.expiresAt ? when(x.expiresAt) : 'never'}</td>
                <td data-testid="token-status">
                  <span class={`badge ${status === 'active' ? 'badge-ok' : 'badge-err'}`}>
                    {x.revokedAt ? `revoked ${when(x.revokedAt)}` : status}
                  </span>
                </td>
                <td>
                  <FormError state={state} form={`revoke:${x.id}`} id={`token-revoke-${x.id}-error`} />
                  {x.revokedAt ? (
                    ''
                  ) : (
                    <ActionButton
                      viewer={viewer}
                      action={`/tokens/${x.id}/revoke`}
                      target={SECTION}
                      id={`token-revoke-${x.id}`}
                      label="Revoke"
                      confirm={`Revoke token "${x.name}"? Scripts using it stop working at once.`}
                      testid="token-revoke"
                      danger
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <h2>New token</h2>
      <form {...postTo('/tokens', SECTION)} id="token-create-form" class="card stack" data-testid="token-create-form">
        <CsrfField viewer={viewer} />
        <FormError state={state} form="create" id="token-create-error" />
        <div class="row">
          <label>
            Name
            <input
              id="token-create-name"
              name="name"
              required
              maxlength="100"
              placeholder="ci-deploy"
              autocomplete="off"
              value={attr(valueOf(state, 'create', 'name'))}
              aria-invalid={invalidIf(state, 'create', 'name')}
            />
          </label>
          <label>
            Expires (UTC, optional)
            <input
              id="token-create-expires"
              name="expiresAt"
              type="date"
              value={attr(valueOf(state, 'create', 'expiresAt'))}
              aria-invalid={invalidIf(state, 'create', 'expiresAt')}
            />
          </label>
          <label>
            Tenants (none selected: all of yours)
            <select id="token-create-tenants" name="tenantIds" multiple="multiple" aria-invalid={invalidIf(state, 'create', 'tenantIds')}>
              <Options options={props.tenants.map((x) => [x.id, x.name] as const)} selected={valuesOf(state, 'create', 'tenantIds')} />
            </select>
          </label>
        </div>
        <div>
          <button type="submit" id="token-create-submit">
            Create token
          </button>
        </div>
      </form>
    </section>
  );
}
