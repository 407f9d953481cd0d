/**
 * Issue 12: Actions declare npm dependencies and `require` them. Here the packages come from an installed
 * `node_modules` folder (BATON_ACTION_PACKAGES_DIR): the project's own, where the devDependencies pin the packages
 * Actions commonly use, and a temporary folder of fixture packages for the refusals. No network: the registry
 * path is dependencies-registry.test.ts, against a local registry.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange } from '../helpers/exchange.js';

const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
const CTE = [{ id: 'custom-token-exchange', version: 'v1' }];
const installed = (name: string) =>
  (JSON.parse(fs.readFileSync(path.join(PROJECT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

let t: TestApp;
let fixtures: TestApp;
let fixtureDir: string;
let server: http.Server;
let origin: string;
let n = 0;
let jwksRequests = 0;
/** The RSA key of the tokens the jsonwebtoken and jwks-rsa Actions verify; its JWK is served by the test server. */
const RSA = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A package in the fixture folder: its package.json fields and files. */
function fixture(name: string, files: Record<string, string>, pkg: Record<string, unknown> = {}): void {
  const dir = path.join(fixtureDir, 'node_modules', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', main: 'index.js', ...pkg }),
  );
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
}

before(async () => {
  server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/jwks.json') {
      jwksRequests++;
      const jwk = RSA.publicKey.export({ format: 'jwk' });
      return void res.end(JSON.stringify({ keys: [{ ...jwk, kid: 'k1', alg: 'RS256', use: 'sig' }] }));
    }
    res.end(JSON.stringify({ path: req.url, accept: req.headers.accept ?? null, user: 'ext-42' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  fixtureDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-deps-'));
  fixture('needs-fs', {
    'index.js': "const fs = require('fs');\nmodule.exports = () => fs.readFileSync('/etc/passwd');",
  });
  fixture('net-helper', { 'index.js': "module.exports = require('node:net').connect;" });
  fixture(
    'needs-net',
    { 'index.js': "module.exports = require('net-helper');" },
    { dependencies: { 'net-helper': '1' } },
  );
  fixture('native-addon', { 'index.js': "module.exports = require('./build/Release/addon.node');" });
  fixture(
    'browser-no-fs',
    { 'index.js': "const fs = require('fs');\nmodule.exports = () => typeof fs.readFileSync;" },
    {
      browser: { fs: false },
    },
  );
  fixture('uses-crypto', {
    'index.js': "const c = require('crypto');\nmodule.exports = (s) => c.createHash('sha256').update(s).digest('hex');",
  });
  fixture('big', { 'index.js': `module.exports = ${JSON.stringify('x'.repeat(70_000))};` });
  fixture('throws-on-load', { 'index.js': "throw new Error('not in this runtime');" });

  t = await startTestApp({
    env: { BATON_ACTION_PACKAGES_DIR: PROJECT, BATON_ACTION_EGRESS_ALLOW_PRIVATE: 'true' },
  });
  fixtures = await startTestApp({
    env: { BATON_ACTION_PACKAGES_DIR: fixtureDir, BATON_ACTION_PACKAGE_MAX_BYTES: '65536' },
  });
});

after(async () => {
  await t?.close();
  await fixtures?.close();
  server?.close();
  if (fixtureDir) fs.rmSync(fixtureDir, { recursive: true, force: true });
});

async function create(app: TestApp, code: string, dependencies: Array<{ name: string; version: string }>) {
  return app.api('POST', '/actions/actions', { name: `deps-${++n}`, supported_triggers: CTE, code, dependencies });
}

/** Creates the Action (201 asserted), runs it through the test endpoint; returns the Action and the run. */
async function createAndTest(code: string, dependencies: Array<{ name: string; version: string }>) {
  const res = await create(t, code, dependencies);
  assert.equal(res.statusCode, 201, res.body);
  const action = res.json();
  const run = await t.api('POST', `/actions/actions/${action.id}/test`, { payload: {} });
  assert.equal(run.statusCode, 200, run.body);
  return { action, payload: run.json().payload };
}

const setUser = (expr: string) =>
  `exports.onExecuteCustomTokenExchange = async (event, api) => { api.authentication.setUserById(${expr}); };`;

test('lodash: a range is resolved to the one exact version installed, which the API then shows', async () => {
  const { action, payload } = await createAndTest(
    `const _ = require('lodash');\n${setUser("_.get({ a: { b: 'x' } }, 'a.b') + _.chunk([1, 2, 3], 2).length + _.camelCase('Foo Bar')")}`,
    [{ name: 'lodash', version: '^4.17.0' }],
  );
  assert.deepEqual(action.dependencies, [{ name: 'lodash', version: installed('lodash') }]);
  assert.deepEqual(payload.commands, [{ name: 'authentication.setUserById', args: ['x2fooBar'] }]);
  assert.equal(payload.error, null);
});

test('uuid: v4 draws from the sandbox crypto, v5 is deterministic; `latest` resolves to the installed version', async () => {
  const { action, payload } = await createAndTest(
    `const { v4, v5, validate, version } = require('uuid');\n${setUser("[validate(v4()), version(v4()), v5('hello', v5.DNS)].join(' ')")}`,
    [{ name: 'uuid', version: 'latest' }],
  );
  assert.deepEqual(action.dependencies, [{ name: 'uuid', version: installed('uuid') }]);
  assert.deepEqual(payload.commands, [
    { name: 'authentication.setUserById', args: ['true 4 9342d47a-1bab-5709-9869-c840b2eac501'] },
  ]);
});

test('axios: a GET to a local server goes through the sandbox fetch (its fetch adapter, not Node http)', async () => {
  const { payload } = await createAndTest(
    `const axios = require('axios');
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const r = await axios.get('${origin}/users/42?expand=1', { headers: { accept: 'application/json' } });
  api.authentication.setUserById(JSON.stringify([r.status, r.data]));
};`,
    [{ name: 'axios', version: installed('axios') }],
  );
  assert.equal(payload.error, null, JSON.stringify(payload));
  assert.deepEqual(payload.commands, [
    {
      name: 'authentication.setUserById',
      args: [JSON.stringify([200, { path: '/users/42?expand=1', accept: 'application/json', user: 'ext-42' }])],
    },
  ]);
});

test('axios in a full token exchange: the deployed version runs its bundled dependency', async () => {
  const fx = await setupExchange(t, { code: setUser("'placeholder'") });
  const code = `const axios = require('axios');
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const { data } = await axios.get('${origin}/lookup');
  api.authentication.setUserByConnection('legacy-idp', { user_id: data.user, email: data.user + '@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;
  const patched = await t.api('PATCH', `/actions/actions/${fx.actionId}`, {
    code,
    dependencies: [{ name: 'axios', version: '1' }],
  });
  assert.equal(patched.statusCode, 200, patched.body);
  assert.deepEqual(patched.json().dependencies, [{ name: 'axios', version: installed('axios') }]);
  const deployed = await t.api('POST', `/actions/actions/${fx.actionId}/deploy`);
  assert.equal(deployed.statusCode, 202, deployed.body);
  assert.deepEqual(deployed.json().dependencies, [{ name: 'axios', version: installed('axios') }]);
  const res = await fx.exchange();
  assert.equal(res.statusCode, 200, res.body);
  const payload = JSON.parse(Buffer.from(res.json().access_token.split('.')[1], 'base64url').toString());
  assert.equal(payload.sub, 'oidc|legacy-idp|ext-42');
});

test('a provided Node built-in a package requires (crypto) is left to the sandbox', async () => {
  const res = await create(fixtures, `const h = require('uses-crypto');\n${setUser("h('abc')")}`, [
    { name: 'uses-crypto', version: '1.0.0' },
  ]);
  assert.equal(res.statusCode, 201, res.body);
  const run = await fixtures.api('POST', `/actions/actions/${res.json().id}/test`, { payload: {} });
  assert.deepEqual(run.json().payload.commands, [
    {
      name: 'authentication.setUserById',
      args: ['ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    },
  ]);
});

test("a package's browser field that disables a built-in is honoured: it is not refused", async () => {
  const res = await create(fixtures, `const f = require('browser-no-fs');\n${setUser('f()')}`, [
    { name: 'browser-no-fs', version: '1.0.0' },
  ]);
  assert.equal(res.statusCode, 201, res.body);
  const run = await fixtures.api('POST', `/actions/actions/${res.json().id}/test`, { payload: {} });
  assert.deepEqual(run.json().payload.commands, [{ name: 'authentication.setUserById', args: ['undefined'] }]);
});

test('a package that needs fs, net or a native addon is refused at draft save, naming the module and who needs it', async () => {
  const cases: Array<[string, string]> = [
    [
      'needs-fs',
      "Dependency 'needs-fs@1.0.0' needs Node modules the Actions sandbox does not provide: 'fs' (required by needs-fs).",
    ],
    [
      'needs-net',
      "Dependency 'needs-net@1.0.0' needs Node modules the Actions sandbox does not provide: 'net' (required by net-helper).",
    ],
    [
      'native-addon',
      "Dependency 'native-addon@1.0.0' needs Node modules the Actions sandbox does not provide: 'native addon addon.node' (required by native-addon).",
    ],
  ];
  for (const [name, message] of cases) {
    const res = await create(fixtures, setUser("'x'"), [{ name, version: '1.0.0' }]);
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(res.json(), { statusCode: 400, error: 'Bad Request', message, errorCode: 'invalid_dependency' });
  }
  // PATCH of a draft is checked the same way, and leaves the draft as it was.
  const ok = await create(fixtures, setUser("'x'"), []);
  const patched = await fixtures.api('PATCH', `/actions/actions/${ok.json().id}`, {
    dependencies: [{ name: 'needs-fs', version: '1.0.0' }],
  });
  assert.equal(patched.statusCode, 400);
  assert.equal(patched.json().errorCode, 'invalid_dependency');
  assert.deepEqual((await fixtures.api('GET', `/actions/actions/${ok.json().id}`)).json().dependencies, []);
});

test('a bundle over BATON_ACTION_PACKAGE_MAX_BYTES is refused with the size and the limit', async () => {
  const res = await create(fixtures, setUser("'x'"), [{ name: 'big', version: '1.0.0' }]);
  assert.equal(res.statusCode, 400, res.body);
  const body = res.json();
  assert.equal(body.errorCode, 'invalid_dependency');
  assert.match(body.message, /^Dependency 'big@1\.0\.0' bundles to \d+ bytes, more than the limit of 65536 bytes\.$/);
});

test('an unknown package, a version the folder does not have, or a bad name or version: a clear 400', async () => {
  const cases: Array<[{ name: string; version: string }, string]> = [
    [
      { name: 'no-such-package', version: '1.0.0' },
      "Dependency 'no-such-package' is not in the server's packages folder.",
    ],
    [
      { name: 'needs-fs', version: '2.0.0' },
      "Dependency 'needs-fs@2.0.0' is not available: the server's packages folder has version 1.0.0.",
    ],
    [
      { name: 'needs-fs', version: 'next' },
      "Dependency 'needs-fs@next' is not available: the server's packages folder has version 1.0.0.",
    ],
    [{ name: '../etc', version: '1.0.0' }, "Dependency name '../etc' is not a valid npm package name."],
    [
      { name: 'needs-fs', version: 'file:../../x' },
      "Dependency 'needs-fs' has an invalid version 'file:../../x': use an exact version, a semver range or a tag such as 'latest'.",
    ],
    [
      { name: 'needs-fs', version: 'git+https://example.com/x.git' },
      "Dependency 'needs-fs' has an invalid version 'git+https://example.com/x.git': use an exact version, a semver range or a tag such as 'latest'.",
    ],
  ];
  for (const [dep, message] of cases) {
    const res = await create(fixtures, setUser("'x'"), [dep]);
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(res.json(), { statusCode: 400, error: 'Bad Request', message, errorCode: 'invalid_dependency' });
  }
});

test('more than 10 dependencies: 400 before anything is installed', async () => {
  const deps = Array.from({ length: 11 }, (_, i) => ({ name: `pkg-${i}`, version: '1.0.0' }));
  const res = await create(fixtures, setUser("'x'"), deps);
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json(), {
    statusCode: 400,
    error: 'Bad Request',
    message: 'An action can have at most 10 dependencies.',
    errorCode: 'invalid_body',
  });
});

test('a module the Action requires but does not declare is refused; a package that throws on load too', async () => {
  const undeclared = await create(t, `const _ = require('lodash');\n${setUser("'x'")}`, []);
  assert.equal(undeclared.statusCode, 400);
  assert.equal(undeclared.json().errorCode, 'invalid_code');
  assert.match(
    undeclared.json().message,
    /Cannot find module 'lodash'.*declare any other in the Action's dependencies/,
  );

  const throws = await create(fixtures, `require('throws-on-load');\n${setUser("'x'")}`, [
    { name: 'throws-on-load', version: '1.0.0' },
  ]);
  assert.equal(throws.statusCode, 400);
  assert.equal(
    throws.json().message,
    'Action code is invalid: Action module code threw while loading: Error: not in this runtime.',
  );
});

test('a bundle is stored once per name and version, in the database every node reads', async () => {
  const rows = await t.ctx.storage.db
    .selectFrom('action_packages')
    .select(['name', 'version', 'bytes', 'sha256'])
    .where('name', '=', 'lodash')
    .execute();
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.version, installed('lodash'));
  assert.ok(rows[0]!.bytes > 10_000);
  assert.match(rows[0]!.sha256, /^[0-9a-f]{64}$/);
});

test('jsonwebtoken: verifies HS256 and RS256 tokens, refuses a bad signature, signs RS256 (host-backed crypto)', async () => {
  const { publicKey, privateKey } = RSA;
  const secret = 'a-shared-secret-of-enough-length-0123456789';
  const now = Math.floor(Date.now() / 1000);
  const hs = await new jose.SignJWT({ sub: 'user-hs', scope: 'read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode(secret));
  const rs = await new jose.SignJWT({ sub: 'user-rs' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer('https://idp.example.com/')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
  const forged = `${rs.split('.').slice(0, 2).join('.')}.${'A'.repeat(342)}`;
  const res = await create(
    t,
    `const jwt = require('jsonwebtoken');
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const b = event.request.body;
  const hs = jwt.verify(b.hs, event.secrets.HS_SECRET, { algorithms: ['HS256'] });
  const rs = jwt.verify(b.rs, event.secrets.RS_PUBLIC, { algorithms: ['RS256'], issuer: 'https://idp.example.com/' });
  let forged;
  try { jwt.verify(b.forged, event.secrets.RS_PUBLIC); forged = 'accepted'; } catch (e) { forged = e.name + ': ' + e.message; }
  const signed = jwt.sign({ sub: 'from-sandbox' }, event.secrets.RS_PRIVATE, { algorithm: 'RS256', expiresIn: 60 });
  api.authentication.setUserById(JSON.stringify([hs.sub, hs.scope, rs.sub, forged, signed]));
};`,
    [{ name: 'jsonwebtoken', version: installed('jsonwebtoken') }],
  );
  assert.equal(res.statusCode, 201, res.body);
  const id = res.json().id as string;
  const patched = await t.api('PATCH', `/actions/actions/${id}`, {
    secrets: [
      { name: 'HS_SECRET', value: secret },
      { name: 'RS_PUBLIC', value: publicKey.export({ format: 'pem', type: 'spki' }) as string },
      { name: 'RS_PRIVATE', value: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string },
    ],
  });
  assert.equal(patched.statusCode, 200, patched.body);
  const run = await t.api('POST', `/actions/actions/${id}/test`, {
    payload: { request: { body: { hs, rs, forged } } },
  });
  const payload = run.json().payload;
  assert.equal(payload.error, null, JSON.stringify(payload));
  const [hsSub, hsScope, rsSub, forgedResult, signed] = JSON.parse(payload.commands[0].args[0] as string) as string[];
  assert.deepEqual(
    [hsSub, hsScope, rsSub, forgedResult],
    ['user-hs', 'read', 'user-rs', 'JsonWebTokenError: invalid signature'],
  );
  // What the sandbox signed verifies on the host with the public key.
  const { payload: claims, protectedHeader } = await jose.jwtVerify(signed!, publicKey);
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(claims.sub, 'from-sandbox');
});

test('jwks-rsa: getSigningKey from a local JWKS (its http client over the sandbox fetch), then jsonwebtoken.verify', async () => {
  const now = Math.floor(Date.now() / 1000);
  const token = await new jose.SignJWT({ sub: 'user-jwks' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(RSA.privateKey);
  const res = await create(
    t,
    `const jwksClient = require('jwks-rsa');
const jwt = require('jsonwebtoken');
const client = jwksClient({ jwksUri: '${origin}/.well-known/jwks.json', cache: true, rateLimit: true });
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const token = event.request.body.token;
  const { header } = jwt.decode(token, { complete: true });
  const key = await client.getSigningKey(header.kid);
  const claims = jwt.verify(token, key.getPublicKey(), { algorithms: ['RS256'] });
  let unknown;
  try { await client.getSigningKey('nope'); } catch (e) { unknown = e.name; }
  api.authentication.setUserById(claims.sub + ' ' + key.kid + ' ' + unknown);
};`,
    [
      { name: 'jwks-rsa', version: installed('jwks-rsa') },
      { name: 'jsonwebtoken', version: installed('jsonwebtoken') },
    ],
  );
  assert.equal(res.statusCode, 201, res.body);
  jwksRequests = 0;
  const run = await t.api('POST', `/actions/actions/${res.json().id}/test`, {
    payload: { request: { body: { token } } },
  });
  const payload = run.json().payload;
  assert.equal(payload.error, null, JSON.stringify(payload));
  assert.deepEqual(payload.commands, [
    { name: 'authentication.setUserById', args: ['user-jwks k1 SigningKeyNotFoundError'] },
  ]);
  assert.ok(jwksRequests >= 1, 'the JWKS was fetched from the local server');
});

test('jwks-rsa and jsonwebtoken in a full token exchange: the subject token is verified against the JWKS', async () => {
  const fx = await setupExchange(t, {
    code: setUser("'placeholder'"),
    skipApi: true,
    subjectTokenType: 'urn:acme:jwt',
  });
  const code = `const jwksClient = require('jwks-rsa');
const jwt = require('jsonwebtoken');
const client = jwksClient({ jwksUri: '${origin}/.well-known/jwks.json' });
const getKey = (header, cb) => client.getSigningKey(header.kid, (err, key) => cb(err, key && key.getPublicKey()));
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const claims = await new Promise((resolve) =>
    jwt.verify(event.transaction.subject_token, getKey, { algorithms: ['RS256'], issuer: 'https://idp.example.com/' },
      (err, c) => resolve(err ? null : c)));
  if (!claims) return api.access.rejectInvalidSubjectToken('the subject token is not valid');
  api.authentication.setUserByConnection('legacy-idp', { user_id: claims.sub, email: claims.sub + '@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;
  const patched = await t.api('PATCH', `/actions/actions/${fx.actionId}`, {
    code,
    dependencies: [
      { name: 'jwks-rsa', version: installed('jwks-rsa') },
      { name: 'jsonwebtoken', version: installed('jsonwebtoken') },
    ],
  });
  assert.equal(patched.statusCode, 200, patched.body);
  assert.equal((await t.api('POST', `/actions/actions/${fx.actionId}/deploy`)).statusCode, 202);
  const now = Math.floor(Date.now() / 1000);
  const sign = (iss: string) =>
    new jose.SignJWT({ sub: 'jwks-user' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(iss)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(RSA.privateKey);
  const res = await fx.exchange({ subject_token: await sign('https://idp.example.com/') });
  assert.equal(res.statusCode, 200, res.body);
  const claims = JSON.parse(Buffer.from(res.json().access_token.split('.')[1], 'base64url').toString());
  assert.equal(claims.sub, 'oidc|legacy-idp|jwks-user');
  // A token from another issuer fails jsonwebtoken's check: the Action rejects it, no token is issued.
  const refused = await fx.exchange({ subject_token: await sign('https://evil.example.com/') });
  assert.equal(refused.statusCode, 400, refused.body);
  assert.deepEqual(refused.json(), { error: 'invalid_request', error_description: 'the subject token is not valid' });
});
