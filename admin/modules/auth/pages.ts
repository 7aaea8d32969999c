/**
 * The account console page (`/account`): the viewer, their tenants, and the own password change
 * through `changePassword`, which ends every session of the user and opens a new one. The new cookie
 * is set like `POST /api/auth/password` does, and the browser loads the page afresh (not a fragment),
 * so the page's CSRF token is the new session's.
 */
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { invalid } from '../../errors.ts';
import { consoleBase, page, redirect } from '../console/http.ts';
import { checked, formOf, submit, text } from '../console/form.ts';
import type { PageState } from '../../../views/admin/forms.tsx';
import { AccountSection } from '../../../views/admin/account.tsx';
import type { Viewer } from '../../../views/layout.tsx';
import type { Principal } from './authorize.ts';
import { PasswordBody } from './model.ts';
import { sessionCookie } from './index.ts';
import { changePassword, whoAmI } from './service.ts';

const PAGE = { title: 'Account', active: 'account', location: '/account' } as const;
const CHANGED = '/account?changed=1';

export function accountPages(ctx: AdminContext) {
  const maxAge = Math.floor(ctx.sessionTtlMs / 1000);

  async function section(p: Principal, viewer: Viewer, state: PageState = {}): Promise<JSX.Element> {
    const me = await whoAmI(ctx, p);
    // Admins see every tenant; the list shows the ones they belong to.
    const tenants = p.user.role === 'admin' ? await ctx.store.memberships.tenantsOf(p.user.id) : me.tenants;
    return AccountSection({ viewer, tenants, state });
  }

  return new Elysia()
    .use(consoleBase(ctx))
    .get(
      '/account',
      async ({ principal, viewer, request, query }) => {
        const state: PageState = query.changed ? { notice: 'Password changed. Your other sessions were signed out.' } : {};
        return page(request, viewer, await section(principal, viewer, state), PAGE);
      },
      { page: true, query: t.Object({ changed: t.Optional(t.String({ maxLength: 1 })) }) },
    )
    .post(
      '/account/password',
      async ({ principal, viewer, request, body }) => {
        const input = formOf(body);
        return submit({
          ...PAGE,
          location: CHANGED,
          request,
          viewer,
          form: 'password',
          input,
          run: () => {
            const currentPassword = text(input, 'currentPassword');
            const newPassword = text(input, 'newPassword');
            if (newPassword !== text(input, 'confirmPassword')) throw invalid('body.confirmPassword', 'does not match the new password');
            checked(PasswordBody, { currentPassword, newPassword });
            return changePassword(ctx, principal, currentPassword, newPassword);
          },
          render: (state) => section(principal, viewer, state),
          notice: () => 'Password changed.',
          done: (opened) => {
            // A full page load (not a fragment swap), so the page carries the new session's CSRF token.
            const res = request.headers.get('hx-request') === 'true'
              ? new Response(null, { status: 200, headers: { 'hx-redirect': CHANGED, 'cache-control': 'no-store' } })
              : redirect(request, CHANGED);
            res.headers.set('set-cookie', sessionCookie(ctx, opened.cookieValue, maxAge));
            return res;
          },
        });
      },
      { page: true },
    );
}
