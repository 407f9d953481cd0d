/**
 * H3: Action fetch refuses non-public destinations by default, after resolution, and connects to the address it
 * checked. Names resolve through the executor's test-only `resolveHosts` table, so no refusal here ever sends a
 * packet (not even a DNS query) anywhere: literal addresses are refused before any connection, and the only servers
 * contacted are the loopback ones below, reached with the operator opt-in.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { executor, run } from './helpers.js';
import { loadConfig, ConfigError } from '../../src/config/index.js';
import { isPublicAddress } from '../../src/actions/runtime/egress.js';

/** Every request the loopback servers saw, as `host path`. */
const seen: string[] = [];
let port: number;
let port2: number;
let server: http.Server;
let server2: http.Server;

function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  seen.push(`${req.headers.host} ${req.url}`);
  const u = new URL(req.url ?? '/', 'http://x');
  if (u.pathname === '/headers') {
    const h = req.headers;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        host: h.host,
        authorization: h.authorization,
        cookie: h.cookie,
        proxy: h['proxy-authorization'],
        key: h['x-api-key'],
        custom: h['x-custom'],
      }),
    );
  } else if (u.pathname === '/to') {
    res.writeHead(Number(u.searchParams.get('status') ?? 302), { location: u.searchParams.get('url')! }).end();
  } else res.writeHead(200, { 'content-type': 'text/plain' }).end('reached');
}

before(async () => {
  server = http.createServer(handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
  server2 = http.createServer(handler);
  await new Promise<void>((ok) => server2.listen(0, '127.0.0.2', ok));
  port2 = (server2.address() as AddressInfo).port;
});
after(async () => {
  for (const s of [server, server2]) {
    s.closeAllConnections();
    await new Promise((ok) => s.close(ok));
  }
});

const HOSTS = {
  'metadata.test': ['169.254.169.254'],
  'intranet.test': ['10.1.2.3'],
  'loop.test': ['127.0.0.1'],
  'other.test': ['127.0.0.1'],
  'mixed.test': ['93.184.216.34', '127.0.0.1'],
  'v6meta.test': ['fd00:ec2::254'],
  // Never looked up: localhost is loopback by name (RFC 6761); listed so that a regression cannot send a DNS query.
  localhost: ['127.0.0.1'],
};
// Default policy: no internal destination.
// A wall-clock limit that covers a worker's cold start on a loaded machine.
const slow = { timeoutMs: 20_000 };
const closed = executor({ ...slow, egressAllowPrivate: undefined }, { resolveHosts: HOSTS, poolSize: 1 });
// An allow-list naming internal hosts, without the opt-in.
const allowedNames = executor(
  { ...slow, egressAllowPrivate: undefined, egressAllow: ['metadata.test', 'loop.test', '127.0.0.1'] },
  { resolveHosts: HOSTS, poolSize: 1 },
);
// Opt-in for every internal range.
const open = executor({ ...slow, egressAllowPrivate: true }, { resolveHosts: HOSTS, poolSize: 1 });
// Opt-in for 127.0.0.1 only.
const narrow = executor({ ...slow, egressAllowPrivate: ['127.0.0.1/32'] }, { resolveHosts: HOSTS, poolSize: 1 });
// Opt-in, the loopback server posing as Baton's own listener.
const self = executor({ ...slow, egressAllowPrivate: true, listenPorts: [0] }, { resolveHosts: HOSTS, poolSize: 1 });
after(() => Promise.all([closed, allowedNames, open, narrow, self].map((e) => e.close())));

const logs = (r: Awaited<ReturnType<typeof run>>) => r.logs.map((l) => l.message);
const tryEach = (urls: string[]) => `
for (const u of ${JSON.stringify(urls)}) { try { const r = await fetch(u); console.log(r.status, await r.text()); } catch (e) { console.log(e.name, e.message); } }
api.authentication.setUserById('u');`;

const refusedMsg = (host: string) => `TypeError fetch: destination ${host} is not a public address`;

test('by default every spelling of loopback is refused before connecting', async () => {
  seen.length = 0;
  const spellings = [
    '127.0.0.1',
    '127.1',
    '2130706433',
    '0x7f.1',
    '017700000001',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '0.0.0.0',
    '[::]',
    'localhost',
    'loop.test',
  ];
  const r = await run(closed, tryEach(spellings.map((h) => `http://${h}:${port}/`)));
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  assert.deepEqual(logs(r), [
    refusedMsg('127.0.0.1'),
    refusedMsg('127.0.0.1'),
    refusedMsg('127.0.0.1'),
    refusedMsg('127.0.0.1'),
    refusedMsg('127.0.0.1'),
    refusedMsg('[::1]'),
    refusedMsg('[::ffff:7f00:1]'),
    refusedMsg('[::ffff:7f00:1]'),
    refusedMsg('0.0.0.0'),
    refusedMsg('[::]'),
    refusedMsg('localhost'),
    refusedMsg('loop.test'),
  ]);
  assert.deepEqual(seen, []);
});

test('by default private, link-local, CGNAT, metadata, multicast, reserved and embedded-IPv4 addresses are refused', async () => {
  const literals = [
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '100.64.0.1',
    '169.254.169.254',
    '224.0.0.1',
    '240.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '[fd00:ec2::254]',
    '[fe80::1]',
    '[fc00::1]',
    '[ff02::1]',
    '[64:ff9b::a9fe:a9fe]',
    '[2002:a9fe:a9fe::1]',
    '[::a9fe:a9fe]',
    '[2001:db8::1]',
  ];
  const r = await run(closed, tryEach(literals.map((h) => `http://${h}/latest/meta-data/`)));
  assert.deepEqual(
    logs(r),
    literals.map((h) => refusedMsg(new URL(`http://${h}/`).hostname)),
  );
});

test('a name that resolves to an internal address is refused, even when one of its addresses is public', async () => {
  const r = await run(
    closed,
    tryEach([
      'http://metadata.test/latest/meta-data/',
      'http://intranet.test/',
      'http://mixed.test/',
      'http://v6meta.test/',
    ]),
  );
  assert.deepEqual(logs(r), [
    refusedMsg('metadata.test'),
    refusedMsg('intranet.test'),
    refusedMsg('mixed.test'),
    refusedMsg('v6meta.test'),
  ]);
});

test('the allow-list does not open internal addresses: an allowed name that resolves inside is refused', async () => {
  seen.length = 0;
  const r = await run(
    allowedNames,
    tryEach([
      `http://metadata.test/`,
      `http://loop.test:${port}/`,
      `http://127.0.0.1:${port}/`,
      `http://intranet.test/`,
    ]),
  );
  assert.deepEqual(logs(r), [
    refusedMsg('metadata.test'),
    refusedMsg('loop.test'),
    refusedMsg('127.0.0.1'),
    'TypeError fetch: host intranet.test is not in the egress allow-list',
  ]);
  assert.deepEqual(seen, []);
});

test('with the opt-in, a name connects to the address that was checked (no second lookup)', async () => {
  seen.length = 0;
  // loop.test exists only in the executor's resolver: reaching the server proves the connection used the checked address.
  const r = await run(open, tryEach([`http://loop.test:${port}/x`, `http://127.1:${port}/y`]));
  assert.deepEqual(logs(r), ['200 reached', '200 reached']);
  assert.deepEqual(seen, [`loop.test:${port} /x`, `127.0.0.1:${port} /y`]);
});

test('the opt-in for every internal range still leaves out the cloud metadata addresses', async () => {
  const r = await run(
    open,
    tryEach([
      'http://169.254.169.254/latest/meta-data/',
      'http://metadata.test/',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:169.254.169.254]/',
    ]),
  );
  assert.deepEqual(logs(r), [
    refusedMsg('169.254.169.254'),
    refusedMsg('metadata.test'),
    refusedMsg('[fd00:ec2::254]'),
    refusedMsg('[::ffff:a9fe:a9fe]'),
  ]);
});

