/**
 * `URL` and `URLSearchParams` in the guest. Parsing and setters go to the host's WHATWG URL (`url.parse`,
 * `url.set`); a URL's `searchParams` write back to it. Called once by prelude.js.
 */
'use strict';
(function url({ call }) {
  const O = Object;

  function formEncode(s) {
    return encodeURIComponent(s)
      .replace(/%20/g, '+')
      .replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  }
  function formDecode(s) {
    s = s.replace(/\+/g, ' ');
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  }
  const urlOf = new WeakMap();
  class URLSearchParams {
    constructor(init) {
      /** @type {string[][]} */
      this._list = [];
      if (init === undefined || init === null) return;
      if (typeof init === 'string') {
        this._parse(init);
        return;
      }
      if (init instanceof URLSearchParams) {
        this._list = init._list.map((p) => [p[0], p[1]]);
        return;
      }
      if (typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
        for (const p of init) {
          if (p.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
          this._list.push([String(p[0]), String(p[1])]);
        }
        return;
      }
      if (typeof init === 'object') {
        for (const k of O.keys(init)) this._list.push([k, String(init[k])]);
        return;
      }
      this._parse(String(init));
    }
    _parse(s) {
      if (s[0] === '?') s = s.slice(1);
      for (const part of s.split('&')) {
        if (!part) continue;
        const i = part.indexOf('=');
        this._list.push(i < 0 ? [formDecode(part), ''] : [formDecode(part.slice(0, i)), formDecode(part.slice(i + 1))]);
      }
    }
    _update() {
      const u = urlOf.get(this);
      if (u) u._setSearch(this.toString());
    }
    get size() {
      return this._list.length;
    }
    append(k, v) {
      this._list.push([String(k), String(v)]);
      this._update();
    }
    delete(k, v) {
      k = String(k);
      this._list = this._list.filter((p) => !(p[0] === k && (v === undefined || p[1] === String(v))));
      this._update();
    }
    get(k) {
      k = String(k);
      const p = this._list.find((x) => x[0] === k);
      return p ? p[1] : null;
    }
    getAll(k) {
      k = String(k);
      return this._list.filter((x) => x[0] === k).map((x) => x[1]);
    }
    has(k, v) {
      k = String(k);
      return this._list.some((x) => x[0] === k && (v === undefined || x[1] === String(v)));
    }
    set(k, v) {
      k = String(k);
      v = String(v);
      const i = this._list.findIndex((x) => x[0] === k);
      if (i < 0) this._list.push([k, v]);
      else {
        this._list[i][1] = v;
        this._list = this._list.filter((x, j) => j <= i || x[0] !== k);
      }
      this._update();
    }
    sort() {
      this._list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this._update();
    }
    forEach(fn, thisArg) {
      for (const [k, v] of this._list) fn.call(thisArg, v, k, this);
    }
    keys() {
      return this._list.map((p) => p[0])[Symbol.iterator]();
    }
    values() {
      return this._list.map((p) => p[1])[Symbol.iterator]();
    }
    entries() {
      return this._list.map((p) => [p[0], p[1]])[Symbol.iterator]();
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    toString() {
      return this._list.map((p) => formEncode(p[0]) + '=' + formEncode(p[1])).join('&');
    }
  }
  const URL_PARTS = [
    'href',
    'origin',
    'protocol',
    'username',
    'password',
    'host',
    'hostname',
    'port',
    'pathname',
    'search',
    'hash',
  ];
  class URL {
    constructor(input, base) {
      const r = call('url.parse', { input: String(input), base: base === undefined ? undefined : String(base) });
      this._p = r;
      this._sp = new URLSearchParams(r.search);
      urlOf.set(this._sp, this);
    }
    static canParse(input, base) {
      try {
        new URL(input, base);
        return true;
      } catch {
        return false;
      }
    }
    _set(prop, value) {
      this._p = call('url.set', { href: this._p.href, prop, value: String(value) });
      this._sp._list = new URLSearchParams(this._p.search)._list;
    }
    _setSearch(s) {
      this._p = call('url.set', { href: this._p.href, prop: 'search', value: s });
    }
    get searchParams() {
      return this._sp;
    }
    toString() {
      return this._p.href;
    }
    toJSON() {
      return this._p.href;
    }
  }
  for (const part of URL_PARTS) {
    O.defineProperty(URL.prototype, part, {
      get() {
        return this._p[part];
      },
      set(v) {
        if (part !== 'origin') this._set(part, v);
      },
      enumerable: true,
      configurable: true,
    });
  }

  return { URL, URLSearchParams };
});
