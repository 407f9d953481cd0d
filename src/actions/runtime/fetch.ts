/**
 * The host side of the guest's `fetch` (DESIGN section 4): every host reachable by default, loopback included, as in
 * Auth0; an optional egress allow-list narrows it (checked on every redirect hop); a timeout over the whole
 * exchange and a cap on the response body size.
 */
export interface FetchPolicy {
  timeoutMs: number;
  maxBytes: number;
  /** Host names (`api.example.com`) or suffix wildcards (`*.example.com`); undefined means any host. */
  egressAllow: string[] | undefined;
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
  constructor(message: string, override readonly name: 'TypeError' | 'TimeoutError' = 'TypeError') {
    super(message);
  }
}

const MAX_REDIRECTS = 5;

export function isAllowedHost(url: URL, allow: string[] | undefined): boolean {
  if (!allow) return true;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return allow.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('*.') ? host.endsWith(e.slice(1)) : host === e;
  });
}

export function checkUrl(raw: string, policy: FetchPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchError(`fetch: invalid URL: ${raw.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError(`fetch: unsupported protocol ${url.protocol}`);
  if (!isAllowedHost(url, policy.egressAllow)) throw new FetchError(`fetch: host ${url.hostname} is not in the egress allow-list`);
  return url;
}

export async function guardedFetch(req: FetchRequest, policy: FetchPolicy): Promise<FetchResult> {
  const signal = AbortSignal.timeout(policy.timeoutMs);
  let url = checkUrl(req.url, policy);
  let method = req.method;
  let body: string | Uint8Array | undefined = req.body?.text ?? (req.body?.b64 !== undefined ? Buffer.from(req.body.b64, 'base64') : undefined);
  const headers = new Headers();
  for (const [k, v] of req.headers) headers.append(k, v);
  try {
    for (let hop = 0; ; hop++) {
      const res = await fetch(url, { method, headers, body: body as BodyInit | undefined, redirect: 'manual', signal });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && res.status !== 304) {
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new FetchError('fetch failed: too many redirects');
        url = checkUrl(new URL(location, url).href, policy);
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          headers.delete('content-type');
        }
        continue;
      }
      const bytes = await readCapped(res, policy.maxBytes);
      return { status: res.status, statusText: res.statusText, url: url.href, redirected: hop > 0, headers: [...res.headers], bytes };
    }
  } catch (err) {
    if (err instanceof FetchError) throw err;
    if (signal.aborted) throw new FetchError(`fetch: timed out after ${policy.timeoutMs} ms`, 'TimeoutError');
    throw new FetchError('fetch failed');
  }
}

async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    throw new FetchError(`fetch: response body exceeds ${max} bytes`);
  }
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw new FetchError(`fetch: response body exceeds ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The guarded fetch shaped as the `fetch` jose's createRemoteJWKSet expects (its `customFetch` option). */
export function joseFetch(policy: FetchPolicy) {
  return async (url: string, options: { headers: Headers; method: 'GET' }): Promise<Response> => {
    const r = await guardedFetch({ url, method: options.method, headers: [...options.headers] }, policy);
    return new Response(r.bytes.byteLength ? (r.bytes as Uint8Array<ArrayBuffer>) : null, { status: r.status, headers: r.headers });
  };
}
