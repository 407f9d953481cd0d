/**
 * Baton's configuration: the environment parsed with one zod schema (config/env.ts, DESIGN section 2) and checked
 * across variables at start, then shaped into Config. A bad value stops the server with a message that names the
 * variable.
 */
import path from 'node:path';
import { envSchema, type Env } from './env.js';
import type { PackageSourceConfig } from '../actions/packages/index.js';

export interface Config {
  port: number;
  host: string;
  /** Server processes on one port (BATON_WORKERS, `--workers`; cluster/workers.ts). */
  workers: number;
  issuer: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  secretKey: string | undefined;
  adminClientId: string | undefined;
  adminClientSecret: string | undefined;
  tenant: string;
  logLevel: Env['BATON_LOG_LEVEL'];
  trustProxy: boolean;
  /** Authentication API size limits (oauth/limits.ts, docs/security.md C1). */
  authApi: { bodyLimit: number; subjectTokenMaxLength: number };
  /** HTTP server timeouts and connection cap (docs/security.md M5). */
  http: { requestTimeoutMs: number; headersTimeoutMs: number; keepAliveTimeoutMs: number; maxConnections: number };
  /** Graceful shutdown (ops/shutdown.ts): the drain delay and the bound on in-flight requests. */
  shutdown: { drainMs: number; timeoutMs: number };
  actions: {
    timeoutMs: number;
    cpuMs: number;
    memoryMb: number;
    fetchTimeoutMs: number;
    fetchMaxBytes: number;
    egressAllow: string[] | undefined;
    /** Internal destinations Action fetch may reach (runtime/egress.ts): none, all but cloud metadata, or CIDRs. */
    egressAllowPrivate?: boolean | string[];
    /** Whether Action fetch may reach this server's own listeners (`listenPorts` on this machine's addresses). */
    egressAllowSelf?: boolean;
    /** This server's listening ports (PORT, BATON_METRICS_PORT), out of Actions' reach; 0 means any port. */
    listenPorts?: number[];
    /** Per-run caps on fetches and timers (runtime/egress-run.ts), per-worker socket caps (runtime/egress.ts). */
    fetchConcurrency?: number;
    fetchesPerRun?: number;
    timersPerRun?: number;
    egressSocketsPerOrigin?: number;
    egressSocketsTotal?: number;
    /** Sandbox worker threads; unset: 2 to 4 by the machine's cores. */
    workers?: number;
    /** Workers one Action version / one client may hold at once (runtime/pool.ts); unset: all but one. */
    concurrencyPerAction?: number;
    concurrencyPerClient?: number;
    /** How long a run may wait for a worker before it is refused (runtime/pool.ts DEFAULT_QUEUE_TIMEOUT_MS). */
    queueTimeoutMs?: number;
    /** Budget of api commands one run may record, and their serialized bytes (actions/triggers/limits.ts). */
    maxCommands?: number;
    maxCommandBytes?: number;
  };
  /** Where Actions' npm dependencies come from, and their limits (actions/packages/). */
  actionPackages: PackageSourceConfig;
  /** Tenant-wide token exchange rate limit (attack-protection/rate-limit.ts); absent: no limit. */
  tokenExchangeRateLimit?: { ratePerSecond: number; burst: number };
  /** Tenant log bounds and retention (logs/limits.ts, M4). */
  logs: { maxStringLength: number; maxEntryBytes: number; retention: { retentionDays: number; maxRows: number } };
  /** PostgreSQL pool timeouts (storage/pg-pool.ts): a database that stops answering fails requests, never hangs them. */
  pgTimeouts: { connectTimeoutMs: number; queryTimeoutMs: number };
  /** Entries waiting for storage, per buffer, past which the node refuses token requests (logs/limits.ts). */
  auditMaxBufferedEntries: number;
  /** Where /metrics is served (ops/routes.ts, L8): without `port`, on the main listener; with `token`, behind it. */
  metrics: { port: number | undefined; host: string; token: string | undefined };
  /** Suspicious IP Throttling buckets an IPv6 address by its network of this prefix length (attack-protection/ip.ts). */
  throttleIpv6Prefix: number;
  /** Seconds: an actor ID token issued longer ago is refused (token-exchange/actor-token.ts). */
  actorTokenMaxAge: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(pickDefined(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.BATON_DATABASE_URL && !e.BATON_SECRET_KEY) {
    throw new ConfigError('invalid configuration:\n  BATON_SECRET_KEY: required when BATON_DATABASE_URL is set');
  }
  if (e.BATON_TOKEN_EXCHANGE_BURST !== undefined && e.BATON_TOKEN_EXCHANGE_RATE === undefined) {
    throw new ConfigError('invalid configuration:\n  BATON_TOKEN_EXCHANGE_BURST: needs BATON_TOKEN_EXCHANGE_RATE');
  }
  if (e.BATON_SUBJECT_TOKEN_MAX_LENGTH >= e.BATON_AUTH_BODY_LIMIT) {
    throw new ConfigError(
      'invalid configuration:\n  BATON_SUBJECT_TOKEN_MAX_LENGTH: must be less than BATON_AUTH_BODY_LIMIT',
    );
  }
  if (e.BATON_HEADERS_TIMEOUT_MS > e.BATON_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      'invalid configuration:\n  BATON_HEADERS_TIMEOUT_MS: must not exceed BATON_REQUEST_TIMEOUT_MS',
    );
  }
  if (e.BATON_METRICS_PORT !== undefined && e.BATON_METRICS_PORT === e.PORT) {
    throw new ConfigError('invalid configuration:\n  BATON_METRICS_PORT: must differ from PORT');
  }
  if (Boolean(e.BATON_ADMIN_CLIENT_ID) !== Boolean(e.BATON_ADMIN_CLIENT_SECRET)) {
    throw new ConfigError(
      'invalid configuration:\n  BATON_ADMIN_CLIENT_SECRET: BATON_ADMIN_CLIENT_ID and BATON_ADMIN_CLIENT_SECRET go together',
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    workers: e.BATON_WORKERS,
    issuer: e.BATON_ISSUER ?? `http://localhost:${e.PORT}/`,
    dataDir: path.resolve(e.BATON_DATA_DIR),
    databaseUrl: e.BATON_DATABASE_URL,
    redisUrl: e.BATON_REDIS_URL,
    secretKey: e.BATON_SECRET_KEY,
    adminClientId: e.BATON_ADMIN_CLIENT_ID,
    adminClientSecret: e.BATON_ADMIN_CLIENT_SECRET,
    tenant: e.BATON_TENANT,
    logLevel: e.BATON_LOG_LEVEL,
    trustProxy: e.BATON_TRUST_PROXY,
    logs: {
      maxStringLength: e.BATON_LOG_MAX_STRING_LENGTH,
      maxEntryBytes: e.BATON_LOG_MAX_ENTRY_BYTES,
      retention: { retentionDays: e.BATON_LOG_RETENTION_DAYS, maxRows: e.BATON_LOG_MAX_ROWS },
    },
    pgTimeouts: { connectTimeoutMs: e.BATON_PG_CONNECT_TIMEOUT_MS, queryTimeoutMs: e.BATON_PG_QUERY_TIMEOUT_MS },
    auditMaxBufferedEntries: e.BATON_AUDIT_MAX_BUFFERED_ENTRIES,
    metrics: { port: e.BATON_METRICS_PORT, host: e.BATON_METRICS_HOST, token: e.BATON_METRICS_TOKEN },
    authApi: { bodyLimit: e.BATON_AUTH_BODY_LIMIT, subjectTokenMaxLength: e.BATON_SUBJECT_TOKEN_MAX_LENGTH },
    http: {
      requestTimeoutMs: e.BATON_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.BATON_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: e.BATON_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.BATON_MAX_CONNECTIONS,
    },
    shutdown: { drainMs: e.BATON_SHUTDOWN_DRAIN_MS, timeoutMs: e.BATON_SHUTDOWN_TIMEOUT_MS },
    actions: {
      timeoutMs: e.BATON_ACTION_TIMEOUT_MS,
      cpuMs: e.BATON_ACTION_CPU_MS,
      memoryMb: e.BATON_ACTION_MEMORY_MB,
      fetchTimeoutMs: e.BATON_ACTION_FETCH_TIMEOUT_MS,
      fetchMaxBytes: e.BATON_ACTION_FETCH_MAX_BYTES,
      egressAllow: e.BATON_ACTION_EGRESS_ALLOW?.split(',')
        .map((h) => h.trim())
        .filter(Boolean),
      egressAllowPrivate: e.BATON_ACTION_EGRESS_ALLOW_PRIVATE ?? false,
      egressAllowSelf: e.BATON_ACTION_EGRESS_ALLOW_SELF,
      listenPorts: [e.PORT, ...(e.BATON_METRICS_PORT !== undefined ? [e.BATON_METRICS_PORT] : [])],
      fetchConcurrency: e.BATON_ACTION_FETCH_CONCURRENCY,
      fetchesPerRun: e.BATON_ACTION_FETCHES_PER_RUN,
      timersPerRun: e.BATON_ACTION_TIMERS_PER_RUN,
      egressSocketsPerOrigin: e.BATON_ACTION_EGRESS_SOCKETS_PER_ORIGIN,
      egressSocketsTotal: e.BATON_ACTION_EGRESS_SOCKETS_TOTAL,
      workers: e.BATON_ACTION_WORKERS,
      concurrencyPerAction: e.BATON_ACTION_CONCURRENCY_PER_ACTION,
      concurrencyPerClient: e.BATON_ACTION_CONCURRENCY_PER_CLIENT,
      queueTimeoutMs: e.BATON_ACTION_QUEUE_TIMEOUT_MS,
      maxCommands: e.BATON_ACTION_MAX_COMMANDS,
      maxCommandBytes: e.BATON_ACTION_MAX_COMMAND_BYTES,
    },
    actionPackages: {
      registry: e.BATON_ACTION_NPM_REGISTRY,
      dir: e.BATON_ACTION_PACKAGES_DIR !== undefined ? path.resolve(e.BATON_ACTION_PACKAGES_DIR) : undefined,
      maxBytes: e.BATON_ACTION_PACKAGE_MAX_BYTES,
      timeoutMs: e.BATON_ACTION_PACKAGE_TIMEOUT_MS,
      cacheDir: path.join(path.resolve(e.BATON_DATA_DIR), 'npm-cache'),
    },
    actorTokenMaxAge: e.BATON_ACTOR_TOKEN_MAX_AGE,
    throttleIpv6Prefix: e.BATON_THROTTLE_IPV6_PREFIX,
    ...(e.BATON_TOKEN_EXCHANGE_RATE !== undefined
      ? {
          tokenExchangeRateLimit: {
            ratePerSecond: e.BATON_TOKEN_EXCHANGE_RATE,
            burst: e.BATON_TOKEN_EXCHANGE_BURST ?? Math.ceil(e.BATON_TOKEN_EXCHANGE_RATE),
          },
        }
      : {}),
  };
}

/** Empty strings count as unset, so `FOO= npm start` means the default. */
function pickDefined(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}
