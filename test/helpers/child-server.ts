/**
 * A real `baton serve` in a child process, for the cases that could end a process (heap exhaustion, descriptor
 * exhaustion, stalled sockets): the test attacks it over a real port, then asserts it is still alive and answering.
 * SQLite in a fresh temporary data dir; a fixed admin client; `maxOldSpaceMb` mirrors `npm start`'s heap limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const CHILD_ADMIN_ID = 'child-admin-client';
export const CHILD_ADMIN_SECRET = 'child-admin-NHLKVyPiXYeodeakEkZ-Jo_HBkGcR_cAHgOMdaxGAtg';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export interface ChildServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  port: number;
  issuer: string;
  /** The SQLite data dir (removed by stop()). */
  dataDir: string;
  process: ChildProcess;
  /** What the process printed so far (stdout and stderr). */
  output(): string;
  /** True while the process has not exited. */
  running(): boolean;
  /** The process is running and `GET /health/live` answers 200 within 5 s. */
  alive(): Promise<boolean>;
  /** A Management API token for the admin client (all scopes unless given). */
  adminToken(scopes?: string[]): Promise<string>;
  /** SIGTERM, then SIGKILL after 5 s; removes the data dir. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export async function startChildServer(
  opts: { env?: Record<string, string>; maxOldSpaceMb?: number } = {},
): Promise<ChildServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-child-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('BATON_')) delete env[k];
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    BATON_ISSUER: issuer,
    BATON_DATA_DIR: dataDir,
    BATON_LOG_LEVEL: 'warn',
    BATON_ADMIN_CLIENT_ID: CHILD_ADMIN_ID,
    BATON_ADMIN_CLIENT_SECRET: CHILD_ADMIN_SECRET,
    BATON_SECRET_KEY: 'child-master-key-0123456789abcdef0123456789',
    // No load balancer to wait for: stop() does not wait out the default drain delay.
    BATON_SHUTDOWN_DRAIN_MS: '0',
    ...opts.env,
  });
  const args = ['--import', 'tsx'];
  args.push(`--max-old-space-size=${opts.maxOldSpaceMb ?? 256}`);
  args.push('src/cli/index.ts', 'serve');
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += String(c)));
  child.stderr.on('data', (c) => (out += String(c)));
  const deadline = Date.now() + 60_000;
  while (!/Baton is listening/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) {
      child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`child server did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = `http://127.0.0.1:${port}`;
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    url,
    port,
    issuer,
    dataDir,
    process: child,
    output: () => out,
    running,
    async alive() {
      if (!running()) return false;
      try {
        const res = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(5000) });
        return res.status === 200;
      } catch {
        return false;
      }
    },
    async adminToken(scopes) {
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CHILD_ADMIN_ID,
        client_secret: CHILD_ADMIN_SECRET,
        audience: `${issuer}api/v2/`,
        ...(scopes ? { scope: scopes.join(' ') } : {}),
      });
      const res = await fetch(`${url}/oauth/token`, { method: 'POST', body });
      if (res.status !== 200) throw new Error(`admin token: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async stop() {
      if (running()) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
