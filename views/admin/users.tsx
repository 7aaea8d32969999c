/** The users page (admins): accounts, their role, active flag and tenants; create, edit, reset, delete. */
import { attr, TableHead, when } from '../components.tsx';
import type { Viewer } from '../layout.tsx';
import {
  ActionButton,
  checkedOf,
  CreateForm,
  EditForm,
  Field,
  invalidIf,
  Notice,
  Options,
  OrphanError,
  type PageState,
  SectionForm,
  valueOf,
  valuesOf,
} from './forms.tsx';

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
  return (
    <section id={SECTION} data-testid={SECTION}>
      <h1>Users</h1>
      <Notice state={state} id="users-notice" />
      <OrphanError state={state} rowIds={props.users.map((u) => u.id)} id="users-error" />
      <table id="users-table">
        <TableHead columns={['Username', 'Role', 'Active', 'Tenants', 'Created', 'Actions']} />
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
                    <EditForm noun="user" id={u.id} action={`/users/${u.id}`} section={SECTION} viewer={viewer} state={state}>
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
                    </EditForm>
                    <SectionForm
                      viewer={viewer}
                      state={state}
                      form={reset}
                      action={`/users/${u.id}/password`}
                      section={SECTION}
                      id={`user-password-${u.id}`}
                      class="stack"
                      testid="user-password-form"
                    >
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
                    </SectionForm>
                    {u.id === props.selfId ? (
                      ''
                    ) : (
                      <ActionButton
                        viewer={viewer}
                        action={`/users/${u.id}/delete`}
                        target={SECTION}
                        id={`user-delete-${u.id}`}
                        label="Delete user"
                        confirm={`Delete user "${u.username}"? Their sessions and API tokens stop working.`}
                        testid="user-delete"
                        danger
                        state={state}
                        form={del}
                      />
                    )}
                  </details>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <CreateForm noun="user" action="/users" section={SECTION} viewer={viewer} state={state}>
        <Field state={state} form="create" name="username" input={{ id: 'user-create-username', required: true, autocomplete: 'off' }}>
          Username
        </Field>
        <Field
          state={state}
          form="create"
          name="password"
          input={{ id: 'user-create-password', type: 'password', required: true, minlength: '8', autocomplete: 'new-password' }}
        >
          Password
        </Field>
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
      </CreateForm>
    </section>
  );
}
