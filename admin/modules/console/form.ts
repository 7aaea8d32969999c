/**
 * Console form posts, shared by the admin pages: reading `application/x-www-form-urlencoded` bodies
 * (as Elysia parses them: a repeated field is a list), checking them against the REST API's own
 * models (one set of rules for both), and answering a submission: the page section again with a
 * notice, or with the error next to the failed form and the user's input kept (passwords never): `formPage`.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AdminError, ERROR_STATUS, invalid } from '../../errors.ts';
import type { PageState } from '../../../views/admin/forms.tsx';
import type { NavKey, Viewer } from '../../../views/layout.tsx';
import type { Principal } from '../auth/authorize.ts';
import { page, redirect } from './http.ts';

/** A parsed form: field name → value, or values for a repeated field. */
export type Form = Readonly<Record<string, string | readonly string[]>>;

export function formOf(body: unknown): Form {
  if (body === null || typeof body !== 'object') return {};
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string');
  }
  return out;
}

/** A field's (first) value; `''` when absent. */
export function text(f: Form, name: string): string {
  const v = f[name];
  return typeof v === 'string' ? v : (v?.[0] ?? '');
}

/** A multi-select's values, empty ones dropped. */
export function list(f: Form, name: string): string[] {
  const v = f[name];
  const all = v === undefined ? [] : typeof v === 'string' ? [v] : [...v];
  return all.filter((x) => x !== '');
}

/** A checkbox: browsers send it only when checked. */
export function checkbox(f: Form, name: string): boolean {
  return list(f, name).length > 0;
}

/** `/tenantIds/0` → `tenantIds[0]`. */
function dotted(pointer: string): string {
  let out = '';
  for (const key of pointer.split('/').slice(1)) out += /^\d+$/.test(key) ? `[${key}]` : out === '' ? key : `.${key}`;
  return out;
}

/**
 * Checks `value` against an API model (`NewUserBody`, …) and returns it typed; the first problem
 * becomes the same `validation` error the API answers (`body.username: Expected …`).
 */
export function checked<T extends TSchema>(schema: T, value: unknown): Static<T> {
  const first = Value.Errors(schema, value).First();
  if (first) throw invalid(`body.${dotted(first.path)}`, first.message);
  return value as Static<T>;
}

/** Fields never echoed back into a re-rendered form. */
const SECRET = /password|^_csrf$/i;

/** The page state for a form that failed with `e`: the message, the offending field, the input. */
export function failed(e: AdminError, form: string, input: Form): PageState {
  const values: Record<string, string | readonly string[]> = {};
  for (const [k, v] of Object.entries(input)) if (!SECRET.test(k)) values[k] = v;
  const field = e.path?.replace(/^body\./, '').replace(/[.[].*$/, '');
  return { failed: { form, error: e.message.replace(/^body\./, ''), field, values } };
}

/** What a console route gets from `consoleBase`'s `page` macro. */
export interface PageRequest {
  principal: Principal;
  viewer: Viewer;
  request: Request;
}

/** One change a page's form asks for. */
export interface FormAction<T> {
  /** Which form was posted (`create`, `edit:<id>`, …): where an error shows. */
  form: string;
  /** The change, through the services, from the posted fields. */
  run: (input: Form) => Promise<T>;
  notice: (result: T) => string;
  /** A different answer to a success (a new token shown once, a re-issued session cookie). */
  done?: (result: T, notice: string) => Promise<Response> | Response;
}

export interface FormPageOptions {
  title: string;
  active: NavKey;
  /** The page a plain (non-htmx) post goes back to after a success (post/redirect/get). */
  location: string;
  /** Refuses a principal that may not use the page (`requireAdmin`); without it, anyone signed in may. */
  allow?: (p: Principal) => void;
  /** The page's one section in a state (re-reads the data). */
  section: (p: Principal, viewer: Viewer, state: PageState) => Promise<JSX.Element>;
}

/**
 * A console page of one section whose forms post back to it (users, tenants, tokens, account).
 *
 * `show` answers the page. `post` runs one form's change: on success htmx gets the section with a
 * notice and a plain post is redirected to the page; a refusal from a service (`AdminError`) answers
 * the section with the error at the form and the input kept, with the error's status (htmx 4 swaps
 * 4xx answers too). Anything else goes to the console's error mapping.
 */
export function formPage(opts: FormPageOptions) {
  const layout = { title: opts.title, active: opts.active };
  return {
    async show(c: PageRequest, state: PageState = {}): Promise<Response> {
      opts.allow?.(c.principal);
      return page(c.request, c.viewer, await opts.section(c.principal, c.viewer, state), layout);
    },
    async post<T>(c: PageRequest & { body: unknown }, action: FormAction<T>): Promise<Response> {
      opts.allow?.(c.principal);
      const input = formOf(c.body);
      let result: T;
      try {
        result = await action.run(input);
      } catch (e) {
        if (!(e instanceof AdminError)) throw e;
        const headers: Record<string, string> = e.retryAfter !== undefined ? { 'retry-after': String(e.retryAfter) } : {};
        const content = await opts.section(c.principal, c.viewer, failed(e, action.form, input));
        return page(c.request, c.viewer, content, { ...layout, status: ERROR_STATUS[e.code], headers });
      }
      if (action.done) return action.done(result, action.notice(result));
      if (c.request.headers.get('hx-request') !== 'true') return redirect(c.request, opts.location);
      return page(c.request, c.viewer, await opts.section(c.principal, c.viewer, { notice: action.notice(result) }), layout);
    },
  };
}

/** The fields of `next` that differ from `current`: what a PATCH client would send (no empty audit entries). */
export function changedFields<C, K extends keyof C>(current: C, next: Pick<C, K>): Partial<Pick<C, K>> {
  const out: Partial<Pick<C, K>> = {};
  for (const key of Object.keys(next) as K[]) if (next[key] !== current[key]) out[key] = next[key];
  return out;
}

/** The notice after an edit form: `<what> saved.`, or that nothing changed. */
export function savedNotice(what: string, changed: boolean): string {
  return changed ? `${what} saved.` : `${what}: nothing changed.`;
}
