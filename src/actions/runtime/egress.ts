/**
 * Where an Action's `fetch` may connect (H3 of issue 10). Every destination is resolved first, each address it
 * resolves to is checked, and the connection is made to a checked address (the socket's `lookup` answers with the
 * checked list, so no second DNS lookup happens: no DNS rebinding between check and connect).
 *
 * By default only public unicast addresses are reachable: loopback (in every spelling the URL parser accepts, and
 * as IPv4 embedded in IPv6: IPv4-mapped, NAT64, 6to4, IPv4-compatible), `0.0.0.0` and `::`, private and unique-local
 * ranges, link-local (with the cloud metadata services), CGNAT, multicast, broadcast and reserved ranges are refused.
 * `BATON_ACTION_EGRESS_ALLOW_PRIVATE` opens them: `true` opens every internal range except the cloud metadata
 * addresses, a CIDR list opens those ranges only (a metadata address only when a listed range covers it).
 * This server's own listener (its port on any of this machine's addresses) stays out of reach either way, unless
 * `BATON_ACTION_EGRESS_ALLOW_SELF` is set. A name that resolves to several addresses is refused when any of them is.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import ipaddr from 'ipaddr.js';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** Per-worker connection caps of the egress agents (one HTTP and one HTTPS agent per sandbox worker). */
export const DEFAULT_EGRESS_SOCKETS_PER_ORIGIN = 8;
export const DEFAULT_EGRESS_SOCKETS_TOTAL = 64;
/** Idle keep-alive sockets kept per origin, and how long. */
const FREE_SOCKETS_PER_ORIGIN = 2;
const IDLE_SOCKET_MS = 5_000;

/**
 * Cloud instance metadata and credential endpoints (AWS, GCP, Azure, OpenStack: 169.254.169.254 and fd00:ec2::254;
 * AWS ECS and EKS: 169.254.170.2, 169.254.170.23, fd00:ec2::23; Alibaba: 100.100.100.200; Oracle: 192.0.0.192).
 * Never opened by `BATON_ACTION_EGRESS_ALLOW_PRIVATE=true`, only by a CIDR that covers them.
 */
const METADATA_ADDRESSES = [
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '100.100.100.200',
  '192.0.0.192',
  'fd00:ec2::254',
  'fd00:ec2::23',
];
const METADATA = METADATA_ADDRESSES.map((a) => ipaddr.parse(a));

const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

export interface EgressPolicy {
  /** Internal destinations opened by the operator: none (default), every range but the metadata addresses, or CIDRs. */
  allowPrivate?: boolean | string[];
  /** This server's own listener reachable (default false). */
  allowSelf?: boolean;
  /** The server's listening ports; `0` (a random port) makes every port of this machine's addresses its listener. */
  listenPorts?: number[];
  /** Test-only: host names answered from this table instead of DNS (so tests never send a DNS query). */
  resolveHosts?: Record<string, string[]>;
  socketsPerOrigin?: number;
  socketsTotal?: number;
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped, IPv4-translated, NAT64 well-known prefix, 6to4, IPv4-compatible), or itself. */
function effectiveAddress(a: Addr): Addr {
  if (a.kind() === 'ipv4') return a;
  const v6 = a as ipaddr.IPv6;
  const b = v6.toByteArray();
  const v4 = (o: number) => ipaddr.fromByteArray(b.slice(o, o + 4)) as ipaddr.IPv4;
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145') return v4(12);
  if (range === 'rfc6052' && v6.match(NAT64)) return v4(12);
  if (range === '6to4') return v4(2);
  // IPv4-compatible (::a.b.c.d, deprecated): the first 96 bits zero, not :: or ::1.
  if (b.slice(0, 12).every((x) => x === 0) && range !== 'unspecified' && range !== 'loopback') return v4(12);
  return v6;
}

/** A public unicast address (after unwrapping IPv4 embedded in IPv6). */
export function isPublicAddress(address: string): boolean {
  let a: Addr;
  try {
    a = ipaddr.parse(address);
  } catch {
    return false;
  }
  const e = effectiveAddress(a);
  if (e.kind() === 'ipv4') return e.range() === 'unicast' && !isMetadata(e);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).range() === 'rfc6052') return false; // local-use NAT64 (64:ff9b:1::/48)
  return e.range() === 'unicast' && e.match(GLOBAL_UNICAST_V6) && !isMetadata(e);
}

