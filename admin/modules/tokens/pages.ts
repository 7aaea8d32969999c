/**
 * The API tokens console page (`/tokens`): the viewer's own tokens, through the same service calls as
 * `/api/tokens`. A new token is in the creating answer only (stored as a hash), never on a later GET.
 */
import { Elysia } from 'elysia';
import type { AdminContext } from '../../context.ts';
import type { Principal } from '../auth/authorize.ts';
import { consoleBase, page } from '../console/http.ts';
import { checked, formPage, list, text } from '../console/form.ts';
import { listTenants } from '../tenants/service.ts';
import type { PageState } from '../../../views/admin/forms.tsx';
import { TokensSection } from '../../../views/admin/tokens.tsx';
import type { Viewer } from '../../../views/layout.tsx';
import { NewTokenBody } from './model.ts';
import { createToken, listTokens, revokeToken } from './service.ts';

/**
 * The expiry field: a date input gives `2026-03-01` (taken as 00:00 UTC), a datetime-local one
 * `2026-03-01T12:30` (taken as UTC); anything else goes to the API model's date-time check as is.
 */
export function expiryOf(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return `${v}T00:00:00Z`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v)) return `${v}:00Z`;
  return v;
}

export function tokenPages(ctx: AdminContext) {
  async function section(p: Principal, viewer: Viewer, state: PageState, created?: { name: string; token: string }): Promise<JSX.Element> {
    const [tokens, tenants] = await Promise.all([listTokens(ctx, p), listTenants(ctx, p)]);
    return TokensSection({ viewer, now: ctx.now(), tokens, tenants, created, state });
  }
  const tokens = formPage({ title: 'API tokens', active: 'tokens', location: '/tokens', section });

  return new Elysia()
    .use(consoleBase(ctx))
    .get('/tokens', (c) => tokens.show(c), { page: true })
    .post(
      '/tokens',
      (c) =>
        tokens.post(c, {
          form: 'create',
          run: (input) => {
            const expiresAt = expiryOf(text(input, 'expiresAt'));
            const token = checked(NewTokenBody, { name: text(input, 'name'), tenantIds: list(input, 'tenantIds'), ...(expiresAt ? { expiresAt } : {}) });
            return createToken(ctx, c.principal, token);
          },
          notice: (created) => `Token "${created.record.name}" created.`,
          // Shown once, so the answer is the page itself, also to a plain post (no redirect).
          done: async (created, notice) => {
            const content = await section(c.principal, c.viewer, { notice }, { name: created.record.name, token: created.token });
            return page(c.request, c.viewer, content, { title: 'API tokens', active: 'tokens', status: 201 });
          },
        }),
      { page: true },
    )
    .post(
      '/tokens/:token/revoke',
      (c) =>
        tokens.post(c, {
          form: `revoke:${c.params.token}`,
          run: () => revokeToken(ctx, c.principal, c.params.token),
          notice: (x) => `Token "${x.name}" revoked.`,
        }),
      { page: true },
    );
}
