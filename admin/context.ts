/**
 * What every admin service receives: plain values resolved once at startup (never Elysia's Context).
 */
import { TrustedProxies } from './modules/auth/client-ip.ts';
import { LoginThrottle } from './modules/auth/throttle.ts';
import { type AdminSettings, durationMs, publicOrigin, trustedOrigins } from './settings.ts';
import type { ConfigRepo } from './git/repo.ts';
import type { WebStore } from './store/types.ts';

export interface AdminContext {
  readonly store: WebStore;
  readonly settings: AdminSettings;
  /** The clock; tests inject one instead of sleeping. */
  readonly now: () => Date;
  /** Outbound HTTP (gateways' status and reload webhook). */
  readonly fetch: typeof fetch;
  readonly throttle: LoginThrottle;
  /** Origins accepted by the Origin check (set again on listen when the port was 0). */
  origins: readonly string[];
  /** Session cookies carry `Secure` when the public origin is https. */
  readonly secureCookies: boolean;
  readonly sessionTtlMs: number;
  readonly sessionIdleMs: number;
  /** The admin's clone of the config repo; absent when no config repo is configured (config pages say so). */
  readonly repo: ConfigRepo | undefined;
  /** Proxies whose `X-Forwarded-For` is believed (login throttling per client address). */
  readonly trustedProxies: TrustedProxies;
}

export interface AdminDeps {
  store: WebStore;
  settings: AdminSettings;
  now?: () => Date;
  fetch?: typeof fetch;
  repo?: ConfigRepo;
}

export function createContext(deps: AdminDeps): AdminContext {
  return {
    store: deps.store,
    settings: deps.settings,
    now: deps.now ?? (() => new Date()),
    fetch: deps.fetch ?? globalThis.fetch,
    throttle: new LoginThrottle(),
    origins: trustedOrigins(deps.settings),
    secureCookies: publicOrigin(deps.settings).startsWith('https:'),
    sessionTtlMs: durationMs(deps.settings.sessionTtl),
    sessionIdleMs: durationMs(deps.settings.sessionIdle),
    repo: deps.repo,
    trustedProxies: new TrustedProxies(deps.settings.trustedProxies),
  };
}
