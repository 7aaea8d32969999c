/**
 * SSRF guard for HTTP tools: whoever can merge a config can make the gateway call any URL, so requests to
 * loopback, private, link-local (cloud metadata), CGNAT and other special-purpose addresses are refused
 * unless the gateway settings allowlist them. The check runs on the addresses a host name resolves to,
 * not on its spelling, and every redirect target is checked again by the caller.
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';

/** The guard's answer for one URL. */
export type SsrfVerdict =
  | {
      ok: true;
      /**
       * Set for plain http to a host name: the same URL with the host replaced by the checked address.
       * Fetching it (with `hostHeader` as Host) connects to exactly the address that was checked.
       */
      pinnedUrl?: URL;
      hostHeader?: string;
    }
  | {
      ok: false;
      /** Names the address class or the failure, never the full URL or any header value. */
      reason: string;
    };

export interface SsrfGuard {
  /**
   * The verdict for `url`: synchronous when it is known (an IP literal seen before, an allowlisted host
   * name, a host name whose lookup is cached), a promise while a lookup runs. Never rejects.
   */
  check(url: URL): SsrfVerdict | Promise<SsrfVerdict>;
}

export interface SsrfGuardOptions {
  /** CIDRs (v4/v6), single IPs, host names (exact, case-insensitive) or `*.example.com`. */
  allowedNetworks: readonly string[];
  /** Resolves a host name to its addresses; defaults to `dns.promises.lookup(host, { all: true })`. */
  resolve?: (host: string) => Promise<string[]>;
  /** How long resolved addresses are reused (ms). Default 10 000. */
  cacheTtlMs?: number;
  /** Most host names kept in the resolution cache. Default 1 000. */
  cacheSize?: number;
  /** Clock for the cache (ms), injectable in tests. */
  now?: () => number;
}

/** An IP address as 16 bytes (IPv4 as IPv4-mapped IPv6) plus its family, for prefix matching. */
interface Ip {
  bytes: Uint8Array;
  v4: boolean;
}

interface Cidr {
  bytes: Uint8Array;
  /** Prefix length counted over the 128-bit form (IPv4 /n becomes /96+n). */
  bits: number;
}

/** Parses a dotted-quad IPv4 address (the canonical form that WHATWG URL and DNS produce). */
function parseV4(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return false;
    const n = Number(p);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

function parseV6(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const out = new Uint8Array(16);
  let head = text;
  let tail = '';
  const gap = text.indexOf('::');
  if (gap >= 0) {
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
    if (tail.includes('::')) return undefined;
  }
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = groups(tail);
  // A trailing dotted quad takes two groups.
  const words: number[] = [];
  const tailWords: number[] = [];
  const parseGroups = (list: string[], into: number[], isLast: boolean): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i]!;
      if (isLast && i === list.length - 1 && g.includes('.')) {
        const quad = new Uint8Array(4);
        if (!parseV4(g, quad, 0)) return false;
        into.push((quad[0]! << 8) | quad[1]!, (quad[2]! << 8) | quad[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      into.push(parseInt(g, 16));
    }
    return true;
  };
  if (!parseGroups(h, words, gap < 0)) return undefined;
  if (!parseGroups(t, tailWords, true)) return undefined;
  if (gap < 0 ? words.length !== 8 : words.length + tailWords.length > 7) return undefined;
  const all = gap < 0 ? words : [...words, ...new Array<number>(8 - words.length - tailWords.length).fill(0), ...tailWords];
  for (let i = 0; i < 8; i++) {
    out[i * 2] = all[i]! >> 8;
    out[i * 2 + 1] = all[i]! & 0xff;
  }
  return out;
}

/** Parses an IPv4 or IPv6 literal (brackets allowed); undefined when `text` is not an IP address. */
export function parseIp(text: string): Ip | undefined {
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const family = isIP(text.includes('%') ? text.slice(0, text.indexOf('%')) : text);
  if (family === 4) {
    const bytes = new Uint8Array(16);
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    return parseV4(text, bytes, 12) ? { bytes, v4: true } : undefined;
  }
  if (family === 6) {
    const bytes = parseV6(text);
    return bytes ? { bytes, v4: false } : undefined;
  }
  return undefined;
}

function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.v4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const raw = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(raw) || Number(raw) > max) return undefined;
    bits = Number(raw);
  }
  return { bytes: ip.bytes, bits: ip.v4 ? 96 + bits : bits };
}

function inCidr(bytes: Uint8Array, cidr: Cidr): boolean {
  let bits = cidr.bits;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (cidr.bytes[i]! & mask)) return false;
  }
  return true;
}

const cidr = (text: string): Cidr => {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`bad built-in CIDR ${text}`);
  return parsed;
};

