/**
 * Opens the database: SQLite (better-sqlite3, WAL) in the data dir by default, PostgreSQL when a URL is given.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, type DatabaseConnection } from 'kysely';
import { createPgPool, kyselyPool, type PoolTimeouts } from './pg-pool.js';
import { storageFault } from './unavailable.js';
import type { Database } from './schema.js';
import { SAFETY_NET_PAGES, startCheckpointer } from './checkpointer.js';
import { ensurePrivateDir, ensurePrivateFile, restrictFile } from './file-modes.js';

export type Db = Kysely<Database>;
export type DialectName = 'sqlite' | 'postgres';

/**
 * Runs one read-only statement, compiled by Kysely (storage/prepared.ts), straight on the driver: on PostgreSQL a
 * pooled query, on a SQLite file a second, read-only connection (WAL: it sees committed data only, never blocks
 * the writer and is never blocked by it). Kysely's per-query connection handling was a large share of an
 * exchange's CPU and allocations. An in-memory SQLite database has no second connection: reads go through Kysely.
 */
export type ReadQuery = (sql: string, parameters: readonly unknown[]) => Promise<unknown[]>;

export interface OpenedDatabase {
  db: Db;
  dialect: DialectName;
  read: ReadQuery;
}

// int8 (bigint, bigserial, count(*)) as JS numbers: every value Baton stores there fits in 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** Connection faults are reported at most this often (a restart errors every pooled client at once). */
const FAULT_REPORT_MS = 10_000;

function reportFaults(): (err: Error) => void {
  let last = -Infinity;
  return (err) => {
    if (Date.now() - last < FAULT_REPORT_MS) return;
    last = Date.now();
    process.emitWarning(`PostgreSQL connection error: ${err.message}`);
  };
}

/** The pool's timeouts by default (BATON_PG_CONNECT_TIMEOUT_MS, BATON_PG_QUERY_TIMEOUT_MS). */
const DEFAULT_POOL_TIMEOUTS: PoolTimeouts = { connectTimeoutMs: 1000, queryTimeoutMs: 1500 };

