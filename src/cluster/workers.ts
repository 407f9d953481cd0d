/**
 * `baton serve --workers N` (BATON_WORKERS): N server processes on one port with node:cluster, so one machine's
 * cores all serve HTTP, storage and signing (docs/deployment.md, "One machine, every core").
 *
 * The primary serves no request. It does once, before forking, what would race if N processes did it at once:
 * the master key file, migrations, the first signing keys, the admin client (bootstrap.ts); then it forks the server
 * processes, each building its own context and listening (server.ts with `clusterWorker`; node:cluster shares the
 * port and hands connections round-robin). It relays cache invalidations between them and sums their metrics
 * (worker-link.ts is the other side), keeps the throttling buckets when there is no Redis (shared-buckets.ts),
 * serves BATON_METRICS_PORT itself, restarts a process that dies (with a
 * backoff), and on SIGTERM or SIGINT stops every process and waits for them before it exits 0.
 *
 * Each process gets a share of the machine's cores for its Action sandbox (runtime/index.ts `defaultPoolSize`)
 * unless BATON_ACTION_WORKERS says otherwise (then it is per process).
 */
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import client from 'prom-client';
import type { Config } from '../config/index.js';
import { serve } from '../server.js';
import { openStorage } from '../storage/index.js';
import { createSealer, resolveMasterKey } from '../crypto/master-key.js';
import { createSecretHasher } from '../crypto/hashing.js';
import { tenantKeySet } from '../keys/key-set.js';
import { bootstrap, type BootstrapResult } from '../bootstrap.js';
import { buildMetricsServer } from '../ops/routes.js';
import { loggerOptions } from '../ops/logger.js';
import { startBanner } from '../banner.js';
import { defaultPoolSize } from '../actions/runtime/index.js';
import { MemoryBuckets } from '../attack-protection/buckets.js';
import { MACHINE_ID_ENV, isBatonWorker, type LinkMessage } from './worker-link.js';

/** First restart delay after a crash; it doubles with each crash in a row, up to RESTART_MAX_MS. */
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A process that ran this long before it died starts a new series of crashes (first delay again). */
const STABLE_MS = 30_000;
/** How long the primary waits for its processes to finish their shutdown before it kills them. */
const STOP_WAIT_MS = 30_000;
/** How long the primary waits for the other processes to apply an invalidation (worker-link.ts waits longer). */
const RELAY_WAIT_MS = 1500;

/** `baton serve`: one process, or with `config.workers` > 1 the primary or one of its server processes. */
export async function startServer(config: Config): Promise<void> {
  if (isBatonWorker()) {
    // The primary is gone (killed): stop as SIGTERM would, rather than serve on alone, unsupervised.
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    await serve(config, { clusterWorker: true });
  } else if (config.workers > 1) await runPrimary(config);
  else await serve(config);
}

/** Master key, schema, signing keys, admin client: once, before any server process starts. */
async function prepare(config: Config): Promise<BootstrapResult> {
  const masterKey = resolveMasterKey({ secretKey: config.secretKey, dataDir: config.dataDir });
  const storage = await openStorage(config);
  try {
    await tenantKeySet(storage.repos, createSealer(masterKey)).init();
    return await bootstrap({
      config,
      repos: storage.repos,
      secretHasher: createSecretHasher(masterKey),
      managementAudience: `${config.issuer}api/v2/`,
    });
  } finally {
    await storage.close();
  }
}

async function runPrimary(config: Config): Promise<void> {
  const log = pino({ ...loggerOptions(config.logLevel), name: 'baton-primary' });
  const boot = await prepare(config);
  const env = {
    BATON_WORKERS: String(config.workers),
    [MACHINE_ID_ENV]: randomUUID(),
    BATON_ACTION_WORKERS: String(config.actions.workers ?? defaultPoolSize(config.workers)),
  };
  const aggregator = new client.AggregatorRegistry();
  const listening = relayMessages(aggregator);
  const supervisor = supervise(config.workers, env, log);
  await supervisor.started;
  const metricsApp =
    config.metrics.port !== undefined
      ? await buildMetricsServer({ config }, { registry: aggregator, render: () => aggregator.clusterMetrics() })
      : undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, processes: listening.size }, 'stopping the server processes');
    await supervisor.stop();
    await metricsApp?.close();
    log.info('all server processes stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (metricsApp) await metricsApp.listen({ port: config.metrics.port!, host: config.metrics.host });
  process.stdout.write(startBanner(config, boot, `${config.issuer}api/v2/`));
}

/**
 * Forks `count` processes and keeps them running: one that exits is forked again after a delay that doubles with
 * each crash in a row. `started` resolves when the first ones all listen, and rejects (having stopped the others)
 * if one exits before it does: a configuration or storage error that would only crash-loop.
 */