/** Special-purpose ranges (RFC 6890 and successors) with the class named in refusals. First match wins. */
const V4_CLASSES: ReadonlyArray<readonly [Cidr, string]> = [
  [cidr('0.0.0.0/8'), 'unspecified address'],
  [cidr('127.0.0.0/8'), 'loopback address'],
  [cidr('10.0.0.0/8'), 'private address'],
  [cidr('172.16.0.0/12'), 'private address'],
  [cidr('192.168.0.0/16'), 'private address'],
  [cidr('169.254.169.254/32'), 'link-local address (cloud metadata)'],
  [cidr('169.254.0.0/16'), 'link-local address'],
  [cidr('100.64.0.0/10'), 'shared address space (CGNAT)'],
  [cidr('192.0.0.0/24'), 'IETF protocol assignment address'],
  [cidr('192.0.2.0/24'), 'documentation address'],
  [cidr('198.51.100.0/24'), 'documentation address'],
  [cidr('203.0.113.0/24'), 'documentation address'],
  [cidr('198.18.0.0/15'), 'benchmarking address'],
  [cidr('224.0.0.0/4'), 'multicast address'],
  [cidr('255.255.255.255/32'), 'broadcast address'],
  [cidr('240.0.0.0/4'), 'reserved address'],
];

const V6_CLASSES: ReadonlyArray<readonly [Cidr, string]> = [
  [cidr('::/128'), 'unspecified address'],
  [cidr('::1/128'), 'loopback address'],
  [cidr('fc00::/7'), 'private address'],
  [cidr('fe80::/10'), 'link-local address'],
  [cidr('fec0::/10'), 'private address'],
  [cidr('ff00::/8'), 'multicast address'],
  [cidr('64:ff9b:1::/48'), 'private address'],
  [cidr('100::/64'), 'discard-only address'],
  [cidr('2001:db8::/32'), 'documentation address'],
];

const MAPPED = cidr('::ffff:0:0/96');
const COMPATIBLE = cidr('::/96');
const NAT64 = cidr('64:ff9b::/96');
const SIX_TO_FOUR = cidr('2002::/16');

/** The IPv4 address an IPv6 address embeds (mapped, compatible, NAT64, 6to4), as mapped bytes. */
function embeddedV4(bytes: Uint8Array): Uint8Array | undefined {
  let at = -1;
  if (inCidr(bytes, MAPPED) || inCidr(bytes, COMPATIBLE) || inCidr(bytes, NAT64)) at = 12;
  else if (inCidr(bytes, SIX_TO_FOUR)) at = 2;
  if (at < 0) return undefined;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(bytes.subarray(at, at + 4), 12);
  return out;
}

/**
 * The class of a forbidden address, or undefined for a public one. IPv6 forms that embed an IPv4 address
 * (`::ffff:127.0.0.1`, `::7f00:1`, `64:ff9b::a00:1`, `2002:7f00:1::`) are judged by that address.
 */
export function forbiddenClass(ip: Ip): string | undefined {
  if (!ip.v4) {
    // :: and ::1 sit inside ::/96 but are IPv6's own unspecified and loopback addresses.
    for (const [range, name] of V6_CLASSES.slice(0, 2)) if (inCidr(ip.bytes, range)) return name;
    const v4 = embeddedV4(ip.bytes);
    if (v4) return forbiddenClass({ bytes: v4, v4: true });
    for (const [range, name] of V6_CLASSES) if (inCidr(ip.bytes, range)) return name;
    return undefined;
  }
  for (const [range, name] of V4_CLASSES) if (inCidr(ip.bytes, range)) return name;
  return undefined;
}

/** The decision for one host name: refused, or allowed with the address to pin plain http to. */
type HostDecision = { ok: false; reason: string } | { ok: true; pinHost?: string };

interface CacheEntry {
  expires: number;
  decision: Promise<HostDecision>;
  /** The decision once the lookup has answered, so cache hits need not wait on the promise. */
  settled?: HostDecision;
}

