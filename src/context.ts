/**
 * The services one Baton process runs on, built once at start and handed to the HTTP surfaces (buildApp). Storage
 * (storage/index.ts `openStorage`) opens apart from them: the CLI's `migrate` and `keys rotate` need nothing else.
 * A module the context builds takes its own small dependencies, never the context, so no import cycle runs through
 * this file; request steps take the part of the context they use (`Pick<AppContext, ...>`).
 */
import type { Config } from './config/index.js';
import { openStorage, type OpenStorage, type Storage } from './storage/index.js';
import { createSealer, resolveMasterKey, type Sealer } from './crypto/master-key.js';
import { createSecretHasher, type SecretHasher } from './crypto/hashing.js';
import { installInlineSubtle } from './crypto/inline-subtle.js';
import { tenantKeySet, type KeySet } from './keys/key-set.js';
import { createTokenSigner, type TokenSigner } from './tokens/jwt.js';
import { createLogWriter, type LogWriter } from './logs/writer.js';
import { createLoginRecorder, type LoginRecorder } from './login/recorder.js';
import {
  createSuspiciousIpThrottle,
  limitMuLogEntry,
  type SuspiciousIpThrottle,
} from './attack-protection/throttle.js';
import { createExchangeRateLimit, type ExchangeRateLimit } from './attack-protection/rate-limit.js';
import type { ActionExecutor } from './actions/contract.js';
import { createActionExecutor } from './actions/runtime/index.js';
import { createActionCacheStore } from './actions/cache/index.js';
import { DeployedActions } from './actions/deployed.js';
import { workerLink } from './cluster/worker-link.js';
import { ActionPackages, providedBuiltins } from './actions/packages/index.js';
import { createInvalidationBus, type InvalidationBus } from './cluster/invalidation.js';
import { createConfigReads, type ConfigReads } from './cluster/config-reads.js';
import { RedisClients, type RedisEventLog } from './cluster/redis.js';
import { processLogger } from './ops/logger.js';
import { ProfileLookup } from './token-exchange/profiles.js';
import { systemClock, type Clock } from './clock.js';

