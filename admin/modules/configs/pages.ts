/**
 * The config pages of the console: the list, a config's overview with its client URLs, the form
 * editors of its routers, servers, tools and upstreams, the YAML editor, create and delete.
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
import type {
  ArgFormValues,
  ConfigRef,
  FormProblem,
  RouterFormValues,
  ServerFormValues,
  ToolFormValues,
  UpstreamFormValues,
} from '../../../views/configs/model.ts';
import { NewConfigForm, type NewConfigValues } from '../../../views/configs/new.tsx';
import { ConfigOverview } from '../../../views/configs/overview.tsx';
import { configUrl } from '../../../views/configs/parts.tsx';
import { RouterForm, ServerForm, UpstreamForm } from '../../../views/configs/entry-forms.tsx';
import { SaveResult } from '../../../views/configs/save-result.tsx';
import { ToolForm } from '../../../views/configs/tool-form.tsx';
import { YamlEditor } from '../../../views/configs/yaml-editor.tsx';
import { DeleteConfig } from '../../../views/configs/delete.tsx';
import type { Viewer } from '../../../views/layout.tsx';
import { isAdmin, type Principal } from '../auth/authorize.ts';
import { consoleBase, page, redirect } from '../console/http.ts';
import { checkbox, type Form, formOf, text as formText } from '../console/form.ts';
import { listTenants } from '../tenants/service.ts';
import {
  applyRouter,
  applyServer,
  applyTool,
  applyUpstream,
  blankArg,
  configDetail,
  findRouter,
  findServer,
  findTool,
  findUpstream,
  newDocument,
  removeRouter,
  removeServer,
  removeTool,
  removeUpstream,
  routerValues,
  serverValues,
  serversWithAllowList,
  toolValues,
  upstreamValues,
} from './edit.ts';
import { type CommitOutcome, ConfigInvalid, commitConfig, configPath, listConfigs, readConfig } from './service.ts';

/** Where clients reach the gateway when no gateway is registered: its default listen address. */
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:5235';
/** More argument rows than any real tool has; a bound on the work one form post can ask for. */
const MAX_ARGS = 200;

const ConfigParams = t.Object({ tenant: t.String(), name: t.String() });
const ToolParams = t.Object({ tenant: t.String(), name: t.String(), tool: t.String() });
const RouterParams = t.Object({ tenant: t.String(), name: t.String(), index: t.String() });
const ServerParams = t.Object({ tenant: t.String(), name: t.String(), server: t.String() });
const UpstreamParams = t.Object({ tenant: t.String(), name: t.String(), upstream: t.String() });

/** A field's value; browsers send textarea lines with CRLF, documents use LF. */
function text(f: Form, name: string): string {
  return formText(f, name).replace(/\r\n?/g, '\n');
}

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

// --- reading forms -----------------------------------------------------------------------------------

function argsOf(f: Form): ArgFormValues[] {
  const rows = new Set<number>();
  for (const key of Object.keys(f)) {
    const m = /^arg-(\d{1,4})-name$/.exec(key);
    if (m) rows.add(Number(m[1]));
  }
  if (rows.size > MAX_ARGS) throw new AdminError('validation', `a tool may have at most ${MAX_ARGS} arguments here`);
  return [...rows]
    .sort((a, b) => a - b)
    .map((i) => {
      const v = (k: string) => text(f, `arg-${i}-${k}`);
      return {
        orig: v('orig'),
        name: v('name'),
        position: v('position'),
        type: v('type'),
        required: checkbox(f, `arg-${i}-required`),
        description: v('description'),
        default: v('default'),
        enum: v('enum'),
      };
    });
}

function toolOf(f: Form): ToolFormValues {
  return {
    name: text(f, 'name'),
    description: text(f, 'description'),
    method: text(f, 'method'),
    endpoint: text(f, 'endpoint'),
    headers: text(f, 'headers'),
    requestBody: text(f, 'requestBody'),
    responseBody: text(f, 'responseBody'),
    args: argsOf(f),
  };
}

function routerOf(f: Form): RouterFormValues {
  return { prefix: text(f, 'prefix'), server: text(f, 'server'), ssePrefix: text(f, 'ssePrefix'), allowOrigins: text(f, 'allowOrigins') };
}

function serverOf(f: Form): ServerFormValues {
  return {
    name: text(f, 'name'),
    description: text(f, 'description'),
    restrictTools: checkbox(f, 'restrictTools'),
    allowedTools: text(f, 'allowedTools'),
    config: text(f, 'config'),
  };
}

