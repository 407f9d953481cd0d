/**
 * The prelude: evaluated in every sandbox context before the Action (DESIGN section 4; docs/actions-sandbox.md).
 * It receives the only two host functions as arguments (never as globals), the shared tables as a JSON string
 * (src/actions/triggers/tables.ts) and the other guest files of this folder, each evaluated to a function
 * (runtime/prelude.ts loads them). It builds, inside the guest: `require` and its module registry (below), the
 * `jose` and `crypto` shims and Node's `buffer`, `events`, `util`, `url`, `querystring`, the globals of Node 18/22
 * that Actions use (docs/actions-sandbox.md "What the guest gets"), and the `api` factory. Host calls exchange JSON strings only; every error the guest sees is
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

  // Set once abort.js has built it: host errors of kind 'dom' (WebCrypto's) become the guest's own DOMException.
  let DOMExceptionClass = null;
  function makeError(d) {
    if (d.kind === 'dom' && DOMExceptionClass) return new DOMExceptionClass(d.message, d.name);
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
  const timers = parts.timers({ call, callAsync });
  const dom = parts.abort({ setTimeout: timers.setTimeout });
  DOMExceptionClass = dom.DOMException;
  const { structuredClone } = parts.clone({ DOMException: dom.DOMException });
  const node = parts.node({ call, bytes, URL, URLSearchParams });
  const keys = parts.keys({ hostCall, bytes });
  const { subtle } = parts.subtle({ callAsync, bytes, keys });
  const web = parts.web({
    hostCall,
    call,
    callAsync,
    bytes,
    URL,
    URLSearchParams,
    AbortController: dom.AbortController,
  });
  const guestModules = parts.modules({
    call,
    callAsync,
    makeError,
    joseErrors,
    bytes,
    URL,
    keys,
    subtle,
    toBuffer: node.toBuffer,
  });
  const nodeCrypto = parts['node-crypto']({
    call,
    bytes,
    toBuffer: node.toBuffer,
    base: guestModules.modules.crypto,
    keys,
  });
  const makeApi = parts.api({ hostCall, tables, URL });

  // ---- the module registry ----
  // `require(name)` looks `name` up here: a prototype-less map (a tampered Object or Array prototype cannot change
  // it) from a module name to a function building its exports, called once, on the first require of the name;
  // its result is kept and returned to every later require. A `node:` alias (contract.ts MODULE_ALIASES) names
  // the same entry. The provided modules of the shared table (contract.ts PROVIDED_MODULES) are registered here;
  // `define` (on the object this prelude returns) lets the host add more, such as an Action's bundled npm
  // dependencies.
  const registry = O.create(null);
  const exportsOf = O.create(null);
  const aliases = O.create(null);
  for (const alias of O.keys(tables.moduleAliases)) aliases[alias] = tables.moduleAliases[alias];
  const builtins = O.assign({}, node.modules, {
    jose: () => guestModules.modules.jose,
    crypto: () => nodeCrypto.crypto,
  });
  for (const name of tables.modules) {
    if (!builtins[name]) throw new Error('prelude: the provided module ' + name + ' has no guest implementation');
    registry[name] = builtins[name];
  }
  function require(name) {
    const id = typeof name === 'string' && aliases[name] !== undefined ? aliases[name] : name;
    if (typeof id === 'string' && registry[id] !== undefined) {
      if (!(id in exportsOf)) exportsOf[id] = registry[id](require);
      return exportsOf[id];
    }
    const e = /** @type {Error & {code?: string}} */ (new Error("Cannot find module '" + name + "'"));
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }

  // ---- the globals (non-enumerable, writable and configurable, as Node's) ----
  const globals = O.assign(
    {
      global: G,
      URL,
      URLSearchParams,
      TextEncoder: bytes.TextEncoder,
      TextDecoder: bytes.TextDecoder,
      atob: bytes.atob,
      btoa: bytes.btoa,
      console: web.console,
      fetch: web.fetch,
      Headers: web.Headers,
      Request: web.Request,
      Response: web.Response,
      crypto: guestModules.webcrypto,
      CryptoKey: keys.CryptoKey,
      structuredClone,
      setTimeout: timers.setTimeout,
      clearTimeout: timers.clearTimeout,
      setInterval: timers.setInterval,
      clearInterval: timers.clearInterval,
      setImmediate: timers.setImmediate,
      clearImmediate: timers.clearImmediate,
    },
    dom,
  );
  if (typeof G.queueMicrotask !== 'function') globals.queueMicrotask = (fn) => void P.resolve().then(() => fn());
  for (const k of O.keys(globals))
    O.defineProperty(G, k, { value: globals[k], writable: true, configurable: true, enumerable: false });
  // `Buffer` evaluates the vendored buffer library on its first read (guest/node.js); assigning it replaces it.
  O.defineProperty(G, 'Buffer', {
    get: node.Buffer,
    set(v) {
      O.defineProperty(G, 'Buffer', { value: v, writable: true, configurable: true, enumerable: false });
    },
    configurable: true,
    enumerable: false,
  });

  const mod = { exports: {} };
  return {
    /** Runs the CommonJS wrapper of the Action's code. */
    load(fn) {
      fn.call(mod.exports, mod.exports, require, mod, '/action.js', '/');
    },
    /**
     * Registers module `name` for `require` (the registry above): `build(require)` makes its exports on the first
     * require. For the host (an Action's bundled dependencies); never reachable from Action code.
     */
    define(name, build) {
      registry[String(name)] = build;
    },
    /**
     * Registers an Action's bundled npm dependency (src/actions/packages/): `fn` is the CommonJS wrapper of its
     * bundle, which the host evaluated in this context; its body runs on the first require of `name`.
     */
    definePackage(name, fn) {
      registry[String(name)] = (req) => {
        const m = { exports: {} };
        fn.call(m.exports, m.exports, req, m, '/node_modules/' + name + '/index.js', '/node_modules/' + name);
        return m.exports;
      };
    },
    hasEntry(name) {
      return typeof mod.exports[name] === 'function';
    },
    /** One invocation: fresh event and api objects; returns the handler's promise. */
    start(eventJson, trigger, entry) {
      // The previous run's timers were cleared on the host when it ended.
      timers.clearTimers();
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
