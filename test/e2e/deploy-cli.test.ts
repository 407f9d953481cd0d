/**
 * Auth0's Deploy CLI (`a0deploy`, auth0-deploy-cli, the real tool run as a child process) against Baton served over
 * HTTPS on loopback: a seeded tenant is exported with the tool's default configuration, in the YAML and in the
 * directory format, and each export is imported into a fresh Baton, with no keyword replacement or exclusion. The
 * tool verifies TLS: it trusts the test's own CA through NODE_EXTRA_CA_CERTS, as an operator's private CA would be.
 * Then a token exchange through the imported profile answers 200 once the operator has done what an export cannot
 * carry (an Action secret's value, a client secret), and still does after the same export is imported again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { startTestApp, ADMIN_ID, ADMIN_SECRET, type TestApp } from '../helpers/app.js';
import { freePort } from '../sdk/listen.js';
import { makeTestPki, type TestPki } from './tls.js';
import { SEED, seedTenant } from '../helpers/deploy-cli.js';
import { API_ID, EXCHANGE_GRANT, TOKEN_TYPE } from '../helpers/exchange.js';

/** The package's main module is its `a0deploy` command (its bin entry). */
const A0DEPLOY = createRequire(import.meta.url).resolve('auth0-deploy-cli');

interface HttpsBaton extends TestApp {
  domain: string;
}

let pki: TestPki;
let workDir: string;
let caFile: string;
const started: HttpsBaton[] = [];

/** A fresh Baton listening over HTTPS on 127.0.0.1, its issuer `https://localhost:{port}/` (the tool's domain). */
async function startHttpsBaton(): Promise<HttpsBaton> {
  const port = await freePort();
  const domain = `localhost:${port}`;
  const t = await startTestApp({
    env: { BATON_ISSUER: `https://${domain}/` },
    https: { key: pki.key, cert: pki.cert },
  });
  await t.app.listen({ port, host: '127.0.0.1' });
  const b = Object.assign(t, { domain });
  started.push(b);
  return b;
}

const ANSI = new RegExp(String.raw`\u001b\[[0-9;]*m`, 'g');

/** Runs a0deploy with only what it needs in its environment; resolves with its exit code and plain output. */
function a0deploy(baton: HttpsBaton, args: string[]): Promise<{ code: number; output: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: workDir,
    NODE_EXTRA_CA_CERTS: caFile,
    AUTH0_DOMAIN: baton.domain,
    AUTH0_CLIENT_ID: ADMIN_ID,
    AUTH0_CLIENT_SECRET: ADMIN_SECRET,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [A0DEPLOY, ...args],
      { env, cwd: workDir, maxBuffer: 16 * 1024 * 1024 },
      (err, out, errOut) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, output: `${out}${errOut}`.replace(ANSI, '') });
      },
    );
  });
}

/** Exit code 0, the tool's success line, and not one `error` line. */
function assertClean(run: { code: number; output: string }, success: string) {
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, new RegExp(`info: ${success}`), run.output);
  const errors = run.output.split('\n').filter((line) => / - error: /.test(line));
  assert.deepEqual(errors, [], run.output);
}

async function ok<T = any>(res: { statusCode: number; body: string; json(): unknown }, status: number, what: string) {
  assert.equal(res.statusCode, status, `${what}: ${res.statusCode} ${res.body}`);
  return res.json() as T;
}

before(async () => {
  pki = await makeTestPki();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-a0deploy-'));
  caFile = path.join(workDir, 'ca.pem');
  fs.writeFileSync(caFile, pki.caCert);
});

