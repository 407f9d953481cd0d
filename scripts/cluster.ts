/**
 * `npm run cluster`: three Baton nodes on loopback sharing the local PostgreSQL and Redis, behind the round-robin
 * proxy of scripts/round-robin-proxy.ts: what a multi-node deployment does (shared storage, shared throttling,
 * cache invalidation between nodes), on one machine, to try. Ctrl-C stops everything and drops the database.
 *
 * Each run starts from a fresh database (`baton_cluster`, dropped at the start if a previous run left it) with a
 * master key and admin secret generated for the run, printed once; nothing is written to disk but the nodes'
 * temporary data dirs, removed at the end. Environment: CLUSTER_PORT (the proxy, default 4000), CLUSTER_NODES
 * (default 3), CLUSTER_DATABASE (default baton_cluster), CLUSTER_PG_URL (a database to connect to for creating it,
 * default postgres://postgres@127.0.0.1:5432/postgres), CLUSTER_REDIS_URL (default redis://127.0.0.1:6379),
 * CLUSTER_LOG_LEVEL (the nodes', default warn).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startProxy, type Proxy } from './round-robin-proxy.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROXY_PORT = Number(process.env.CLUSTER_PORT ?? 4000);
const NODES = Number(process.env.CLUSTER_NODES ?? 3);
const DATABASE = process.env.CLUSTER_DATABASE ?? 'baton_cluster';
const PG_ADMIN_URL = process.env.CLUSTER_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.CLUSTER_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN_ID = 'cluster-admin';

const say = (line: string) => process.stdout.write(`[cluster] ${line}\n`);

if (!/^[a-z_][a-z0-9_]{0,62}$/.test(DATABASE)) throw new Error('CLUSTER_DATABASE: lowercase letters, digits, _');

async function adminQuery(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

function answers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port), timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Node {
  name: string;
  url: string;
  proc: ChildProcess;
  dataDir: string;
}

/** Starts one node and resolves once it listens; its output is printed with its name in front. */
async function startNode(name: string, env: Record<string, string>): Promise<Node> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `baton-cluster-${name}-`));
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', BATON_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  const prefix = (chunk: Buffer) => {
    seen += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line.trim()) process.stdout.write(`[${name}] ${line}\n`);
  };
  proc.stdout.on('data', prefix);
  proc.stderr.on('data', prefix);
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/Baton is listening/.test(seen)) {
        clearInterval(timer);
        resolve();
      } else if (proc.exitCode !== null || proc.signalCode !== null) {
        clearInterval(timer);
        reject(new Error(`${name} exited before listening`));
      }
    }, 100);
  });
  return { name, url: `http://127.0.0.1:${port}/`, proc, dataDir };
}

async function stopNode(node: Node): Promise<void> {
  if (node.proc.exitCode === null && node.proc.signalCode === null) {
    const exited = new Promise<void>((resolve) => node.proc.once('exit', () => resolve()));
    node.proc.kill('SIGTERM');
    const timer = setTimeout(() => node.proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  fs.rmSync(node.dataDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const pgUrl = new URL(PG_ADMIN_URL);
  if (!(await answers(`tcp://${pgUrl.hostname}:${pgUrl.port || 5432}`)))
    throw new Error(`PostgreSQL does not answer at ${pgUrl.host}; start it or set CLUSTER_PG_URL`);
  const redisUrl = new URL(REDIS_URL);
  if (!(await answers(`tcp://${redisUrl.hostname}:${redisUrl.port || 6379}`)))
    throw new Error(`Redis does not answer at ${redisUrl.host}; start it or set CLUSTER_REDIS_URL`);

  const nodes: Node[] = [];
  let proxy: Proxy | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping');
    await proxy?.close();
    await Promise.all(nodes.map(stopNode));
    await adminQuery(`drop database if exists ${DATABASE} with (force)`).catch((err: Error) =>
      say(`could not drop ${DATABASE}: ${err.message}`),
    );
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    await adminQuery(`drop database if exists ${DATABASE} with (force)`);
    await adminQuery(`create database ${DATABASE}`);
    const databaseUrl = new URL(PG_ADMIN_URL);
    databaseUrl.pathname = `/${DATABASE}`;
    const issuer = `http://127.0.0.1:${PROXY_PORT}/`;
    const adminSecret = `cluster-admin-${randomBytes(32).toString('base64url')}`;
    const env = {
      BATON_ISSUER: issuer,
      BATON_DATABASE_URL: databaseUrl.toString(),
      BATON_REDIS_URL: REDIS_URL,
      BATON_SECRET_KEY: randomBytes(32).toString('base64url'),
      BATON_ADMIN_CLIENT_ID: ADMIN_ID,
      BATON_ADMIN_CLIENT_SECRET: adminSecret,
      // The proxy overwrites X-Forwarded-For with the address it was reached from: the nodes may trust it.
      BATON_TRUST_PROXY: 'true',
      BATON_LOG_LEVEL: process.env.CLUSTER_LOG_LEVEL ?? 'warn',
    };
    // The first node migrates the fresh database and creates the keys and admin client; the others find them.
    say(`starting ${NODES} nodes on database ${DATABASE} and ${REDIS_URL}`);
    nodes.push(await startNode('node1', env));
    nodes.push(...(await Promise.all(Array.from({ length: NODES - 1 }, (_, i) => startNode(`node${i + 2}`, env)))));
    proxy = await startProxy({ port: PROXY_PORT, upstreams: nodes.map((n) => n.url) });
    process.stdout.write(
      [
        '',
        `Baton cluster is up: ${proxy.url} (round robin over ${nodes.map((n) => n.url).join(', ')})`,
        `Management API client: ${ADMIN_ID}`,
        `Management API client secret: ${adminSecret}`,
        '',
        'Get a Management API token:',
        `  curl -s ${issuer}oauth/token -d grant_type=client_credentials \\`,
        `    -d client_id=${ADMIN_ID} -d client_secret=${adminSecret} \\`,
        `    --data-urlencode audience=${issuer}api/v2/`,
        '',
        `Ctrl-C stops the nodes and drops the database ${DATABASE}.`,
        '',
      ].join('\n') + '\n',
    );
  } catch (err) {
    say(`failed: ${(err as Error).message}`);
    await stop(1);
  }
}

await main();
