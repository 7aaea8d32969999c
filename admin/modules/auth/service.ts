/**
 * Authentication: console login (server-side sessions behind an HttpOnly cookie), API tokens as
 * `Authorization: Bearer mgw_…`, logout, password change, and the CSRF and Origin checks that cookie
 * authentication needs. Everything here takes plain values; `index.ts` reads them off the request.
 *
 * Secrets at rest: passwords are argon2id hashes (Bun.password); session cookies and API tokens are
 * random 32-byte values of which only the sha256 is stored.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AdminContext } from '../../context.ts';
import { AdminError, forbidden, invalid, unauthorized } from '../../errors.ts';
import type { ConsoleSession, Tenant, User } from '../../store/types.ts';
import { record } from '../audit/service.ts';
import type { Principal } from './authorize.ts';
import { lockUntil } from './throttle.ts';

/** The console session cookie. */
export const SESSION_COOKIE = 'mcpgw_session';
/** Header htmx (and any console script) sends with the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
/** API token format: `mgw_` + base64url of 32 random bytes. */
export const TOKEN_PATTERN = /^mgw_[A-Za-z0-9_-]{43}$/;

/**
 * argon2id at OWASP's recommended minimum (19 MiB, 2 iterations, 1 lane): a guess costs real memory,
 * a login stays well under a second on a small host. Verification reads the parameters from the hash,
 * so raising them later keeps old hashes valid.
 */
const ARGON2 = { algorithm: 'argon2id', memoryCost: 19_456, timeCost: 2 } as const;

/** Sessions are re-stamped at most this often, not on every request. */
const TOUCH_EVERY_MS = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, ARGON2);
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  try {
    return await Bun.password.verify(password, hash);
  } catch {
    // A malformed stored hash is a failed login, not a crash.
    return false;
  }
}

let dummyHash: Promise<string> | undefined;
/** A hash of a random password, verified for unknown usernames so they take as long as known ones. */
function dummy(): Promise<string> {
  dummyHash ??= hashPassword(randomSecret());
  return dummyHash;
}

/** 32 random bytes, base64url. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Constant-time equality of two strings of any length (their digests have equal length). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** What authentication needs from a request, as plain values. */
export interface AuthRequest {
  method: string;
  /** The raw `Cookie` header. */
  cookie: string | null;
  authorization: string | null;
  csrfToken: string | null;
  origin: string | null;
  referer: string | null;
}

/** Reads one cookie from a `Cookie` header. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The Origin check: a present `Origin` (or, without one, `Referer`) must be one of the admin's own
 * origins. Requests with neither (curl, scripts) pass; browsers send `Origin` on every state-changing
 * request. `Origin: null` (sandboxed frames, some redirects) is foreign.
 */
export function checkOrigin(ctx: AdminContext, origin: string | null, referer: string | null): void {
  let seen: string | undefined;
  if (origin !== null) seen = origin.trim();
  else if (referer !== null) {
    try {
      seen = new URL(referer).origin;
    } catch {
      seen = 'null';
    }
  }
  if (seen === undefined) return;
  if (!ctx.origins.includes(seen.toLowerCase())) throw new AdminError('csrf', `cross-origin request refused (origin ${JSON.stringify(seen)})`);
}

/**
 * Resolves a request to a principal: `Authorization: Bearer mgw_…` when present, else the session
 * cookie. Cookie-authenticated state changes must carry the session's CSRF token and no foreign
 * Origin; bearer requests carry no ambient credential and are exempt.
 */
export async function authenticate(ctx: AdminContext, req: AuthRequest): Promise<Principal> {
  if (req.authorization !== null) return authenticateToken(ctx, req.authorization);
  const value = readCookie(req.cookie, SESSION_COOKIE);
  if (value === undefined || value === '') throw unauthorized('not signed in');
  const unsafe = !SAFE_METHODS.has(req.method.toUpperCase());
  if (unsafe) checkOrigin(ctx, req.origin, req.referer);

  const now = ctx.now();
  const idHash = sha256Hex(value);
  const session = await ctx.store.sessions.get(idHash);
  if (!session) throw unauthorized('session expired or signed out');
  if (session.expiresAt.getTime() <= now.getTime()) {
    await ctx.store.sessions.delete(idHash);
    throw unauthorized('session expired or signed out');
  }
  if (unsafe && (req.csrfToken === null || !sameSecret(req.csrfToken, session.csrfToken))) {
    throw new AdminError('csrf', `missing or wrong ${CSRF_HEADER} header`);
  }
  const user = await ctx.store.users.get(session.userId);
  if (!user || !user.active) {
    await ctx.store.sessions.delete(idHash);
    throw unauthorized('session expired or signed out');
  }
  if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    await ctx.store.sessions.touch(idHash, now, sessionExpiry(ctx, session.createdAt, now));
  }
  const tenantIds = user.role === 'admin' ? ('all' as const) : await activeTenantIds(ctx, user.id);
  return { user, tenantIds, via: 'session', sessionIdHash: idHash, csrfToken: session.csrfToken };
}

