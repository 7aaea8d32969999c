/**
 * The client address of a request, for per-address login throttling and the audit log. Behind a
 * reverse proxy every request comes from the proxy, so `X-Forwarded-For` is read, but only when the
 * peer is one of the configured trusted proxies: anyone else could write any address there.
 */
import { BlockList, isIP } from 'node:net';

/** Matches addresses against the trusted proxies (CIDRs or single addresses, IPv4 or IPv6). */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const problem = TrustedProxies.problem(entry);
      if (problem) throw new Error(problem);
      const [address = '', bits] = entry.split('/');
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(address, type);
      else this.list.addSubnet(address, Number(bits), type);
    }
    this.size = entries.length;
  }

  /** What is wrong with an entry, or undefined: `10.0.0.0/8`, `127.0.0.1`, `fd00::/8`. */
  static problem(entry: string): string | undefined {
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined) return `${JSON.stringify(entry)} is not an IP address or CIDR`;
    if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max)) return `${JSON.stringify(entry)} has a bad prefix length`;
    return undefined;
  }

  has(address: string): boolean {
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && this.list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** `::ffff:10.1.2.3` (how dual-stack sockets report IPv4 peers) → `10.1.2.3`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The peer address, or, when the peer is a trusted proxy, the right-most `X-Forwarded-For` entry that
 * is not itself a trusted proxy (entries to its left were written by the client and prove nothing).
 */
export function resolveClientIp(peer: string | undefined, forwardedFor: string | null, trusted: TrustedProxies): string {
  if (peer === undefined) return 'unknown';
  if (trusted.size === 0 || forwardedFor === null || !trusted.has(peer)) return unmapped(peer);
  const hops = forwardedFor
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapped(hops[i] ?? '');
    if (isIP(hop) === 0) return unmapped(peer);
    if (!trusted.has(hop)) return hop;
  }
  return unmapped(peer);
}
