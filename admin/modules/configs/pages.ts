/**
 * The config pages of the console: the list, a config's overview with its client URLs, the form
 * editors of its routers, servers, tools and upstreams (one set of routes for the four, `entryRoutes`,
 * over their `EntryKind`s in entries.ts), the YAML editor, create and delete.
 *
 * Every save goes through `commitConfig` (validation of the whole revision, commit, push, audit,
 * gateway reload). A form carries the blob sha it was rendered from (`base`): the edit is applied to
 * the current document and committed only if that is still the blob at the branch tip, so a stale
 * form gets a 409 instead of overwriting someone's change. A refused save answers the form again, with
 * what the user typed, the reason and the validator's issues (400/409; htmx 4 swaps those answers too).
 */
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { AdminError } from '../../errors.ts';
import { ConfigList } from '../../../views/configs/list.tsx';
import type { ConfigRef, FormProblem } from '../../../views/configs/model.ts';
import { NewConfigForm, type NewConfigValues } from '../../../views/configs/new.tsx';
import { ConfigOverview } from '../../../views/configs/overview.tsx';
import { configUrl } from '../../../views/configs/parts.tsx';
import { SaveResult } from '../../../views/configs/save-result.tsx';
import { YamlEditor } from '../../../views/configs/yaml-editor.tsx';
import { DeleteConfig } from '../../../views/configs/delete.tsx';
import { isAdmin, type Principal } from '../auth/authorize.ts';
import { consoleBase, page, redirect } from '../console/http.ts';
import { type Form, formOf, type PageRequest } from '../console/form.ts';
import { listTenants } from '../tenants/service.ts';
import { configDetail, newDocument } from './edit.ts';
import { type EntryKind, field, labelOf, ROUTERS, SERVERS, TOOLS, UPSTREAMS } from './entries.ts';
import { type CommitOutcome, ConfigInvalid, commitConfig, configPath, listConfigs, readConfig } from './service.ts';

/** Where clients reach the gateway when no gateway is registered: its default listen address. */
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:5235';

const ConfigParams = t.Object({ tenant: t.String(), name: t.String() });
const EntryParams = t.Object({ tenant: t.String(), name: t.String(), entry: t.String() });

const STATUS: Partial<Record<AdminError['code'], number>> = { validation: 400, conflict: 409 };

/** A refusal shown at the form (validation, conflict); anything else goes to the error page. */
function problemOf(e: unknown): FormProblem {
  if (e instanceof AdminError) {
    const status = STATUS[e.code];
    if (status !== undefined) return { status, message: e.message, ...(e instanceof ConfigInvalid ? { issues: e.issues } : {}) };
  }
  throw e;
}

export function gatewayBase(ctx: AdminContext): string {
  return ctx.settings.gateways[0]?.url ?? DEFAULT_GATEWAY_URL;
}

type Params = { tenant: string; name: string };
/** A config page's request. */
type ConfigRequest = PageRequest & { params: Params };
type CurrentConfig = Awaited<ReturnType<typeof readConfig>> & { ref: ConfigRef };

const title = (params: Params, what: string) => `${what} · ${params.tenant}/${params.name}`;
const capitalized = (s: string) => `${s.slice(0, 1).toUpperCase()}${s.slice(1)}`;

