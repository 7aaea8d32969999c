/**
 * Form plumbing shared by the admin pages (users, tenants, tokens, account). Pure: props in, HTML out.
 *
 * Each page is one `<section>` with a stable id; every form on it posts (plain `method=post` without
 * JavaScript, `hx-post` with htmx) and htmx swaps the answer over that whole section. A failed form
 * comes back as the same section with the error next to that form and the user's input kept
 * (passwords never), so success and failure render through one component.
 */
import type { PropsWithChildren } from '@kitajs/html';
import { attr, Flash } from '../components.tsx';
import { CsrfField, type Viewer } from '../layout.tsx';

/** What the user typed into a form, by field name (multi-selects as lists). */
export type FormValues = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A form that failed: which one (`create`, `edit:<id>`, …), why, and what the user had typed. */
export interface FormState {
  form: string;
  error: string;
  /** The offending field, e.g. `prefix`, marked `aria-invalid`. */
  field?: string | undefined;
  values: FormValues;
}

/** What a page shows besides its data: a notice after a change, or a failed form. */
export interface PageState {
  notice?: string | undefined;
  failed?: FormState | undefined;
}

/** The attributes of a form that posts to `action` and swaps the answer over `target` (a section id). */
export function postTo(action: string, target: string): Record<string, string> {
  return { method: 'post', action, 'hx-post': action, 'hx-target': `#${target}`, 'hx-swap': 'outerHTML' };
}

/** The failed form's state when it is `form`. */
export function failedIn(state: PageState | undefined, form: string): FormState | undefined {
  return state?.failed?.form === form ? state.failed : undefined;
}

/** A text value for a field of `form`: what the user typed when that form failed, else `fallback`. */
export function valueOf(state: PageState | undefined, form: string, name: string, fallback = ''): string {
  const failed = failedIn(state, form);
  if (!failed) return fallback;
  const v = failed.values[name];
  return typeof v === 'string' ? v : (v?.[0] ?? '');
}

/** The selected values of a multi-select of `form`. */
export function valuesOf(state: PageState | undefined, form: string, name: string, fallback: readonly string[] = []): readonly string[] {
  const failed = failedIn(state, form);
  if (!failed) return fallback;
  const v = failed.values[name];
  return v === undefined ? [] : typeof v === 'string' ? (v === '' ? [] : [v]) : v;
}

/** Whether a checkbox of `form` is checked: as the user left it when that form failed, else `fallback`. */
export function checkedOf(state: PageState | undefined, form: string, name: string, fallback: boolean): boolean {
  const failed = failedIn(state, form);
  return failed ? failed.values[name] === 'on' : fallback;
}

/** `aria-invalid` for a field of the failed form. */
export function invalidIf(state: PageState | undefined, form: string, name: string): 'true' | undefined {
  return failedIn(state, form)?.field === name ? 'true' : undefined;
}

/** The error of a failed form, inside that form; `role=alert` so it is announced after the swap. */
export function FormError({ state, form, id }: { state: PageState | undefined; form: string; id: string }): JSX.Element {
  const failed = failedIn(state, form);
  if (!failed) return '';
  return (
    <p class="form-error" role="alert" id={id} data-testid="form-error">
      <span safe>{failed.error}</span>
    </p>
  );
}

/**
 * A failed row form whose row is gone (deleted meanwhile): its error at the top of the section, as no
 * row shows it. `rowIds`: the ids of the rows shown (row forms are named `<kind>:<id>`).
 */
export function OrphanError({ state, rowIds, id }: { state: PageState | undefined; rowIds: readonly string[]; id: string }): JSX.Element {
  const form = state?.failed?.form;
  if (form === undefined || form === 'create' || rowIds.some((rowId) => form.endsWith(`:${rowId}`))) return '';
  return <FormError state={state} form={form} id={id} />;
}

/**
 * Form `form` of a page section (see `postTo`), with the CSRF field and, first, its error when it is
 * the one that failed (`errorId`: `<id>-error` unless given).
 */
