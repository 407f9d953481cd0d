/**
 * Host functions behind the guest shims (prelude.ts). Input and output are JSON strings: `{v: value}` on success,
 * `{e: {kind, name, message, code}}` on failure; the guest turns `e` into an error object created in the guest,
 * so no host object (and no host prototype chain) ever reaches Action code.
 */
import * as jose from 'jose';
import nodeCrypto from 'node:crypto';
import type { ActionCommand, ConsoleLine, TriggerId } from '../contract.js';
import type { CommandRecorder } from '../triggers/commands.js';
import type { CacheSession } from '../cache/session.js';
import { FetchError, joseFetch, checkUrl, type FetchPolicy, type FetchRequest } from './fetch.js';
import type { RunEgress } from './egress-run.js';
import { describeKey, resolveKey, type KeyTable } from './host-keys.js';
import { vendorSource } from './prelude.js';
import { subtleOp } from './host-subtle.js';
import { nodeCryptoOp } from './host-node-crypto.js';

interface GuestErrorDescription {
  kind: 'jose' | 'type' | 'range' | 'error' | 'dom';
  name?: string;
  message: string;
  code?: string;
  claim?: string;
  reason?: string;
  payload?: unknown;
}

/** What host functions need from the run in progress. */
export interface RunHooks {
  trigger: TriggerId;
  commands: ActionCommand[];
  logs: ConsoleLine[];
  cache: CacheSession;
  /** Checks each recorded command against the run's budget and the host's rules before it is kept. */
  recorder: CommandRecorder;
  /** The run's fetches and timers: caps, and everything aborted when the run ends (egress-run.ts). */
  egress: RunEgress;
  onViolation(v: { command: string; rule: string; message: string }): void;
}

const MAX_LOG_LINES = 200;
const MAX_LOG_CHARS = 2048;
const HASHES = new Set(nodeCrypto.getHashes());

function describeError(err: unknown): GuestErrorDescription {
  if (err instanceof jose.errors.JOSEError) {
    const e = err as jose.errors.JOSEError & { claim?: string; reason?: string; payload?: unknown };
    return { kind: 'jose', code: e.code, message: e.message, claim: e.claim, reason: e.reason, payload: e.payload };
  }
  // WebCrypto's errors (crypto.subtle): the guest re-creates them as its own DOMException of the same name.
  if (err instanceof DOMException) return { kind: 'dom', name: err.name, message: err.message };
  if (err instanceof FetchError)
    return { kind: err.name === 'TypeError' ? 'type' : 'error', name: err.name, message: err.message };
  if (err instanceof TypeError) return { kind: 'type', message: err.message };
  if (err instanceof RangeError) return { kind: 'range', message: err.message };
  if (err instanceof Error) return { kind: 'error', name: 'Error', message: err.message };
  return { kind: 'error', message: 'host call failed' };
}

const ok = (v: unknown): string => JSON.stringify({ v: v === undefined ? null : v });
const fail = (err: unknown): string => JSON.stringify({ e: describeError(err) });

/** String() of a value from the guest, typed unknown: what the guest sends where text is expected is text. */
const toText = (v: unknown): string => String(v);
const bytes = (b64: unknown): Buffer => Buffer.from(b64 === undefined || b64 === null ? '' : toText(b64), 'base64');

/**
 * The fields of a payload the guest shims sent (prelude.ts), not yet checked: each op narrows what it reads. Reading
 * a field of null throws a TypeError, as a property read would; a primitive has none of the fields.
 */
function fields(p: unknown): Readonly<Record<string, unknown>> {
  if (p === null || p === undefined) throw new TypeError(`Cannot read properties of ${String(p)}`);
  return typeof p === 'object' ? (p as Record<string, unknown>) : {};
}

