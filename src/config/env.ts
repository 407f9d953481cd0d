/**
 * The environment variables Baton reads (DESIGN section 2): one zod schema, each variable with its type, default,
 * bounds and description, and the value parsers they share. config/index.ts turns a parsed environment into Config.
 */
import { z } from 'zod';
import { adminSecretWeakness } from '../crypto/secret-strength.js';
import {
  DEFAULT_FETCH_CONCURRENCY,
  DEFAULT_FETCHES_PER_RUN,
  DEFAULT_TIMERS_PER_RUN,
} from '../actions/runtime/egress-run.js';
import {
  DEFAULT_EGRESS_SOCKETS_PER_ORIGIN,
  DEFAULT_EGRESS_SOCKETS_TOTAL,
  normalizeCidr,
} from '../actions/runtime/egress.js';
import { DEFAULT_IPV6_PREFIX, MAX_IPV6_PREFIX, MIN_IPV6_PREFIX } from '../attack-protection/ip.js';
import { DEFAULT_QUEUE_TIMEOUT_MS } from '../actions/runtime/pool.js';
import {
  AUDIT_MAX_BUFFERED_ENTRIES,
  LOG_MAX_ENTRY_BYTES,
  LOG_MAX_ROWS,
  LOG_MAX_STRING_LENGTH,
  LOG_RETENTION_DAYS,
} from '../logs/limits.js';

const boolish = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** `false` (default), `true`, or a comma-separated list of CIDR ranges (a bare address is one host). */
const egressPrivate = z.string().transform((v, ctx): boolean | string[] => {
  const t = v.trim().toLowerCase();
  if (t === 'false' || t === '0') return false;
  if (t === 'true' || t === '1') return true;
  const out: string[] = [];
  for (const raw of v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const cidr = normalizeCidr(raw);
    if (cidr) out.push(cidr);
    else {
      ctx.addIssue({
        code: 'custom',
        message: `must be true, false or a comma-separated list of CIDR ranges (bad entry: ${raw.slice(0, 60)})`,
      });
      return z.NEVER;
    }
  }
  return out.length ? out : false;
});

