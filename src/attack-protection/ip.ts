/**
 * IP addresses for Suspicious IP Throttling: one canonical spelling per address (so `2001:DB8::1`,
 * `2001:db8:0:0::1` and `::ffff:192.0.2.1`'s IPv4 share one bucket), and the allowlist of addresses and CIDR
 * ranges (spec section 12.1) as a node:net BlockList.
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
