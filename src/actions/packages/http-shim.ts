/**
 * `http` and `https` for bundled npm packages (issue 12): the client half only (`request`, `get`), over the
 * sandbox's `fetch`, so a request goes through the same egress checks, timeouts and size caps as any Action fetch
 * (runtime/egress.ts). Enough for packages that fetch with Node's http client, such as jwks-rsa. A server, an
 * Agent's sockets or `CONNECT` are not available: `createServer` throws. The source is evaluated in the guest,
 * inside the package's bundle.
 */
export function httpShimSource(defaultProtocol: 'http:' | 'https:'): string {
  return `'use strict';
const { EventEmitter } = require('events');
const DEFAULT_PROTOCOL = ${JSON.stringify(defaultProtocol)};
const toBuffer = (c) => (typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer ? c : new Uint8Array(c)));
function urlOf(o) {
  const host = o.hostname || (o.host ? String(o.host).replace(/:\\d+$/, '') : 'localhost');
  const bracketed = host.includes(':') && !host.startsWith('[') ? '[' + host + ']' : host;
  return (o.protocol || DEFAULT_PROTOCOL) + '//' + bracketed + (o.port ? ':' + o.port : '') + (o.path || '/');
}
function request(input, options, cb) {
  if (typeof input === 'string' || (input && typeof input.href === 'string')) {
    const u = new URL(String(input.href || input));
    const base = { protocol: u.protocol, hostname: u.hostname, port: u.port, path: u.pathname + u.search };
    if (typeof options === 'function') { cb = options; options = {}; }
    options = Object.assign(base, options || {});
  } else {
    cb = options;
    options = input || {};
  }
  const req = new EventEmitter();
  const headers = Object.assign({}, options.headers || {});
  const chunks = [];
  const controller = new AbortController();
  let timer = null;
  let done = false;
  const fail = (err) => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    req.emit('error', err);
  };
  req.setHeader = (k, v) => { headers[k] = v; return req; };
  req.getHeader = (k) => headers[k];
  req.write = (c) => { chunks.push(toBuffer(c)); return true; };
  req.setTimeout = (ms, fn) => { options.timeout = ms; if (fn) req.once('timeout', fn); return req; };
  req.destroy = (err) => { controller.abort(); fail(err || new Error('socket hang up')); return req; };
  req.abort = () => req.destroy();
  req.end = (c) => {
    if (c !== undefined && typeof c !== 'function') req.write(c);
    if (options.timeout) timer = setTimeout(() => req.emit('timeout'), options.timeout);
    const init = { method: options.method || 'GET', headers, signal: controller.signal, redirect: 'manual' };
    if (chunks.length) init.body = Buffer.concat(chunks);
    fetch(urlOf(options), init).then(async (r) => {
      const res = new EventEmitter();
      res.statusCode = r.status;
      res.statusMessage = r.statusText;
      res.headers = {};
      r.headers.forEach((v, k) => { res.headers[k] = v; });
      let encoding = null;
      res.setEncoding = (e) => { encoding = e; return res; };
      res.resume = () => res;
      if (cb) cb(res);
      req.emit('response', res);
      const body = Buffer.from(await r.arrayBuffer());
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (body.length) res.emit('data', encoding ? body.toString(encoding) : body);
      res.emit('end');
    }, fail);
    return req;
  };
  return req;
}
function get(input, options, cb) {
  const req = request(input, options, cb);
  req.end();
  return req;
}
class Agent { constructor(options) { this.options = options || {}; } }
function createServer() {
  throw new Error('http.createServer is not available in the Actions sandbox');
}
module.exports = { request, get, Agent, globalAgent: new Agent(), createServer, METHODS: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], STATUS_CODES: {} };
`;
}
