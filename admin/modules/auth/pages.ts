/**
 * The account console page (`/account`): the viewer, their tenants, and the own password change
 * through `changePassword`, which ends every session of the user and opens a new one. The new cookie
 * is set like `POST /api/auth/password` does, and the browser loads the page afresh (not a fragment),
 * so the page's CSRF token is the new session's.
 */
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { invalid } from '../../errors.ts';
import { consoleBase, redirect } from '../console/http.ts';
import { checked, formPage, text } from '../console/form.ts';
import { AccountSection } from '../../../views/admin/account.tsx';
import { PasswordBody } from './model.ts';
import { sessionCookie } from './index.ts';
import { changePassword, whoAmI } from './service.ts';

const CHANGED = '/account?changed=1';

export function accountPages(ctx: AdminContext) {
  const maxAge = Math.floor(ctx.sessionTtlMs / 1000);
  const account = formPage({
    title: 'Account',
    active: 'account',
    location: CHANGED,
    async section(p, viewer, state) {
      const me = await whoAmI(ctx, p);
      // Admins see every tenant; the list shows the ones they belong to.
      const tenants = p.user.role === 'admin' ? await ctx.store.memberships.tenantsOf(p.user.id) : me.tenants;
      return AccountSection({ viewer, tenants, state });
    },
  });

  return new Elysia()
    .use(consoleBase(ctx))
    .get('/account', (c) => account.show(c, c.query.changed ? { notice: 'Password changed. Your other sessions were signed out.' } : {}), {
      page: true,
      query: t.Object({ changed: t.Optional(t.String({ maxLength: 1 })) }),
    })
    .post(
      '/account/password',
      (c) =>
        account.post(c, {
          form: 'password',
          run: (input) => {
            const currentPassword = text(input, 'currentPassword');
            const newPassword = text(input, 'newPassword');
            if (newPassword !== text(input, 'confirmPassword')) throw invalid('body.confirmPassword', 'does not match the new password');
            checked(PasswordBody, { currentPassword, newPassword });
            return changePassword(ctx, c.principal, currentPassword, newPassword);
          },
          notice: () => 'Password changed.',
          done: (opened) => {
            // A full page load (not a fragment swap), so the page carries the new session's CSRF token.
            const res = c.request.headers.get('hx-request') === 'true'
              ? new Response(null, { status: 200, headers: { 'hx-redirect': CHANGED, 'cache-control': 'no-store' } })
              : redirect(c.request, CHANGED);
            res.headers.set('set-cookie', sessionCookie(ctx, opened.cookieValue, maxAge));
            return res;
          },
        }),
      { page: true },
    );
}