async function authenticateToken(ctx: AdminContext, header: string): Promise<Principal> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const token = m?.[1];
  if (token === undefined || !TOKEN_PATTERN.test(token)) throw unauthorized('Authorization must be "Bearer mgw_…"');
  const now = ctx.now();
  const found = await ctx.store.tokens.getByHash(sha256Hex(token));
  // One message for every refusal: a caller learns nothing about why a token does not work.
  const refused = unauthorized('invalid, expired or revoked token');
  if (!found || found.revokedAt !== undefined) throw refused;
  if (found.expiresAt !== undefined && found.expiresAt.getTime() <= now.getTime()) throw refused;
  const user = await ctx.store.users.get(found.userId);
  if (!user || !user.active) throw refused;
  if (found.lastUsedAt === undefined || now.getTime() - found.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
    await ctx.store.tokens.touch(found.id, now);
  }
  let tenantIds: readonly string[] | 'all';
  if (user.role === 'admin') tenantIds = found.tenantIds.length === 0 ? 'all' : [...found.tenantIds];
  else {
    const mine = await activeTenantIds(ctx, user.id);
    tenantIds = found.tenantIds.length === 0 ? mine : mine.filter((id) => found.tenantIds.includes(id));
  }
  return { user, tenantIds, via: 'token', tokenId: found.id, tokenName: found.name };
}

/** The active tenants a user belongs to (inactive tenants are visible to admins only). */
export async function activeTenantIds(ctx: AdminContext, userId: string): Promise<string[]> {
  return (await ctx.store.memberships.tenantsOf(userId)).filter((t) => t.active).map((t) => t.id);
}

function sessionExpiry(ctx: AdminContext, createdAt: Date, now: Date): Date {
  return new Date(Math.min(createdAt.getTime() + ctx.sessionTtlMs, now.getTime() + ctx.sessionIdleMs));
}

export interface LoginInput {
  username: string;
  password: string;
  /** The client address, for the per-address limit. */
  ip: string;
  origin: string | null;
  referer: string | null;
}

export interface NewSession {
  user: User;
  /** The cookie value; shown to the client once, never stored. */
  cookieValue: string;
  session: ConsoleSession;
}

const BAD_LOGIN = 'invalid username or password';

function rateLimited(ms: number): AdminError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new AdminError('rate_limited', `too many failed logins; try again in ${seconds} s`, seconds);
}

/**
 * Checks a username and password and opens a session. Unknown users, wrong passwords and inactive
 * accounts all answer the same `unauthorized` after the same password verification work.
 */
