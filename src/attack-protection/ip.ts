/**
 * IP addresses for Suspicious IP Throttling: one canonical spelling per address (so `2001:DB8::1`,
 * `2001:db8:0:0::1` and `::ffff:192.0.2.1`'s IPv4 share one bucket), one bucket per IPv6 /64 by default
 * (throttleKey), and the allowlist of addresses and CIDR ranges (spec section 12.1) as a node:net BlockList.
 */
import { BlockList, isIP } from 'node:net';

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The canonical form of an IP address, or undefined when `value` is not one. */
export function normalizeIp(value: string): string | undefined {
  const bare = value.trim().replace(/%.*$/, ''); // an IPv6 zone id does not make another host
  const family = isIP(bare);
  if (family === 4) return bare;
  if (family !== 6) return undefined;
  const mapped = MAPPED_V4.exec(bare);
  if (mapped) return mapped[1];
  // WHATWG URL serialises IPv6 hosts canonically (RFC 5952: lowercase, longest zero run compressed).
  const host = new URL(`http://[${bare}]/`).hostname;
  const canonical = host.slice(1, -1);
  // `::ffff:c000:201` is how URL spells a mapped IPv4 written in hex.
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1]!, 16);
    const lo = parseInt(hexMapped[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return canonical;
}

/**
 * Default of BATON_THROTTLE_IPV6_PREFIX: IPv6 addresses are throttled per /64, the smallest network a site is given
 * (RFC 6177), since a host can pick any address of its /64 for every request (RFC 8981 temporary addresses).
 */
export const DEFAULT_IPV6_PREFIX = 64;
export const MIN_IPV6_PREFIX = 32;
export const MAX_IPV6_PREFIX = 128;

/** The eight 16-bit groups of a canonical (URL-serialised, hex only) IPv6 address. */
function groupsOf(canonical: string): number[] {
  const [head, tail] = canonical.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The Suspicious IP Throttling bucket of an address: an IPv4 address (IPv4-mapped IPv6 included) is its own
 * bucket; an IPv6 address shares one with its /`ipv6Prefix` network, keyed `network/prefix` (the address itself at
 * 128). Undefined when `value` is not an IP address.
 */
export function throttleKey(value: string, ipv6Prefix: number = DEFAULT_IPV6_PREFIX): string | undefined {
  const ip = normalizeIp(value);
  if (!ip || isIP(ip) === 4 || ipv6Prefix >= MAX_IPV6_PREFIX) return ip;
  const groups = groupsOf(ip).map((g, i) => {
    const bits = Math.min(16, Math.max(0, ipv6Prefix - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  const network = new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`).hostname.slice(1, -1);
  return `${network}/${ipv6Prefix}`;
}

/** Why an allowlist entry is not an IPv4/IPv6 address or CIDR range, or null when it is one. */
export function allowlistEntryProblem(entry: string): string | null {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return `'${entry}' is not an IPv4 or IPv6 address or CIDR range`;
  if (slash === -1) return null;
  const prefix = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `'${entry}' has an invalid prefix length (0 to ${max})`;
  return null;
}

/** The allowlist as a BlockList; entries must have passed allowlistEntryProblem. */
export function buildAllowlist(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/** True when the (normalised) address falls in the allowlist. */
export function isAllowlisted(list: BlockList, ip: string): boolean {
  return list.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
}
