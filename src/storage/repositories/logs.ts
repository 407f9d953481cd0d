/**
 * Tenant logs (spec section 11): `secte`, `fecte`, `limit_mu`, ... entries, appended in batches by the log writer
 * (logs/writer.ts) and read newest first by `GET /api/v2/logs`, or after a checkpoint (`from`/`take`); purged by age
 * and count in bounded batches (logs/retention.ts).
 */
import type { Db } from '../database.js';
import type { Insertable, Selectable } from 'kysely';
import type { LogsTable } from '../schema.js';
import { fromJson, toJson } from '../codec.js';
import { preparedWrite } from '../prepared.js';

/** One log entry, Auth0's field names (spec sections 11.2 and 11.3). */
export interface LogEntry {
  log_id: string;
  date: string;
  type: string;
  description?: string | null;
  client_id?: string | null;
  client_name?: string | null;
  ip?: string | null;
  user_agent?: string | null;
  user_id?: string | null;
  user_name?: string | null;
  connection?: string | null;
  connection_id?: string | null;
  audience?: string | null;
  scope?: string | string[] | null;
  hostname?: string | null;
  strategy?: string | null;
  strategy_type?: string | null;
  tenant_name?: string | null;
  organization_id?: string | null;
  organization_name?: string | null;
  identity_user_id?: string | null;
  details?: Record<string, unknown> | null;
}

/** Equality filters the Management API's `q` may set (logs routes parse the query string). */
export interface LogFilter {
  type?: string[];
  user_id?: string;
  client_id?: string;
  connection?: string;
  ip?: string;
  audience?: string;
}

export type LogListOptions =
  | { page: number; perPage: number; filter?: LogFilter; order?: 'asc' | 'desc' }
  /** Checkpoint: the `take` entries after `from`, oldest first (Auth0's checkpoint pagination). */
  | { from: string; take: number; filter?: LogFilter };

/** The optional text columns of a log entry (the writer bounds the same fields). */
export const LOG_TEXT_COLUMNS = [
  'description',
  'client_id',
  'client_name',
  'ip',
  'user_agent',
  'user_id',
  'user_name',
  'connection',
  'connection_id',
  'audience',
  'hostname',
  'strategy',
  'strategy_type',
  'tenant_name',
  'organization_id',
  'organization_name',
  'identity_user_id',
] as const;

/** Every column an insert sets, in one order. */
const COLUMNS = ['log_id', 'date', 'type', ...LOG_TEXT_COLUMNS, 'scope', 'details'] as const;
type Row = Record<(typeof COLUMNS)[number], unknown>;

function toRow(e: LogEntry): Insertable<LogsTable> {
  const row = { log_id: e.log_id, date: e.date, type: e.type } as Required<Omit<Insertable<LogsTable>, 'seq'>>;
  for (const c of LOG_TEXT_COLUMNS) row[c] = e[c] ?? null;
  row.scope = Array.isArray(e.scope) ? e.scope.join(' ') : (e.scope ?? null);
  row.details = e.details ? toJson(e.details) : null;
  return row;
}

/** Auth0 leaves out the fields an event does not have. */
function fromRow(r: Selectable<LogsTable>): LogEntry {
  const e: LogEntry = { log_id: r.log_id, date: r.date, type: r.type };
  for (const c of LOG_TEXT_COLUMNS) if (r[c] !== null) e[c] = r[c];
  if (r.scope !== null) e.scope = r.scope;
  if (r.details !== null) e.details = fromJson(r.details, {});
  return e;
}

