/**
 * A PostgreSQL cluster of the test's own, for fault tests that stop and restart the database: initdb into a
 * temporary dir, on a free port, never the machine's shared server. PostgreSQL refuses to run as root, so under root
 * the cluster is the `postgres` user's. `destroy()` stops it and removes the dir; call it in `after`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './child-server.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

export interface ThrowawayPg {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  port: number;
  start(): Promise<void>;
  /** `fast`: connections are terminated (57P01), as on an operator's restart. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

export const throwawayPgAvailable = (): boolean => fs.existsSync(`${BIN}/initdb`);

export async function startThrowawayPg(): Promise<ThrowawayPg> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    fs.chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pgRun = (bin: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', `${BIN}/${bin}`, ...args]) : run(`${BIN}/${bin}`, args);
  const port = await freePort();
  const ctl = (...args: string[]) => pgRun('pg_ctl', ['-D', data, '-w', '-t', '30', ...args]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  let started = false;
  const pg: ThrowawayPg = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await ctl('-o', options, '-l', path.join(dir, 'log'), 'start');
      started = true;
    },
    async stop() {
      await ctl('-m', 'fast', 'stop');
      started = false;
    },
    async restart() {
      await ctl('-m', 'fast', '-o', options, '-l', path.join(dir, 'log'), 'restart');
      started = true;
    },
    async destroy() {
      try {
        if (started) await ctl('-m', 'immediate', 'stop');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    await pgRun('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    await pg.start();
  } catch (err) {
    await pg.destroy();
    throw err;
  }
  return pg;
}