function supervise(count: number, env: Record<string, string>, log: Logger) {
  let stopping = false;
  const crashes = new Array<number>(count).fill(0);
  const timers = new Set<NodeJS.Timeout>();
  const fork = (slot: number): Worker => {
    const worker = cluster.fork(env);
    const forkedAt = Date.now();
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      if (Date.now() - forkedAt >= STABLE_MS) crashes[slot] = 0;
      const delay = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** crashes[slot]!);
      crashes[slot]!++;
      log.error({ pid: worker.process.pid, code, signal, restartInMs: delay }, 'server process exited; restarting');
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) fork(slot);
      }, delay);
      timers.add(timer);
    });
    return worker;
  };
  const first = Array.from({ length: count }, (_, slot) => fork(slot));
  const stop = async () => {
    stopping = true;
    for (const t of timers) clearTimeout(t);
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    const exits = alive.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
    for (const w of alive) w.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL');
    }, STOP_WAIT_MS);
    await Promise.all(exits);
    clearTimeout(killer);
  };
  const started = Promise.all(
    first.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          const onExit = (code: number | null, signal: string | null) =>
            reject(new Error(`a server process exited before listening (code ${code}, signal ${signal})`));
          worker.once('exit', onExit);
          worker.once('listening', () => {
            worker.off('exit', onExit);
            resolve();
          });
        }),
    ),
  ).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { started, stop };
}

/**
 * The primary's side of worker-link.ts: invalidations relayed to the other listening processes and acknowledged
 * to the sender once they all applied them; throttling buckets taken and cleared; metrics requests answered with every process's metrics, summed.
 * Returns the ids of the processes listening now.
 */
function relayMessages(aggregator: client.AggregatorRegistry<client.RegistryContentType>): Set<number> {
  const listening = new Set<number>();
  const relays = new Map<string, { origin: Worker; id: string; waiting: Set<number>; timer: NodeJS.Timeout }>();
  const send = (worker: Worker, message: LinkMessage) => {
    if (worker.isConnected()) worker.send(message, (err: Error | null) => void err);
  };
  const finish = (relayId: string) => {
    const relay = relays.get(relayId);
    if (!relay) return;
    relays.delete(relayId);
    clearTimeout(relay.timer);
    send(relay.origin, { baton: 'invalidated', id: relay.id });
  };
  const acknowledged = (relayId: string, workerId: number) => {
    const relay = relays.get(relayId);
    if (!relay) return;
    relay.waiting.delete(workerId);
    if (relay.waiting.size === 0) finish(relayId);
  };
  // Throttling buckets without Redis, one store per limit, kept here for every process (cluster/shared-buckets.ts).
  const stores = new Map<string, MemoryBuckets>();
  const bucketOp = async (worker: Worker, m: Extract<LinkMessage, { baton: 'bucket' }>) => {
    let store = stores.get(m.store);
    if (!store) stores.set(m.store, (store = new MemoryBuckets()));
    const used = m.op === 'take' ? await store.take(m.key, m.max, m.rate) : (await store.clear(m.key), 0);
    // Every process mirrors the bucket before the taker hears back (one ordered channel per process).
    const fullAt = store.fullAtOf(m.key) ?? null;
    for (const w of Object.values(cluster.workers ?? {}))
      if (w) send(w, { baton: 'bucket-state', id: '', store: m.store, key: m.key, fullAt });
    send(worker, { baton: 'bucket-result', id: m.id, used });
  };
  cluster.on('listening', (worker) => listening.add(worker.id));
  cluster.on('exit', (worker) => {
    listening.delete(worker.id);
    for (const relayId of [...relays.keys()]) acknowledged(relayId, worker.id);
  });
  cluster.on('message', (worker, message: Partial<LinkMessage> | null) => {
    if (!message || typeof message.id !== 'string') return;
    const id = message.id;
    if (message.baton === 'invalidate' && typeof message.topic === 'string') {
      const others = Object.values(cluster.workers ?? {}).filter(
        (w): w is Worker => w !== undefined && w !== worker && listening.has(w.id) && w.isConnected(),
      );
      if (others.length === 0) return send(worker, { baton: 'invalidated', id });
      const relayId = randomUUID();
      const timer = setTimeout(() => finish(relayId), RELAY_WAIT_MS);
      relays.set(relayId, { origin: worker, id, waiting: new Set(others.map((w) => w.id)), timer });
      for (const w of others) send(w, { baton: 'invalidate', id: relayId, topic: message.topic });
    } else if (message.baton === 'invalidated') acknowledged(id, worker.id);
    else if (message.baton === 'bucket') void bucketOp(worker, message as Extract<LinkMessage, { baton: 'bucket' }>);
    else if (message.baton === 'metrics') {
      aggregator.clusterMetrics().then(
        (text: string) => send(worker, { baton: 'metrics-result', id, text }),
        (err: Error) => send(worker, { baton: 'metrics-result', id, error: err.message }),
      );
    }
  });
  return listening;
}