function isMetadata(a: Addr): boolean {
  return METADATA.some((m) => m.kind() === a.kind() && m.toNormalizedString() === a.toNormalizedString());
}

function inCidrs(a: Addr, cidrs: string[]): boolean {
  return cidrs.some((c) => {
    const range = ipaddr.parseCIDR(c);
    return range[0].kind() === a.kind() && a.match(range);
  });
}

/** One of this machine's own addresses: loopback, unspecified, or an interface's. */
function isOwnAddress(a: Addr): boolean {
  const r = a.range();
  if (r === 'loopback' || r === 'unspecified') return true;
  const own = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  return own.some((i) => {
    try {
      const o = effectiveAddress(ipaddr.parse(i.address.replace(/%.*$/, '')));
      return o.kind() === a.kind() && o.toNormalizedString() === a.toNormalizedString();
    } catch {
      return false;
    }
  });
}

export type Verdict = 'ok' | 'internal' | 'self';

/** Whether `address` (a literal IP) may be connected to on `port` under the policy. */
export function checkAddress(address: string, port: number, policy: EgressPolicy): Verdict {
  let raw: Addr;
  try {
    raw = ipaddr.parse(address.replace(/%.*$/, ''));
  } catch {
    return 'internal';
  }
  const a = effectiveAddress(raw);
  const ports = policy.listenPorts ?? [];
  if (!policy.allowSelf && (ports.includes(0) || ports.includes(port)) && isOwnAddress(a)) return 'self';
  if (isPublicAddress(address)) return 'ok';
  const allow = policy.allowPrivate;
  if (allow === true) return isMetadata(a) ? 'internal' : 'ok';
  if (Array.isArray(allow) && (inCidrs(a, allow) || inCidrs(raw, allow))) return 'ok';
  return 'internal';
}

/** Validates a `BATON_ACTION_EGRESS_ALLOW_PRIVATE` CIDR (address/bits); a bare address counts as a single host. */
export function normalizeCidr(entry: string): string | null {
  const e = entry.trim();
  if (ipaddr.isValidCIDR(e)) return e;
  if (ipaddr.isValid(e)) return `${e}/${ipaddr.parse(e).kind() === 'ipv4' ? 32 : 128}`;
  return null;
}

/** The addresses a URL host name stands for: a literal, `localhost` (RFC 6761: always loopback), the test table, or DNS. */
export async function resolveHost(hostname: string, policy: EgressPolicy): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) return [host];
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return ['127.0.0.1', '::1'];
  const table = policy.resolveHosts;
  if (table) {
    const fixed = table[name];
    if (!fixed) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return fixed;
  }
  const found = await dns.promises.lookup(name, { all: true, verbatim: true });
  return found.map((f) => f.address);
}

/** A socket `lookup` that answers with addresses already checked (never a second resolution). */
export function pinnedLookup(addresses: string[]): net.LookupFunction {
  return ((_host: string, options: dns.LookupOptions, cb: (...args: unknown[]) => void) => {
    const family = typeof options === 'object' ? options.family : undefined;
    const fam = family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : family;
    const list = addresses.filter((a) => !fam || net.isIP(a) === fam);
    if (list.length === 0) {
      cb(Object.assign(new Error('no address of the requested family'), { code: 'ENOTFOUND' }));
      return;
    }
    if (typeof options === 'object' && options.all)
      cb(
        null,
        list.map((address) => ({ address, family: net.isIP(address) })),
      );
    else cb(null, list[0], net.isIP(list[0]!));
  }) as unknown as net.LookupFunction;
}

const agents = new WeakMap<EgressPolicy, { http: http.Agent; https: https.Agent }>();

/** The worker's dedicated egress agents, with connection caps per origin and in total. */
export function egressAgents(policy: EgressPolicy): { http: http.Agent; https: https.Agent } {
  let a = agents.get(policy);
  if (!a) {
    const options = {
      keepAlive: true,
      maxSockets: policy.socketsPerOrigin ?? DEFAULT_EGRESS_SOCKETS_PER_ORIGIN,
      maxTotalSockets: policy.socketsTotal ?? DEFAULT_EGRESS_SOCKETS_TOTAL,
      maxFreeSockets: FREE_SOCKETS_PER_ORIGIN,
      timeout: IDLE_SOCKET_MS,
      scheduling: 'lifo' as const,
    };
    a = { http: new http.Agent(options), https: new https.Agent(options) };
    agents.set(policy, a);
  }
  return a;
}
