/** The account page: who the viewer is, their tenants, and the own password change. */
import type { Viewer } from '../layout.tsx';
import { Field, Notice, type PageState, SectionForm } from './forms.tsx';

const SECTION = 'account-page';
const NEW_PASSWORD = { type: 'password', required: true, minlength: '8', autocomplete: 'new-password' };

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
      <SectionForm
        viewer={viewer}
        state={state}
        form="password"
        action="/account/password"
        section={SECTION}
        id="password-form"
        class="card stack narrow-form"
        testid="password-form"
        errorId="password-error"
      >
        <Field
          state={state}
          form="password"
          name="currentPassword"
          input={{ id: 'current-password', type: 'password', required: true, autocomplete: 'current-password' }}
        >
          Current password
        </Field>
        <Field state={state} form="password" name="newPassword" input={{ id: 'new-password', ...NEW_PASSWORD }}>
          New password
        </Field>
        <Field state={state} form="password" name="confirmPassword" input={{ id: 'confirm-password', ...NEW_PASSWORD }}>
          Repeat the new password
        </Field>
        <p class="muted">Changing the password signs you out everywhere else.</p>
        <div>
          <button type="submit" id="password-submit">
            Change password
          </button>
        </div>
      </SectionForm>
    </section>
  );
}
