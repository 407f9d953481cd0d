/**
 * The guest's `console` (lines go to the run's logs) and the WHATWG fetch API as Node has it: `Headers`,
 * `Request`, `Response` (constructors, `Response.json`/`error`/`redirect`, `clone`, `text`/`json`/`arrayBuffer`/
 * `bytes`) and `fetch`, which sends through the host's guarded fetch (runtime/fetch.ts) and honours an
 * AbortSignal (the fetch rejects with the signal's reason and the host request is aborted). Bodies are whole
 * strings or bytes, not streams. Called once by prelude.js.
 */
'use strict';
(function web({ hostCall, call, callAsync, bytes, URL, URLSearchParams, AbortController }) {
  const O = Object;
  const P = Promise;
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
  // ---- bodies (Fetch's Body mixin: a body is text or bytes, read once) ----
  const BODY = Symbol('body');
  /** A BodyInit as `{text}` or `{bytes}`, and the content-type it implies (Fetch "extract a body"). */
  function extractBody(b) {
    if (b === undefined || b === null) return { body: null, type: null };
    if (typeof b === 'string') return { body: { text: b }, type: 'text/plain;charset=UTF-8' };
    if (b instanceof URLSearchParams)
      return { body: { text: b.toString() }, type: 'application/x-www-form-urlencoded;charset=UTF-8' };
    if (b instanceof ArrayBuffer || ArrayBuffer.isView(b)) return { body: { bytes: toBytes(b).slice() }, type: null };
    // Fetch converts any other value to a string (WebIDL USVString), as Node's fetch does.
    return { body: { text: String(b) }, type: 'text/plain;charset=UTF-8' };
  }
  const bodyBytes = (body) => (body.bytes !== undefined ? body.bytes : utf8Encode(body.text));
  class Body {
    get bodyUsed() {
      return this[BODY].used;
    }
    _take() {
      const state = this[BODY];
      if (state.used) throw new TypeError('Body is unusable: Body has already been read');
      state.used = true;
      return state.body;
    }
    async text() {
      const body = this._take();
      if (!body) return '';
      return body.text !== undefined ? body.text : utf8Decode(body.bytes);
    }
    async json() {
      return JSON.parse(await this.text());
    }
    async arrayBuffer() {
      const body = this._take();
      const b = body ? bodyBytes(body) : new Uint8Array(0);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    }
    async bytes() {
      return new Uint8Array(await this.arrayBuffer());
    }
  }
  function setBody(target, body) {
    O.defineProperty(target, BODY, { value: { body, used: false } });
  }
  function cloneBody(source, target) {
    if (source[BODY].used) throw new TypeError('Response.clone: Body has already been consumed.');
    target[BODY].body = source[BODY].body;
  }

  // ---- Request ----
  const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
  function normalizeMethod(m) {
    const s = String(m);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(s)) throw new TypeError("'" + s + "' is not a valid HTTP method.");
    const upper = s.toUpperCase();
    if (upper === 'CONNECT' || upper === 'TRACE' || upper === 'TRACK')
      throw new TypeError("'" + s + "' HTTP method is unsupported.");
    return METHODS.includes(upper) ? upper : s;
  }
  class Request extends Body {
    constructor(input, init) {
      super();
      init = init || {};
      const src = input instanceof Request ? input : null;
      let url;
      try {
        url = src ? src.url : new URL(input instanceof URL ? input.href : String(input)).href;
      } catch {
        throw new TypeError('Failed to parse URL from ' + String(input));
      }
      this.url = url;
      this.method = init.method !== undefined ? normalizeMethod(init.method) : src ? src.method : 'GET';
      this.headers = new Headers(init.headers !== undefined ? init.headers : src ? src.headers : undefined);
      this.signal = init.signal || (src && src.signal) || new AbortController().signal;
      this.redirect = init.redirect || (src ? src.redirect : 'follow');
      this.credentials = 'same-origin';
      this.mode = 'cors';
      this.cache = 'default';
      let body = null;
      if (init.body !== undefined && init.body !== null) {
        const e = extractBody(init.body);
        body = e.body;
        if (e.type && !this.headers.has('content-type')) this.headers.set('content-type', e.type);
      } else if (src && init.body === undefined) body = src._take();
      if (body && (this.method === 'GET' || this.method === 'HEAD'))
        throw new TypeError('Request with GET/HEAD method cannot have body.');
      setBody(this, body);
    }
    clone() {
      const r = new Request(this.url, {
        method: this.method,
        headers: this.headers,
        signal: this.signal,
        redirect: this.redirect,
      });
      cloneBody(this, r);
      return r;
    }
  }

  // ---- Response ----
  const FROM_HOST = Symbol('fromHost');
  const STATUS_TEXT_OK = /^[\t\x20-\x7e\x80-\xff]*$/;
  class Response extends Body {
    constructor(body, init) {
      super();
      if (body === FROM_HOST) {
        const r = init;
        this.status = r.status;
        this.statusText = r.statusText;
        this.url = r.url;
        this.redirected = r.redirected;
        this.headers = new Headers(r.headers);
        this.type = 'basic';
        setBody(this, r.text !== undefined ? { text: r.text } : { bytes: b64decode(r.b64) });
      } else {
        init = init || {};
        const status = init.status === undefined ? 200 : Number(init.status);
        if (!(status >= 200 && status <= 599) || Math.floor(status) !== status)
          throw new RangeError(
            'init["status"] must be in the range of 200 to 599, inclusive. Received ' + String(init.status),
          );
        const statusText = init.statusText === undefined ? '' : String(init.statusText);
        if (!STATUS_TEXT_OK.test(statusText)) throw new TypeError('Invalid statusText');
        this.status = status;
        this.statusText = statusText;
        this.url = '';
        this.redirected = false;
        this.headers = new Headers(init.headers);
        this.type = 'default';
        const e = extractBody(body);
        if (e.body && (status === 101 || status === 204 || status === 205 || status === 304))
          throw new TypeError('Response constructor: Invalid response status code ' + status);
        if (e.type && !this.headers.has('content-type')) this.headers.set('content-type', e.type);
        setBody(this, e.body);
      }
      this.ok = this.status >= 200 && this.status < 300;
    }
    clone() {
      const r = new Response(null, { status: this.status, statusText: this.statusText, headers: this.headers });
      r.url = this.url;
      r.redirected = this.redirected;
      r.type = this.type;
      cloneBody(this, r);
      return r;
    }
    static json(data, init) {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError('Value is not JSON serializable');
      const headers = new Headers(init && init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(text, O.assign({}, init, { headers }));
    }
    static error() {
      const r = new Response(null, { status: 200 });
      r.status = 0;
      r.ok = false;
      r.type = 'error';
      return r;
    }
    static redirect(url, status) {
      const s = status === undefined ? 302 : Number(status);
      if (![301, 302, 303, 307, 308].includes(s)) throw new RangeError('Invalid status code ' + String(status));
      return new Response(null, { status: s, headers: { location: new URL(String(url)).href } });
    }
  }

  // ---- fetch (the host's guarded fetch; an AbortSignal rejects at once and stops the host request) ----
  let fetchSeq = 0;
  /**
   * What to send, from `fetch(input, init)`. A Request input goes through the Request constructor; a URL string
   * (the usual call, and a loop of thousands of them must stay cheap) is read directly, with the same checks, and
   * its URL is parsed once, by the host.
   */
  function requestOf(input, init) {
    if (input instanceof Request) {
      const req = init ? new Request(input, init) : input;
      return { url: req.url, method: req.method, headers: req.headers, body: req._take(), signal: req.signal };
    }
    init = init || {};
    const method = init.method !== undefined ? normalizeMethod(init.method) : 'GET';
    const headers = new Headers(init.headers);
    const e = extractBody(init.body);
    if (e.type && !headers.has('content-type')) headers.set('content-type', e.type);
    if (e.body && (method === 'GET' || method === 'HEAD'))
      throw new TypeError('Request with GET/HEAD method cannot have body.');
    const url = input instanceof URL ? input.href : String(input);
    return { url, method, headers, body: e.body, signal: init.signal || null };
  }
  async function fetch(input, init) {
    const req = requestOf(input, init);
    const { body, signal } = req;
    if (signal) signal.throwIfAborted();
    const abortId = signal ? ++fetchSeq : undefined;
    const sent = callAsync('fetch', {
      request: {
        url: req.url,
        method: req.method,
        headers: [...req.headers],
        body: body
          ? body.text !== undefined
            ? { text: body.text }
            : { b64: b64encode(body.bytes, false) }
          : undefined,
      },
      abortId,
    });
    if (!signal) return new Response(FROM_HOST, await sent);
    const r = await new P((resolve, reject) => {
      const onAbort = () => {
        try {
          call('fetch.abort', abortId);
        } catch {
          // The run is over: the host aborted the request already.
        }
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      sent.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
    return new Response(FROM_HOST, r);
  }

  return { console, Headers, Request, Response, fetch };
});
