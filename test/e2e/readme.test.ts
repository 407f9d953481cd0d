/**
 * The README, as a newcomer runs it: a real `baton serve` process on a fresh data dir prints the admin client once;
 * the curl for a Management API token and for creating a client work; `baton quickstart` prints a curl that,
 * run by a shell exactly as printed, returns tokens that verify against the JWKS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const execFileP = promisify(execFile);
/** execFile that fails with what the command printed, so a failure explains itself. */
async function run(file: string, args: string[], opts: Parameters<typeof execFileP>[2]) {
  try {
    return await execFileP(file, args, { ...opts, encoding: 'utf8' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${file} ${args.join(' ').slice(0, 200)} failed: ${e.message}\nstdout: ${e.stdout}\nstderr: ${e.stderr}\nserver: ${output}`,
      { cause: err },
    );
  }
}
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let server: ChildProcess;
let dataDir: string;
let port: number;
let output = '';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-readme-'));
  port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    BATON_DATA_DIR: dataDir,
    BATON_LOG_LEVEL: 'warn',
  };
  for (const k of [
    'BATON_ADMIN_CLIENT_ID',
    'BATON_ADMIN_CLIENT_SECRET',
    'BATON_DATABASE_URL',
    'BATON_REDIS_URL',
    'BATON_SECRET_KEY',
    'BATON_ISSUER',
  ])
    delete env[k];
  server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve'], { cwd: root, env });
  server.stdout!.on('data', (c) => (output += String(c)));
  server.stderr!.on('data', (c) => (output += String(c)));
  const deadline = Date.now() + 60_000;
  while (!/client secret \(shown once/.test(output)) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(() => {
  server.kill('SIGTERM');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('first start prints the admin client once, with the curl that gets a management token', async () => {
  const id = /Management API client: (\S+)/.exec(output)![1]!;
  const secret = /store it now\): (\S+)/.exec(output)![1]!;
  assert.ok(fs.existsSync(path.join(dataDir, 'baton.sqlite')));
  assert.ok(fs.existsSync(path.join(dataDir, 'master.key')));
  const issuer = `http://localhost:${port}/`;
  const env = { ...process.env, BATON_ADMIN_CLIENT_ID: id, BATON_ADMIN_CLIENT_SECRET: secret, PORT: String(port) };

  // README: get a Management API token and create a client with curl.
  const tokenCmd = `curl -s http://localhost:${port}/oauth/token -d grant_type=client_credentials -d client_id=$BATON_ADMIN_CLIENT_ID -d client_secret=$BATON_ADMIN_CLIENT_SECRET --data-urlencode audience=${issuer}api/v2/`;
  const token = JSON.parse((await run('sh', ['-c', tokenCmd], { env })).stdout).access_token as string;
  assert.ok(token);
  const createCmd = `curl -s http://localhost:${port}/api/v2/clients -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '{"name":"My backend","app_type":"non_interactive","grant_types":["client_credentials"]}'`;
  const created = JSON.parse((await run('sh', ['-c', createCmd], { env })).stdout);
  assert.equal(created.name, 'My backend');
  assert.equal(typeof created.client_secret, 'string');

  // README: npm run baton -- quickstart, then the curl it prints.
  const qs = await run(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'quickstart'], { cwd: root, env });
  const curl = qs.stdout.slice(qs.stdout.indexOf('curl -s'));
  const answer = JSON.parse((await run('sh', ['-c', curl], { env })).stdout);
  assert.equal(answer.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
  assert.equal(answer.token_type, 'Bearer');
  assert.equal(answer.scope, 'openid email read:messages');
  const jwks = createRemoteJWKSet(new URL(`http://localhost:${port}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(answer.access_token, jwks, {
    issuer,
    audience: 'https://api.quickstart.example',
  });
  assert.equal(payload.sub, 'oidc|partner-idp|partner-user-1');
  const { payload: idClaims } = await jwtVerify(answer.id_token, jwks, { issuer });
  assert.equal(idClaims.email, 'jane@partner.example');

  // Running quickstart again reuses what exists and still prints a working exchange.
  const again = await run(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'quickstart'], { cwd: root, env });
  const second = JSON.parse(
    (await run('sh', ['-c', again.stdout.slice(again.stdout.indexOf('curl -s'))], { env })).stdout,
  );
  assert.ok(second.access_token, JSON.stringify(second));
});
