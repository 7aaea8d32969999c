/**
 * The console's page shell: head (own stylesheet and htmx, never a CDN), navigation, and the `<main>`
 * every page fills. Pure: props in, HTML string out.
 *
 * CSRF: htmx sends the session's token as a header on every request from the page
 * (`hx-headers:inherited` on `<body>`: htmx 4 inherits only what is marked); plain forms carry it as
 * the hidden `_csrf` field (`CsrfField`), so the console also works without JavaScript.
 */
import type { PropsWithChildren } from '@kitajs/html';

/** Who is looking at the page. */
export interface Viewer {
  username: string;
  role: 'admin' | 'member';
  /** The session's CSRF token. */
  csrf: string;
}

export type NavKey = 'dashboard' | 'configs' | 'import' | 'tokens' | 'audit' | 'users' | 'tenants' | 'account';

const NAV: { key: NavKey; href: string; label: string; adminOnly?: boolean }[] = [
  { key: 'dashboard', href: '/', label: 'Dashboard' },
  { key: 'configs', href: '/configs', label: 'Configs' },
  { key: 'import', href: '/import', label: 'Import OpenAPI' },
  { key: 'tokens', href: '/tokens', label: 'API tokens' },
  { key: 'audit', href: '/audit', label: 'Audit log' },
  { key: 'users', href: '/users', label: 'Users', adminOnly: true },
  { key: 'tenants', href: '/tenants', label: 'Tenants', adminOnly: true },
  { key: 'account', href: '/account', label: 'Account' },
];

/** htmx settings: no injected `<style>` (the CSP allows only our stylesheet). */
const HTMX_CONFIG = JSON.stringify({ includeIndicatorStyles: false });

/** The hidden form field that carries the CSRF token on plain form posts. */
export function CsrfField({ viewer }: { viewer: Viewer }): JSX.Element {
  return <input type="hidden" name="_csrf" value={viewer.csrf} />;
}

export function Layout(props: PropsWithChildren<{ title: string; viewer?: Viewer; active?: NavKey }>): JSX.Element {
  const { viewer } = props;
  const headers = viewer ? JSON.stringify({ 'X-CSRF-Token': viewer.csrf }) : undefined;
  return (
    <>
      {'<!doctype html>'}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <title safe>{props.title} · MCP gateway console</title>
          <link rel="stylesheet" href="/static/console.css" />
          <script src="/static/htmx.js" defer></script>
        </head>
        <body hx-headers:inherited={headers}>
          <header class="topbar">
            <a class="brand" href="/">
              MCP gateway
            </a>
            {viewer ? (
              <nav aria-label="Console">
                {NAV.filter((n) => !n.adminOnly || viewer.role === 'admin').map((n) => (
                  <a href={n.href} aria-current={n.key === props.active ? 'page' : undefined}>
                    {n.label as 'safe'}
                  </a>
                ))}
              </nav>
            ) : (
              ''
            )}
            {viewer ? (
              <form class="whoami" method="post" action="/logout">
                <CsrfField viewer={viewer} />
                <span safe>{viewer.username}</span>
                <button type="submit" class="link">
                  Sign out
                </button>
              </form>
            ) : (
              ''
            )}
          </header>
          <main id="main">{props.children as 'safe'}</main>
        </body>
      </html>
    </>
  );
}
