/** The audit log page: newest first, filtered by action, actor and tenant, paged with a cursor. */
import { attr, TableHead, when } from '../components.tsx';
import { Options } from './forms.tsx';

export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  target: string;
  tenantId: string | undefined;
  details: Record<string, unknown>;
}

export interface AuditFilters {
  action: string;
  actor: string;
  tenantId: string;
  limit: number;
}

const SECTION = 'audit-page';
export const AUDIT_PAGE_SIZES = [25, 50, 100, 200] as const;

/** A link that loads `href` into the audit section with htmx (and navigates without it). */
function PageLink(props: { href: string; id: string; label: string }): JSX.Element {
  return (
    <a href={attr(props.href)} id={props.id} data-testid={props.id} hx-get={attr(props.href)} hx-target={`#${SECTION}`} hx-swap="outerHTML" hx-push-url="true" safe>
      {props.label}
    </a>
  );
}

/**
 * `tenants`: the tenants the viewer may see (names for the table and the filter); `newest`: the first
 * page's link when this is a later page; `older`: the next page's link when there are older entries.
 */
export function AuditSection(props: {
  entries: readonly AuditRow[];
  tenants: readonly { id: string; name: string }[];
  filters: AuditFilters;
  newest?: string | undefined;
  older?: string | undefined;
}): JSX.Element {
  const { filters } = props;
  const names = new Map(props.tenants.map((x) => [x.id, x.name]));
  const actions = [...new Set(props.entries.map((e) => e.action))].sort();
  return (
    <section id={SECTION} data-testid={SECTION}>
      <h1>Audit log</h1>
      <form method="get" action="/audit" id="audit-filter" class="row card" hx-get="/audit" hx-target={`#${SECTION}`} hx-swap="outerHTML" hx-push-url="true">
        <label>
          Action
          <input id="audit-filter-action" name="action" list="audit-actions" placeholder="user.create" value={attr(filters.action)} />
          <datalist id="audit-actions">
            {actions.map((a) => (
              <option value={attr(a)} />
            ))}
          </datalist>
        </label>
        <label>
          Actor
          <input id="audit-filter-actor" name="actor" placeholder="user:alice" value={attr(filters.actor)} />
        </label>
        <label>
          Tenant
          <select id="audit-filter-tenant" name="tenant">
            <option value="" selected={filters.tenantId === ''}>
              All visible
            </option>
            <Options options={props.tenants.map((x) => [x.id, x.name] as const)} selected={[filters.tenantId]} />
          </select>
        </label>
        <label>
          Per page
          <select id="audit-filter-limit" name="limit">
            <Options options={AUDIT_PAGE_SIZES.map((n) => [String(n), String(n)] as const)} selected={[String(filters.limit)]} />
          </select>
        </label>
        <button type="submit" id="audit-filter-submit">
          Filter
        </button>
      </form>
      <table id="audit-table">
        <TableHead columns={['When', 'Actor', 'Action', 'Target', 'Tenant', 'Details']} />
        <tbody>
          {props.entries.length === 0 ? (
            <tr>
              <td colspan="6" class="muted" id="audit-empty">
                No entries.
              </td>
            </tr>
          ) : (
            ''
          )}
          {props.entries.map((e) => (
            <tr data-testid="audit-row" data-id={e.id} data-action={attr(e.action)}>
              <td safe>{when(e.at)}</td>
              <td data-testid="audit-actor" safe>
                {e.actor}
              </td>
              <td data-testid="audit-action" safe>
                {e.action}
              </td>
              <td data-testid="audit-target" safe>
                {e.target}
              </td>
              <td data-testid="audit-tenant" safe>
                {e.tenantId === undefined ? '—' : (names.get(e.tenantId) ?? e.tenantId)}
              </td>
              <td>
                <code class="details" data-testid="audit-details" safe>
                  {JSON.stringify(e.details)}
                </code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav class="pager" aria-label="Audit pages">
        {props.newest ? <PageLink href={props.newest} id="audit-newest" label="« Newest" /> : ''}
        {props.older ? <PageLink href={props.older} id="audit-older" label="Older »" /> : ''}
      </nav>
    </section>
  );
}