const urlWithSlash = z.url({ protocol: /^https?$/ }).refine((v) => v.endsWith('/'), 'must end with a trailing slash');

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('TCP port to listen on'),
  HOST: z.string().min(1).default('127.0.0.1').describe('interface to listen on'),
  BATON_WORKERS: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('server processes on one port (node:cluster); `baton serve --workers N` overrides it'),
  BATON_ISSUER: urlWithSlash.optional().describe('issuer URL with trailing slash; `iss` of every token'),
  BATON_DATA_DIR: z.string().min(1).default('./data').describe('embedded database and generated master key'),
  BATON_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('use PostgreSQL instead of the embedded SQLite database'),
  BATON_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional()
    .describe('shared throttling, Action cache and cache invalidation'),
  BATON_SECRET_KEY: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe('master key that encrypts signing keys and Action secrets at rest'),
  BATON_ADMIN_CLIENT_ID: z.string().min(1).max(64).optional().describe('Management API client created at start'),
  BATON_ADMIN_CLIENT_SECRET: z
    .string()
    .superRefine((v, c) => {
      const weakness = adminSecretWeakness(v);
      if (weakness) c.addIssue({ code: 'custom', message: weakness });
    })
    .optional()
    .describe('secret of that client: at least 256 bits of estimated entropy (crypto/secret-strength.ts)'),
  BATON_TENANT: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, 'must be lowercase letters, digits and dashes')
    .default('baton'),
  BATON_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BATON_ACTION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(20_000)
    .describe('wall-clock limit of one Action run'),
  BATON_ACTION_CPU_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(60_000)
    .default(5_000)
    .describe('guest CPU budget of one Action run'),
  BATON_ACTION_MEMORY_MB: z.coerce
    .number()
    .int()
    .min(8)
    .max(1024)
    .default(64)
    .describe('memory limit of one Action run'),
  BATON_ACTION_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  BATON_ACTION_FETCH_MAX_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  BATON_ACTION_EGRESS_ALLOW: z.string().optional().describe('comma-separated host allow-list for Action fetch'),
  BATON_ACTION_EGRESS_ALLOW_PRIVATE: egressPrivate
    .optional()
    .describe('Action fetch to internal addresses: false, true (all but cloud metadata) or CIDR list'),
  BATON_ACTION_EGRESS_ALLOW_SELF: boolish.default(false).describe("Action fetch may reach this server's own listeners"),
  BATON_ACTION_FETCH_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(DEFAULT_FETCH_CONCURRENCY)
    .describe('fetches one Action run may have in flight'),
  BATON_ACTION_FETCHES_PER_RUN: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(DEFAULT_FETCHES_PER_RUN)
    .describe('fetches one Action run may start'),
  BATON_ACTION_TIMERS_PER_RUN: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(DEFAULT_TIMERS_PER_RUN)
    .describe('live setTimeout timers of one Action run'),
  BATON_ACTION_EGRESS_SOCKETS_PER_ORIGIN: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(DEFAULT_EGRESS_SOCKETS_PER_ORIGIN)
    .describe('Action fetch sockets per origin, per sandbox worker'),
  BATON_ACTION_EGRESS_SOCKETS_TOTAL: z.coerce
    .number()
    .int()
    .min(1)
    .max(4096)
    .default(DEFAULT_EGRESS_SOCKETS_TOTAL)
    .describe('Action fetch sockets in all, per sandbox worker'),
  BATON_ACTION_WORKERS: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .optional()
    .describe('sandbox worker threads (Actions running at once)'),
  BATON_ACTION_CONCURRENCY_PER_ACTION: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .optional()
    .describe('workers one Action version may hold at once (default: all but one)'),
  BATON_ACTION_CONCURRENCY_PER_CLIENT: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .optional()
    .describe("workers one client's Action runs may hold at once (default: all but one)"),
  BATON_ACTION_QUEUE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(600_000)
    .default(DEFAULT_QUEUE_TIMEOUT_MS)
    .describe('how long a run may wait for a worker before the request gets 503'),
  BATON_ACTION_MAX_COMMANDS: z.coerce
    .number()
    .int()
    .min(16)
    .max(100_000)
    .default(256)
    .describe('api commands one Action run may record'),
  BATON_ACTION_MAX_COMMAND_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .max(67_108_864)
    .default(262_144)
    .describe('bytes: serialized api commands one Action run may record'),
  BATON_ACTION_NPM_REGISTRY: z
    .string()
    .regex(/^https?:\/\//, 'must be an http(s):// URL')
    .default('https://registry.npmjs.org')
    .describe('npm registry (or mirror) Action dependencies are installed from'),
  BATON_ACTION_PACKAGES_DIR: z
    .string()
    .min(1)
    .optional()
    .describe('folder with an installed node_modules tree; when set, Action dependencies come only from it'),
  BATON_ACTION_PACKAGE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .max(52_428_800)
    .default(5_242_880)
    .describe('bytes: largest bundle of one Action dependency (the package and its own dependencies)'),
  BATON_ACTION_PACKAGE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(600_000)
    .default(60_000)
    .describe('time to install and bundle one Action dependency before the deploy is refused (503)'),
  BATON_AUTH_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(4096)
    .max(1_048_576)
    .default(65_536)
    .describe('bytes: body limit of every Authentication API request'),
  BATON_SUBJECT_TOKEN_MAX_LENGTH: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1_048_576)
    .default(32_768)
    .describe('characters: longest subject_token accepted'),
  BATON_REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(600_000)
    .default(30_000)
    .describe('time to receive a whole request (headers and body)'),
  BATON_HEADERS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(600_000)
    .default(10_000)
    .describe('time to receive the request headers'),
  BATON_KEEP_ALIVE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(600_000)
    .default(5_000)
    .describe('idle time a kept-alive connection stays open'),
  BATON_MAX_CONNECTIONS: z.coerce
    .number()
    .int()
    .min(16)
    .max(1_000_000)
    .default(2048)
    .describe('open client connections at once; more are refused'),
  BATON_SHUTDOWN_DRAIN_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(5_000)
    .describe('on SIGTERM, how long /health/ready answers 503 before the listener closes'),
  BATON_SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(10_000)
    .describe('on shutdown, how long in-flight requests may take once the listener is closed'),
  BATON_TRUST_PROXY: boolish.default(false).describe('trust X-Forwarded-For from a reverse proxy'),
  BATON_TOKEN_EXCHANGE_RATE: z.coerce
    .number()
    .positive()
    .max(1_000_000)
    .optional()
    .describe('tenant-wide token exchange requests per second'),
  BATON_TOKEN_EXCHANGE_BURST: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe('token exchange requests allowed at once'),
  BATON_LOG_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .max(36_500)
    .default(LOG_RETENTION_DAYS)
    .describe('tenant log entries older than this are purged; 0: kept forever'),
  BATON_LOG_MAX_ROWS: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000_000)
    .default(LOG_MAX_ROWS)
    .describe('tenant log entries kept at most (the newest); 0: no cap'),
  BATON_LOG_MAX_STRING_LENGTH: z.coerce
    .number()
    .int()
    .min(64)
    .max(65_536)
    .default(LOG_MAX_STRING_LENGTH)
    .describe('characters: longest string in a tenant log entry'),
  BATON_LOG_MAX_ENTRY_BYTES: z.coerce
    .number()
    .int()
    .min(2048)
    .max(1_048_576)
    .default(LOG_MAX_ENTRY_BYTES)
    .describe('bytes: largest tenant log entry, serialized'),
  BATON_AUDIT_MAX_BUFFERED_ENTRIES: z.coerce
    .number()
    .int()
    .min(10)
    .max(1_000_000)
    .default(AUDIT_MAX_BUFFERED_ENTRIES)
    .describe(
      'tenant log entries (or login counts) waiting for the database; past it the node is not ready and refuses token requests',
    ),
  BATON_PG_CONNECT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1000)
    .describe('ms: opening a PostgreSQL connection, or waiting for a pooled one'),
  BATON_PG_QUERY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(1500)
    .describe('ms: one PostgreSQL statement (client side and statement_timeout); migrations have none'),
  BATON_METRICS_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe('serve /metrics on this port only, not on PORT'),
  BATON_METRICS_HOST: z.string().min(1).default('127.0.0.1').describe('interface of the metrics listener'),
  BATON_METRICS_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe('bearer token required by /metrics'),
  BATON_THROTTLE_IPV6_PREFIX: z.coerce
    .number()
    .int()
    .min(MIN_IPV6_PREFIX)
    .max(MAX_IPV6_PREFIX)
    .default(DEFAULT_IPV6_PREFIX)
    .describe('IPv6 addresses share a throttling bucket per network of this prefix'),
  BATON_ACTOR_TOKEN_MAX_AGE: z.coerce
    .number()
    .int()
    .min(60)
    .max(2_592_000)
    .default(2_592_000)
    .describe('seconds: oldest `iat` of an actor ID token'),
});

export type Env = z.infer<typeof envSchema>;
