/**
 * The guest's `console` (lines go to the run's logs), `setTimeout`/`clearTimeout` (the host sleeps; timers are
 * capped per run and cleared when it ends), `Headers`, `Response` and `fetch` (the host's guarded fetch, runtime/
 * fetch.ts). Called once by prelude.js.
 */
'use strict';
(function web({ hostCall, call, callAsync, bytes, URL, URLSearchParams }) {
  const O = Object;
  const stringify = JSON.stringify;
  const { b64encode, b64decode, utf8Encode, utf8Decode, toBytes } = bytes;

  // ---- console ----
  function fmt(v) {
    if (typeof v === 'string') return v;
    if (v instanceof Error) return (v.name || 'Error') + ': ' + v.message;
    if (typeof v === 'function') return '[Function' + (v.name ? ': ' + v.name : '') + ']';
    if (v === undefined) return 'undefined';
    if (typeof v === 'bigint' || typeof v === 'symbol') return String(v);
    try {
      const s = JSON.stringify(v);
      return s === undefined ? String(v) : s;
    } catch {
      return String(v);
    }
  }
  const console = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    console[level] = (...args) => {
      hostCall('console', stringify({ level, message: args.map(fmt).join(' ') }));
    };
  }
  console.trace = console.debug;

  // ---- timers (host sleeps, capped per run and cleared when the run ends; the wall-clock limit covers them) ----
  let timerSeq = 0;
  const timers = new Map();
  function setTimeout(fn, ms, ...args) {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
    const id = ++timerSeq;
    call('timer.arm', id);
    timers.set(id, true);
    callAsync('sleep', { id, ms: Math.max(0, Number(ms) || 0) }).then(
      () => {
        if (timers.delete(id)) fn(...args);
      },
      () => {
        timers.delete(id);
      },
    );
    return id;
  }
  function clearTimeout(id) {
    if (timers.delete(id)) call('timer.clear', id);
  }
  /** At the start of a run: the previous run's timers were cleared on the host when it ended. */
  function clearTimers() {
    timers.clear();
  }

  // ---- Headers / Response / fetch ----
  class Headers {
    constructor(init) {
      this._m = new Map();
      if (!init) return;
      if (init instanceof Headers) init.forEach((v, k) => this.append(k, v));
      else if (typeof init[Symbol.iterator] === 'function') for (const [k, v] of init) this.append(k, v);
      else for (const k of O.keys(init)) this.append(k, init[k]);
    }
    append(k, v) {
      k = String(k).toLowerCase();
      v = String(v);
      const cur = this._m.get(k);
      this._m.set(k, cur === undefined ? v : cur + ', ' + v);
    }
    set(k, v) {
      this._m.set(String(k).toLowerCase(), String(v));
    }
    get(k) {
      const v = this._m.get(String(k).toLowerCase());
      return v === undefined ? null : v;
    }
    has(k) {
      return this._m.has(String(k).toLowerCase());
    }
    delete(k) {
      this._m.delete(String(k).toLowerCase());
    }
    forEach(fn, thisArg) {
      for (const [k, v] of [...this._m].sort()) fn.call(thisArg, v, k, this);
    }
    entries() {
      return [...this._m].sort()[Symbol.iterator]();
    }
    keys() {
      return [...this._m.keys()].sort()[Symbol.iterator]();
    }
    values() {
      const values = [...this._m].sort().map((p) => p[1]);
      return values[Symbol.iterator]();
    }
    [Symbol.iterator]() {
      return this.entries();
    }
  }
  class Response {
    constructor(r) {
      this.status = r.status;
      this.statusText = r.statusText;
      this.ok = r.status >= 200 && r.status < 300;
      this.url = r.url;
      this.redirected = r.redirected;
      this.headers = new Headers(r.headers);
      this.type = 'basic';
      this._text = r.text;
      this._b64 = r.b64;
      this.bodyUsed = false;
    }
    _consume() {
      if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
      this.bodyUsed = true;
    }
    async text() {
      this._consume();
      return this._text !== undefined ? this._text : utf8Decode(b64decode(this._b64));
    }
    async json() {
      return JSON.parse(await this.text());
    }
    async arrayBuffer() {
      this._consume();
      const b = this._b64 !== undefined ? b64decode(this._b64) : utf8Encode(this._text);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    }
  }
  async function fetch(input, init) {
    init = init || {};
    const url =
      typeof input === 'string'
        ? input
        : input instanceof URL
          ? input.href
          : input && input.url
            ? String(input.url)
            : String(input);
    const headers = new Headers(init.headers);
    let body;
    const b = init.body;
    if (b === undefined || b === null) body = undefined;
    else if (typeof b === 'string') body = { text: b };
    else if (b instanceof URLSearchParams) {
      body = { text: b.toString() };
      if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    } else if (b instanceof ArrayBuffer || ArrayBuffer.isView(b)) body = { b64: b64encode(toBytes(b), false) };
    else throw new TypeError('fetch: unsupported body type; send a string, URLSearchParams or bytes');
    const r = await callAsync('fetch', {
      url,
      method: init.method ? String(init.method).toUpperCase() : 'GET',
      headers: [...headers],
      body,
    });
    return new Response(r);
  }

  return { console, setTimeout, clearTimeout, clearTimers, Headers, Response, fetch };
});
