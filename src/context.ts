/**
 * The services one Baton process runs on, built once at start and handed to the HTTP surfaces (buildApp) and the
 * CLI. Tests build their own with an in-memory or PostgreSQL database.
 */
import path from 'node:path';
import type { Config } from './config/index.js';
import { openDatabase } from './storage/database.js';
import { migrateToLatest } from './storage/migrations.js';
import { createRepositories, type Storage } from './storage/index.js';
import { createSealer, resolveMasterKey, type Sealer } from './crypto/master-key.js';
import { KeySet } from './keys/key-set.js';
import { installInlineSubtle } from './crypto/inline-subtle.js';
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
import { createInvalidationBus, type InvalidationBus } from './cluster/invalidation.js';
import { invalidateProfiles } from './token-exchange/profiles.js';
import { ConfigCache } from './cluster/config-cache.js';

export interface AppContext {
  config: Config;
  storage: Storage;
  repos: Storage['repos'];
  sealer: Sealer;
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
  /** Publishes cache invalidations to every node (DESIGN section 7). */
  invalidation: InvalidationBus;
  /** Hot-path configuration reads, cleared on every Management API write (cluster/config-cache.ts). */
  configCache: ConfigCache;
  /** Audience of the Management API: `{issuer}api/v2/`. */
  managementAudience: string;
  /** Things to close on shutdown, last registered first. */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

/** Default ID token lifetime (Auth0's default, 10 hours) and the floor used for key publication windows. */
export const DEFAULT_ID_TOKEN_LIFETIME = 36000;

export async function createContext(
  config: Config,
  opts: { sqliteFile?: string; masterKey?: Uint8Array } = {},
): Promise<AppContext> {
  // jose's signatures and verifications run inline where a libuv pool job would cost more than the work itself.
  installInlineSubtle();
  const opened = openDatabase({
    databaseUrl: config.databaseUrl,
    sqliteFile: opts.sqliteFile ?? path.join(config.dataDir, 'baton.sqlite'),
  });
  const closers: Array<() => Promise<void> | void> = [() => opened.db.destroy()];
  await migrateToLatest(opened.db, opened.dialect);
  const repos = createRepositories(opened.db, opened.read, opened.dialect);
  const storage: Storage = { db: opened.db, dialect: opened.dialect, repos };
  const sealer = createSealer(
    opts.masterKey ?? resolveMasterKey({ secretKey: config.secretKey, dataDir: config.dataDir }),
  );
  const keys = new KeySet(repos.signingKeys, sealer, async () =>
    Math.max(DEFAULT_ID_TOKEN_LIFETIME, 86400, await repos.resourceServers.maxTokenLifetime()),
  );
  await keys.init();
  const throttle = await createSuspiciousIpThrottle({
    settings: repos.settings,
    redisUrl: config.redisUrl,
    ipv6Prefix: config.throttleIpv6Prefix,
  });
  const exchangeRateLimit = config.tokenExchangeRateLimit
    ? await createExchangeRateLimit({ ...config.tokenExchangeRateLimit, redisUrl: config.redisUrl })
    : undefined;
  const actionCache = createActionCacheStore(config.redisUrl);
  const invalidation = await createInvalidationBus(config.redisUrl, (err) =>
    process.emitWarning(`cache invalidation: ${(err as Error).message}`),
  );
  const ctx: AppContext = {
    config,
    storage,
    repos,
    sealer,
    keys,
    tokens: createTokenSigner(keys, config.issuer),
    // M4: bounded entries; old and excess entries purged (BATON_LOG_RETENTION_DAYS, BATON_LOG_MAX_ROWS).
    logs: createLogWriter(repos.logs, { tenantName: config.tenant, ...config.logs }),
    logins: createLoginRecorder(repos.users),
    throttle,
    exchangeRateLimit,
    actions: createActionExecutor(config.actions, { cache: actionCache }),
    invalidation,
    configCache: new ConfigCache(),
    managementAudience: `${config.issuer}api/v2/`,
    onClose: (fn) => closers.push(fn),
    close: async () => {
      for (const fn of closers.reverse()) await fn();
    },
  };
  // Registered after the database closer, so they run before it: buffered entries and counters reach the database.
  ctx.onClose(() => ctx.logs.close());
  ctx.onClose(() => ctx.logins.close());
  // An IP whose bucket just emptied is a `limit_mu` tenant log entry (spec section 11.1); Redis closes on shutdown.
  throttle.onBlocked((event) => ctx.logs.write(limitMuLogEntry(event)));
  ctx.onClose(() => throttle.close());
  if (exchangeRateLimit) ctx.onClose(() => exchangeRateLimit.close());
  ctx.onClose(() => ctx.actions.close());
  // The executor closes only a cache store it created; this one is ours (its Redis connection, if any).
  ctx.onClose(() => actionCache.close());
  // What one node writes, every node honours at once (DESIGN section 7).
  invalidation.subscribe('keys', () => keys.reload());
  invalidation.subscribe('profiles', () => invalidateProfiles(ctx));
  invalidation.subscribe('throttle', () => throttle.reload());
  invalidation.subscribe('config', () => ctx.configCache.clear());
  // `baton keys rotate` writes the database directly: other running nodes pick new keys up within a minute.
  const keyReload = setInterval(() => void keys.reload().catch(() => undefined), 60_000);
  keyReload.unref();
  ctx.onClose(() => clearInterval(keyReload));
  ctx.onClose(() => invalidation.close());
  return ctx;
}
