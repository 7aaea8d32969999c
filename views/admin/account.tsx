/** The account page: who the viewer is, their tenants, and the own password change. */
import { CsrfField, type Viewer } from '../layout.tsx';
import { FormError, invalidIf, Notice, type PageState, postTo } from './forms.tsx';

const SECTION = 'account-page';

export function AccountSection(props: { viewer: Viewer; tenants: readonly { name: string; prefix: string }[]; state?: PageState }): JSX.Element {
  const { viewer, state } = props;
  return (
    <section id={SECTION} data-testid={SECTION}>
      <h1>Account</h1>
      <Notice state={state} id="account-notice" />
      <dl class="card facts">
        <dt>Username</dt>
        <dd id="account-username" safe>
          {viewer.username}
        </dd>
        <dt>Role</dt>
        <dd id="account-role">
          {viewer.role}
        </dd>
        <dt>Tenants</dt>
        <dd id="account-tenants">
          {props.tenants.length === 0 ? (
            <span class="muted">{viewer.role === 'admin' ? 'none (admins see every tenant)' : 'none'}</span>
          ) : (
            <ul>
              {props.tenants.map((x) => (
                <li>
                  <span safe>{x.name}</span> <code safe>{x.prefix}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>

      <h2>Change password</h2>
      <form {...postTo('/account/password', SECTION)} id="password-form" class="card stack narrow-form" data-testid="password-form">
        <CsrfField viewer={viewer} />
        <FormError state={state} form="password" id="password-error" />
        <label>
          Current password
          <input
            id="current-password"
            name="currentPassword"
            type="password"
            required
            autocomplete="current-password"
            aria-invalid={invalidIf(state, 'password', 'currentPassword')}
          />
        </label>
        <label>
          New password
          <input
            id="new-password"
            name="newPassword"
            type="password"
            required
            minlength="8"
            autocomplete="new-password"
            aria-invalid={invalidIf(state, 'password', 'newPassword')}
          />
        </label>
        <label>
          Repeat the new password
          <input
            id="confirm-password"
            name="confirmPassword"
            type="password"
            required
            minlength="8"
            autocomplete="new-password"
            aria-invalid={invalidIf(state, 'password', 'confirmPassword')}
          />
        </label>
        <p class="muted">Changing the password signs you out everywhere else.</p>
        <div>
          <button type="submit" id="password-submit">
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}
