import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { executor, run } from './helpers.js';

let server: http.Server;
let base: string;
let port: number;
before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/echo') {
        res.writeHead(201, { 'content-type': 'application/json', 'x-reply': 'yes' });
        res.end(
          JSON.stringify({
            method: req.method,
            auth: req.headers.authorization,
            type: req.headers['content-type'],
            body,
          }),
        );
      } else if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('x'.repeat(100 * 1024));
      } else if (req.url === '/big-chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < 100; i++) res.write('y'.repeat(1024));
        res.end();
      } else if (req.url === '/gzip') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(zlib.gzipSync(JSON.stringify({ zipped: true })));
      } else if (req.url === '/gzip-bomb') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
        res.end(zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024)));
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 5000).unref();
      } else if (req.url === '/redirect-out') {
        res.writeHead(302, { location: `http://localhost:${port}/echo` }).end();
      } else if (req.url === '/redirect-in') {
        res.writeHead(302, { location: '/echo' }).end();
      } else res.writeHead(404).end('not here');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

const ex = executor({ fetchTimeoutMs: 5000, fetchMaxBytes: 64 * 1024 });
const impatient = executor({ fetchTimeoutMs: 300 });
const allowLocal = executor({ egressAllow: ['127.0.0.1'] });
const allowOther = executor({ egressAllow: ['*.example.com'] });
after(() => Promise.all([ex.close(), impatient.close(), allowLocal.close(), allowOther.close()]));

const logs = (r: Awaited<ReturnType<typeof run>>) => r.logs.map((l) => l.message);

test('fetch returns a Response-like object: status, ok, headers.get, json(), text()', async () => {
  const r = await run(
    ex,
    `
const res = await fetch('${base}/echo', { method: 'post', headers: { Authorization: 'Bearer t' }, body: new URLSearchParams({ a: '1' }) });
console.log(res.status, res.ok, res.headers.get('X-Reply'), JSON.stringify(await res.json()));
const missing = await fetch(new URL('${base}/nope'));
console.log(missing.status, missing.ok, await missing.text());
api.authentication.setUserById('u');`,
  );
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  assert.deepEqual(logs(r), [
    '201 true yes {"method":"POST","auth":"Bearer t","type":"application/x-www-form-urlencoded;charset=UTF-8","body":"a=1"}',
    '404 false not here',
  ]);
});

test('a response over the size cap rejects, with or without content-length', async () => {
  const r = await run(
    ex,
    `
for (const p of ['/big', '/big-chunked']) { try { await fetch('${base}' + p); console.log('read'); } catch (e) { console.log(e.name, e.message); } }
api.authentication.setUserById('u');`,
  );
  assert.deepEqual(logs(r), [
    'TypeError fetch: response body exceeds 65536 bytes',
    'TypeError fetch: response body exceeds 65536 bytes',
  ]);
});

test('a slow server makes fetch reject with a TimeoutError after the fetch timeout', async () => {
  const t0 = performance.now();
  const r = await run(
    impatient,
    `try { await fetch('${base}/slow'); } catch (e) { console.log(e.name, e.message); }\napi.authentication.setUserById('u');`,
  );
  assert.deepEqual(logs(r), ['TimeoutError fetch: timed out after 300 ms']);
  assert.ok(performance.now() - t0 < 2000);
});

test('an unreachable host rejects with a TypeError that says nothing about the host', async () => {
  const r = await run(
    ex,
    "try { await fetch('http://127.0.0.1:1/'); } catch (e) { console.log(e.name, e.message); }\napi.authentication.setUserById('u');",
  );
  assert.deepEqual(logs(r), ['TypeError fetch failed']);
});

test('the egress allow-list admits listed hosts and refuses others, on every redirect hop', async () => {
  const ok = await run(
    allowLocal,
    `
console.log((await fetch('${base}/redirect-in')).status);
for (const u of ['${base}/redirect-out', 'http://localhost:${port}/echo']) { try { await fetch(u); console.log('fetched'); } catch (e) { console.log(e.message); } }
api.authentication.setUserById('u');`,
  );
  assert.deepEqual(logs(ok), [
    '201',
    'fetch: host localhost is not in the egress allow-list',
    'fetch: host localhost is not in the egress allow-list',
  ]);
  const refused = await run(
    allowOther,
    `
try { await fetch('${base}/echo'); } catch (e) { console.log(e.message); }
try { require('jose').createRemoteJWKSet(new URL('${base}/jwks')); } catch (e) { console.log(e.message); }
api.authentication.setUserById('u');`,
  );
  assert.deepEqual(logs(refused), [
    'fetch: host 127.0.0.1 is not in the egress allow-list',
    'fetch: host 127.0.0.1 is not in the egress allow-list',
  ]);
});

test('non-http protocols are refused', async () => {
  const r = await run(
    ex,
    "try { await fetch('file:///etc/passwd'); } catch (e) { console.log(e.message); }\napi.authentication.setUserById('u');",
  );
  assert.deepEqual(logs(r), ['fetch: unsupported protocol file:']);
});

test('a gzip response is decoded, and the size cap applies to the decoded body', async () => {
  const r = await run(
    ex,
    `
console.log(JSON.stringify(await (await fetch('${base}/gzip')).json()));
try { await fetch('${base}/gzip-bomb'); console.log('read'); } catch (e) { console.log(e.name, e.message); }
api.authentication.setUserById('u');`,
  );
  assert.deepEqual(logs(r), ['{"zipped":true}', 'TypeError fetch: response body exceeds 65536 bytes']);
});