export function configPages(ctx: AdminContext) {
  /** The current document and the ref its forms carry. */
  async function current(p: Principal, params: Params): Promise<CurrentConfig> {
    const found = await readConfig(ctx, p, params.tenant, params.name);
    const ref: ConfigRef = { tenant: params.tenant, name: params.name, base: found.blob };
    return { ...found, ref };
  }

  /** The router prefixes a config's delete page lists (what stops being served). */
  const routersOf = (text: string): string[] => configDetail(text, gatewayBase(ctx)).routers.map((r) => r.prefix);

  /** The save result page, with links back to the config. */
  function saved(c: ConfigRequest, outcome: CommitOutcome, what: string, deleted: boolean): Promise<Response> {
    const content = SaveResult({
      title: what,
      commit: outcome.commit,
      gateways: outcome.gateways,
      unchanged: outcome.unchanged === true,
      links: deleted
        ? [{ href: '/configs', label: 'Back to configs', id: 'back-to-configs' }]
        : [
            { href: configUrl(c.params), label: 'Back to the config', id: 'back-to-config' },
            { href: configUrl(c.params, 'yaml'), label: 'YAML editor', id: 'open-yaml' },
            { href: configUrl(c.params, 'history'), label: 'History', id: 'open-history' },
          ],
    });
    return page(c.request, c.viewer, content, { title: what, active: 'configs' });
  }

  /**
   * Commits `edit` of the current document against the form's `base` (a stale one is refused by the
   * repo with who changed the file since). Answers the save result, or `refused(problem)` (the form
   * again) on a validation error or a conflict.
   */
  async function saveEdit(
    c: ConfigRequest,
    opts: {
      form: Form;
      /** The new text from the current one; null deletes the file. */
      edit: (text: string) => string | null;
      /** The blob the form was opened at; by default the form's `base`, or the current one when it has none. */
      base?: string;
      action?: 'delete';
      /** The commit message when the form gives none. */
      message: string;
      /** The save result's title. */
      what: string;
      titleOnError: string;
      refused: (problem: FormProblem, ref: ConfigRef, doc: CurrentConfig) => JSX.Element;
    },
  ): Promise<Response> {
    const doc = await current(c.principal, c.params);
    const ref: ConfigRef = { ...doc.ref, base: opts.base ?? (field(opts.form, 'base') || doc.blob) };
    let outcome: CommitOutcome;
    try {
      outcome = await commitConfig(ctx, c.principal, {
        tenant: c.params.tenant,
        name: c.params.name,
        text: opts.edit(doc.text),
        expectedBlob: ref.base,
        message: field(opts.form, 'message').trim() || opts.message,
        ...(opts.action ? { action: opts.action } : {}),
      });
    } catch (e) {
      const problem = problemOf(e);
      return page(c.request, c.viewer, opts.refused(problem, ref, doc), { title: opts.titleOnError, active: 'configs', status: problem.status });
    }
    return saved(c, outcome, opts.what, opts.action === 'delete');
  }

  /**
   * One kind of entry's routes: its new and edit forms, their posts (a save, or a change to the form
   * alone), and delete (a refusal shows the overview with the reason).
   */
  function entryRoutes<V>(kind: EntryKind<V>) {
    const at = `/configs/:tenant/:name/${kind.segment}`;
    const heading = (id: string | null) => (id === null ? `New ${kind.noun}` : capitalized(labelOf(kind, id)));

    async function show(c: ConfigRequest, id: string | null): Promise<Response> {
      const doc = await current(c.principal, c.params);
      const content = kind.form({ viewer: c.viewer, config: doc.ref, original: id ?? undefined, values: kind.values(doc.text, id) }, doc.text);
      return page(c.request, c.viewer, content, { title: title(c.params, heading(id)), active: 'configs' });
    }

    async function save(c: ConfigRequest & { body: unknown }, id: string | null): Promise<Response> {
      const f = formOf(c.body);
      const values = kind.read(f);
      const form = (config: ConfigRef, doc: string, extra: { problem?: FormProblem; note?: string }) =>
        kind.form({ viewer: c.viewer, config, original: id ?? undefined, values, message: field(f, 'message'), ...extra }, doc, f);
      if (kind.formOnly) {
        const doc = await current(c.principal, c.params);
        const note = kind.formOnly(values, f);
        if (note !== undefined) {
          const config: ConfigRef = { tenant: c.params.tenant, name: c.params.name, base: field(f, 'base') };
          return page(c.request, c.viewer, form(config, doc.text, { note }), { title: title(c.params, heading(id)), active: 'configs' });
        }
      }
      const name = kind.name(values);
      return saveEdit(c, {
        form: f,
        edit: (text) => kind.apply(text, id, values, f),
        message: `${c.params.tenant}/${c.params.name}: ${id === null ? 'add' : 'update'} ${kind.noun} ${name}`,
        what: `Saved ${kind.noun} ${name}`,
        titleOnError: title(c.params, heading(id)),
        refused: (problem, ref, doc) => form(ref, doc.text, { problem }),
      });
    }

    function remove(c: ConfigRequest & { body: unknown }, id: string): Promise<Response> {
      const label = labelOf(kind, id);
      return saveEdit(c, {
        form: formOf(c.body),
        edit: (text) => kind.remove(text, id),
        message: `${c.params.tenant}/${c.params.name}: delete ${label}`,
        what: `Deleted ${label}`,
        titleOnError: `${c.params.tenant}/${c.params.name}`,
        refused: (problem, _ref, doc) =>
          ConfigOverview({ viewer: c.viewer, config: doc.ref, revision: doc.revision, detail: configDetail(doc.text, gatewayBase(ctx)), problem }),
      });
    }

    return new Elysia()
      .use(consoleBase(ctx))
      .get(`${at}/new`, (c) => show(c, null), { page: true, params: ConfigParams })
      .get(`${at}/:entry`, (c) => show(c, c.params.entry), { page: true, params: EntryParams })
      .post(at, (c) => save(c, null), { page: true, params: ConfigParams })
      .post(`${at}/:entry`, (c) => save(c, c.params.entry), { page: true, params: EntryParams })
      .post(`${at}/:entry/delete`, (c) => remove(c, c.params.entry), { page: true, params: EntryParams });
  }

  return (
    new Elysia()
      .use(consoleBase(ctx))
      // --- list, create -------------------------------------------------------------------------
      .get(
        '/configs',
        async ({ principal, viewer, request }) => {
          const groups = await listConfigs(ctx, principal);
          return page(request, viewer, ConfigList({ groups, gatewayBase: gatewayBase(ctx) }), { title: 'Configs', active: 'configs' });
        },
        { page: true },
      )
      .get(
        '/configs/new',
        async ({ principal, viewer, request, query }) => {
          const tenants = await listTenants(ctx, principal);
          const first = typeof query.tenant === 'string' ? query.tenant : (tenants[0]?.name ?? '');
          const values: NewConfigValues = { tenant: first, tenantOther: '', name: '', prefix: '', server: '', message: '' };
          const content = NewConfigForm({ viewer, tenants, allowOther: isAdmin(principal), values });
          return page(request, viewer, content, { title: 'New config', active: 'configs' });
        },
        { page: true },
      )
      .post(
        '/configs',
        async ({ principal, viewer, request, body }) => {
          const f = formOf(body);
          const admin = isAdmin(principal);
          const values: NewConfigValues = {
            tenant: field(f, 'tenant'),
            tenantOther: admin ? field(f, 'tenantOther').trim() : '',
            name: field(f, 'name').trim(),
            prefix: field(f, 'prefix').trim(),
            server: field(f, 'server').trim(),
            message: field(f, 'message'),
          };
          const tenant = values.tenant === '' || (admin && values.tenantOther !== '') ? values.tenantOther : values.tenant;
          try {
            configPath(tenant, values.name);
            if (values.prefix === '') throw new AdminError('validation', 'prefix: the first router needs a prefix, e.g. /acme/tickets');
            if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(values.server)) {
              throw new AdminError('validation', 'server: a server name uses letters, digits, ".", "_" or "-", starting with a letter or digit');
            }
            await commitConfig(ctx, principal, {
              tenant,
              name: values.name,
              text: newDocument(tenant, values.name, values.prefix, values.server),
              expectedBlob: null,
              message: values.message.trim() || `${tenant}/${values.name}: create config`,
              action: 'create',
            });
          } catch (e) {
            const problem = problemOf(e);
            const tenants = await listTenants(ctx, principal);
            const content = NewConfigForm({ viewer, tenants, allowOther: admin, values, problem });
            return page(request, viewer, content, { title: 'New config', active: 'configs', status: problem.status });
          }
          return redirect(request, configUrl({ tenant, name: values.name }));
        },
        { page: true },
      )
      // --- one config ---------------------------------------------------------------------------
      .get(
        '/configs/:tenant/:name',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const content = ConfigOverview({ viewer, config: doc.ref, revision: doc.revision, detail: configDetail(doc.text, gatewayBase(ctx)) });
          return page(request, viewer, content, { title: `${params.tenant}/${params.name}`, active: 'configs' });
        },
        { page: true, params: ConfigParams },
      )
      .get(
        '/configs/:tenant/:name/yaml',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const content = YamlEditor({ viewer, config: doc.ref, text: doc.text, revision: doc.revision });
          return page(request, viewer, content, { title: title(params, 'YAML'), active: 'configs' });
        },
        { page: true, params: ConfigParams },
      )
      .post(
        '/configs/:tenant/:name/yaml',
        (c) => {
          const f = formOf(c.body);
          const submitted = field(f, 'text');
          // The whole file is replaced: only against the version the editor was opened at.
          const base = field(f, 'base');
          return saveEdit(c, {
            form: f,
            base,
            edit: () => {
              if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(base)) {
                throw new AdminError('validation', 'base: the form lost the version it was opened at; reload the editor');
              }
              return submitted;
            },
            message: `${c.params.tenant}/${c.params.name}: edit YAML`,
            what: `Saved ${c.params.tenant}/${c.params.name}`,
            titleOnError: title(c.params, 'YAML'),
            refused: (problem, ref) => YamlEditor({ viewer: c.viewer, config: ref, text: submitted, message: field(f, 'message'), problem }),
          });
        },
        { page: true, params: ConfigParams },
      )
      .get(
        '/configs/:tenant/:name/delete',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const content = DeleteConfig({ viewer, config: doc.ref, routers: routersOf(doc.text) });
          return page(request, viewer, content, { title: title(params, 'Delete'), active: 'configs' });
        },
        { page: true, params: ConfigParams },
      )
      .post(
        '/configs/:tenant/:name/delete',
        (c) =>
          saveEdit(c, {
            form: formOf(c.body),
            edit: () => null,
            action: 'delete',
            message: `${c.params.tenant}/${c.params.name}: delete config`,
            what: `Deleted ${c.params.tenant}/${c.params.name}`,
            titleOnError: title(c.params, 'Delete'),
            refused: (problem, ref, doc) => DeleteConfig({ viewer: c.viewer, config: ref, routers: routersOf(doc.text), problem }),
          }),
        { page: true, params: ConfigParams },
      )
      // --- tools, routers, servers, upstreams (mcpServers) ---------------------------------------
      .use(entryRoutes(TOOLS))
      .use(entryRoutes(ROUTERS))
      .use(entryRoutes(SERVERS))
      .use(entryRoutes(UPSTREAMS))
  );
}
