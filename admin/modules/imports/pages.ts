/**
 * OpenAPI import pages: the form (`GET /import`, multipart: paste `spec` or upload `file`), the preview
 * (`POST /import/preview`) and the commit (`POST /import/commit`). Refusals a user can fix (a document
 * that cannot be imported, too large, a taken name, YAML that does not validate) come back under the
 * form with their status, keeping what was typed; everything else goes to the console's error mapping.
 */
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { AdminError } from '../../errors.ts';
import type { Viewer } from '../../../views/layout.tsx';
import { EMPTY_IMPORT, ImportDone, ImportFailed, type ImportFormValues, ImportPage, ImportPreview } from '../../../views/imports/import.tsx';
import type { Principal } from '../auth/authorize.ts';
import { consoleBase, CSRF_FIELD, page, wantsFragment } from '../console/http.ts';
import { ConfigInvalid, configPath } from '../configs/service.ts';
import { configUrl } from '../../../views/history/history.tsx';
import { savedView } from '../history/outcome.ts';
import { checkSpecSize, commitImport, importTenants, MAX_IMPORT_BYTES, previewImport, SpecTooLarge } from './service.ts';

const NO_REPO = 'No config repository is configured, so an import cannot be committed: start the admin with ADMIN_CONFIG_REPO (or --config-repo).';

const PreviewBody = t.Object({
  tenant: t.String({ maxLength: 200 }),
  name: t.String({ maxLength: 200 }),
  prefix: t.Optional(t.String({ maxLength: 500 })),
  baseUrl: t.Optional(t.String({ maxLength: 2000 })),
  spec: t.Optional(t.String()),
  // A File from a multipart upload; an empty file input sends an empty file (or, from some clients, "").
  file: t.Optional(t.Any()),
  [CSRF_FIELD]: t.Optional(t.String()),
});

const CommitBody = t.Object({
  tenant: t.String({ maxLength: 200 }),
  name: t.String({ maxLength: 200 }),
  yaml: t.String(),
  message: t.Optional(t.String({ maxLength: 500 })),
  [CSRF_FIELD]: t.Optional(t.String()),
});

/** The status of a refusal shown under the form, or undefined for errors the console maps itself. */
function inlineStatus(e: unknown): number | undefined {
  if (e instanceof SpecTooLarge) return 413;
  if (!(e instanceof AdminError)) return undefined;
  return e.code === 'validation' ? 400 : e.code === 'conflict' ? 409 : undefined;
}

export function importPages(ctx: AdminContext) {
  /** `result` under the form: alone for htmx, inside the whole import page otherwise. */
  const answer = async (request: Request, principal: Principal, viewer: Viewer, values: ImportFormValues, result: JSX.Element, status = 200) => {
    const content = wantsFragment(request)
      ? result
      : ImportPage({ viewer, tenants: await importTenants(ctx, principal), values, maxBytes: MAX_IMPORT_BYTES, result, notice: ctx.repo ? undefined : NO_REPO });
    return page(request, viewer, content, { title: 'Import OpenAPI', active: 'import', status });
  };

  return new Elysia()
    .use(consoleBase(ctx))
    .get(
      '/import',
      async ({ principal, viewer, request, query }) => {
        const values = { ...EMPTY_IMPORT, tenant: query.tenant ?? '' };
        const content = ImportPage({
          viewer,
          tenants: await importTenants(ctx, principal),
          values,
          maxBytes: MAX_IMPORT_BYTES,
          notice: ctx.repo ? undefined : NO_REPO,
        });
        return page(request, viewer, content, { title: 'Import OpenAPI', active: 'import' });
      },
      { page: true, query: t.Object({ tenant: t.Optional(t.String({ maxLength: 200 })) }) },
    )
    .post(
      '/import/preview',
      async ({ body, principal, viewer, request }) => {
        const values: ImportFormValues = {
          tenant: body.tenant.trim(),
          name: body.name.trim(),
          prefix: body.prefix ?? '',
          baseUrl: body.baseUrl ?? '',
          spec: body.spec ?? '',
        };
        try {
          // An uploaded file wins over the textarea; its size is checked before it is read.
          const file: unknown = body.file;
          if (file instanceof Blob && file.size > 0) {
            checkSpecSize(file.size);
            values.spec = await file.text();
          }
          const preview = await previewImport(ctx, principal, values);
          const result = ImportPreview({
            viewer,
            tenant: values.tenant,
            name: values.name,
            path: preview.path,
            yaml: preview.yaml,
            tools: preview.tools,
            warnings: preview.warnings,
            issues: preview.issues,
            exists: preview.exists,
            configHref: configUrl(values.tenant, values.name),
          });
          return answer(request, principal, viewer, { ...values, prefix: values.prefix || preview.prefix }, result);
        } catch (e) {
          const status = inlineStatus(e);
          if (status === undefined || !(e instanceof Error)) throw e;
          // Past the limit, the document is not sent back into the textarea.
          if (status === 413) values.spec = '';
          return answer(request, principal, viewer, values, ImportFailed({ message: e.message }), status);
        }
      },
      { page: true, body: PreviewBody },
    )
    .post(
      '/import/commit',
      async ({ body, principal, viewer, request }) => {
        const tenant = body.tenant.trim();
        const name = body.name.trim();
        const values = { ...EMPTY_IMPORT, tenant, name };
        try {
          const outcome = await commitImport(ctx, principal, { tenant, name, yaml: body.yaml, message: body.message });
          const path = configPath(tenant, name);
          const saved = savedView(outcome, `Imported ${tenant}/${name}`, [
            { href: configUrl(tenant, name), label: `Open ${path}`, id: 'import-config-link' },
          ]);
          const result = ImportDone({ saved });
          return answer(request, principal, viewer, values, result);
        } catch (e) {
          const status = inlineStatus(e);
          if (status === undefined || !(e instanceof Error)) throw e;
          let path = '';
          try {
            path = configPath(tenant, name);
          } catch {
            // The name itself is what was refused; the message says so.
          }
          const result = ImportPreview({
            viewer,
            tenant,
            name,
            path: path || `configs/${tenant}/${name}.yaml`,
            yaml: body.yaml,
            issues: e instanceof ConfigInvalid ? e.issues : [],
            error: e.message,
            configHref: configUrl(tenant, name),
          });
          return answer(request, principal, viewer, values, result, status);
        }
      },
      { page: true, body: CommitBody },
    );
}
