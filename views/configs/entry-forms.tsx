/** Editors of a config's routers, servers and upstreams (mcpServers). Keys a form does not show are kept. */
import type { Viewer } from '../layout.tsx';
import type { ConfigRef, FormProblem, RouterFormValues, ServerFormValues, UpstreamFormValues } from './model.ts';
import { CommitMessage, ConfigHeader, configUrl, PostForm, ProblemBox, TextArea } from './parts.tsx';

interface EntryProps<V> {
  viewer: Viewer;
  config: ConfigRef;
  /** The entry's key (router index, server or upstream name); undefined for a new one. */
  original?: string;
  values: V;
  message?: string;
  problem?: FormProblem;
}

function Buttons({ id, label, cancel }: { id: string; label: string; cancel: string }): JSX.Element {
  return (
    <div>
      <button type="submit" id={id}>
        {label as 'safe'}
      </button>{' '}
      <a href={cancel}>Cancel</a>
    </div>
  );
}

export function RouterForm(props: EntryProps<RouterFormValues> & { serverNames: string[] }): JSX.Element {
  const { config, values: v } = props;
  const isNew = props.original === undefined;
  const action = isNew ? configUrl(config, 'routers') : configUrl(config, 'routers', props.original ?? '');
  const title = isNew ? 'New router' : `Router #${Number(props.original) + 1}`;
  return (
    <section id="router-editor">
      <ConfigHeader config={config} active="edit" title={title} />
      <ProblemBox problem={props.problem} reloadHref={isNew ? configUrl(config, 'routers', 'new') : action} file={`configs/${config.tenant}/${config.name}.yaml`} />
      <PostForm id="router-form" action={action} viewer={props.viewer} base={config.base} class="card stack">
        <div class="row">
          <label class="grow">
            Prefix
            <input type="text" id="router-prefix" name="prefix" value={v.prefix} required placeholder="/acme/tickets" />
          </label>
          <label class="grow">
            Server <span class="muted">(or several, comma-separated, to aggregate)</span>
            <input type="text" id="router-server" name="server" value={v.server} required list="server-names" />
            <datalist id="server-names">
              {props.serverNames.map((s) => (
                <option value={s} />
              ))}
            </datalist>
          </label>
        </div>
        <div class="row">
          <label class="grow">
            SSE prefix <span class="muted">(behind a reverse proxy that strips a path)</span>
            <input type="text" id="router-sse-prefix" name="ssePrefix" value={v.ssePrefix} />
          </label>
          <label class="grow">
            CORS allowed origins <span class="muted">(comma-separated; empty: none)</span>
            <input type="text" id="router-allow-origins" name="allowOrigins" value={v.allowOrigins} />
          </label>
        </div>
        <CommitMessage value={props.message} placeholder={isNew ? 'Add router' : 'Update router'} />
        <Buttons id="router-save" label="Save router" cancel={configUrl(config)} />
      </PostForm>
    </section>
  );
}

export function ServerForm(props: EntryProps<ServerFormValues>): JSX.Element {
  const { config, values: v } = props;
  const isNew = props.original === undefined;
  const action = isNew ? configUrl(config, 'servers') : configUrl(config, 'servers', props.original ?? '');
  return (
    <section id="server-editor">
      <ConfigHeader config={config} active="edit" title={isNew ? 'New server' : `Server ${props.original ?? ''}`} />
      <ProblemBox problem={props.problem} reloadHref={isNew ? configUrl(config, 'servers', 'new') : action} file={`configs/${config.tenant}/${config.name}.yaml`} />
      <PostForm id="server-form" action={action} viewer={props.viewer} base={config.base} class="card stack">
        <label>
          Name <span class="muted">(routers that use it follow a rename)</span>
          <input type="text" id="server-name" name="name" value={v.name} required maxlength="100" pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*" />
        </label>
        <label>
          Description <span class="muted">(sent to clients as instructions)</span>
          <TextArea id="server-description" name="description" rows={2} value={v.description} />
        </label>
        <label class="inline">
          <input type="checkbox" id="server-restrict" name="restrictTools" value="on" checked={v.restrictTools} /> Only the tools listed
          below are visible (allowedTools)
        </label>
        <label>
          Allowed tools <span class="muted">(comma-separated)</span>
          <input type="text" id="server-allowed-tools" name="allowedTools" value={v.allowedTools} />
        </label>
        <label>
          Config <span class="muted">(one "key: value" per line; read by templates as .Config.key)</span>
          <TextArea id="server-config" name="config" rows={4} class="mono" value={v.config} />
        </label>
        <CommitMessage value={props.message} placeholder={isNew ? 'Add server' : 'Update server'} />
        <Buttons id="server-save" label="Save server" cancel={configUrl(config)} />
      </PostForm>
    </section>
  );
}

export const UPSTREAM_TYPES = ['streamable-http', 'sse', 'stdio'];

export function UpstreamForm(props: EntryProps<UpstreamFormValues>): JSX.Element {
  const { config, values: v } = props;
  const isNew = props.original === undefined;
  const action = isNew ? configUrl(config, 'upstreams') : configUrl(config, 'upstreams', props.original ?? '');
  return (
    <section id="upstream-editor">
      <ConfigHeader config={config} active="edit" title={isNew ? 'New upstream' : `Upstream ${props.original ?? ''}`} />
      <ProblemBox problem={props.problem} reloadHref={isNew ? configUrl(config, 'upstreams', 'new') : action} file={`configs/${config.tenant}/${config.name}.yaml`} />
      <PostForm id="upstream-form" action={action} viewer={props.viewer} base={config.base} class="card stack">
        <div class="row">
          <label>
            Name
            <input type="text" id="upstream-name" name="name" value={v.name} required maxlength="100" pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*" />
          </label>
          <label>
            Transport
            <select id="upstream-type" name="type">
              {UPSTREAM_TYPES.map((t) => (
                <option value={t} selected={t === v.type}>
                  {t as 'safe'}
                </option>
              ))}
            </select>
          </label>
          <label>
            Policy
            <select id="upstream-policy" name="policy">
              {['', 'onStart', 'onDemand'].map((p) => (
                <option value={p} selected={p === v.policy}>
                  {(p === '' ? '(default)' : p) as 'safe'}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label>
          URL <span class="muted">(sse and streamable-http)</span>
          <input type="text" id="upstream-url" name="url" value={v.url} placeholder="https://mcp.example.com/mcp" />
        </label>
        <label>
          Headers <span class="muted">(sse and streamable-http; one "Name: value" per line, values are templates)</span>
          <TextArea id="upstream-headers" name="headers" rows={2} class="mono" value={v.headers} />
        </label>
        <label>
          Command <span class="muted">(stdio; the gateway must allow stdio upstreams)</span>
          <input type="text" id="upstream-command" name="command" value={v.command} placeholder="npx" />
        </label>
        <label>
          Arguments <span class="muted">(stdio; one per line)</span>
          <TextArea id="upstream-args" name="args" rows={3} class="mono" value={v.args} />
        </label>
        <label>
          Environment <span class="muted">(stdio; one "NAME: value" per line)</span>
          <TextArea id="upstream-env" name="env" rows={2} class="mono" value={v.env} />
        </label>
        <CommitMessage value={props.message} placeholder={isNew ? 'Add upstream' : 'Update upstream'} />
        <Buttons id="upstream-save" label="Save upstream" cancel={configUrl(config)} />
      </PostForm>
    </section>
  );
}