export function hostSync(op: string, payload: string, run: RunHooks, keys: KeyTable, policy: FetchPolicy): string {
  try {
    // Checked against the run's command budget before the payload is even parsed (issue 10 H2).
    if (op === 'command') return recordCommand(payload, run);
    // node:crypto, URL and jose check their arguments at run time: the casts below only name what the guest sends.
    const p: unknown = JSON.parse(payload);
    switch (op) {
      case 'console': {
        const line = fields(p);
        if (run.logs.length < MAX_LOG_LINES)
          run.logs.push({
            level: line.level as ConsoleLine['level'],
            message: String(line.message).slice(0, MAX_LOG_CHARS),
          });
        return ok(null);
      }
      case 'violation': {
        const v = fields(p);
        run.onViolation({ command: String(v.command), rule: String(v.rule), message: String(v.message) });
        return ok(null);
      }
      case 'timer.arm':
        run.egress.armTimer(Number(p));
        return ok(null);
      case 'timer.clear':
        run.egress.clearTimer(Number(p));
        return ok(null);
      case 'fetch.abort':
        run.egress.abort(Number(p));
        return ok(null);
      case 'vendor':
        return ok(vendorSource(String(p)));
      case 'cache.get':
        return ok(run.cache.get(fields(p).key) ?? null);
      case 'cache.set': {
        const c = fields(p);
        return ok(run.cache.set(c.key, c.value, c.options ?? undefined));
      }
      case 'cache.delete':
        return ok(run.cache.delete(fields(p).key));
      case 'url.parse': {
        const { input, base } = fields(p) as { input: string; base?: string | null };
        return ok(urlParts(base === undefined || base === null ? new URL(input) : new URL(input, base)));
      }
      case 'url.set': {
        const { href, prop, value } = fields(p) as { href: string; prop: string; value: unknown };
        const u = new URL(href);
        (u as unknown as Record<string, unknown>)[prop] = value;
        return ok(urlParts(u));
      }
      case 'jose.decodeJwt':
        return ok(jose.decodeJwt(p as string));
      case 'jose.decodeProtectedHeader':
        return ok(jose.decodeProtectedHeader(p as string | object));
      case 'jose.createLocalJWKSet':
        return ok(keys.add(jose.createLocalJWKSet(p as jose.JSONWebKeySet)));
      case 'jose.createRemoteJWKSet': {
        const r = fields(p);
        const url = checkUrl(String(r.url), policy);
        const o = fields(r.options ?? {});
        const timeoutDuration = Math.min(
          typeof o.timeoutDuration === 'number' ? o.timeoutDuration : 5000,
          policy.timeoutMs,
        );
        const viaRun = (r: Parameters<RunEgress['fetch']>[0]) => {
          if (!keys.egress) throw new FetchError('fetch: the run is over');
          return keys.egress.fetch(r);
        };
        const options: jose.RemoteJWKSetOptions = { timeoutDuration, [jose.customFetch]: joseFetch(policy, viaRun) };
        if (typeof o.cooldownDuration === 'number') options.cooldownDuration = o.cooldownDuration;
        if (typeof o.cacheMaxAge === 'number') options.cacheMaxAge = o.cacheMaxAge;
        if (o.headers && typeof o.headers === 'object') options.headers = o.headers as Record<string, string>;
        return ok(keys.add(jose.createRemoteJWKSet(url, options)));
      }
      case 'jose.release':
        keys.release(p);
        return ok(null);
      case 'crypto.checkHash':
        if (!HASHES.has(String(p).toLowerCase())) throw new Error(`Digest method not supported: ${String(p)}`);
        return ok(null);
      case 'crypto.hash': {
        const h = fields(p);
        return ok(
          nodeCrypto
            .createHash(h.alg as string)
            .update(bytes(h.data))
            .digest('base64'),
        );
      }
      case 'crypto.hmac': {
        const h = fields(p);
        return ok(
          nodeCrypto
            .createHmac(h.alg as string, bytes(h.key))
            .update(bytes(h.data))
            .digest('base64'),
        );
      }
      case 'crypto.timingSafeEqual': {
        const t = fields(p);
        const a = bytes(t.a);
        const b = bytes(t.b);
        if (a.length !== b.length) throw new RangeError('Input buffers must have the same byte length');
        return ok(nodeCrypto.timingSafeEqual(a, b));
      }
      case 'crypto.randomUUID':
        return ok(nodeCrypto.randomUUID());
      case 'crypto.randomBytes': {
        if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65536)
          throw new RangeError('The value of "size" is out of range (0 to 65536)');
        return ok(nodeCrypto.randomBytes(p).toString('base64'));
      }
      default:
        if (op.startsWith('ncrypto.')) return ok(nodeCryptoOp(op, fields(p), keys));
        throw new Error(`unknown host call ${op}`);
    }
  } catch (err) {
    return fail(err);
  }
}

