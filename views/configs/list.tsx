/** `GET /configs`: the configs the viewer may see, grouped by tenant. */
import { Flash, TableHead } from '../components.tsx';
import type { ConfigRow } from './model.ts';
import { configUrl } from './parts.tsx';

export interface ConfigListProps {
  groups: { tenant: string; configs: ConfigRow[] }[];
  /** Base URL of the gateway clients connect to (client URLs). */
  gatewayBase: string;
}

export function ConfigList({ groups, gatewayBase }: ConfigListProps): JSX.Element {
  const base = gatewayBase.replace(/\/+$/, '');
  return (
    <section id="config-list">
      <div class="row spread">
        <h1>Configs</h1>
        <a class="button" id="new-config" href="/configs/new">
          New config
        </a>
      </div>
      {groups.length === 0 ? (
        <Flash kind="info" id="no-configs">
          No configs yet. Create one with <a href="/configs/new">New config</a>.
        </Flash>
      ) : (
        ''
      )}
      {groups.map((g) => (
        <section class="card" data-testid="tenant-group" data-tenant={g.tenant}>
          <h2>
            Tenant <span safe>{g.tenant}</span>
          </h2>
          <table>
            <TableHead columns={['Config', 'Routers (client URL)', 'Tools', 'Upstreams', '']} />
            <tbody>
              {g.configs.map((c) => (
                <tr data-testid="config-row" data-config={`${c.tenant}/${c.name}`}>
                  <td>
                    <a href={configUrl(c)} data-testid={`config-link-${c.tenant}-${c.name}`} safe>
                      {c.name}
                    </a>
                  </td>
                  <td>
                    {c.routers.length === 0 ? (
                      <span class="muted">none</span>
                    ) : (
                      <ul class="plain">
                        {c.routers.map((r) => (
                          <li>
                            <code safe>{`${base}${r.prefix.replace(/\/+$/, '')}/mcp`}</code> <span class="muted">→</span>{' '}
                            <span safe>{r.server}</span>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td safe>{String(c.tools)}</td>
                  <td safe>{String(c.upstreams)}</td>
                  <td class="actions">
                    <a href={configUrl(c)}>Open</a> · <a href={configUrl(c, 'yaml')}>YAML</a> · <a href={configUrl(c, 'history')}>History</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </section>
  );
}