test('a CIDR opt-in opens only its ranges', async () => {
  seen.length = 0;
  const r = await run(
    narrow,
    tryEach([`http://127.0.0.1:${port}/a`, `http://127.0.0.2:${port2}/b`, 'http://intranet.test/']),
  );
  assert.deepEqual(logs(r), ['200 reached', refusedMsg('127.0.0.2'), refusedMsg('intranet.test')]);
  assert.deepEqual(seen, [`127.0.0.1:${port} /a`]);
});

test('every redirect hop is checked: a redirect to an address outside the opt-in is not followed', async () => {
  seen.length = 0;
  const to = (url: string, status = 302) =>
    `http://127.0.0.1:${port}/to?status=${status}&url=${encodeURIComponent(url)}`;
  const r = await run(
    narrow,
    tryEach([
      to(`http://127.0.0.2:${port2}/inside`),
      to(`http://[::ffff:127.0.0.2]:${port2}/inside`, 307),
      to('http://metadata.test/latest/meta-data/', 301),
      to(`http://127.0.0.1:${port}/fine`),
    ]),
  );
  assert.deepEqual(logs(r), [
    refusedMsg('127.0.0.2'),
    refusedMsg('[::ffff:7f00:2]'),
    refusedMsg('metadata.test'),
    '200 reached',
  ]);
  assert.equal(seen.filter((s) => s.includes('/inside')).length, 0);
});

