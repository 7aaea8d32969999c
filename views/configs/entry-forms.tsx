/** Editors of a config's routers, servers and upstreams (mcpServers). Keys a form does not show are kept. */
import type { EntryFormProps, RouterFormValues, ServerFormValues, UpstreamFormValues } from './model.ts';
import { CommitMessage, configUrl, EntryEditor, TextArea } from './parts.tsx';

/** The commit message, the save button and the way back. */
function Footer({ noun, entry }: { noun: string; entry: EntryFormProps<unknown> }): JSX.Element {
  return (
    <>
      <CommitMessage value={entry.message} placeholder={`${entry.original === undefined ? 'Add' : 'Update'} ${noun}`} />
      <div>
        <button type="submit" id={`${noun}-save`}>
          {`Save ${noun}` as 'safe'}
        </button>{' '}
        <a href={configUrl(entry.config)}>Cancel</a>
      </div>
    </>
  );
}

/** The `auth.mode` choices: none (no `auth` block) or OAuth 2.1. */
export const ROUTER_AUTH_MODES: readonly (readonly [string, string])[] = [
  ['', 'None'],
  ['oauth2', 'OAuth 2.1 bearer tokens'],
];

export function RouterForm(props: EntryFormProps<RouterFormValues> & { serverNames: string[] }): JSX.Element {
  const v = props.values;
  const title = props.original === undefined ? undefined : `Router #${Number(props.original) + 1}`;
  return (
    <EntryEditor segment="routers" noun="router" title={title} entry={props}>
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
      <fieldset id="router-auth" class="stack">
        <legend>Client authentication</legend>
        <label>
          Mode <span class="muted">(OAuth 2.1: clients must send an access token of the issuer below)</span>
          <select id="router-auth-mode" name="authMode">
            {ROUTER_AUTH_MODES.map(([value, label]) => (
              <option value={value} selected={value === v.authMode}>
                {label as 'safe'}
              </option>
            ))}
          </select>
        </label>
        <div class="row">
          <label class="grow">
            Issuer <span class="muted">(authorization server URL; without it the router is not served)</span>
            <input type="text" inputmode="url" id="router-auth-issuer" name="authIssuer" value={v.authIssuer} placeholder="https://auth.example.com" />
          </label>
          <label class="grow">
            Audience <span class="muted">(required with an issuer; usually the router's MCP URL)</span>
            <input type="text" id="router-auth-audience" name="authAudience" value={v.authAudience} placeholder="https://mcp.example.com/acme/tickets/mcp" />
          </label>
        </div>
        <div class="row">
          <label class="grow">
            JWKS URL <span class="muted">(optional; default: from the issuer's metadata)</span>
            <input type="text" inputmode="url" id="router-auth-jwks-uri" name="authJwksUri" value={v.authJwksUri} />
          </label>
          <label class="grow">
            Required scopes <span class="muted">(comma- or space-separated)</span>
            <input type="text" id="router-auth-scopes" name="authScopes" value={v.authScopes} />
          </label>
        </div>
      </fieldset>
      <Footer noun="router" entry={props} />
    </EntryEditor>
  );
}

export function ServerForm(props: EntryFormProps<ServerFormValues>): JSX.Element {
  const v = props.values;
  return (
    <EntryEditor segment="servers" noun="server" entry={props}>
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
      <Footer noun="server" entry={props} />
    </EntryEditor>
  );
}

export const UPSTREAM_TYPES = ['streamable-http', 'sse', 'stdio'];

export function UpstreamForm(props: EntryFormProps<UpstreamFormValues>): JSX.Element {
  const v = props.values;
  return (
    <EntryEditor segment="upstreams" noun="upstream" entry={props}>
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
      <Footer noun="upstream" entry={props} />
    </EntryEditor>
  );
}
