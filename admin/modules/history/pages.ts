/**
 * A config's history pages: the log, the file at a commit, the diff between two commits, and rollback
 * (a new commit, shown with the save result). Commit shas from URLs and forms are checked in the service
 * before git sees them.
 */
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { AdminError } from '../../errors.ts';
import { configUrl, DiffPage, DiffView, FileAtView, HistoryView, RollbackRefused } from '../../../views/history/history.tsx';
import { consoleBase, CSRF_FIELD, page, wantsFragment } from '../console/http.ts';
import { ConfigInvalid } from '../configs/service.ts';
import { savedView } from './outcome.ts';
import { configAt, configDiff, configHistory, rollbackConfig } from './service.ts';

const ConfigParams = t.Object({ tenant: t.String(), name: t.String() });

/** Rollback refusals shown above the history (which is then reloaded) rather than on an error page. */
const INLINE: Partial<Record<AdminError['code'], number>> = { validation: 400, conflict: 409 };

export function historyPages(ctx: AdminContext) {
  return new Elysia()
    .use(consoleBase(ctx))
    .get(
      '/configs/:tenant/:name/history',
      async ({ params, principal, viewer, request }) => {
        const h = await configHistory(ctx, principal, params.tenant, params.name);
        const content = HistoryView({ tenant: params.tenant, name: params.name, path: h.path, viewer, commits: h.commits, base: h.base });
        return page(request, viewer, content, { title: `History of ${h.path}`, active: 'configs' });
      },
      { page: true, params: ConfigParams },
    )
    .get(
      '/configs/:tenant/:name/at/:commit',
      async ({ params, principal, viewer, request }) => {
        const at = await configAt(ctx, principal, params.tenant, params.name, params.commit);
        const content = FileAtView({ tenant: params.tenant, name: params.name, path: at.path, viewer, commit: at.commit, text: at.text, info: at.info, base: at.base });
        return page(request, viewer, content, { title: `${at.path} at ${at.commit.slice(0, 7)}`, active: 'configs' });
      },
      { page: true, params: t.Object({ tenant: t.String(), name: t.String(), commit: t.String() }) },
    )
    .get(
      '/configs/:tenant/:name/diff',
      async ({ params, query, principal, viewer, request }) => {
        const d = await configDiff(ctx, principal, params.tenant, params.name, query.from, query.to);
        const props = { tenant: params.tenant, name: params.name, path: d.path, from: d.from, to: d.to, lines: d.lines, commits: d.commits };
        // The compare form asks htmx for the diff alone; a link or a plain GET gets the page.
        const content = wantsFragment(request) ? DiffView(props) : DiffPage(props);
        return page(request, viewer, content, { title: `Changes to ${d.path}`, active: 'configs' });
      },
      { page: true, params: ConfigParams, query: t.Object({ from: t.String(), to: t.String() }) },
    )
    .post(
      '/configs/:tenant/:name/rollback',
      async ({ params, body, principal, viewer, request }) => {
        let result: JSX.Element;
        let status = 200;
        try {
          const outcome = await rollbackConfig(ctx, principal, { tenant: params.tenant, name: params.name, commit: body.commit, base: body.base });
          result = savedView(outcome, `Rolled back ${params.tenant}/${params.name}`, [
            { href: configUrl(params.tenant, params.name), label: 'Open the config', id: 'open-config' },
          ]);
        } catch (e) {
          const inline = e instanceof AdminError ? INLINE[e.code] : undefined;
          if (inline === undefined || !(e instanceof AdminError)) throw e;
          status = inline;
          result = RollbackRefused({ status, message: e.message, issues: e instanceof ConfigInvalid ? e.issues : undefined });
        }
        const h = await configHistory(ctx, principal, params.tenant, params.name);
        const content = HistoryView({ tenant: params.tenant, name: params.name, path: h.path, viewer, commits: h.commits, base: h.base, result });
        // From the file-at-a-commit page too, the address bar should then name the history.
        const headers: Record<string, string> = wantsFragment(request) ? { 'hx-replace-url': configUrl(params.tenant, params.name, '/history') } : {};
        return page(request, viewer, content, { title: `History of ${h.path}`, active: 'configs', status, headers });
      },
      {
        page: true,
        params: ConfigParams,
        body: t.Object({ commit: t.String(), base: t.String(), [CSRF_FIELD]: t.Optional(t.String()) }),
      },
    );
}
