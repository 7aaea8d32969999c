/** `GET /configs/:tenant/:name`: routers with their client URLs, servers, tools and upstreams. */
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
              <a href={u('routers', String(r.index))} id={`edit-router-${r.index}`}>
                edit
              </a>{' '}
              <InlinePost
                id={`delete-router-${r.index}`}
                action={u('routers', String(r.index), 'delete')}
                viewer={viewer}
                base={config.base}
                label="delete"
                confirm={`Delete router ${r.prefix}?`}
              />
            </div>
            <CopyField id={`url-${r.index}-mcp`} label="Streamable HTTP" value={r.mcpUrl} />
            <CopyField id={`url-${r.index}-sse`} label="SSE (legacy)" value={r.sseUrl} />
          </div>
        ))}
      </section>

      <section class="card" id="servers">
        <h2>Servers</h2>
        {detail.servers.length === 0 ? <p class="muted">No servers.</p> : ''}
        <table>
          <tbody>
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
                  <a href={u('servers', s.name)}>edit</a>{' '}
                  <InlinePost
                    id={`delete-server-${s.name}`}
                    action={u('servers', s.name, 'delete')}
                    viewer={viewer}
                    base={config.base}
                    label="delete"
                    confirm={`Delete server ${s.name}?`}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section class="card" id="tools">
        <h2>Tools</h2>
        {detail.tools.length === 0 ? <p class="muted">No tools yet.</p> : ''}
        <table>
          <tbody>
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
                  <a href={u('tools', t.name)}>edit</a>{' '}
                  <InlinePost
                    id={`delete-tool-${t.name}`}
                    action={u('tools', t.name, 'delete')}
                    viewer={viewer}
                    base={config.base}
                    label="delete"
                    confirm={`Delete tool ${t.name}?`}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section class="card" id="upstreams">
        <h2>Upstreams (mcpServers)</h2>
        {detail.upstreams.length === 0 ? <p class="muted">No upstream MCP servers.</p> : ''}
        <table>
          <tbody>
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
                  <a href={u('upstreams', m.name)}>edit</a>{' '}
                  <InlinePost
                    id={`delete-upstream-${m.name}`}
                    action={u('upstreams', m.name, 'delete')}
                    viewer={viewer}
                    base={config.base}
                    label="delete"
                    confirm={`Delete upstream ${m.name}?`}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
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