function recordCommand(payload: string, run: RunHooks): string {
  const r = run.recorder.accept(payload);
  if ('violation' in r) {
    run.onViolation(r.violation);
    throw new Error(`api.${r.violation.command}: ${r.violation.message} [${r.violation.rule}]`);
  }
  run.commands.push(r.command);
  return ok(null);
}

export async function hostAsync(
  op: string,
  payload: string,
  keys: KeyTable,
  policy: FetchPolicy,
  egress: RunEgress,
): Promise<string> {
  try {
    keys.egress = egress;
    // guardedFetch and jose check what they are given: the casts below only name what the guest sends.
    const p: unknown = JSON.parse(payload);
    switch (op) {
      case 'sleep': {
        const t = fields(p ?? {});
        await egress.sleep(Number(t.id), Number(t.ms) || 0, t.repeat === true);
        return ok(null);
      }
      case 'fetch': {
        const f = fields(p);
        const r = await egress.fetch(f.request as FetchRequest, typeof f.abortId === 'number' ? f.abortId : undefined);
        const type = r.headers.find(([k]) => k === 'content-type')?.[1] ?? '';
        const textual = type === '' || /json|text|xml|javascript|x-www-form-urlencoded/i.test(type);
        const base = {
          status: r.status,
          statusText: r.statusText,
          url: r.url,
          redirected: r.redirected,
          headers: r.headers,
        };
        return ok(
          textual
            ? { ...base, text: new TextDecoder().decode(r.bytes) }
            : { ...base, b64: Buffer.from(r.bytes).toString('base64') },
        );
      }
      case 'jose.jwtVerify': {
        const v = fields(p);
        const key = resolveKey(keys, fields(v.key ?? {}));
        const options = { ...fields(v.options ?? {}) } as jose.JWTVerifyOptions & { currentDate?: unknown };
        if (typeof options.currentDate === 'number') options.currentDate = new Date(options.currentDate);
        const r = await jose.jwtVerify(String(v.jwt), key as Parameters<typeof jose.jwtVerify>[1], options);
        return ok({ payload: r.payload, protectedHeader: r.protectedHeader });
      }
      case 'jose.jwksResolve': {
        const j = fields(p);
        const jwks = keys.get(j.id) as (h: unknown) => Promise<unknown>;
        return ok(describeKey(keys, await jwks(j.protectedHeader ?? {})));
      }
      case 'jose.import': {
        const { kind, data, alg, options } = fields(p);
        const opts = options === null || options === undefined ? undefined : (options as jose.KeyImportOptions);
        const key =
          kind === 'spki'
            ? await jose.importSPKI(String(data), String(alg), opts)
            : kind === 'pkcs8'
              ? await jose.importPKCS8(String(data), String(alg), opts)
              : kind === 'x509'
                ? await jose.importX509(String(data), String(alg), opts)
                : await jose.importJWK(
                    data as jose.JWK,
                    alg === undefined || alg === null ? undefined : toText(alg),
                    opts,
                  );
        return ok(describeKey(keys, key));
      }
      default:
        if (op.startsWith('subtle.')) return ok(await subtleOp(op, fields(p), keys));
        throw new Error(`unknown host call ${op}`);
    }
  } catch (err) {
    return fail(err);
  }
}

function urlParts(u: URL): Record<string, string> {
  return {
    href: u.href,
    origin: u.origin,
    protocol: u.protocol,
    username: u.username,
    password: u.password,
    host: u.host,
    hostname: u.hostname,
    port: u.port,
    pathname: u.pathname,
    search: u.search,
    hash: u.hash,
  };
}