/** `sqliteFile` may be ':memory:' for tests. `timeouts` (PostgreSQL): `queryTimeoutMs: 0` for migrations. */
export function openDatabase(opts: {
  databaseUrl?: string | undefined;
  sqliteFile?: string;
  poolSize?: number;
  timeouts?: PoolTimeouts;
}): OpenedDatabase {
  if (opts.databaseUrl) {
    const pool = createPgPool(opts.databaseUrl, {
      max: opts.poolSize ?? 10,
      timeouts: opts.timeouts ?? DEFAULT_POOL_TIMEOUTS,
      onError: reportFaults(),
    });
    // Named statements: each pooled connection parses and plans a hot read once, not on every exchange.
    const names = new Map<string, string>();
    let generation = 0;
    const nameOf = (sqlText: string) => {
      let name = names.get(sqlText);
      if (!name)
        names.set(
          sqlText,
          (name = `baton_${generation}_${createHash('sha256').update(sqlText).digest('hex').slice(0, 24)}`),
        );
      return name;
    };
    const namedRead: ReadQuery = async (sqlText, parameters) => {
      const values = parameters as unknown[];
      try {
        return (await pool.query<Record<string, unknown>>({ name: nameOf(sqlText), text: sqlText, values })).rows;
      } catch (err) {
        // A migration (by another node) changed a table under the connections' prepared plans: "cached plan must
        // not change result type". New names make every connection prepare the statements again.
        if ((err as { code?: string }).code !== '0A000') throw err;
        generation++;
        names.clear();
        return (await pool.query<Record<string, unknown>>({ name: nameOf(sqlText), text: sqlText, values })).rows;
      }
    };
    // pool.query releases a client that failed as broken; the fault leaves as StorageUnavailableError.
    const read: ReadQuery = (sqlText, parameters) =>
      namedRead(sqlText, parameters).catch((err: unknown) => {
        throw storageFault(err);
      });
    const dialect = new PostgresDialect({ pool: kyselyPool(pool) });
    return { db: new Kysely<Database>({ dialect }), dialect: 'postgres', read };
  }
  const file = opts.sqliteFile ?? ':memory:';
  const sidecars = [`${file}-wal`, `${file}-shm`];
  if (file !== ':memory:') {
    // Owner-only (L5). SQLite creates -wal and -shm with the database file's mode, so the file is made 0600 first.
    ensurePrivateDir(path.dirname(file));
    ensurePrivateFile(file);
    for (const f of sidecars) restrictFile(f);
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // 0: the driver retries a refused write off the event loop (ImmediateSqliteDriver).
  sqlite.pragma('busy_timeout = 0');
  const onDisk = file !== ':memory:';
  if (onDisk) sqlite.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  const checkpointer = onDisk ? startCheckpointer(file) : undefined;
  const reader = onDisk ? new SQLite(file, { readonly: true }) : undefined;
  reader?.pragma('busy_timeout = 5000');
  if (onDisk) for (const f of sidecars) restrictFile(f);
  const readStatements = reader && withStatementCache(reader);
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({
      database: {
        prepare: withStatementCache(sqlite).prepare,
        // Kysely calls close() without awaiting it: the checkpointer stops, then both connections close.
        close: () => {
          void (async () => {
            await checkpointer?.close();
            reader?.close();
            sqlite.close();
          })();
        },
      },
    }),
  });
  const read: ReadQuery = readStatements
    ? // The executor runs at once: a statement that throws rejects the promise.
      (sqlText, parameters) => new Promise((resolve) => resolve(readStatements.prepare(sqlText).all(...parameters)))
    : async (sqlText, parameters) => (await db.executeQuery(CompiledQuery.raw(sqlText, [...parameters]))).rows;
  return { db, dialect: 'sqlite', read };
}

/** How long a write waits for another process's write lock, retrying off the event loop (see below). */
const WRITE_LOCK_WAIT_MS = 5000;

/**
 * The writer connection under several processes (`baton serve --workers N`; docs/deployment.md).
 *
 * Transactions start with BEGIN IMMEDIATE (the write lock at once). Kysely's BEGIN is deferred: a transaction that
 * reads, then writes, fails at once with SQLITE_BUSY (no busy wait: its snapshot is stale) when another process
 * wrote in between. Within one process Kysely already runs one transaction at a time on the one connection.
 *
 * The writer's busy_timeout is 0 and a statement refused with SQLITE_BUSY (another process holds the write lock) is
 * retried after an async pause, up to WRITE_LOCK_WAIT_MS: SQLite's busy handler sleeps in the calling thread, and
 * with better-sqlite3 that froze this process's event loop, hot reads included, while another process held the
 * lock. A refused statement did nothing (outside a transaction it is its own; BEGIN IMMEDIATE is the only one that
 * can be refused inside one), so retrying it is safe.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    return {
      executeQuery: (query) => retryWhileBusy(() => connection.executeQuery(query)),
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

async function retryWhileBusy<T>(run: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WRITE_LOCK_WAIT_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      return await run();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() + pause > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * Kysely prepares every query anew; preparing is a large share of an exchange's CPU on SQLite. Queries are built
 * from a fixed set of shapes, so statements are cached by SQL text (bounded). better-sqlite3 runs synchronously,
 * so one statement object is never used by two queries at once.
 */
function withStatementCache(sqlite: SQLite.Database) {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare: (sqlText: string) => {
      let statement = statements.get(sqlText);
      if (!statement) {
        statement = sqlite.prepare(sqlText);
        if (statements.size >= 1000) statements.clear();
        statements.set(sqlText, statement);
      }
      return statement;
    },
  };
}

/** True when the error is a unique/primary-key violation, on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | undefined;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** True when the error is a foreign-key violation, on either dialect. */
export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: string } | undefined;
  return e?.code === '23503' || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
