/** The tenants page (admins): prefix, description, active flag and members; create, edit, delete. */
import { attr, TableHead, when } from '../components.tsx';
import { CsrfField, type Viewer } from '../layout.tsx';
import {
  ActionButton,
  checkedOf,
  CreateForm,
  EditForm,
  Field,
  FormError,
  invalidIf,
  Notice,
  Options,
  OrphanError,
  type PageState,
  postTo,
  valueOf,
} from './forms.tsx';

export interface TenantRow {
  id: string;
  name: string;
  prefix: string;
  description: string;
  active: boolean;
  createdAt: Date;
  members: readonly { id: string; username: string }[];
}

export interface UserOption {
  id: string;
  username: string;
}

const SECTION = 'tenants-page';

export function TenantsSection(props: { viewer: Viewer; tenants: readonly TenantRow[]; users: readonly UserOption[]; state?: PageState }): JSX.Element {
  const { viewer, state } = props;
  return (
    <section id={SECTION} data-testid={SECTION}>
      <h1>Tenants</h1>
      <Notice state={state} id="tenants-notice" />
      <OrphanError state={state} rowIds={props.tenants.map((x) => x.id)} id="tenants-error" />
      <table id="tenants-table">
        <TableHead columns={['Name', 'Prefix', 'Description', 'Active', 'Members', 'Created', 'Actions']} />
        <tbody>
          {props.tenants.map((x) => {
            const edit = `edit:${x.id}`;
            const add = `member:${x.id}`;
            const del = `delete:${x.id}`;
            const memberIds = new Set(x.members.map((m) => m.id));
            const candidates = props.users.filter((u) => !memberIds.has(u.id)).map((u) => [u.id, u.username] as const);
            const open = [edit, del].includes(state?.failed?.form ?? '');
            return (
              <tr id={`tenant-${x.id}`} data-testid="tenant-row" data-name={attr(x.name)}>
                <td data-testid="tenant-name" safe>
                  {x.name}
                </td>
                <td data-testid="tenant-prefix">
                  <code safe>{x.prefix}</code>
                </td>
                <td data-testid="tenant-description" safe>
                  {x.description}
                </td>
                <td data-testid="tenant-active">{x.active ? 'yes' : 'no'}</td>
                <td data-testid="tenant-members">
                  <ul class="members">
                    {x.members.map((m) => (
                      <li data-testid="tenant-member" data-username={attr(m.username)}>
                        <span safe>{m.username}</span>{' '}
                        <ActionButton
                          viewer={viewer}
                          action={`/tenants/${x.id}/members/${m.id}/remove`}
                          target={SECTION}
                          id={`tenant-${x.id}-remove-${m.id}`}
                          label="Remove"
                          confirm={`Remove "${m.username}" from tenant "${x.name}"?`}
                          testid="tenant-member-remove"
                        />
                      </li>
                    ))}
                  </ul>
                  <FormError state={state} form={add} id={`tenant-member-${x.id}-error`} />
                  {candidates.length === 0 ? (
                    ''
                  ) : (
                    <form {...postTo(`/tenants/${x.id}/members`, SECTION)} id={`tenant-member-${x.id}`} class="row" data-testid="tenant-member-form">
                      <CsrfField viewer={viewer} />
                      <select name="userId" data-testid="tenant-member-user" aria-label="User to add">
                        <Options options={candidates} selected={[valueOf(state, add, 'userId')]} />
                      </select>
                      <button type="submit" class="secondary" data-testid="tenant-member-add">
                        Add member
                      </button>
                    </form>
                  )}
                </td>
                <td safe>{when(x.createdAt)}</td>
                <td>
                  <details open={open}>
                    <summary>Edit</summary>
                    <EditForm noun="tenant" id={x.id} action={`/tenants/${x.id}`} section={SECTION} viewer={viewer} state={state}>
                      <label>
                        Prefix
                        <input name="prefix" required value={attr(valueOf(state, edit, 'prefix', x.prefix))} aria-invalid={invalidIf(state, edit, 'prefix')} data-testid="tenant-edit-prefix" />
                      </label>
                      <label>
                        Description
                        <textarea name="description" rows="2" aria-invalid={invalidIf(state, edit, 'description')} data-testid="tenant-edit-description" safe>
                          {valueOf(state, edit, 'description', x.description)}
                        </textarea>
                      </label>
                      <label class="inline">
                        <input type="checkbox" name="active" value="on" checked={checkedOf(state, edit, 'active', x.active)} data-testid="tenant-edit-active" /> Active
                      </label>
                    </EditForm>
                    <ActionButton
                      viewer={viewer}
                      action={`/tenants/${x.id}/delete`}
                      target={SECTION}
                      id={`tenant-delete-${x.id}`}
                      label="Delete tenant"
                      confirm={`Delete tenant "${x.name}"? Its memberships go with it.`}
                      testid="tenant-delete"
                      danger
                      state={state}
                      form={del}
                    />
                  </details>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <CreateForm noun="tenant" action="/tenants" section={SECTION} viewer={viewer} state={state}>
        <Field state={state} form="create" name="name" input={{ id: 'tenant-create-name', required: true, autocomplete: 'off' }}>
          Name
        </Field>
        <Field state={state} form="create" name="prefix" input={{ id: 'tenant-create-prefix', required: true, placeholder: '/acme', autocomplete: 'off' }}>
          Prefix
        </Field>
        <Field state={state} form="create" name="description" input={{ id: 'tenant-create-description', autocomplete: 'off' }}>
          Description
        </Field>
        <label class="inline">
          <input id="tenant-create-active" type="checkbox" name="active" value="on" checked={checkedOf(state, 'create', 'active', true)} /> Active
        </label>
      </CreateForm>
    </section>
  );
}