export function SectionForm(
  props: PropsWithChildren<{
    viewer: Viewer;
    state: PageState | undefined;
    form: string;
    action: string;
    section: string;
    id: string;
    class: string;
    testid: string;
    errorId?: string;
  }>,
): JSX.Element {
  return (
    <form {...postTo(props.action, props.section)} id={props.id} class={props.class} data-testid={props.testid}>
      <CsrfField viewer={props.viewer} />
      <FormError state={props.state} form={props.form} id={props.errorId ?? `${props.id}-error`} />
      {props.children as 'safe'}
    </form>
  );
}

/** The "New <noun>" form at the end of an admin page: its fields in a row, then the create button. */
export function CreateForm(
  props: PropsWithChildren<{ noun: string; action: string; section: string; viewer: Viewer; state: PageState | undefined }>,
): JSX.Element {
  const { noun } = props;
  return (
    <>
      <h2 safe>{`New ${noun}`}</h2>
      <SectionForm
        viewer={props.viewer}
        state={props.state}
        form="create"
        action={props.action}
        section={props.section}
        id={`${noun}-create-form`}
        class="card stack"
        testid={`${noun}-create-form`}
        errorId={`${noun}-create-error`}
      >
        <div class="row">{props.children as 'safe'}</div>
        <div>
          <button type="submit" id={`${noun}-create-submit`} safe>
            {`Create ${noun}`}
          </button>
        </div>
      </SectionForm>
    </>
  );
}

/** The edit form in a table row (`<noun>-edit-<id>`), posting to `action`; `children`: its fields. */
export function EditForm(
  props: PropsWithChildren<{ noun: string; id: string; action: string; section: string; viewer: Viewer; state: PageState | undefined }>,
): JSX.Element {
  const { noun } = props;
  return (
    <SectionForm
      viewer={props.viewer}
      state={props.state}
      form={`edit:${props.id}`}
      action={props.action}
      section={props.section}
      id={`${noun}-edit-${props.id}`}
      class="stack"
      testid={`${noun}-edit-form`}
    >
      {props.children as 'safe'}
      <button type="submit" data-testid={`${noun}-edit-submit`}>
        Save
      </button>
    </SectionForm>
  );
}

/**
 * A labelled input of `form`, bound to the page state: what the user typed when that form failed
 * (never into a password input) and `aria-invalid` when it was the field at fault. `input`: the
 * input's other attributes, in order.
 */
export function Field(
  props: PropsWithChildren<{ state: PageState | undefined; form: string; name: string; input: { id: string } & Record<string, string | boolean> }>,
): JSX.Element {
  const { state, form, name } = props;
  const { id, ...attrs } = props.input;
  const value = attrs.type === 'password' ? undefined : attr(valueOf(state, form, name));
  return (
    <label>
      {props.children as 'safe'}
      <input id={id} name={name} {...attrs} value={value} aria-invalid={invalidIf(state, form, name)} />
    </label>
  );
}

/** The notice after a successful change. */
export function Notice({ state, id }: { state: PageState | undefined; id: string }): JSX.Element {
  if (!state?.notice) return '';
  return (
    <Flash kind="ok" id={id}>
      <span safe>{state.notice}</span>
    </Flash>
  );
}

/**
 * A one-button form (delete, revoke, remove) posting to `action`, with a confirmation under htmx; with
 * `state` and `form`, the error of that form before it when it is the one that failed.
 */
export function ActionButton(props: {
  viewer: Viewer;
  action: string;
  target: string;
  id: string;
  label: string;
  confirm?: string;
  testid: string;
  danger?: boolean;
  state?: PageState | undefined;
  form?: string;
}): JSX.Element {
  return (
    <>
      {props.form === undefined ? '' : <FormError state={props.state} form={props.form} id={`${props.id}-error`} />}
      <form {...postTo(props.action, props.target)} id={props.id} class="inline-form" hx-confirm={props.confirm === undefined ? undefined : attr(props.confirm)}>
        <CsrfField viewer={props.viewer} />
        <button type="submit" class={props.danger ? 'danger' : 'secondary'} data-testid={props.testid} safe>
          {props.label}
        </button>
      </form>
    </>
  );
}

/** Options of a `<select>`: `[value, label]` pairs, selected when in `selected`. */
export function Options({ options, selected }: { options: readonly (readonly [string, string])[]; selected: readonly string[] }): JSX.Element {
  return (
    <>
      {options.map(([value, label]) => (
        <option value={attr(value)} selected={selected.includes(value)} safe>
          {label}
        </option>
      ))}
    </>
  );
}