const defaultResolve = async (host: string): Promise<string[]> =>
  (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const ALLOWED: SsrfVerdict = Object.freeze({ ok: true });

/** Builds the guard; invalid allowlist entries throw, so a bad setting fails at startup. */
export function createSsrfGuard(options: SsrfGuardOptions): SsrfGuard {
  const allowedCidrs: Cidr[] = [];
  const allowedHosts = new Set<string>();
  const allowedSuffixes: string[] = [];
  for (const raw of options.allowedNetworks) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    const range = parseCidr(entry);
    if (range) {
      allowedCidrs.push(range);
    } else if (entry.startsWith('*.') && isHostName(entry.slice(2))) {
      allowedSuffixes.push(entry.slice(1));
    } else if (isHostName(entry)) {
      allowedHosts.add(stripDot(entry));
    } else {
      throw new Error(`allowedNetworks: "${raw}" is not a CIDR, an IP address, a host name or *.domain`);
    }
  }

  const resolve = options.resolve ?? defaultResolve;
  const ttl = options.cacheTtlMs ?? 10_000;
  const maxEntries = options.cacheSize ?? 1000;
  const now = options.now ?? Date.now;
  /** Host name → decision, for the TTL (addresses change). */
  const hostCache = new Map<string, CacheEntry>();
  /** IP literal → verdict, for good (a literal's class never changes). */
  const literalCache = new Map<string, SsrfVerdict>();

  const hostAllowed = (host: string): boolean => {
    if (allowedHosts.has(host)) return true;
    for (const suffix of allowedSuffixes) if (host.endsWith(suffix)) return true;
    return false;
  };

  const ipAllowed = (ip: Ip): boolean => {
    for (const range of allowedCidrs) if (inCidr(ip.bytes, range)) return true;
    return false;
  };

  const judgeLiteral = (ip: Ip): SsrfVerdict => {
    if (ipAllowed(ip)) return ALLOWED;
    const cls = forbiddenClass(ip);
    return cls ? Object.freeze({ ok: false as const, reason: cls }) : ALLOWED;
  };

  const decideHost = async (host: string): Promise<HostDecision> => {
    let addresses: string[];
    try {
      addresses = await resolve(host);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new HostFailure(`cannot resolve ${host}: ${typeof code === 'string' ? code : 'lookup failed'}`);
    }
    if (addresses.length === 0) throw new HostFailure(`cannot resolve ${host}: no addresses`);
    let pinHost: string | undefined;
    for (const address of addresses) {
      const ip = parseIp(address);
      if (!ip) throw new HostFailure(`cannot resolve ${host}: invalid address`);
      if (!ipAllowed(ip)) {
        const cls = forbiddenClass(ip);
        if (cls) return { ok: false, reason: `${host} resolves to a ${cls}` };
      }
      pinHost ??= ip.v4 ? address : `[${address.replace(/%.*$/, '')}]`;
    }
    return { ok: true, pinHost };
  };

  /** Concurrent checks of one host share a lookup; failed lookups are not cached. */
  const lookup = (host: string): CacheEntry => {
    const t = now();
    const hit = hostCache.get(host);
    if (hit && hit.expires > t) return hit;
    if (hit) hostCache.delete(host);
    const decision = decideHost(host);
    const entry: CacheEntry = { expires: t + ttl, decision };
    hostCache.set(host, entry);
    decision.then(
      (settled) => {
        entry.settled = settled;
      },
      () => {
        if (hostCache.get(host) === entry) hostCache.delete(host);
      },
    );
    // Maps iterate in insertion order, so the first key is the oldest entry.
    if (hostCache.size > maxEntries) hostCache.delete(hostCache.keys().next().value!);
    return entry;
  };

  const verdictFor = (decision: HostDecision, url: URL): SsrfVerdict => {
    if (!decision.ok) return decision;
    if (url.protocol === 'https:' || decision.pinHost === undefined) {
      // TLS verifies the certificate against the host name, so a rebound address would fail the
      // handshake; pinning to an IP would instead break SNI and certificate verification.
      return ALLOWED;
    }
    // Plain http has no such protection: connect to the address just checked, so a DNS answer that
    // changes between this check and the connect (DNS rebinding) cannot redirect the request.
    const pinnedUrl = new URL(url.href);
    pinnedUrl.hostname = decision.pinHost;
    return { ok: true, pinnedUrl, hostHeader: url.host };
  };

  const failed = (err: unknown): SsrfVerdict => {
    if (err instanceof HostFailure) return { ok: false, reason: err.message };
    throw err;
  };

  return {
    check(url: URL): SsrfVerdict | Promise<SsrfVerdict> {
      const protocol = url.protocol;
      if (protocol !== 'http:' && protocol !== 'https:') {
        return { ok: false, reason: `scheme ${protocol} is not allowed` };
      }
      const hostname = url.hostname;
      // The hot path: a literal seen before is one Map lookup, no allocation, no promise.
      const known = literalCache.get(hostname);
      if (known) return known;
      const literal = parseIp(hostname);
      if (literal) {
        const verdict = judgeLiteral(literal);
        if (literalCache.size >= maxEntries) literalCache.delete(literalCache.keys().next().value!);
        literalCache.set(hostname, verdict);
        return verdict;
      }

      const host = stripDot(hostname);
      if (hostAllowed(host)) return ALLOWED;
      const entry = lookup(host);
      if (entry.settled !== undefined) return verdictFor(entry.settled, url);
      return entry.decision.then((decision) => verdictFor(decision, url), failed);
    },
  };
}

/** A lookup that failed; its message is the refusal reason. */
class HostFailure extends Error {}

function stripDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

function isHostName(text: string): boolean {
  return /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/.test(text);
}