export function logsRepository(db: Db) {
  // One compiled multi-row insert per batch size (storage/prepared.ts): the batches of the log writer are of a few
  // sizes, and compiling a many-row insert anew was most of the cost of writing logs.
  const inserts = new Map<number, ReturnType<typeof preparedWrite<Record<string, unknown>>>>();
  const insertOf = (n: number) => {
    let insert = inserts.get(n);
    if (!insert) {
      insert = preparedWrite<Record<string, unknown>>((arg) =>
        db
          .insertInto('logs')
          .values(
            Array.from(
              { length: n },
              (_, i) => Object.fromEntries(COLUMNS.map((c) => [c, arg(`${i}.${c}`)])) as Insertable<LogsTable>,
            ),
          )
          // Idempotent: a batch written again after its commit was not acknowledged (a connection lost at commit,
          // logs/writer.ts retries) must not fail forever on its own first copy.
          .onConflict((oc) => oc.column('log_id').doNothing()),
      );
      inserts.set(n, insert);
    }
    return insert;
  };
  function filtered(filter: LogFilter | undefined) {
    let q = db.selectFrom('logs');
    if (filter?.type?.length) q = q.where('type', 'in', filter.type);
    for (const k of ['user_id', 'client_id', 'connection', 'ip', 'audience'] as const) {
      const v = filter?.[k];
      if (v !== undefined) q = q.where(k, '=', v);
    }
    return q;
  }
  return {
    /** Inserts a batch in one statement (chunked to stay under SQLite's bound-parameter limit); an entry whose
     *  `log_id` is stored already is skipped. */
    async append(entries: LogEntry[]): Promise<void> {
      for (let i = 0; i < entries.length; i += 200) {
        const rows = entries.slice(i, i + 200).map((e) => toRow(e) as Row);
        const args: Record<string, unknown> = {};
        rows.forEach((r, n) => {
          for (const c of COLUMNS) args[`${n}.${c}`] = r[c];
        });
        if (rows.length) await insertOf(rows.length)(db, args);
      }
    },
    /**
     * Retention (logs/retention.ts): deletes at most `limit` entries dated before `cutoff` (an ISO timestamp, the
     * format of `date`), oldest first, through the `logs_date` index; returns how many went.
     */
    async deleteOlderThan(cutoff: string, limit: number): Promise<number> {
      const oldest = db.selectFrom('logs').select('seq').where('date', '<', cutoff).orderBy('date').limit(limit);
      const r = await db.deleteFrom('logs').where('seq', 'in', oldest).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    /**
     * Retention: deletes at most `limit` of the entries outside the `keep` newest positions (`seq` more than `keep`
     * below the highest), oldest first; what remains is at most `keep` entries. Two index lookups, no count.
     */
    async deleteBeyondNewest(keep: number, limit: number): Promise<number> {
      const top = await db
        .selectFrom('logs')
        .select((eb) => eb.fn.max('seq').as('top'))
        .executeTakeFirst();
      if (top?.top === null || top?.top === undefined) return 0;
      const threshold = Number(top.top) - keep;
      const oldest = db.selectFrom('logs').select('seq').where('seq', '<=', threshold).orderBy('seq').limit(limit);
      const r = await db.deleteFrom('logs').where('seq', 'in', oldest).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async get(logId: string): Promise<LogEntry | undefined> {
      const r = await db.selectFrom('logs').selectAll().where('log_id', '=', logId).executeTakeFirst();
      return r && fromRow(r);
    },
    /** Newest first (or `order: 'asc'`); with `from`, the entries after that log id, oldest first. No `total` for checkpoints. */
    async list(opts: LogListOptions): Promise<{ logs: LogEntry[]; total?: number }> {
      const q = filtered(opts.filter);
      if ('from' in opts) {
        const anchor = await db.selectFrom('logs').select('seq').where('log_id', '=', opts.from).executeTakeFirst();
        if (!anchor) return { logs: [] };
        const rows = await q.selectAll().where('seq', '>', anchor.seq).orderBy('seq', 'asc').limit(opts.take).execute();
        return { logs: rows.map(fromRow) };
      }
      const [rows, total] = await Promise.all([
        q
          .selectAll()
          .orderBy('seq', opts.order ?? 'desc')
          .limit(opts.perPage)
          .offset(opts.page * opts.perPage)
          .execute(),
        q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { logs: rows.map(fromRow), total: Number(total.n) };
    },
  };
}

export type LogsRepository = ReturnType<typeof logsRepository>;
