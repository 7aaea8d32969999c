/** The API tokens page: the viewer's tokens; create one (shown once) and revoke. */
import { attr, Flash, TableHead, when } from '../components.tsx';
import type { Viewer } from '../layout.tsx';
import { ActionButton, CreateForm, Field, FormError, invalidIf, Notice, Options, OrphanError, type PageState, valuesOf } from './forms.tsx';

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
  return (
    <section id={SECTION} data-testid={SECTION}>
      <h1>API tokens</h1>
      <p class="muted">
        Tokens act as you for scripts and CI/CD: send <code>Authorization: Bearer mgw_…</code>.
      </p>
      <Notice state={state} id="tokens-notice" />
      <OrphanError state={state} rowIds={props.tokens.map((x) => x.id)} id="tokens-error" />
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
        <TableHead columns={['Name', 'Token', 'Tenants', 'Created', 'Last used', 'Expires', 'Status', 'Actions']} />
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
                  {x.revokedAt ? (
                    <FormError state={state} form={`revoke:${x.id}`} id={`token-revoke-${x.id}-error`} />
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
                      state={state}
                      form={`revoke:${x.id}`}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <CreateForm noun="token" action="/tokens" section={SECTION} viewer={viewer} state={state}>
        <Field
          state={state}
          form="create"
          name="name"
          input={{ id: 'token-create-name', required: true, maxlength: '100', placeholder: 'ci-deploy', autocomplete: 'off' }}
        >
          Name
        </Field>
        <Field state={state} form="create" name="expiresAt" input={{ id: 'token-create-expires', type: 'date' }}>
          Expires (UTC, optional)
        </Field>
        <label>
          Tenants (none selected: all of yours)
          <select id="token-create-tenants" name="tenantIds" multiple="multiple" aria-invalid={invalidIf(state, 'create', 'tenantIds')}>
            <Options options={props.tenants.map((x) => [x.id, x.name] as const)} selected={valuesOf(state, 'create', 'tenantIds')} />
          </select>
        </label>
      </CreateForm>
    </section>
  );
}
