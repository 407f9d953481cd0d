/**
 * `structuredClone`, as Node's (HTML's structured serialize then deserialize,
 * https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializeinternal): primitives, plain
 * objects and arrays (own enumerable string keys, prototypes dropped), Date, RegExp, Map, Set, ArrayBuffer, typed
 * arrays and DataView (a Buffer comes back a Uint8Array, as in Node), Error types, boxed primitives, and cycles
 * and shared references kept. Functions, symbols, WeakMap/WeakSet, Promise and the like throw a `DataCloneError`
 * DOMException. The `transfer` option is not supported. Pure guest code. Called once by prelude.js.
 */
'use strict';
(function clone({ DOMException }) {
  const O = Object;
  const toStr = O.prototype.toString;
  const TYPED = {
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
  };
  const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

  function refuse(v) {
    let shown;
    try {
      shown = typeof v === 'symbol' ? v.toString() : typeof v === 'function' ? String(v) : toStr.call(v);
    } catch {
      shown = typeof v;
    }
    throw new DOMException(shown + ' could not be cloned.', 'DataCloneError');
  }

  function structuredClone(value, options) {
    if (arguments.length === 0) throw new TypeError('The "value" argument must be specified');
    if (options && options.transfer && options.transfer.length)
      throw new DOMException('structuredClone: transfer is not supported in the Action sandbox', 'DataCloneError');
    const seen = new Map();
    const copyBuffer = (b) => {
      if (seen.has(b)) return seen.get(b);
      const c = b.slice(0);
      seen.set(b, c);
      return c;
    };

    function walk(v) {
      if (typeof v === 'symbol' || typeof v === 'function') refuse(v);
      if (v === null || typeof v !== 'object') return v;
      if (seen.has(v)) return seen.get(v);
      const tag = toStr.call(v).slice(8, -1);
      let out;
      if (tag === 'Date') out = new Date(v.getTime());
      else if (tag === 'RegExp') out = new RegExp(v.source, v.flags);
      else if (tag === 'Boolean' || tag === 'Number' || tag === 'String' || tag === 'BigInt') out = O(v.valueOf());
      else if (tag === 'ArrayBuffer') return copyBuffer(v);
      else if (tag === 'DataView') {
        out = new DataView(copyBuffer(v.buffer), v.byteOffset, v.byteLength);
      } else if (ArrayBuffer.isView(v)) {
        const C = TYPED[tag] || Uint8Array;
        out = new C(copyBuffer(v.buffer), v.byteOffset, v.byteLength / C.BYTES_PER_ELEMENT);
      } else if (tag === 'Map') {
        out = new Map();
        seen.set(v, out);
        for (const [k, x] of v) out.set(walk(k), walk(x));
        return out;
      } else if (tag === 'Set') {
        out = new Set();
        seen.set(v, out);
        for (const x of v) out.add(walk(x));
        return out;
      } else if (tag === 'Error' || v instanceof Error) {
        const C = ERRORS[v.name] || Error;
        out = new C(v.message);
        seen.set(v, out);
        if (typeof v.stack === 'string') out.stack = v.stack;
        if ('cause' in v) out.cause = walk(v.cause);
        return out;
      } else if (Array.isArray(v)) {
        out = new Array(v.length);
        seen.set(v, out);
        for (const k of O.keys(v)) out[k] = walk(v[k]);
        return out;
      } else if (tag === 'Object' || tag === 'Arguments') {
        out = {};
        seen.set(v, out);
        for (const k of O.keys(v)) out[k] = walk(v[k]);
        return out;
      } else refuse(v);
      seen.set(v, out);
      return out;
    }
    return walk(value);
  }

  return { structuredClone };
});