export interface AppContext {
  config: Config;
  /** The time every request step reads (tokens' `iat`/`exp`, refresh lifetimes, caches' ages). */
  clock: Clock;
  storage: Storage;
  repos: Storage['repos'];
  sealer: Sealer;
  /** Client secrets' keyed hash, its pepper from the same master key as the sealer's (docs/security.md, L2). */
  secretHasher: SecretHasher;
  keys: KeySet;
  tokens: TokenSigner;
  /** Tenant log writer (spec section 11): batched, off the request path, flushed on close. */
  logs: LogWriter;
  /** Login counters (`logins_count`, `last_login`), written behind the response like the logs, flushed on close. */
  logins: LoginRecorder;
  /** Suspicious IP Throttling for CTE (spec section 12): buckets in memory, or in Redis with BATON_REDIS_URL. */
  throttle: SuspiciousIpThrottle;
  /** The optional tenant-wide token exchange rate limit (BATON_TOKEN_EXCHANGE_RATE); shared through Redis when set. */
  exchangeRateLimit: ExchangeRateLimit | undefined;
  /** The Actions sandbox (DESIGN section 4): compiles and runs Action code; `api.cache` in Redis with BATON_REDIS_URL. */
  actions: ActionExecutor;
  /** Actions' npm dependencies: resolved, bundled and stored at deploy, read back for runs (actions/packages/). */
  actionPackages: ActionPackages;
  /** The deployed Action versions and post-login flow the token endpoint runs, decoded once per version. */
  deployedActions: DeployedActions;
  /** Token exchange profiles by `subject_token_type`, cached in process. */
  profileLookup: ProfileLookup;
  /** Publishes cache invalidations to every node (DESIGN section 7). */
  invalidation: InvalidationBus;
  /** Hot-path configuration reads, cleared on every Management API write (cluster/config-reads.ts). */
  configReads: ConfigReads;
  /** Audience of the Management API: `{issuer}api/v2/`. */
  managementAudience: string;
  /** This process's Redis connections and their state (`baton_redis_up`), when BATON_REDIS_URL is set. */
  redis: RedisClients;
  /**
   * Set at the start of a graceful shutdown (ops/shutdown.ts): `/health/ready` answers 503 from then on, so load
   * balancers stop sending new requests, and responses close their connections.
   */
  draining: boolean;
  /** Things to close on shutdown, last registered first. */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

export interface ContextOptions {
  /** SQLite file instead of `dataDir/baton.sqlite` (tests: ':memory:'). */
  sqliteFile?: string;
  /** False in a `--workers` server process: the primary migrated the database before forking it. */
  migrate?: boolean;
  /** Master key instead of BATON_SECRET_KEY or the key file in `dataDir`. */
  masterKey?: Uint8Array;
  clock?: Clock;
  /** Where Redis outages are logged (tests capture them); a pino logger at BATON_LOG_LEVEL by default. */
  log?: RedisEventLog;
}

/** Opens storage, then builds the services on it; a failure on the way closes what was opened. */
export async function createContext(config: Config, opts: ContextOptions = {}): Promise<AppContext> {
  const storage = await openStorage(config, opts);
  return createServices(config, storage, opts);
}

async function createServices(
  config: Config,
  storage: OpenStorage,
  opts: Omit<ContextOptions, 'sqliteFile' | 'migrate'> = {},
): Promise<AppContext> {
  const closers: Array<() => Promise<void> | void> = [() => storage.close()];
  const closeAll = async () => {
    for (const fn of closers.splice(0).reverse()) await fn();
  };
  try {
    return await build(config, storage, opts, closers, closeAll);
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function build(
  config: Config,
  storage: OpenStorage,
  opts: Omit<ContextOptions, 'sqliteFile' | 'migrate'>,
  closers: Array<() => Promise<void> | void>,
  closeAll: () => Promise<void>,
): Promise<AppContext> {
  // jose's signatures and verifications run inline where a libuv pool job would cost more than the work itself.
  installInlineSubtle();
  const { repos } = storage;
  const clock = opts.clock ?? systemClock;
  const masterKey = opts.masterKey ?? resolveMasterKey({ secretKey: config.secretKey, dataDir: config.dataDir });
  const sealer = createSealer(masterKey);
  const keys = tenantKeySet(repos, sealer);
  await keys.init();
  // `baton keys rotate` writes the database directly: other running nodes pick new keys up within a minute.
  const keyReload = setInterval(() => void keys.reload().catch(() => undefined), 60_000);
  keyReload.unref();
  closers.push(() => clearInterval(keyReload));

  // Registered after the database closer, so they run before it: buffered entries and counters reach the database.
  // M4: bounded entries; old and excess entries purged (BATON_LOG_RETENTION_DAYS, BATON_LOG_MAX_ROWS).
  // Issue 13: nothing buffered is dropped; past the bound the node is not ready and refuses token requests.
  const maxBufferedEntries = config.auditMaxBufferedEntries;
  const logs = createLogWriter(repos.logs, {
    tenantName: config.tenant,
    ...config.logs,
    maxBufferedEntries,
    now: () => clock.now(),
  });
  closers.push(() => logs.close());
  const logins = createLoginRecorder(repos.users, { clock, maxBufferedEntries });
  closers.push(() => logins.close());

  // Every Redis connection fails fast while Redis is away and logs one warning per outage (cluster/redis.ts).
  const redis = new RedisClients(opts.log ?? processLogger(config.logLevel));
  const throttle = await createSuspiciousIpThrottle({
    settings: repos.settings,
    redisUrl: config.redisUrl,
    redis,
    ipv6Prefix: config.throttleIpv6Prefix,
    clock,
  });
  closers.push(() => throttle.close());
  // An IP whose bucket just emptied is a `limit_mu` tenant log entry (spec section 11.1).
  throttle.onBlocked((event) => logs.write(limitMuLogEntry(event)));
  const exchangeRateLimit = config.tokenExchangeRateLimit
    ? await createExchangeRateLimit({ ...config.tokenExchangeRateLimit, redisUrl: config.redisUrl, redis, clock })
    : undefined;
  if (exchangeRateLimit) closers.push(() => exchangeRateLimit.close());

  // The executor closes only a cache store it created; this one is ours (its Redis connection, if any).
  const actionCache = await createActionCacheStore(config.redisUrl, redis);
  closers.push(() => actionCache.close());
  const actions = createActionExecutor(config.actions, { cache: actionCache });
  closers.push(() => actions.close());
  const actionPackages = new ActionPackages({
    config: config.actionPackages,
    repo: repos.actionPackages,
    provided: providedBuiltins(),
  });

  const invalidation = await createInvalidationBus(
    config.redisUrl,
    redis,
    (err) => process.emitWarning(`cache invalidation: ${(err as Error).message}`),
    workerLink(),
  );
  closers.push(() => invalidation.close());
  const configReads = createConfigReads(repos);
  const profileLookup = new ProfileLookup(repos.profiles, clock);
  // What one node writes, every node honours at once (DESIGN section 7); after a Redis outage, every topic runs.
  invalidation.subscribe('keys', () => keys.reload());
  invalidation.subscribe('profiles', () => profileLookup.invalidate());
  invalidation.subscribe('throttle', () => throttle.reload());
  invalidation.subscribe('config', () => configReads.clear());

  return {
    config,
    clock,
    storage,
    repos,
    sealer,
    secretHasher: createSecretHasher(masterKey),
    keys,
    tokens: createTokenSigner(keys, config.issuer, clock),
    logs,
    logins,
    throttle,
    exchangeRateLimit,
    actions,
    actionPackages,
    deployedActions: new DeployedActions({
      reads: configReads,
      actions: repos.actions,
      packages: actionPackages,
      sealer,
    }),
    profileLookup,
    invalidation,
    configReads,
    managementAudience: `${config.issuer}api/v2/`,
    redis,
    draining: false,
    onClose: (fn) => closers.push(fn),
    close: closeAll,
  };
}
