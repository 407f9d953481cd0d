/**
 * A loopback HTTP server that holds every request until the test opens it. An Action that fetches it stays
 * running (awaiting its host call) for exactly as long as the test wants, so scheduling tests can assert what
 * happened while it ran, without timing anything.
 *
 * Action `fetch` refuses loopback unless the operator opts in (issue 10 H3): tests that start an app pass
 * ACTION_LOOPBACK_ENV; tests that build a pool pass GATE_POLICY's `allowPrivate`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Gate {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Paths of the requests received so far, in order. */
  seen: string[];
  /** Whether the gate has been opened (by the test, or by the safety valve). */
  readonly opened: boolean;
  /** Resolves once `n` requests have arrived. */
  started(n: number): Promise<void>;
  /** Answers every held request, and every later one at once. */
  open(): void;
  close(): Promise<void>;
}

/**
 * `safetyMs`: the gate opens by itself after this long, so that a test whose assertion would fail (a run that
 * should have answered while the gate was closed, but waits for it) ends with an assertion failure on `opened`
 * instead of hanging. It never decides a passing test.
 */
export async function startGate(opts: { safetyMs?: number } = {}): Promise<Gate> {
  const held: http.ServerResponse[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const seen: string[] = [];
  let opened = false;
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '/');
    for (const w of waiters.splice(0)) {
      if (seen.length >= w.n) w.resolve();
      else waiters.push(w);
    }
    if (opened) res.writeHead(200, { 'content-type': 'text/plain' }).end('open');
    else held.push(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const open = () => {
    opened = true;
    for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'text/plain' }).end('open');
  };
  const valve = setTimeout(open, opts.safetyMs ?? 20_000);
  valve.unref();
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get opened() {
      return opened;
    },
    started(n) {
      if (seen.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    open,
    async close() {
      clearTimeout(valve);
      open();
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/** The operator opt-in that lets Action `fetch` reach the gate (and nothing else internal): 127.0.0.1 only. */
export const ACTION_LOOPBACK_ENV: Record<string, string> = { BATON_ACTION_EGRESS_ALLOW_PRIVATE: '127.0.0.1/32' };
export const GATE_POLICY = { allowPrivate: ['127.0.0.1/32'] };