after(async () => {
  for (const b of started) await b.close();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

/** What the operator does after an import: the values an export never carries, then the exchange itself. */
async function exchangeThroughImportedProfile(target: HttpsBaton) {
  const clients = await ok<Array<{ client_id: string; name: string }>>(
    await target.api('GET', '/clients?is_global=false'),
    200,
    'clients',
  );
  const cte = clients.find((c) => c.name === SEED.cteClient);
  assert.ok(cte, 'the CTE client was imported');
  const { client_secret } = await ok<{ client_secret: string }>(
    await target.api('POST', `/clients/${cte.client_id}/rotate-secret`),
    200,
    'rotate secret',
  );
  const exchange = () =>
    target.form('/oauth/token', {
      grant_type: EXCHANGE_GRANT,
      client_id: cte.client_id,
      client_secret,
      subject_token_type: TOKEN_TYPE,
      subject_token: SEED.secretValue,
      audience: API_ID,
    });

  // The Action secret came over by name: until its value is set, the Action rejects the subject token.
  const before = await exchange();
  assert.equal(before.statusCode, 400, before.body);
  assert.equal(before.json().error, 'invalid_request');

  const actions = await ok<{ actions: Array<{ id: string; name: string; secrets: Array<{ name: string }> }> }>(
    await target.api('GET', '/actions/actions'),
    200,
    'actions',
  );
  const action = actions.actions.find((a) => a.name === SEED.cteAction);
  assert.ok(action, 'the CTE Action was imported');
  assert.deepEqual(
    action.secrets.map((s) => s.name),
    [SEED.secretName],
  );
  await ok(
    await target.api('PATCH', `/actions/actions/${action.id}`, {
      secrets: [{ name: SEED.secretName, value: SEED.secretValue }],
    }),
    200,
    'set the secret',
  );
  await ok(await target.api('POST', `/actions/actions/${action.id}/deploy`), 202, 'deploy');

  const res = await exchange();
  const body = await ok<{ access_token: string }>(res, 200, 'token exchange');
  const jwks = await ok<JSONWebKeySet>(await target.app.inject({ url: '/.well-known/jwks.json' }), 200, 'jwks');
  const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), {
    issuer: `https://${target.domain}/`,
    audience: API_ID,
  });
  assert.match(String(payload.sub), /legacy-1$/);
  // The post-login Action and its binding came over too.
  assert.equal(payload['https://example.com/tier'], 'gold');
  return exchange;
}

/** What the import created besides the exchange path: the machine client's grant and the organization. */
async function assertImportedTenant(target: HttpsBaton) {
  const grants = await ok<Array<{ audience: string; scope: string[] }>>(
    await target.api('GET', '/client-grants'),
    200,
    'grants',
  );
  assert.ok(grants.some((g) => g.audience === API_ID && g.scope.join() === 'read:data'));
  const orgs = await ok<Array<{ id: string; name: string }>>(await target.api('GET', '/organizations'), 200, 'orgs');
  const org = orgs.find((o) => o.name === SEED.organization);
  assert.ok(org, 'the organization was imported');
  const conns = await ok<Array<{ connection: { name: string } }>>(
    await target.api('GET', `/organizations/${org.id}/enabled_connections`),
    200,
    'org connections',
  );
  assert.deepEqual(
    conns.map((c) => c.connection.name),
    [SEED.connection],
  );
}

test('a0deploy exports a Baton tenant and imports it into fresh Batons (YAML and directory)', async () => {
  const source = await startHttpsBaton();
  await seedTenant(source);
  const yamlDir = path.join(workDir, 'yaml');
  const directory = path.join(workDir, 'directory');

  const exportYaml = await a0deploy(source, ['export', '--format', 'yaml', '--output_folder', yamlDir]);
  assertClean(exportYaml, 'Export Successful');
  const exportDir = await a0deploy(source, ['export', '--format', 'directory', '--output_folder', directory]);
  assertClean(exportDir, 'Export Successful');
  // Baton's system API is named as Auth0's, so the tool leaves it out, as it leaves Auth0's out.
  const tenantYaml = fs.readFileSync(path.join(yamlDir, 'tenant.yaml'), 'utf8');
  assert.doesNotMatch(tenantYaml, /Management API/);
  assert.match(tenantYaml, new RegExp(`- name: ${SEED.secretName}\\n`));
  assert.ok(fs.existsSync(path.join(directory, 'token-exchange-profiles')), fs.readdirSync(directory).join());

  const [yamlTarget, dirTarget] = await Promise.all([startHttpsBaton(), startHttpsBaton()]);
  const [importYaml, importDir] = await Promise.all([
    a0deploy(yamlTarget, ['import', '--input_file', path.join(yamlDir, 'tenant.yaml')]),
    a0deploy(dirTarget, ['import', '--input_file', directory]),
  ]);
  assertClean(importYaml, 'Import Successful');
  assertClean(importDir, 'Import Successful');

  const exchanges = [];
  for (const target of [yamlTarget, dirTarget]) {
    await assertImportedTenant(target);
    exchanges.push(await exchangeThroughImportedProfile(target));
  }

  // Importing again updates what exists (PATCH everywhere); the Action secret, sent by name only, keeps its value.
  assertClean(
    await a0deploy(yamlTarget, ['import', '--input_file', path.join(yamlDir, 'tenant.yaml')]),
    'Import Successful',
  );
  const again = await exchanges[0]!();
  assert.equal(again.statusCode, 200, again.body);
});
