/**
 * The prelude: evaluated in every sandbox context before the Action (DESIGN section 4; docs/actions-sandbox.md).
 * It receives the only two host functions as arguments (never as globals), the shared tables as a JSON string
 * (src/actions/triggers/tables.ts) and the other guest files of this folder, each evaluated to a function
 * (runtime/prelude.ts loads them). It builds, inside the guest: `require`, the `jose` and `crypto` shims,
 * `fetch`/`Headers`/`Response`, `URL`/`URLSearchParams`, `TextEncoder`/`TextDecoder`, `atob`/`btoa`, `console`,
 * `setTimeout`, and the `api` factory. Host calls exchange JSON strings only; every error the guest sees is
 * constructed here, in the guest, from a plain `{kind, name, message, code}` description.
 *
 * Every part is called here, before any Action code runs: the intrinsics each part captures at its top are the
 * originals, whatever the Action later replaces (JSON.stringify, Object.keys, Promise).
 */
'use strict';
(function prelude(hostCall, hostAsync, tablesJson, parts) {
  const G = globalThis;
  const O = Object;
  const stringify = JSON.stringify,
    parse = JSON.parse,
    P = Promise;
  const tables = parse(tablesJson);

  // ---- errors built in the guest ----
  class JOSEError extends Error {
    static code = 'ERR_JOSE_GENERIC';
    constructor(message, extra) {
      super(message);
      this.name = this.constructor.name;
      this.code = /** @type {typeof JOSEError} */ (this.constructor).code;
      if (extra) O.assign(this, extra);
    }
  }
  const joseErrors = { JOSEError };
  function defErr(name, code, base) {
    const B = base || JOSEError;
    const C = {
      [name]: class extends B {
        static code = code;
      },
    }[name];
    joseErrors[name] = C;
    return C;
  }
  defErr('JWTClaimValidationFailed', 'ERR_JWT_CLAIM_VALIDATION_FAILED');
  defErr('JWTExpired', 'ERR_JWT_EXPIRED');
  defErr('JOSEAlgNotAllowed', 'ERR_JOSE_ALG_NOT_ALLOWED');
  defErr('JOSENotSupported', 'ERR_JOSE_NOT_SUPPORTED');
  defErr('JWEDecryptionFailed', 'ERR_JWE_DECRYPTION_FAILED');
  defErr('JWEInvalid', 'ERR_JWE_INVALID');
  defErr('JWSInvalid', 'ERR_JWS_INVALID');
  defErr('JWTInvalid', 'ERR_JWT_INVALID');
  defErr('JWKInvalid', 'ERR_JWK_INVALID');
  defErr('JWKSInvalid', 'ERR_JWKS_INVALID');
  defErr('JWKSNoMatchingKey', 'ERR_JWKS_NO_MATCHING_KEY');
  defErr('JWKSMultipleMatchingKeys', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');
  defErr('JWKSTimeout', 'ERR_JWKS_TIMEOUT');
  defErr('JWSSignatureVerificationFailed', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  const joseByCode = {};
  for (const C of O.values(joseErrors)) joseByCode[C.code] = C;

  function makeError(d) {
    if (d.kind === 'jose' && joseByCode[d.code]) {
      const extra = {};
      if (d.claim !== undefined) extra.claim = d.claim;
      if (d.reason !== undefined) extra.reason = d.reason;
      if (d.payload !== undefined) extra.payload = d.payload;
      return new joseByCode[d.code](d.message, extra);
    }
    const Ctor = d.kind === 'type' ? TypeError : d.kind === 'range' ? RangeError : Error;
    const e = /** @type {Error & {code?: unknown}} */ (new Ctor(d.message));
    if (d.name && d.name !== e.name) e.name = d.name;
    if (d.code !== undefined) e.code = d.code;
    if (d.cause !== undefined) e.cause = d.cause;
    return e;
  }
  function unpack(s) {
    const r = parse(s);
    if (r.e) throw makeError(r.e);
    return r.v;
  }
  function call(op, payload) {
    return unpack(hostCall(op, stringify(payload === undefined ? null : payload)));
  }
  function callAsync(op, payload) {
    return hostAsync(op, stringify(payload === undefined ? null : payload)).then(unpack);
  }

  // ---- the parts (each a function of what it uses) ----
  const bytes = parts.bytes({ makeError });
  const { URL, URLSearchParams } = parts.url({ call });
  const web = parts.web({ hostCall, call, callAsync, bytes, URL, URLSearchParams });
  const { modules, webcrypto } = parts.modules({ hostCall, call, callAsync, makeError, joseErrors, bytes, URL });
  const makeApi = parts.api({ hostCall, tables, URL });

  // `require` serves the provided modules of the shared table (contract.ts PROVIDED_MODULES) and their aliases,
  // looked up in a prototype-less object built now, so a tampered Array or Object prototype cannot change it.
  const provided = O.create(null);
  for (const name of tables.modules) {
    if (!modules[name]) throw new Error('prelude: the provided module ' + name + ' has no guest implementation');
    provided[name] = modules[name];
  }
  for (const alias of O.keys(tables.moduleAliases)) provided[alias] = provided[tables.moduleAliases[alias]];
  const packages = parts.packages();
  function require(name) {
    if (typeof name === 'string' && provided[name] !== undefined) return provided[name];
    if (typeof name === 'string' && packages.has(name)) return packages.load(name, require);
    const e = /** @type {Error & {code?: string}} */ (new Error("Cannot find module '" + name + "'"));
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }
  for (const [k, v] of O.entries({
    URL,
    URLSearchParams,
    TextEncoder: bytes.TextEncoder,
    TextDecoder: bytes.TextDecoder,
    atob: bytes.atob,
    btoa: bytes.btoa,
    console: web.console,
    fetch: web.fetch,
    Headers: web.Headers,
    Response: web.Response,
    setTimeout: web.setTimeout,
    clearTimeout: web.clearTimeout,
    crypto: webcrypto,
  })) {
    O.defineProperty(G, k, { value: v, writable: true, configurable: true, enumerable: false });
  }

  const mod = { exports: {} };
  return {
    /** Registers a bundled npm dependency's CommonJS wrapper (guest/packages.js). */
    definePackage(name, fn) {
      packages.define(name, fn);
    },
    /** Runs the CommonJS wrapper of the Action's code. */
    load(fn) {
      fn.call(mod.exports, mod.exports, require, mod, '/action.js', '/');
    },
    hasEntry(name) {
      return typeof mod.exports[name] === 'function';
    },
    /** One invocation: fresh event and api objects; returns the handler's promise. */
    start(eventJson, trigger, entry) {
      // The previous run's timers were cleared on the host when it ended.
      web.clearTimers();
      const event = parse(eventJson);
      const api = makeApi(trigger);
      return new P((resolve) => resolve(mod.exports[entry](event, api)));
    },
    describe(e) {
      if (e instanceof Error) return stringify({ name: String(e.name), message: String(e.message) });
      let m;
      try {
        m = typeof e === 'string' ? e : stringify(e);
      } catch {
        m = String(e);
      }
      return stringify({ name: 'Error', message: String(m) });
    },
  };
});
