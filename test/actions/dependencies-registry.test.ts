/**
 * Issue 12: Action dependencies installed from an npm registry (BATON_ACTION_NPM_REGISTRY) with the npm CLI and
 * `--ignore-scripts`. The registry is a local one served by this test (packuments and tarballs, packed as `npm pack` does, of
 * fixture packages), so the real install path runs without the network: ranges and tags resolved to one exact
 * version, transitive dependencies, no install script run, an unknown package or version, a registry gone.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.js';

const CTE = [{ id: 'custom-token-exchange', version: 'v1' }];

let t: TestApp;
let tmp: string;
let marker: string;
let registry: http.Server;
let base: string;
let requests: string[] = [];
let n = 0;

interface Published {
  manifest: Record<string, unknown>;
  tarball: Buffer;
}
const packages = new Map<string, Map<string, Published>>();

/** Packs a fixture package as `npm pack` does (a gzipped tar of `package/`) and publishes it to the local registry. */
function publish(name: string, version: string, files: Record<string, string>, pkg: Record<string, unknown> = {}) {
  const dir = fs.mkdtempSync(path.join(tmp, 'src-'));
  const manifest = { name, version, main: 'index.js', ...pkg };
  fs.mkdirSync(path.join(dir, 'package'));
  fs.writeFileSync(path.join(dir, 'package', 'package.json'), JSON.stringify(manifest));
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, 'package', file), text);
  execFileSync('tar', ['-czf', path.join(dir, 'pkg.tgz'), '-C', dir, 'package']);
  const tarball = fs.readFileSync(path.join(dir, 'pkg.tgz'));
  const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
  const shasum = createHash('sha1').update(tarball).digest('hex');
  const versions = packages.get(name) ?? new Map<string, Published>();
  versions.set(version, {
    manifest: {
      ...manifest,
      dist: { tarball: `${base}/${name}/-/${name}-${version}.tgz`, integrity, shasum },
    },
    tarball,
  });
  packages.set(name, versions);
}

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = decodeURIComponent(req.url ?? '');
  requests.push(url);
  const tgz = /^\/([^/]+)\/-\/.+-(\d+\.\d+\.\d+)\.tgz$/.exec(url);
  if (tgz) {
    const p = packages.get(tgz[1]!)?.get(tgz[2]!);
    if (!p) return void res.writeHead(404).end();
    return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(p.tarball);
  }
  const versions = packages.get(url.slice(1));
  if (!versions) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
  const all = [...versions.keys()];
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      name: url.slice(1),
      'dist-tags': { latest: all.at(-1) },
      versions: Object.fromEntries([...versions].map(([v, p]) => [v, p.manifest])),
    }),
  );
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-registry-'));
  marker = path.join(tmp, 'script-ran');
  registry = http.createServer(serve);
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(registry.address() as { port: number }).port}`;

  publish('greet-dep', '1.0.0', { 'index.js': "module.exports = 'hello';" });
  publish('greet-dep', '1.4.0', { 'index.js': "module.exports = 'hi';" });
  publish('greet-dep', '2.0.0', { 'index.js': "module.exports = 'hey';" });
  publish(
    'greet',
    '1.0.0',
    { 'index.js': "module.exports = (n) => require('greet-dep') + ' ' + n + ' v1.0';" },
    {
      dependencies: { 'greet-dep': '^1.0.0' },
    },
  );
  publish(
    'greet',
    '1.2.0',
    { 'index.js': "module.exports = (n) => require('greet-dep') + ' ' + n + ' v1.2';" },
    {
      dependencies: { 'greet-dep': '^1.0.0' },
    },
  );
  // Every install-time script would leave the marker file, if npm ran it.
  const write = `node -e "require('fs').appendFileSync(${JSON.stringify(marker)}, process.env.npm_lifecycle_event + '\\\\n')"`;
  publish(
    'has-scripts',
    '1.0.0',
    { 'index.js': "module.exports = 'installed without scripts';" },
    {
      scripts: { preinstall: write, install: write, postinstall: write, prepare: write },
    },
  );
  publish(
    'needs-missing-dep',
    '1.0.0',
    { 'index.js': "module.exports = require('gone');" },
    {
      dependencies: { 'greet-dep': '^9.0.0' },
    },
  );

  t = await startTestApp({
    env: {
      BATON_ACTION_NPM_REGISTRY: base,
      BATON_DATA_DIR: path.join(tmp, 'data'),
      BATON_ACTION_PACKAGE_TIMEOUT_MS: '20000',
    },
  });
});

after(async () => {
  await t?.close();
  registry?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function create(dependencies: Array<{ name: string; version: string }>, code?: string) {
  return t.api('POST', '/actions/actions', {
    name: `reg-${++n}`,
    supported_triggers: CTE,
    dependencies,
    ...(code ? { code } : {}),
  });
}

test('a range is resolved at draft save to one exact version, with its own dependencies, and runs', async () => {
  const res = await create(
    [{ name: 'greet', version: '^1.0.0' }],
    "const greet = require('greet');\nexports.onExecuteCustomTokenExchange = async (event, api) => { api.authentication.setUserById(greet('ana')); };",
  );
  assert.equal(res.statusCode, 201, res.body);
  assert.deepEqual(res.json().dependencies, [{ name: 'greet', version: '1.2.0' }]);
  const run = await t.api('POST', `/actions/actions/${res.json().id}/test`, { payload: {} });
  assert.deepEqual(run.json().payload.commands, [{ name: 'authentication.setUserById', args: ['hi ana v1.2'] }]);
  const deployed = await t.api('POST', `/actions/actions/${res.json().id}/deploy`);
  assert.equal(deployed.statusCode, 202, deployed.body);
  assert.deepEqual(deployed.json().dependencies, [{ name: 'greet', version: '1.2.0' }]);
});

test('an exact version already bundled is not fetched again', async () => {
  const first = await create([{ name: 'greet', version: '1.0.0' }]);
  assert.equal(first.statusCode, 201, first.body);
  requests = [];
  const again = await create([{ name: 'greet', version: '1.0.0' }]);
  assert.equal(again.statusCode, 201, again.body);
  assert.deepEqual(requests, []);
});

test('no install script of a dependency runs on the server', async () => {
  const res = await create(
    [{ name: 'has-scripts', version: 'latest' }],
    "const s = require('has-scripts');\nexports.onExecuteCustomTokenExchange = async (event, api) => { api.authentication.setUserById(s); };",
  );
  assert.equal(res.statusCode, 201, res.body);
  assert.deepEqual(res.json().dependencies, [{ name: 'has-scripts', version: '1.0.0' }]);
  assert.ok(
    requests.some((r) => r.startsWith('/has-scripts/-/')),
    'the tarball was downloaded and installed',
  );
  assert.equal(fs.existsSync(marker), false, 'an install script ran');
  const run = await t.api('POST', `/actions/actions/${res.json().id}/test`, { payload: {} });
  assert.deepEqual(run.json().payload.commands, [
    { name: 'authentication.setUserById', args: ['installed without scripts'] },
  ]);
});

test('an unknown package, an unknown version, or one whose dependency has none: a clear 400', async () => {
  const cases: Array<[{ name: string; version: string }, string]> = [
    [{ name: 'no-such-package', version: '1.0.0' }, "Dependency 'no-such-package' was not found in the registry."],
    [{ name: 'greet', version: '3.0.0' }, "Dependency 'greet' has no version matching '3.0.0'."],
    [{ name: 'greet', version: 'beta' }, "Dependency 'greet' has no version matching 'beta'."],
    [
      { name: 'needs-missing-dep', version: '1.0.0' },
      "Dependency 'needs-missing-dep@1.0.0' cannot be installed: no version of its dependency greet-dep@^9.0.0 exists.",
    ],
  ];
  for (const [dep, message] of cases) {
    const res = await create([dep]);
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(res.json(), { statusCode: 400, error: 'Bad Request', message, errorCode: 'invalid_dependency' });
  }
});

test('the registry unreachable at draft save: 503 in the Management API shape, nothing created', async () => {
  await new Promise<void>((resolve) => registry.close(() => resolve()));
  registry.closeAllConnections();
  const res = await t.api('POST', '/actions/actions', {
    name: 'reg-down',
    supported_triggers: CTE,
    dependencies: [{ name: 'greet-dep', version: '^2.0.0' }],
  });
  assert.equal(res.statusCode, 503, res.body);
  assert.deepEqual(res.json(), {
    statusCode: 503,
    error: 'Service Unavailable',
    message: "The npm registry could not be reached to install 'greet-dep@^2.0.0'.",
    errorCode: 'dependency_registry_unavailable',
  });
  assert.equal((await t.api('GET', '/actions/actions?actionName=reg-down')).json().total, 0);
  // A bundle already stored needs no registry: an exact version built earlier still deploys.
  const stored = await create([{ name: 'greet', version: '1.2.0' }]);
  assert.equal(stored.statusCode, 201, stored.body);
});

test('a registry that does not answer within BATON_ACTION_PACKAGE_TIMEOUT_MS: 503, and the install is stopped', async () => {
  const sockets = new Set<Socket>();
  const silent = http.createServer(() => undefined);
  silent.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const slow = await startTestApp({
    env: {
      BATON_ACTION_NPM_REGISTRY: `http://127.0.0.1:${(silent.address() as { port: number }).port}`,
      BATON_DATA_DIR: path.join(tmp, 'data-slow'),
      BATON_ACTION_PACKAGE_TIMEOUT_MS: '1000',
    },
  });
  try {
    const res = await slow.api('POST', '/actions/actions', {
      name: 'reg-slow',
      supported_triggers: CTE,
      dependencies: [{ name: 'greet', version: '1.0.0' }],
    });
    assert.equal(res.statusCode, 503, res.body);
    const body = res.json();
    assert.equal(body.errorCode, 'dependency_registry_unavailable');
    assert.match(
      body.message,
      /^(Installing 'greet@1\.0\.0' took longer than 1000 ms\.|The npm registry could not be reached to install 'greet@1\.0\.0'\.)$/,
    );
  } finally {
    await slow.close();
    for (const s of sockets) s.destroy();
    silent.close();
  }
});
