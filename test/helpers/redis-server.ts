/**
 * A throwaway `redis-server` of the test's own, on a free port, for tests that stop and restart Redis: the machine's
 * Redis (6379) is shared by every test and is never stopped. `stop()` and `start()` keep the port, as a restarted
 * Redis would; `close()` kills it for good (call it in `after`; an exit hook kills it too if the test process dies).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './child-server.js';

/** Why a test that needs its own redis-server cannot run here, or false. */
export const noRedisServer: string | false =
  spawnSync('redis-server', ['--version']).status === 0
    ? false
    : 'redis-server is not installed (its own Redis is needed)';

export interface OwnRedis {
  url: string;
  port: number;
  /** Stops the server (SIGKILL: Redis vanishes as in a crash) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty, and waits until it accepts connections. */
  start(): Promise<void>;
  close(): Promise<void>;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const killOnExit = () => proc?.kill('SIGKILL');
  process.once('exit', killOnExit);
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`redis-server did not start on ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async close() {
      await stop();
      process.off('exit', killOnExit);
    },
  };
}
