/**
 * The host side of the guest's `fetch`. Every hop (the first request and each redirect, followed here by hand, at
 * most MAX_REDIRECTS) is checked twice: its host name against the optional egress allow-list, then every address the
 * name resolves to against the egress policy (egress.ts: public addresses only unless the operator opts in; never
 * this server's own listener), and the connection is made to the checked addresses. A cross-origin redirect drops
 * credentials; the Host header is not the guest's to set. A timeout covers the whole exchange, the response body
 * is capped, and the run's own signal (egress-run.ts) aborts what is still in flight when the run ends.
 *
 * Issue 10 H3 changed the default: DESIGN section 4 had every host reachable, loopback included, as on Auth0;
 * Auth0's Actions do not run beside the tenant's own metadata service and admin API, Baton's do.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { checkAddress, egressAgents, pinnedLookup, resolveHost, type EgressPolicy } from './egress.js';

export interface FetchPolicy extends EgressPolicy {
  timeoutMs: number;
  maxBytes: number;
  /** Host names (`api.example.com`) or suffix wildcards (`*.example.com`); undefined means any host. */
  egressAllow: string[] | undefined;
  /** Per-run caps (egress-run.ts); defaults there. */
  fetchConcurrency?: number;
  fetchesPerRun?: number;
  timersPerRun?: number;
}

export interface FetchRequest {
  url: string;
  method: string;
  headers: Array<[string, string]>;
  body?: { text?: string; b64?: string };
}

export interface FetchResult {
  status: number;
  statusText: string;
  url: string;
  redirected: boolean;
  headers: Array<[string, string]>;
  bytes: Uint8Array;
}

/** A fetch failure with a message safe to show the Action (no host detail). */
export class FetchError extends Error {
  constructor(
    message: string,
    override readonly name: 'TypeError' | 'TimeoutError' = 'TypeError',
  ) {
    super(message);
  }
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Forbidden methods of the fetch standard. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
/** Framing and connection headers: set by the host, a guest value is ignored. */
const HOST_MANAGED = new Set([
  'connection',
  'content-length',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
]);
/**
 * Dropped on a cross-origin redirect. The fetch standard drops Authorization; Baton also drops the other
 * credential-carrying headers, named or API-key-like (`x-api-key`, `x-auth-token`, `x-client-secret`, ...).
 */
const CREDENTIAL_HEADER =
  /^(authorization|proxy-authorization|cookie|cookie2)$|api[-_]?key|auth|token|secret|session|password|credential/i;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function isAllowedHost(url: URL, allow: string[] | undefined): boolean {
  if (!allow) return true;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return allow.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('*.') ? host.endsWith(e.slice(1)) : host === e;
  });
}

/** Syntax, protocol and the name allow-list (no resolution: that happens when connecting, in `guardedFetch`). */
export function checkUrl(raw: string, policy: FetchPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchError(`fetch: invalid URL: ${raw.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new FetchError(`fetch: unsupported protocol ${url.protocol}`);
  if (url.username || url.password) throw new FetchError('fetch: a URL with credentials is not allowed');
  if (!isAllowedHost(url, policy.egressAllow))
    throw new FetchError(`fetch: host ${url.hostname} is not in the egress allow-list`);
  return url;
}

const portOf = (url: URL): number => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

/** Resolves the URL's host and checks every address; returns the addresses to connect to. */
async function checkedAddresses(url: URL, policy: FetchPolicy): Promise<string[]> {
  let addresses: string[];
  try {
    addresses = await resolveHost(url.hostname, policy);
  } catch {
    throw new FetchError('fetch failed');
  }
  if (addresses.length === 0) throw new FetchError('fetch failed');
  const port = portOf(url);
  const verdicts = addresses.map((a) => checkAddress(a, port, policy));
  if (verdicts.includes('self'))
    throw new FetchError(`fetch: destination ${url.hostname}:${port} is this server's own listener`);
  if (verdicts.includes('internal')) throw new FetchError(`fetch: destination ${url.hostname} is not a public address`);
  return addresses;
}

function requestHeaders(pairs: Array<[string, string]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [rawName, rawValue] of pairs) {
    const name = String(rawName).toLowerCase();
    const value = String(rawValue);
    if (name === 'host') throw new FetchError('fetch: the Host header cannot be set');
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    } catch {
      throw new FetchError(`fetch: invalid header ${name.slice(0, 100)}`);
    }
    if (HOST_MANAGED.has(name)) continue;
    const cur = out.get(name);
    out.set(name, cur === undefined ? value : `${cur}, ${value}`);
  }
  return out;
}

interface Answer {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  body: http.IncomingMessage;
}

