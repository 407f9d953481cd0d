/**
 * The two servers under test, each a child process so its peak RSS is its own: the crypto floor (bench/floor.ts)
 * and Baton (`node dist/cli/index.js serve`, compiled as `npm start` runs it, on SQLite or PostgreSQL + Redis).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, waitForHttp, waitForOutput, freePort, type Child } from './procs.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN_ID = 'bench-admin';
export const ADMIN_SECRET = 'bench-admin-eRdxJfuejDvcu0wz4-s2eoNg2DQsR6LcFQoN0qysTTo';
export const SECRET_KEY = 'bench-master-key-0123456789abcdef0123456789';

export interface Target {
  name: string;
  base: string;
  child: Child;
  stop(): Promise<void>;
}

export interface FloorOptions {
  alg: 'RS256' | 'ES256';
  idpJwk: Record<string, unknown>;
  clientId: string;
  clientSecret: string;
  audience: string;
  subjectTokenType: string;
}

export async function startFloor(o: FloorOptions): Promise<Target> {
  const child = spawnChild(
    ['--import', 'tsx', path.join(ROOT, 'bench/floor.ts')],
    {
      FLOOR_ALG: o.alg,
      FLOOR_IDP_JWK: JSON.stringify(o.idpJwk),
      FLOOR_CLIENT_ID: o.clientId,
      FLOOR_CLIENT_SECRET: o.clientSecret,
      FLOOR_AUDIENCE: o.audience,
      FLOOR_SUBJECT_TOKEN_TYPE: o.subjectTokenType,
    },
    ROOT,
  );
  const m = await waitForOutput(child, /listening (\d+)/);
  return { name: `floor ${o.alg}`, base: `http://127.0.0.1:${m[1]}/`, child, stop: () => child.stop() };
}

export interface BatonOptions {
  dataDir: string;
  /** PostgreSQL database URL; SQLite in dataDir when absent. */
  databaseUrl?: string;
  redisUrl?: string;
  /** Reuse a port (a restart over the same data keeps its issuer). */
  port?: number;
  /** Extra node options (V8 flags) for experiments. */
  nodeArgs?: string[];
  /** Extra environment for the server (configuration experiments). */
  env?: Record<string, string>;
  /** Write a V8 CPU profile of the process (and its worker threads) into this directory on exit. */
  cpuProfDir?: string;
}

/** The node options `npm start` runs Baton with (package.json), so the bench measures what operators run. */
export function startNodeFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const m = /\bnode((?:\s+--\S+)*)\s+dist\/cli\/index\.js\b/.exec(pkg.scripts.start);
  if (!m) throw new Error(`cannot find the node command in the start script: ${pkg.scripts.start}`);
  return m[1]!.trim().split(/\s+/).filter(Boolean);
}

let built = false;

/** Compiles src/ to dist/ once per bench process (as `npm run build` does), so Baton runs as `npm start` runs it. */
export function buildBaton(): void {
  if (built) return;
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  // The sandbox's guest JavaScript, which tsc does not emit (package.json `build`): without it no Action compiles.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/copy-guest.mjs')], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

export async function startBaton(o: BatonOptions): Promise<Target & { port: number }> {
  const port = o.port ?? (await freePort());
  const base = `http://127.0.0.1:${port}/`;
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    BATON_ISSUER: base,
    BATON_DATA_DIR: o.dataDir,
    BATON_ADMIN_CLIENT_ID: ADMIN_ID,
    BATON_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    BATON_LOG_LEVEL: 'warn',
    BATON_SECRET_KEY: SECRET_KEY,
    // The bench's IdP (JWKS, introspection) listens on loopback: Action fetch reaches it only by the operator's opt-in.
    BATON_ACTION_EGRESS_ALLOW_PRIVATE: 'true',
  };
  if (o.databaseUrl) env.BATON_DATABASE_URL = o.databaseUrl;
  if (o.redisUrl) env.BATON_REDIS_URL = o.redisUrl;
  Object.assign(env, o.env);
  buildBaton();
  const args: string[] = [...startNodeFlags(), ...(o.nodeArgs ?? [])];
  if (o.cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`);
  args.push(path.join(ROOT, 'dist/cli/index.js'), 'serve');
  const child = spawnChild(args, env, ROOT);
  await waitForHttp(`${base}health/live`, child);
  const name = o.databaseUrl ? 'Baton (PostgreSQL + Redis)' : 'Baton (SQLite)';
  return { name, base, port, child, stop: () => child.stop() };
}
