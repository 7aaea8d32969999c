/** The users page (admins): accounts, their role, active flag and tenants; create, edit, reset, delete. */
import { attr, when } from '../components.tsx';
import { CsrfField, type Viewer } from '../layout.tsx';
import { ActionButton, checkedOf, FormError, invalidIf, Notice, Options, type PageState, postTo, valueOf, valuesOf } from './forms.tsx';

export interface UserRow {
  id: string;
  username: string;
  role: 'admin' | 'member';
  active: boolean;
  createdAt: Date;
  tenantIds: readonly string[];
}

export interface TenantOption {
  id: string;
  name: string;
}

const SECTION = 'users-page';
const ROLES = [
  ['member', 'member'],
  ['admin', 'admin'],
] as const;

export function UsersSection(props: { viewer: Viewer; selfId: string; users: readonly UserRow[]; tenants: readonly TenantOption[]; state?: PageState }): JSX.Element {
  const { viewer, state } = props;
  const names = new Map(props.tenants.map((x) => [x.id, x.name]));
  const tenantOptions = props.tenants.map((x) => [x.id, x.name] as const);
  // A failed row form whose row is gone (deleted meanwhile) shows its error at the top.
  const orphan = state?.failed && state.failed.form !== 'create' && !props.users.some((u) => state.failed?.form.endsWith(`:${u.id}`));
  return (
    <section id={SECTION} data-testid={SECTION}>
      <h1>Users</h1>
      <Notice state={state} id="users-notice" />
      {orphan ? <FormError state={state} form={state?.failed?.form ?? ''} id="users-error" /> : ''}
      <table id="users-table">
        <thead>
          <tr>
            <th>Username</th>
            <th>Role</th>
            <th>Active</th>
            <th>Tenants</th>
            <th>Created</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {props.users.map((u) => {
            const edit = `edit:${u.id}`;
            const reset = `password:${u.id}`;
            const del = `delete:${u.id}`;
            const open = [edit, reset, del].includes(state?.failed?.form ?? '');
            return (
              <tr id={`user-${u.id}`} data-testid="user-row" data-username={attr(u.username)}>
                <td data-testid="user-username" safe>
                  {u.username}
                </td>
                <td data-testid="user-role">
                  {u.role}
                </td>
                <td data-testid="user-active">{u.active ? 'yes' : 'no'}</td>
                <td data-testid="user-tenants" safe>
                  {u.tenantIds.map((id) => names.get(id) ?? id).join(', ') || '—'}
                </td>
                <td safe>{when(u.createdAt)}</td>
                <td>
                  <details open={open}>
                    <summary>Edit</summary>
                    <form {...postTo(`/users/${u.id}`, SECTION)} id={`user-edit-${u.id}`} class="stack" data-testid="user-edit-form">
                      <CsrfField viewer={viewer} />
                      <FormError state={state} form={edit} id={`user-edit-${u.id}-error`} />
                      <label>
                        Role
                        <select name="role" data-testid="user-edit-role">
                          <Options options={ROLES} selected={[valueOf(state, edit, 'role', u.role)]} />
                        </select>
                      </label>
                      <label class="inline">
                        <input type="checkbox" name="active" value="on" checked={checkedOf(state, edit, 'active', u.active)} data-testid="user-edit-active" /> Active
                      </label>
                      <label>
                        Tenants
                        <select name="tenantIds" multiple="multiple" data-testid="user-edit-tenants">
                          <Options options={tenantOptions} selected={valuesOf(state, edit, 'tenantIds', u.tenantIds)} />
                        </select>
                      </label>
                      <button type="submit" data-testid="user-edit-submit">
                        Save
                      </button>
                    </form>
                    <form {...postTo(`/users/${u.id}/password`, SECTION)} id={`user-password-${u.id}`} class="stack" data-testid="user-password-form">
                      <CsrfField viewer={viewer} />
                      <FormError state={state} form={reset} id={`user-password-${u.id}-error`} />
                      <label>
                        New password
                        <input
                          type="password"
                          name="password"
                          autocomplete="new-password"
                          minlength="8"
                          required
                          aria-invalid={invalidIf(state, reset, 'password')}
                          data-testid="user-password-input"
                        />
                      </label>
                      <button type="submit" class="secondary" data-testid="user-password-submit">
                        Reset password
                      </button>
                    </form>
                    {u.id === props.selfId ? (
                      ''
                    ) : (
                      <>
                        <FormError state={state} form={del} id={`user-delete-${u.id}-error`} />
                        <ActionButton
                          viewer={viewer}
                          action={`/users/${u.id}/delete`}
                          target={SECTION}
                          id={`user-delete-${u.id}`}
                          label="Delete user"
                          confirm={`Delete user "${u.username}"? Their sessions and API tokens stop working.`}
                          testid="user-delete"
                          danger
                        />
                      </>
                    )}
                  </details>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <h2>New user</h2>
      <form {...postTo('/users', SECTION)} id="user-create-form" class="card stack" data-testid="user-create-form">
        <CsrfField viewer={viewer} />
        <FormError state={state} form="create" id="user-create-error" />
        <div class="row">
          <label>
            Username
            <input
              id="user-create-username"
              name="username"
              required
              autocomplete="off"
              value={attr(valueOf(state, 'create', 'username'))}
              aria-invalid={invalidIf(state, 'create', 'username')}
            />
          </label>
          <label>
            Password
            <input
              id="user-create-password"
              name="password"
              type="password"
              required
              minlength="8"
              autocomplete="new-password"
              aria-invalid={invalidIf(state, 'create', 'password')}
            />
          </label>
          <label>
            Role
            <select id="user-create-role" name="role">
              <Options options={ROLES} selected={[valueOf(state, 'create', 'role', 'member')]} />
            </select>
          </label>
          <label>
            Tenants
            <select id="user-create-tenants" name="tenantIds" multiple="multiple" aria-invalid={invalidIf(state, 'create', 'tenantIds')}>
              <Options options={tenantOptions} selected={valuesOf(state, 'create', 'tenantIds')} />
            </select>
          </label>
        </div>
        <div>
          <button type="submit" id="user-create-submit">
            Create user
          </button>
        </div>
      </form>
    </section>
  );
}