function send(
  url: URL,
  addresses: string[],
  method: string,
  headers: Map<string, string>,
  body: Buffer | undefined,
  signal: AbortSignal,
  policy: FetchPolicy,
): Promise<Answer> {
  const agents = egressAgents(policy);
  const secure = url.protocol === 'https:';
  const h: Record<string, string> = Object.fromEntries(headers);
  if (body !== undefined) h['content-length'] = String(body.byteLength);
  else if (method === 'POST' || method === 'PUT' || method === 'PATCH') h['content-length'] = '0';
  return new Promise<Answer>((resolve, reject) => {
    const options: https.RequestOptions = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: portOf(url),
      path: `${url.pathname}${url.search}`,
      method,
      headers: h,
      agent: secure ? agents.https : agents.http,
      lookup: pinnedLookup(addresses),
      signal,
    };
    const req = (secure ? https : http).request(options, (res) => {
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
        pairs.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
      resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: pairs, body: res });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function guardedFetch(
  req: FetchRequest,
  policy: FetchPolicy,
  runSignal?: AbortSignal,
): Promise<FetchResult> {
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  const signal = runSignal ? AbortSignal.any([timeout, runSignal]) : timeout;
  let url = checkUrl(req.url, policy);
  let method = String(req.method || 'GET').toUpperCase();
  if (!TOKEN.test(method) || FORBIDDEN_METHODS.has(method))
    throw new FetchError(`fetch: method ${method.slice(0, 20)} is not allowed`);
  let body: Buffer | undefined =
    req.body?.text !== undefined
      ? Buffer.from(req.body.text, 'utf8')
      : req.body?.b64 !== undefined
        ? Buffer.from(req.body.b64, 'base64')
        : undefined;
  const headers = requestHeaders(req.headers ?? []);
  try {
    for (let hop = 0; ; hop++) {
      const addresses = await checkedAddresses(url, policy);
      if (signal.aborted) throw signal.reason;
      const res = await send(url, addresses, method, headers, body, signal, policy);
      const location = res.headers.find(([k]) => k === 'location')?.[1];
      if (REDIRECTS.has(res.status) && location !== undefined) {
        res.body.destroy();
        if (hop >= MAX_REDIRECTS) throw new FetchError('fetch failed: too many redirects');
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new FetchError('fetch failed: invalid redirect location');
        }
        next = checkUrl(next.href, policy);
        if (next.origin !== url.origin)
          for (const name of [...headers.keys()]) if (CREDENTIAL_HEADER.test(name)) headers.delete(name);
        if (res.status === 303 ? method !== 'HEAD' : (res.status === 301 || res.status === 302) && method === 'POST') {
          method = 'GET';
          body = undefined;
          for (const name of ['content-type', 'content-encoding', 'content-language', 'content-location'])
            headers.delete(name);
        }
        url = next;
        continue;
      }
      const bytes = await readCapped(res, policy.maxBytes);
      return {
        status: res.status,
        statusText: res.statusText,
        url: url.href,
        redirected: hop > 0,
        headers: res.headers,
        bytes,
      };
    }
  } catch (err) {
    if (err instanceof FetchError) throw err;
    if (timeout.aborted) throw new FetchError(`fetch: timed out after ${policy.timeoutMs} ms`, 'TimeoutError');
    if (runSignal?.aborted) throw new FetchError('fetch: the run is over');
    throw new FetchError('fetch failed');
  }
}

/** The body, decoded (gzip, deflate, br) and capped at `max` bytes after decoding. */
async function readCapped(res: Answer, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.find(([k]) => k === 'content-length')?.[1]);
  const encoding = (res.headers.find(([k]) => k === 'content-encoding')?.[1] ?? '').trim().toLowerCase();
  if (!encoding && Number.isFinite(declared) && declared > max) {
    res.body.destroy();
    throw new FetchError(`fetch: response body exceeds ${max} bytes`);
  }
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : null;
  const stream: Readable = decoder ? res.body.pipe(decoder) : res.body;
  if (decoder) res.body.on('error', (e) => decoder.destroy(e));
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      total += (chunk as Buffer).byteLength;
      if (total > max) throw new FetchError(`fetch: response body exceeds ${max} bytes`);
      chunks.push(chunk as Buffer);
    }
  } finally {
    if (total > max || !res.body.complete) res.body.destroy();
  }
  return Buffer.concat(chunks);
}

/** The guarded fetch shaped as the `fetch` jose's createRemoteJWKSet expects (its `customFetch` option). */
export function joseFetch(
  policy: FetchPolicy,
  send: (req: FetchRequest) => Promise<FetchResult> = (r) => guardedFetch(r, policy),
) {
  return async (url: string, options: { headers: Headers; method: 'GET' }): Promise<Response> => {
    const r = await send({ url, method: options.method, headers: [...options.headers] });
    return new Response(r.bytes.byteLength ? (r.bytes as Uint8Array<ArrayBuffer>) : null, {
      status: r.status,
      headers: r.headers,
    });
  };
}
