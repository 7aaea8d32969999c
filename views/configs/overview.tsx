/** `GET /configs/:tenant/:name`: routers with their client URLs, servers, tools and upstreams. */
import type { PropsWithChildren } from '@kitajs/html';
import type { Viewer } from '../layout.tsx';
import type { ConfigDetail, ConfigRef, FormProblem } from './model.ts';
import { ConfigHeader, configUrl, CopyField, InlinePost, ProblemBox } from './parts.tsx';

export interface ConfigOverviewProps {
  viewer: Viewer;
  config: ConfigRef;
  revision: string;
  detail: ConfigDetail;
  problem?: FormProblem;
}

/** An entry's edit link and delete button (`entry`: its name, or a router's index; `label`: how the confirmation names it, if not so). */
function EntryActions(props: { viewer: Viewer; config: ConfigRef; segment: string; noun: string; entry: string; label?: string; editId?: string }): JSX.Element {
  const { config } = props;
  return (
    <>
      <a href={configUrl(config, props.segment, props.entry)} id={props.editId}>
        edit
      </a>{' '}
      <InlinePost
        id={`delete-${props.noun}-${props.entry}`}
        action={configUrl(config, props.segment, props.entry, 'delete')}
        viewer={props.viewer}
        base={config.base}
        label="delete"
        confirm={`Delete ${props.noun} ${props.label ?? props.entry}?`}
      />
    </>
  );
}

/** A card listing one kind of entry, one row each; `empty` when there are none. */
function EntryTable(props: PropsWithChildren<{ id: string; title: string; count: number; empty: string }>): JSX.Element {
  return (
    <section class="card" id={props.id}>
      <h2 safe>{props.title}</h2>
      {props.count === 0 ? (
        <p class="muted" safe>
          {props.empty}
        </p>
      ) : (
        ''
      )}
      <table>
        <tbody>{props.children as 'safe'}</tbody>
      </table>
    </section>
  );
}

export function ConfigOverview(props: ConfigOverviewProps): JSX.Element {
  const { config, detail, viewer } = props;
  const u = (...rest: string[]) => configUrl(config, ...rest);
  return (
    <section id="config-overview" data-base={config.base}>
      <ConfigHeader config={config} active="overview" />
      <p class="muted">
        Revision <code safe>{props.revision}</code>, file <code safe>{`configs/${config.tenant}/${config.name}.yaml`}</code>
      </p>
      <ProblemBox problem={props.problem} reloadHref={u()} file={`configs/${config.tenant}/${config.name}.yaml`} />
      <p class="actions">
        <a class="button" id="add-tool" href={u('tools', 'new')}>
          Add tool
        </a>{' '}
        <a class="button secondary" id="add-router" href={u('routers', 'new')}>
          Add router
        </a>{' '}
        <a class="button secondary" id="add-server" href={u('servers', 'new')}>
          Add server
        </a>{' '}
        <a class="button secondary" id="add-upstream" href={u('upstreams', 'new')}>
          Add upstream
        </a>{' '}
        <a class="button secondary" id="edit-yaml" href={u('yaml')}>
          Edit YAML
        </a>{' '}
        <a class="button secondary" id="history-link" href={u('history')}>
          History
        </a>{' '}
        <a class="button secondary danger-text" id="delete-config" href={u('delete')}>
          Delete config
        </a>
      </p>

      <section class="card" id="routers">
        <h2>Routers</h2>
        {detail.routers.length === 0 ? <p class="muted">No routers: clients cannot reach this config.</p> : ''}
        {detail.routers.map((r) => (
          <div class="router" data-testid="router" id={`router-${r.index}`}>
            {/* A div, not a p: a <form> (the delete button) closes an open <p>, pushing it onto its own line. */}
            <div class="router-head">
              <code safe>{r.prefix}</code> <span class="muted">→</span> <span safe>{r.server}</span>{' '}
              {r.auth ? (
                <>
                  <span class="badge" data-testid="router-auth" safe>
                    {r.auth.mode === 'oauth2' ? `OAuth 2.1 (${r.auth.issuer ? `issuer ${r.auth.issuer}` : 'no issuer: not served'})` : `auth: ${r.auth.mode}`}
                  </span>{' '}
                </>
              ) : (
                ''
              )}
              <EntryActions
                viewer={viewer}
                config={config}
                segment="routers"
                noun="router"
                entry={String(r.index)}
                label={r.prefix}
                editId={`edit-router-${r.index}`}
              />
            </div>
            <CopyField id={`url-${r.index}-mcp`} label="Streamable HTTP" value={r.mcpUrl} />
            <CopyField id={`url-${r.index}-sse`} label="SSE (legacy)" value={r.sseUrl} />
          </div>
        ))}
      </section>

      <EntryTable id="servers" title="Servers" count={detail.servers.length} empty="No servers.">
        {detail.servers.map((s) => (
          <tr data-testid="server">
            <td>
              <strong safe>{s.name}</strong>
            </td>
            <td safe>{s.description}</td>
            <td>
              {s.allowedTools === null ? (
                <span class="muted">every tool</span>
              ) : (
                <span safe>{s.allowedTools.length === 0 ? 'no tools listed' : `allowedTools: ${s.allowedTools.join(', ')}`}</span>
              )}
            </td>
            <td class="actions">
              <EntryActions viewer={viewer} config={config} segment="servers" noun="server" entry={s.name} />
            </td>
          </tr>
        ))}
      </EntryTable>

      <EntryTable id="tools" title="Tools" count={detail.tools.length} empty="No tools yet.">
        {detail.tools.map((t) => (
          <tr data-testid="tool" data-tool={t.name}>
            <td>
              <a href={u('tools', t.name)} data-testid={`edit-tool-${t.name}`}>
                <strong safe>{t.name}</strong>
              </a>
            </td>
            <td>
              <code safe>{`${t.method} ${t.endpoint}`}</code>
              <div class="muted" safe>
                {t.description}
              </div>
            </td>
            <td safe>{`${t.args} arg${t.args === 1 ? '' : 's'}`}</td>
            <td class="actions">
              <EntryActions viewer={viewer} config={config} segment="tools" noun="tool" entry={t.name} />
            </td>
          </tr>
        ))}
      </EntryTable>

      <EntryTable id="upstreams" title="Upstreams (mcpServers)" count={detail.upstreams.length} empty="No upstream MCP servers.">
        {detail.upstreams.map((m) => (
          <tr data-testid="upstream">
            <td>
              <strong safe>{m.name}</strong>
            </td>
            <td safe>{m.type}</td>
            <td>
              <code safe>{m.target}</code>
            </td>
            <td class="actions">
              <EntryActions viewer={viewer} config={config} segment="upstreams" noun="upstream" entry={m.name} />
            </td>
          </tr>
        ))}
      </EntryTable>
      {detail.prompts > 0 ? (
        <p class="muted" safe>
          {`${detail.prompts} prompt${detail.prompts === 1 ? '' : 's'}: edit them in the YAML editor.`}
        </p>
      ) : (
        ''
      )}
    </section>
  );
}
