/**
 * The PostgreSQL pool, built so that a database fault is an error to the requests that meet it, never a crash or a
 * hang (issue 13; docs/deployment.md "Faults: PostgreSQL"):
 * - every client has an `'error'` listener for its whole life: pg-pool listens on idle clients only, and a client
 *   checked out by Kysely that the server terminates (`57P01` on a restart) emits `'error'` with no listener, which
 *   ends the process;
 * - connecting (and waiting for a pooled client) times out, each query times out on the client side
 *   (`query_timeout`: a database that silently stops answering) and on the server (`statement_timeout`), and TCP
 *   keepalive finds dead peers of idle connections;
 * - a connection fault leaves this module as StorageUnavailableError (storage/unavailable.ts), and the client that
 *   met it goes back to the pool as broken, so the pool closes it instead of lending it again.
 */
import pg from 'pg';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { storageFault } from './unavailable.js';

export interface PoolTimeouts {
  /** Milliseconds to open a connection, or to wait for a pooled one. */
  connectTimeoutMs: number;
  /** Milliseconds a statement may run (client side; the server's `statement_timeout` is the same). 0: no limit. */
  queryTimeoutMs: number;
}

export function createPgPool(
  connectionString: string,
  opts: { max: number; timeouts: PoolTimeouts; onError: (err: Error) => void },
): pg.Pool {
  const { connectTimeoutMs, queryTimeoutMs } = opts.timeouts;
  const pool = new pg.Pool({
    connectionString,
    max: opts.max,
    connectionTimeoutMillis: connectTimeoutMs,
    ...(queryTimeoutMs > 0 ? { query_timeout: queryTimeoutMs, statement_timeout: queryTimeoutMs } : {}),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // An idle client that errors (server restart): the pool removes it; nothing else to do.
  pool.on('error', (err) => opts.onError(err));
  // A checked-out client that errors: the query in flight fails (and the client is released as broken below).
  pool.on('connect', (client) => client.on('error', (err) => opts.onError(err)));
  return pool;
}

/** The pool as Kysely's PostgresDialect uses it, with connection faults mapped and broken clients discarded. */
export function kyselyPool(pool: pg.Pool): PostgresPool {
  const wrappers = new WeakMap<pg.PoolClient, CheckedOut>();
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw storageFault(err);
      }
      let wrapper = wrappers.get(client);
      if (!wrapper) wrappers.set(client, (wrapper = new CheckedOut(client)));
      wrapper.broken = undefined;
      return wrapper;
    },
    end: () => pool.end(),
  };
}

class CheckedOut implements PostgresPoolClient {
  broken: Error | undefined;
  constructor(private readonly client: pg.PoolClient) {}

  // Kysely's streaming (cursor) form is not used by Baton.
  query<R>(sqlText: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query(): never;
  async query<R>(sqlText?: string, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    try {
      return (await this.client.query(sqlText!, parameters as unknown[])) as unknown as PostgresQueryResult<R>;
    } catch (err) {
      const mapped = storageFault(err);
      if (mapped !== err) this.broken = err as Error;
      throw mapped;
    }
  }

  release(): void {
    this.client.release(this.broken);
  }
}