export async function login(ctx: AdminContext, input: LoginInput): Promise<NewSession> {
  // Login CSRF: a foreign page must not sign the browser into the attacker's account.
  checkOrigin(ctx, input.origin, input.referer);
  const now = ctx.now();
  const ipWait = ctx.throttle.ipRetryAfter(input.ip, now);
  if (ipWait > 0) throw rateLimited(ipWait);

  const user = await ctx.store.users.getSecret(input.username);
  if (!user) {
    const wait = ctx.throttle.nameRetryAfter(input.username, now);
    if (wait > 0) throw rateLimited(wait);
    await verifyPassword(input.password, await dummy());
    ctx.throttle.recordNameFailure(input.username, now);
    ctx.throttle.recordIpFailure(input.ip, now);
    await record(ctx, `user:${input.username}`, { action: 'auth.login_failed', target: `user:${input.username}`, details: { ip: input.ip } });
    throw unauthorized(BAD_LOGIN);
  }
  if (user.lockedUntil !== undefined && user.lockedUntil.getTime() > now.getTime()) {
    throw rateLimited(user.lockedUntil.getTime() - now.getTime());
  }
  const ok = await verifyPassword(input.password, user.passwordHash);
  if (!ok) {
    const failures = user.failedLogins + 1;
    await ctx.store.users.recordLoginFailure(user.id, lockUntil(failures, now));
    ctx.throttle.recordIpFailure(input.ip, now);
    await record(ctx, `user:${user.username}`, {
      action: 'auth.login_failed',
      target: `user:${user.username}`,
      details: { ip: input.ip, failures },
    });
    throw unauthorized(BAD_LOGIN);
  }
  if (!user.active) {
    await record(ctx, `user:${user.username}`, { action: 'auth.login_failed', target: `user:${user.username}`, details: { ip: input.ip, reason: 'inactive' } });
    throw unauthorized(BAD_LOGIN);
  }
  await ctx.store.users.recordLoginSuccess(user.id);
  await ctx.store.sessions.purgeExpired(now);
  const opened = await openSession(ctx, user, now);
  await record(ctx, `user:${user.username}`, { action: 'auth.login', target: `user:${user.username}`, details: { ip: input.ip } });
  return opened;
}

async function openSession(ctx: AdminContext, user: User, now: Date): Promise<NewSession> {
  const cookieValue = randomSecret();
  const session: ConsoleSession = {
    idHash: sha256Hex(cookieValue),
    userId: user.id,
    csrfToken: randomSecret(),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: sessionExpiry(ctx, now, now),
  };
  await ctx.store.sessions.create(session);
  const { id, username, role, active, createdAt, updatedAt } = user;
  return { user: { id, username, role, active, createdAt, updatedAt }, cookieValue, session };
}

/** Ends the principal's console session. */
export async function logout(ctx: AdminContext, p: Principal): Promise<void> {
  if (p.via !== 'session' || p.sessionIdHash === undefined) throw forbidden('logout ends a console session; revoke a token instead');
  await ctx.store.sessions.delete(p.sessionIdHash);
  await record(ctx, p, { action: 'auth.logout', target: `user:${p.user.username}` });
}

/**
 * Changes the principal's own password after checking the current one (a wrong one counts as a failed
 * login). Every session of the user ends; the caller gets a fresh one.
 */
export async function changePassword(ctx: AdminContext, p: Principal, current: string, next: string): Promise<NewSession> {
  if (p.via !== 'session') throw forbidden('a password change needs a console session, not an API token');
  const now = ctx.now();
  const secret = await ctx.store.users.getSecret(p.user.username);
  if (!secret) throw unauthorized('session expired or signed out');
  if (secret.lockedUntil !== undefined && secret.lockedUntil.getTime() > now.getTime()) {
    throw rateLimited(secret.lockedUntil.getTime() - now.getTime());
  }
  if (!(await verifyPassword(current, secret.passwordHash))) {
    const failures = secret.failedLogins + 1;
    await ctx.store.users.recordLoginFailure(secret.id, lockUntil(failures, now));
    await record(ctx, p, { action: 'auth.password_change_failed', target: `user:${p.user.username}`, details: { failures } });
    throw forbidden('current password is wrong');
  }
  if (current === next) throw invalid('body.newPassword', 'must differ from the current password');
  await ctx.store.users.update(secret.id, { passwordHash: await hashPassword(next) });
  await ctx.store.users.recordLoginSuccess(secret.id);
  await ctx.store.sessions.deleteByUser(secret.id);
  const opened = await openSession(ctx, p.user, now);
  await record(ctx, p, { action: 'auth.password_change', target: `user:${p.user.username}` });
  return opened;
}

/** The principal's view of itself, with the CSRF token the console sends back on state changes. */
export async function whoAmI(ctx: AdminContext, p: Principal): Promise<{ user: User; tenants: Tenant[]; via: Principal['via']; csrfToken?: string; tokenId?: string }> {
  const visible = p.tenantIds;
  const all = await ctx.store.tenants.list();
  const tenants = visible === 'all' ? all : all.filter((t) => visible.includes(t.id));
  return {
    user: p.user,
    tenants,
    via: p.via,
    ...(p.csrfToken !== undefined ? { csrfToken: p.csrfToken } : {}),
    ...(p.tokenId !== undefined ? { tokenId: p.tokenId } : {}),
  };
}