function upstreamOf(f: Form): UpstreamFormValues {
  return {
    name: text(f, 'name'),
    type: text(f, 'type'),
    url: text(f, 'url'),
    command: text(f, 'command'),
    args: text(f, 'args'),
    env: text(f, 'env'),
    headers: text(f, 'headers'),
    policy: text(f, 'policy'),
  };
}

// --- the module --------------------------------------------------------------------------------------

type Params = { tenant: string; name: string };

export function configPages(ctx: AdminContext) {
  /** The current document and the ref its forms carry. */
  async function current(p: Principal, params: Params) {
    const found = await readConfig(ctx, p, params.tenant, params.name);
    const ref: ConfigRef = { tenant: params.tenant, name: params.name, base: found.blob };
    return { ...found, ref };
  }

  /** The save result page, with links back to the config. */
  function saved(request: Request, viewer: Viewer, params: Params, outcome: CommitOutcome, what: string, deleted = false): Promise<Response> {
    const content = SaveResult({
      title: what,
      commit: outcome.commit,
      gateways: outcome.gateways,
      unchanged: outcome.unchanged === true,
      links: deleted
        ? [{ href: '/configs', label: 'Back to configs', id: 'back-to-configs' }]
        : [
            { href: configUrl(params), label: 'Back to the config', id: 'back-to-config' },
            { href: configUrl(params, 'yaml'), label: 'YAML editor', id: 'open-yaml' },
            { href: configUrl(params, 'history'), label: 'History', id: 'open-history' },
          ],
    });
    return page(request, viewer, content, { title: what, active: 'configs' });
  }

  /**
   * Applies a form edit to the current document and commits it against the form's `base`. Answers
   * the save result, or `refused(problem)` (the form again) on a validation error or a conflict.
   */
  async function saveEdit(opts: {
    p: Principal;
    viewer: Viewer;
    request: Request;
    params: Params;
    form: Form;
    edit: (text: string) => string;
    message: string;
    what: string;
    refused: (problem: FormProblem, ref: ConfigRef, text: string) => JSX.Element;
    titleOnError: string;
  }): Promise<Response> {
    const doc = await current(opts.p, opts.params);
    const base = text(opts.form, 'base');
    // The form's own base: a stale one is refused by the repo with who changed the file since.
    const ref: ConfigRef = { ...doc.ref, base: base || doc.blob };
    let outcome: CommitOutcome;
    try {
      const next = opts.edit(doc.text);
      outcome = await commitConfig(ctx, opts.p, {
        tenant: opts.params.tenant,
        name: opts.params.name,
        text: next,
        expectedBlob: ref.base,
        message: text(opts.form, 'message').trim() || opts.message,
      });
    } catch (e) {
      const problem = problemOf(e);
      return page(opts.request, opts.viewer, opts.refused(problem, ref, doc.text), { title: opts.titleOnError, active: 'configs', status: problem.status });
    }
    return saved(opts.request, opts.viewer, opts.params, outcome, opts.what);
  }

  /** Deletes one entry through `edit`; a refusal shows the overview with the reason. */
  async function deleteEntry(p: Principal, viewer: Viewer, request: Request, params: Params, form: Form, edit: (text: string) => string, label: string) {
    const doc = await current(p, params);
    return saveEdit({
      p,
      viewer,
      request,
      params,
      form,
      edit,
      message: `${params.tenant}/${params.name}: delete ${label}`,
      what: `Deleted ${label}`,
      titleOnError: `${params.tenant}/${params.name}`,
      refused: (problem) =>
        ConfigOverview({ viewer, config: doc.ref, revision: doc.revision, detail: configDetail(doc.text, gatewayBase(ctx)), problem }),
    });
  }

  const title = (params: Params, what: string) => `${what} · ${params.tenant}/${params.name}`;

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
            tenant: text(f, 'tenant'),
            tenantOther: admin ? text(f, 'tenantOther').trim() : '',
            name: text(f, 'name').trim(),
            prefix: text(f, 'prefix').trim(),
            server: text(f, 'server').trim(),
            message: text(f, 'message'),
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
        async ({ principal, viewer, request, params, body }) => {
          const f = formOf(body);
          const submitted = text(f, 'text');
          const base = text(f, 'base');
          await readConfig(ctx, principal, params.tenant, params.name);
          const ref: ConfigRef = { tenant: params.tenant, name: params.name, base };
          let outcome: CommitOutcome;
          try {
            if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(base)) throw new AdminError('validation', 'base: the form lost the version it was opened at; reload the editor');
            outcome = await commitConfig(ctx, principal, {
              tenant: params.tenant,
              name: params.name,
              text: submitted,
              expectedBlob: base,
              message: text(f, 'message').trim() || `${params.tenant}/${params.name}: edit YAML`,
            });
          } catch (e) {
            const problem = problemOf(e);
            const content = YamlEditor({ viewer, config: ref, text: submitted, message: text(f, 'message'), problem });
            return page(request, viewer, content, { title: title(params, 'YAML'), active: 'configs', status: problem.status });
          }
          return saved(request, viewer, params, outcome, `Saved ${params.tenant}/${params.name}`);
        },
        { page: true, params: ConfigParams },
      )
      .get(
        '/configs/:tenant/:name/delete',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const routers = configDetail(doc.text, gatewayBase(ctx)).routers.map((r) => r.prefix);
          return page(request, viewer, DeleteConfig({ viewer, config: doc.ref, routers }), { title: title(params, 'Delete'), active: 'configs' });
        },
        { page: true, params: ConfigParams },
      )
      .post(
        '/configs/:tenant/:name/delete',
        async ({ principal, viewer, request, params, body }) => {
          const f = formOf(body);
          const doc = await current(principal, params);
          const base = text(f, 'base') || doc.blob;
          let outcome: CommitOutcome;
          try {
            outcome = await commitConfig(ctx, principal, {
              tenant: params.tenant,
              name: params.name,
              text: null,
              expectedBlob: base,
              message: text(f, 'message').trim() || `${params.tenant}/${params.name}: delete config`,
              action: 'delete',
            });
          } catch (e) {
            const problem = problemOf(e);
            const routers = configDetail(doc.text, gatewayBase(ctx)).routers.map((r) => r.prefix);
            const content = DeleteConfig({ viewer, config: { ...doc.ref, base }, routers, problem });
            return page(request, viewer, content, { title: title(params, 'Delete'), active: 'configs', status: problem.status });
          }
          return saved(request, viewer, params, outcome, `Deleted ${params.tenant}/${params.name}`, true);
        },
        { page: true, params: ConfigParams },
      )
      // --- tools --------------------------------------------------------------------------------
      .get(
        '/configs/:tenant/:name/tools/new',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const exposeOptions = serversWithAllowList(doc.text);
          const values = { ...toolValues(undefined), args: [] };
          const content = ToolForm({ viewer, config: doc.ref, values, exposeOptions, expose: exposeOptions[0] ?? '' });
          return page(request, viewer, content, { title: title(params, 'New tool'), active: 'configs' });
        },
        { page: true, params: ConfigParams },
      )
      .get(
        '/configs/:tenant/:name/tools/:tool',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const content = ToolForm({ viewer, config: doc.ref, original: params.tool, values: toolValues(findTool(doc.text, params.tool)) });
          return page(request, viewer, content, { title: title(params, `Tool ${params.tool}`), active: 'configs' });
        },
        { page: true, params: ToolParams },
      )
      .post(
        '/configs/:tenant/:name/tools',
        ({ principal, viewer, request, params, body }) => toolPost(principal, viewer, request, params, formOf(body), undefined),
        { page: true, params: ConfigParams },
      )
      .post(
        '/configs/:tenant/:name/tools/:tool',
        ({ principal, viewer, request, params, body }) => toolPost(principal, viewer, request, params, formOf(body), params.tool),
        { page: true, params: ToolParams },
      )
      .post(
        '/configs/:tenant/:name/tools/:tool/delete',
        ({ principal, viewer, request, params, body }) =>
          deleteEntry(principal, viewer, request, params, formOf(body), (text) => removeTool(text, params.tool), `tool ${params.tool}`),
        { page: true, params: ToolParams },
      )
      // --- routers ------------------------------------------------------------------------------
      .get(
        '/configs/:tenant/:name/routers/new',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const content = RouterForm({ viewer, config: doc.ref, values: routerValues(undefined), serverNames: serverNamesOf(doc.text) });
          return page(request, viewer, content, { title: title(params, 'New router'), active: 'configs' });
        },
        { page: true, params: ConfigParams },
      )
      .get(
        '/configs/:tenant/:name/routers/:index',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const index = routerIndex(params.index);
          const content = RouterForm({
            viewer,
            config: doc.ref,
            original: String(index),
            values: routerValues(findRouter(doc.text, index)),
            serverNames: serverNamesOf(doc.text),
          });
          return page(request, viewer, content, { title: title(params, `Router #${index + 1}`), active: 'configs' });
        },
        { page: true, params: RouterParams },
      )
      .post(
        '/configs/:tenant/:name/routers',
        ({ principal, viewer, request, params, body }) => routerPost(principal, viewer, request, params, formOf(body), null),
        { page: true, params: ConfigParams },
      )
      .post(
        '/configs/:tenant/:name/routers/:index',
        ({ principal, viewer, request, params, body }) => routerPost(principal, viewer, request, params, formOf(body), routerIndex(params.index)),
        { page: true, params: RouterParams },
      )
      .post(
        '/configs/:tenant/:name/routers/:index/delete',
        ({ principal, viewer, request, params, body }) => {
          const index = routerIndex(params.index);
          return deleteEntry(principal, viewer, request, params, formOf(body), (text) => removeRouter(text, index), `router #${index + 1}`);
        },
        { page: true, params: RouterParams },
      )
      // --- servers ------------------------------------------------------------------------------
      .get(
        '/configs/:tenant/:name/servers/new',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const content = ServerForm({ viewer, config: doc.ref, values: serverValues(undefined) });
          return page(request, viewer, content, { title: title(params, 'New server'), active: 'configs' });
        },
        { page: true, params: ConfigParams },
      )
      .get(
        '/configs/:tenant/:name/servers/:server',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const content = ServerForm({ viewer, config: doc.ref, original: params.server, values: serverValues(findServer(doc.text, params.server)) });
          return page(request, viewer, content, { title: title(params, `Server ${params.server}`), active: 'configs' });
        },
        { page: true, params: ServerParams },
      )
      .post(
        '/configs/:tenant/:name/servers',
        ({ principal, viewer, request, params, body }) => serverPost(principal, viewer, request, params, formOf(body), undefined),
        { page: true, params: ConfigParams },
      )
      .post(
        '/configs/:tenant/:name/servers/:server',
        ({ principal, viewer, request, params, body }) => serverPost(principal, viewer, request, params, formOf(body), params.server),
        { page: true, params: ServerParams },
      )
      .post(
        '/configs/:tenant/:name/servers/:server/delete',
        ({ principal, viewer, request, params, body }) =>
          deleteEntry(principal, viewer, request, params, formOf(body), (text) => removeServer(text, params.server), `server ${params.server}`),
        { page: true, params: ServerParams },
      )
      // --- upstreams (mcpServers) ---------------------------------------------------------------
      .get(
        '/configs/:tenant/:name/upstreams/new',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const content = UpstreamForm({ viewer, config: doc.ref, values: upstreamValues(undefined) });
          return page(request, viewer, content, { title: title(params, 'New upstream'), active: 'configs' });
        },
        { page: true, params: ConfigParams },
      )
      .get(
        '/configs/:tenant/:name/upstreams/:upstream',
        async ({ principal, viewer, request, params }) => {
          const doc = await current(principal, params);
          const values = upstreamValues(findUpstream(doc.text, params.upstream));
          const content = UpstreamForm({ viewer, config: doc.ref, original: params.upstream, values });
          return page(request, viewer, content, { title: title(params, `Upstream ${params.upstream}`), active: 'configs' });
        },
        { page: true, params: UpstreamParams },
      )
      .post(
        '/configs/:tenant/:name/upstreams',
        ({ principal, viewer, request, params, body }) => upstreamPost(principal, viewer, request, params, formOf(body), undefined),
        { page: true, params: ConfigParams },
      )
      .post(
        '/configs/:tenant/:name/upstreams/:upstream',
        ({ principal, viewer, request, params, body }) => upstreamPost(principal, viewer, request, params, formOf(body), params.upstream),
        { page: true, params: UpstreamParams },
      )
      .post(
        '/configs/:tenant/:name/upstreams/:upstream/delete',
        ({ principal, viewer, request, params, body }) =>
          deleteEntry(principal, viewer, request, params, formOf(body), (text) => removeUpstream(text, params.upstream), `upstream ${params.upstream}`),
        { page: true, params: UpstreamParams },
      )
  );

  async function toolPost(p: Principal, viewer: Viewer, request: Request, params: Params, f: Form, original: string | undefined): Promise<Response> {
    const values = toolOf(f);
    const op = text(f, 'op');
    const expose = text(f, 'expose');
    const exposeOptions = original === undefined ? serversWithAllowList((await current(p, params)).text) : undefined;
    const form = (ref: ConfigRef, extra: { problem?: FormProblem; note?: string }) =>
      ToolForm({ viewer, config: ref, original, values, message: text(f, 'message'), exposeOptions, expose, ...extra });
    const what = original === undefined ? 'New tool' : `Tool ${original}`;

    // Adding or removing a row re-renders the form; nothing is saved until "Save".
    const remove = /^remove-arg-(\d+)$/.exec(op);
    if (op === 'add-arg' || remove) {
      await readConfig(ctx, p, params.tenant, params.name);
      const ref: ConfigRef = { tenant: params.tenant, name: params.name, base: text(f, 'base') };
      let note: string;
      if (remove) {
        const [gone] = values.args.splice(Number(remove[1]), 1);
        note = `Argument ${gone?.name ? JSON.stringify(gone.name) : Number(remove[1]) + 1} removed from the form; save to commit.`;
      } else {
        if (values.args.length >= MAX_ARGS) throw new AdminError('validation', `a tool may have at most ${MAX_ARGS} arguments here`);
        values.args.push(blankArg());
        note = 'Argument row added; fill it in and save.';
      }
      return page(request, viewer, form(ref, { note }), { title: title(params, what), active: 'configs' });
    }

    return saveEdit({
      p,
      viewer,
      request,
      params,
      form: f,
      edit: (text) => applyTool(text, original ?? null, values, original === undefined ? expose || null : null),
      message: `${params.tenant}/${params.name}: ${original === undefined ? 'add' : 'update'} tool ${values.name.trim() || original || ''}`,
      what: `Saved tool ${values.name.trim()}`,
      titleOnError: title(params, what),
      refused: (problem, ref) => form(ref, { problem }),
    });
  }

  function routerPost(p: Principal, viewer: Viewer, request: Request, params: Params, f: Form, index: number | null): Promise<Response> {
    const values = routerOf(f);
    return saveEdit({
      p,
      viewer,
      request,
      params,
      form: f,
      edit: (text) => applyRouter(text, index, values),
      message: `${params.tenant}/${params.name}: ${index === null ? 'add' : 'update'} router ${values.prefix.trim()}`,
      what: `Saved router ${values.prefix.trim()}`,
      titleOnError: title(params, 'Router'),
      refused: (problem, ref, current) =>
        RouterForm({
          viewer,
          config: ref,
          ...(index === null ? {} : { original: String(index) }),
          values,
          message: text(f, 'message'),
          problem,
          serverNames: serverNamesOf(current),
        }),
    });
  }

  function serverPost(p: Principal, viewer: Viewer, request: Request, params: Params, f: Form, original: string | undefined): Promise<Response> {
    const values = serverOf(f);
    return saveEdit({
      p,
      viewer,
      request,
      params,
      form: f,
      edit: (text) => applyServer(text, original ?? null, values),
      message: `${params.tenant}/${params.name}: ${original === undefined ? 'add' : 'update'} server ${values.name.trim()}`,
      what: `Saved server ${values.name.trim()}`,
      titleOnError: title(params, 'Server'),
      refused: (problem, ref) => ServerForm({ viewer, config: ref, original, values, message: text(f, 'message'), problem }),
    });
  }

  function upstreamPost(p: Principal, viewer: Viewer, request: Request, params: Params, f: Form, original: string | undefined): Promise<Response> {
    const values = upstreamOf(f);
    return saveEdit({
      p,
      viewer,
      request,
      params,
      form: f,
      edit: (text) => applyUpstream(text, original ?? null, values),
      message: `${params.tenant}/${params.name}: ${original === undefined ? 'add' : 'update'} upstream ${values.name.trim()}`,
      what: `Saved upstream ${values.name.trim()}`,
      titleOnError: title(params, 'Upstream'),
      refused: (problem, ref) => UpstreamForm({ viewer, config: ref, original, values, message: text(f, 'message'), problem }),
    });
  }
}

function routerIndex(raw: string): number {
  if (!/^\d{1,4}$/.test(raw)) throw new AdminError('not_found', `router ${JSON.stringify(raw)} not found`);
  return Number(raw);
}

function serverNamesOf(text: string): string[] {
  const d = configDetail(text, DEFAULT_GATEWAY_URL);
  return [...d.servers.map((s) => s.name), ...d.upstreams.map((u) => u.name)];
}
