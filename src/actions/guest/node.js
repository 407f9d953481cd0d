/**
 * Node's built-in modules `buffer`, `events`, `util`, `url` and `querystring`, and the global `Buffer`, from the
 * vendored npm packages of `vendor/` (built by scripts/build-guest-vendor.mjs; docs/actions-sandbox.md).
 *
 * A vendored library is evaluated the first time an Action uses it (`require`, or the first read of `Buffer`):
 * compiling them all would make every context cost several times more to create (guest-vendor.test.ts,
 * docs/actions-sandbox.md "Cost"), and most Actions use none. Its source comes from the host (`vendor` host call,
 * the files read once per worker) and is evaluated with the `eval` captured here, before any Action code runs.
 * Called once by prelude.js.
 */
'use strict';
(function node({ call, bytes, URL, URLSearchParams }) {
  const O = Object;
  const indirectEval = eval;
  const libs = O.create(null);

  /** The exports of vendored library `name`, evaluated on first use. */
  function lib(name) {
    if (libs[name] === undefined) libs[name] = indirectEval(call('vendor', name))();
    return libs[name];
  }
  const Buffer = () => lib('buffer').Buffer;

  // Node's querystring.unescape: decodeURIComponent, or byte by byte when the input is not valid UTF-8 escapes.
  function unescape(s) {
    s = String(s);
    try {
      return decodeURIComponent(s);
    } catch {
      const out = [];
      for (let i = 0; i < s.length; i++) {
        const hex = s.charAt(i) === '%' ? s.slice(i + 1, i + 3) : '';
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          out.push(parseInt(hex, 16));
          i += 2;
        } else for (const b of bytes.utf8Encode(s.charAt(i))) out.push(b);
      }
      return bytes.utf8Decode(new Uint8Array(out));
    }
  }

  // Node's util.inspect and util.format (vendor/inspect.js), loaded on their first call: the largest library.
  function inspect(...args) {
    return lib('inspect').inspect(...args);
  }
  inspect.custom = Symbol.for('nodejs.util.inspect.custom');
  O.defineProperty(inspect, 'defaultOptions', {
    get: () => lib('inspect').inspect.defaultOptions,
    set: (v) => {
      lib('inspect').inspect.defaultOptions = v;
    },
  });

  /**
   * The built-in modules: name -> a function building its exports (called once, on the first `require`). Not
   * frozen, as Node's are not.
   */
  const modules = {
    buffer: () => lib('buffer'),
    events: () => lib('events'),
    util: () =>
      O.assign({}, lib('util'), {
        inspect,
        format: (...args) => lib('inspect').format(...args),
        formatWithOptions: (...args) => lib('inspect').formatWithOptions(...args),
        TextEncoder: bytes.TextEncoder,
        TextDecoder: bytes.TextDecoder,
      }),
    url: () => O.assign({}, lib('url').url, { URL, URLSearchParams }),
    querystring: () => O.assign({}, lib('url').querystring, { escape: (s) => encodeURIComponent(s), unescape }),
  };

  /** A Buffer holding a copy of `u8` (what crypto's digest() and randomBytes() return). */
  const toBuffer = (u8) => Buffer().from(u8);

  return { modules, Buffer, toBuffer };
});
