/**
 * Form plumbing shared by the admin pages (users, tenants, tokens, account). Pure: props in, HTML out.
 *
 * Each page is one `<section>` with a stable id; every form on it posts (plain `method=post` without
 * JavaScript, `hx-post` with htmx) and htmx swaps the answer over that whole section. A failed form
 * comes back as the same section with the error next to that form and the user's input kept
 * (passwords never), so success and failure render through one component.
 */
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

/** The notice after a successful change. */
export function Notice({ state, id }: { state: PageState | undefined; id: string }): JSX.Element {
  if (!state?.notice) return '';
  return (
    <Flash kind="ok" id={id}>
      <span safe>{state.notice}</span>
    </Flash>
  );
}

/** A one-button form (delete, revoke, remove) posting to `action`, with a confirmation under htmx. */
export function ActionButton(props: {
  viewer: Viewer;
  action: string;
  target: string;
  id: string;
  label: string;
  confirm?: string;
  testid: string;
  danger?: boolean;
}): JSX.Element {
  return (
    <form {...postTo(props.action, props.target)} id={props.id} class="inline-form" hx-confirm={props.confirm === undefined ? undefined : attr(props.confirm)}>
      <CsrfField viewer={props.viewer} />
      <button type="submit" class={props.danger ? 'danger' : 'secondary'} data-testid={props.testid} safe>
        {props.label}
      </button>
    </form>
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
