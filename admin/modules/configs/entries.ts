/**
 * The entries of a config that the form editors change (tools, routers, servers, upstreams), each
 * described once as an `EntryKind`: its URL segment, its form (drawn from the document, read back from
 * a post) and its edits of the document. `configPages` gives every kind the same five routes.
 */
import { AdminError } from '../../errors.ts';
import type {
  ArgFormValues,
  EntryFormProps,
  RouterFormValues,
  ServerFormValues,
  ToolFormValues,
  UpstreamFormValues,
} from '../../../views/configs/model.ts';
import { RouterForm, ServerForm, UpstreamForm } from '../../../views/configs/entry-forms.tsx';
import { ToolForm } from '../../../views/configs/tool-form.tsx';
import { checkbox, type Form, text as formText } from '../console/form.ts';
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

/** More argument rows than any real tool has; a bound on the work one form post can ask for. */
const MAX_ARGS = 200;

/** A field's value; browsers send textarea lines with CRLF, documents use LF. */
export function field(f: Form, name: string): string {
  return formText(f, name).replace(/\r\n?/g, '\n');
}

export interface EntryKind<V> {
  /** The URL segment: `/configs/<tenant>/<name>/<segment>/<id>`. */
  segment: string;
  /** What one is called: `New <noun>`, `add <noun> <name>`. */
  noun: string;
  /** How entry `id` (its URL key) is named in titles and results; `<noun> <id>` by default. */
  label?: (id: string) => string;
  /** The form's values: blank for a new entry (`id` null), else entry `id`'s in `doc`. */
  values(doc: string, id: string | null): V;
  /** The values a post carries. */
  read(f: Form): V;
  /** What names the entry in a commit message. */
  name(v: V): string;
  /** `doc` with the entry added (`id` null) or changed. */
  apply(doc: string, id: string | null, v: V, posted: Form): string;
  remove(doc: string, id: string): string;
  /** The editor; `doc` is the current document, `posted` the post it answers. */
  form(props: EntryFormProps<V>, doc: string, posted?: Form): JSX.Element;
  /** A change to the form alone (a tool's argument row added or removed): the note to show, nothing saved. */
  formOnly?: (v: V, posted: Form) => string | undefined;
}

/** `server a`, `router #2`. */
export function labelOf(kind: { noun: string; label?: ((id: string) => string) | undefined }, id: string): string {
  return kind.label?.(id) ?? `${kind.noun} ${id}`;
}

// --- tools -------------------------------------------------------------------------------------------

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
      const v = (k: string) => field(f, `arg-${i}-${k}`);
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

export const TOOLS: EntryKind<ToolFormValues> = {
  segment: 'tools',
  noun: 'tool',
  values: (doc, id) => toolValues(id === null ? undefined : findTool(doc, id)),
  read: (f) => ({
    name: field(f, 'name'),
    description: field(f, 'description'),
    method: field(f, 'method'),
    endpoint: field(f, 'endpoint'),
    headers: field(f, 'headers'),
    requestBody: field(f, 'requestBody'),
    responseBody: field(f, 'responseBody'),
    args: argsOf(f),
  }),
  name: (v) => v.name.trim(),
  // A new tool joins the allowedTools list of the server chosen in the form.
  apply: (doc, id, v, posted) => applyTool(doc, id, v, id === null ? field(posted, 'expose') || null : null),
  remove: removeTool,
  form(props, doc, posted) {
    const exposeOptions = props.original === undefined ? serversWithAllowList(doc) : undefined;
    return ToolForm({ ...props, exposeOptions, expose: posted ? field(posted, 'expose') : (exposeOptions?.[0] ?? '') });
  },
  // "Add argument" and "Remove" post the form back; it is answered again with the rows changed.
  formOnly(v, posted) {
    const op = field(posted, 'op');
    const remove = /^remove-arg-(\d+)$/.exec(op);
    if (remove) {
      const [gone] = v.args.splice(Number(remove[1]), 1);
      return `Argument ${gone?.name ? JSON.stringify(gone.name) : Number(remove[1]) + 1} removed from the form; save to commit.`;
    }
    if (op !== 'add-arg') return undefined;
    if (v.args.length >= MAX_ARGS) throw new AdminError('validation', `a tool may have at most ${MAX_ARGS} arguments here`);
    v.args.push(blankArg());
    return 'Argument row added; fill it in and save.';
  },
};

// --- routers -----------------------------------------------------------------------------------------

/** A router's key in URLs: its index in the document. */
function routerIndex(raw: string): number {
  if (!/^\d{1,4}$/.test(raw)) throw new AdminError('not_found', `router ${JSON.stringify(raw)} not found`);
  return Number(raw);
}

/** Names a router can point at: servers and upstreams. */
function serverNamesOf(doc: string): string[] {
  const d = configDetail(doc, '');
  return [...d.servers.map((s) => s.name), ...d.upstreams.map((u) => u.name)];
}

export const ROUTERS: EntryKind<RouterFormValues> = {
  segment: 'routers',
  noun: 'router',
  label: (id) => `router #${routerIndex(id) + 1}`,
  values: (doc, id) => routerValues(id === null ? undefined : findRouter(doc, routerIndex(id))),
  read: (f) => ({
    prefix: field(f, 'prefix'),
    server: field(f, 'server'),
    ssePrefix: field(f, 'ssePrefix'),
    allowOrigins: field(f, 'allowOrigins'),
    authMode: field(f, 'authMode'),
    authIssuer: field(f, 'authIssuer'),
    authAudience: field(f, 'authAudience'),
    authJwksUri: field(f, 'authJwksUri'),
    authScopes: field(f, 'authScopes'),
  }),
  name: (v) => v.prefix.trim(),
  apply: (doc, id, v) => applyRouter(doc, id === null ? null : routerIndex(id), v),
  remove: (doc, id) => removeRouter(doc, routerIndex(id)),
  form: (props, doc) =>
    RouterForm({ ...props, original: props.original === undefined ? undefined : String(routerIndex(props.original)), serverNames: serverNamesOf(doc) }),
};

// --- servers and upstreams ---------------------------------------------------------------------------

export const SERVERS: EntryKind<ServerFormValues> = {
  segment: 'servers',
  noun: 'server',
  values: (doc, id) => serverValues(id === null ? undefined : findServer(doc, id)),
  read: (f) => ({
    name: field(f, 'name'),
    description: field(f, 'description'),
    restrictTools: checkbox(f, 'restrictTools'),
    allowedTools: field(f, 'allowedTools'),
    config: field(f, 'config'),
  }),
  name: (v) => v.name.trim(),
  apply: applyServer,
  remove: removeServer,
  form: (props) => ServerForm(props),
};

export const UPSTREAMS: EntryKind<UpstreamFormValues> = {
  segment: 'upstreams',
  noun: 'upstream',
  values: (doc, id) => upstreamValues(id === null ? undefined : findUpstream(doc, id)),
  read: (f) => ({
    name: field(f, 'name'),
    type: field(f, 'type'),
    url: field(f, 'url'),
    command: field(f, 'command'),
    args: field(f, 'args'),
    env: field(f, 'env'),
    headers: field(f, 'headers'),
    policy: field(f, 'policy'),
  }),
  name: (v) => v.name.trim(),
  apply: applyUpstream,
  remove: removeUpstream,
  form: (props) => UpstreamForm(props),
};
