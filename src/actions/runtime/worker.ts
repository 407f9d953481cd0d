/**
 * A pool worker: one QuickJS WASM module (sandbox.ts), one run at a time (jobs queue here, in order). Guest code runs here, off the server's
 * event loop, so a spinning Action cannot hold up other requests (DESIGN section 4).
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { Sandbox, type SandboxRunInput } from './sandbox.js';
import type { PackageBundle, RunLimits, TriggerId } from '../contract.js';
import type { FetchPolicy } from './fetch.js';
import { installInlineSubtle } from '../../crypto/inline-subtle.js';

export type WorkerRequest =
  | { id: number; type: 'run'; input: SandboxRunInput }
  | { id: number; type: 'compile'; code: string; trigger: TriggerId; limits: RunLimits; packages: PackageBundle[] };

/** The pool withdraws a job it handed over that has not started (its queue deadline passed): pool.ts. */
export interface WorkerCancel {
  type: 'cancel';
  id: number;
}

// The Action's jose.jwtVerify (host-ops.ts) verifies inline: this thread is already off the event loop.
installInlineSubtle();

const port = parentPort!;
const init = workerData as { policy: FetchPolicy; moduleMemoryBytes: number };
const sandbox = Sandbox.create(init.policy, init.moduleMemoryBytes);
// Tells the pool this worker can start runs (pool.ts: queue deadlines wait for the first workers to be up).
void sandbox.then(
  () => port.postMessage({ ready: true }),
  () => undefined,
);

/** Jobs withdrawn before they started; each is answered `cancelled` in its turn, without running. */
const cancelled = new Set<number>();

async function handle(msg: WorkerRequest): Promise<void> {
  const s = await sandbox;
  // A withdrawal may have arrived while the previous job held this thread (a synchronous guest slice): take the
  // messages waiting now, so the job is not started just because their 'message' events have not fired yet.
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port))
    onMessage(m.message as WorkerRequest | WorkerCancel);
  if (cancelled.delete(msg.id)) {
    port.postMessage({ id: msg.id, cancelled: true });
    return;
  }
  try {
    if (msg.type === 'run') port.postMessage({ id: msg.id, output: await s.run(msg.input) });
    else port.postMessage({ id: msg.id, output: await s.compile(msg.code, msg.trigger, msg.limits, msg.packages) });
  } catch (err) {
    port.postMessage({ id: msg.id, crash: err instanceof Error ? err.message : 'sandbox failure' });
  }
}

// The pool may hand over the next job while one runs (pool.ts); jobs run one after another, in order.
let tail: Promise<void> = Promise.resolve();
function onMessage(msg: WorkerRequest | WorkerCancel): void {
  if (msg.type === 'cancel') cancelled.add(msg.id);
  else tail = tail.then(() => handle(msg));
}
port.on('message', onMessage);
