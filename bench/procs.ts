/** Child processes for the bench: spawn, wait for readiness, read their peak RSS, stop them. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Peak resident set size so far (VmHWM), in MB. */
  peakRssMb(): number;
  /** Output kept for diagnostics when the child fails. */
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net
      .createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const port = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(port));
      });
  });
}

/** VmHWM from /proc (Linux); falls back to `ps` RSS (current, not peak) elsewhere. */
export function peakRssMb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch {
    // not Linux, or the process is gone
  }
  return NaN;
}

export function spawnChild(args: string[], env: Record<string, string>, cwd: string): Child {
  const proc = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let hwm = 0;
  return {
    proc,
    pid: proc.pid!,
    peakRssMb() {
      const now = peakRssMb(proc.pid!);
      if (Number.isFinite(now)) hwm = Math.max(hwm, now);
      return hwm;
    },
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves with the first stdout match of `pattern`; rejects if the child exits first or after `timeoutMs`. */
export function waitForOutput(child: Child, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern}: ${child.output()}`)), timeoutMs);
    const onData = (b: Buffer) => {
      buf += b.toString();
      const m = pattern.exec(buf);
      if (m) done(undefined, m);
    };
    const onExit = () => done(new Error(`child exited before ${pattern}: ${child.output()}`));
    function done(err?: Error, m?: RegExpExecArray) {
      clearTimeout(timer);
      child.proc.stdout!.off('data', onData);
      child.proc.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    child.proc.stdout!.on('data', onData);
    child.proc.once('exit', onExit);
  });
}

/** Polls a URL until it answers 200. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null) throw new Error(`child exited: ${child.output()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${child.output()}`);
}

/** CPU time from /proc (Linux), for the CPU-per-exchange diagnostics. */
export const TICK_US = 1_000_000 / 100; // USER_HZ is 100 on Linux

export function cpuTicks(statPath: string): number {
  try {
    const fields = fs.readFileSync(statPath, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

/** CPU ticks per thread of `pid`: the main thread under 'main', the others by thread id. */
export function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`))
    out.set(tid === String(pid) ? 'main' : tid, cpuTicks(`/proc/${pid}/task/${tid}/stat`));
  return out;
}

/** Total CPU ticks of every process whose command line matches. */
export function processTicks(pattern: RegExp): number {
  let sum = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (pattern.test(cmd)) sum += cpuTicks(`/proc/${pid}/stat`);
  }
  return sum;
}