test('a cross-origin redirect drops Authorization, Cookie, Proxy-Authorization and API-key headers; same-origin keeps them', async () => {
  const headers = {
    Authorization: 'Bearer secret',
    Cookie: 'sid=1',
    'Proxy-Authorization': 'Basic x',
    'X-Api-Key': 'k',
    'X-Custom': 'kept',
  };
  const r = await run(
    open,
    `
const h = ${JSON.stringify(headers)};
const cross = await fetch('http://127.0.0.1:${port}/to?url=' + encodeURIComponent('http://other.test:${port}/headers'), { headers: h });
console.log(cross.redirected, await cross.text());
const same = await fetch('http://127.0.0.1:${port}/to?url=/headers', { headers: h });
console.log(same.redirected, await same.text());
api.authentication.setUserById('u');`,
  );
  assert.deepEqual(logs(r), [
    `true {"host":"other.test:${port}","custom":"kept"}`,
    `true {"host":"127.0.0.1:${port}","authorization":"Bearer secret","cookie":"sid=1","proxy":"Basic x","key":"k","custom":"kept"}`,
  ]);
});

test('a guest-set Host header is refused', async () => {
  seen.length = 0;
  const r = await run(
    open,
    `
for (const h of [{ Host: 'internal.example' }, [['host', 'x']]]) { try { await fetch('http://127.0.0.1:${port}/', { headers: h }); console.log('sent'); } catch (e) { console.log(e.name, e.message); } }
api.authentication.setUserById('u');`,
  );
  assert.deepEqual(logs(r), [
    'TypeError fetch: the Host header cannot be set',
    'TypeError fetch: the Host header cannot be set',
  ]);
  assert.deepEqual(seen, []);
});

test("the server's own listener is out of reach even with the opt-in", async () => {
  seen.length = 0;
  // listenPorts [0] stands for a server on a random port: every port of this machine's own addresses is its listener.
  const r = await run(
    self,
    tryEach([`http://127.0.0.1:${port}/metrics`, `http://loop.test:${port}/api/v2/clients`, `http://0.0.0.0:${port}/`]),
  );
  assert.deepEqual(logs(r), [
    `TypeError fetch: destination 127.0.0.1:${port} is this server's own listener`,
    `TypeError fetch: destination loop.test:${port} is this server's own listener`,
    `TypeError fetch: destination 0.0.0.0:${port} is this server's own listener`,
  ]);
  assert.deepEqual(seen, []);
  const allowed = executor(
    { ...slow, egressAllowPrivate: true, egressAllowSelf: true, listenPorts: [port] },
    { resolveHosts: HOSTS, poolSize: 1 },
  );
  try {
    assert.deepEqual(logs(await run(allowed, tryEach([`http://127.0.0.1:${port}/metrics`]))), ['200 reached']);
  } finally {
    await allowed.close();
  }
});

test('a remote JWKS on an internal address is refused too', async () => {
  const r = await run(
    closed,
    `
const jose = require('jose');
const jwks = jose.createRemoteJWKSet(new URL('http://metadata.test/jwks'));
try { await jose.jwtVerify('eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.e30.AA', jwks); } catch (e) { console.log(e.name, e.message); }
api.authentication.setUserById('u');`,
  );
  assert.deepEqual(logs(r), [refusedMsg('metadata.test')]);
});

test('isPublicAddress classifies addresses after unwrapping IPv4 embedded in IPv6', () => {
  for (const a of ['8.8.8.8', '93.184.216.34', '2606:4700::1111', '64:ff9b::808:808', '::ffff:8.8.8.8'])
    assert.equal(isPublicAddress(a), true, a);
  for (const a of [
    '127.0.0.1',
    '0.0.0.0',
    '::',
    '::1',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    '2002:c0a8:101::',
    '2001::1',
    '::127.0.0.1',
    '100.100.100.200',
    '192.0.2.1',
  ]) {
    assert.equal(isPublicAddress(a), false, a);
  }
});

test('BATON_ACTION_EGRESS_ALLOW_PRIVATE: false by default, true, or a CIDR list; anything else stops the server', () => {
  assert.equal(loadConfig({}).actions.egressAllowPrivate, false);
  assert.equal(loadConfig({ BATON_ACTION_EGRESS_ALLOW_PRIVATE: 'true' }).actions.egressAllowPrivate, true);
  assert.deepEqual(
    loadConfig({ BATON_ACTION_EGRESS_ALLOW_PRIVATE: '10.0.0.0/8, fd00::/8' }).actions.egressAllowPrivate,
    ['10.0.0.0/8', 'fd00::/8'],
  );
  assert.throws(() => loadConfig({ BATON_ACTION_EGRESS_ALLOW_PRIVATE: '10.0.0.0/33' }), ConfigError);
  assert.throws(() => loadConfig({ BATON_ACTION_EGRESS_ALLOW_PRIVATE: 'yes' }), ConfigError);
  assert.deepEqual(loadConfig({ PORT: '4000' }).actions.listenPorts, [4000]);
  assert.equal(loadConfig({}).actions.egressAllowSelf, false);
});
