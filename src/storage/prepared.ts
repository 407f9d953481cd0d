/**
 * Hot-path queries, compiled once: Kysely builds and compiles the query a single time with placeholder arguments,
 * and each call binds the real arguments to the compiled SQL. The SQL is still Kysely's and every value is still a
 * bound parameter; what is skipped is rebuilding the same query tree and recompiling it on every exchange.
 * Reads run on `ReadQuery` (database.ts: outside Kysely's connection hand-off); writes run through Kysely's
 * executor (`executeQuery`), so they keep its connection handling and join an open transaction when given one.
 */
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { ReadQuery } from './database.js';

// eslint-disable-next-line no-control-regex -- NUL marks a placeholder because no real argument contains one
const SLOT = /^\u0000arg:(.+)\u0000$/;

type Slot = { arg: string } | { value: unknown };

/** `build(arg)` returns the query; `arg('name')` stands for the argument of that name (a plain value, not a list). */
export type QueryBuilder<A, R> = (arg: <K extends keyof A & string>(name: K) => A[K]) => Compilable<R>;

/** Compiles on first use; returns the SQL and the parameters for one set of arguments. */
function compileOnce<A extends Record<string, unknown>, R>(build: QueryBuilder<A, R>): (args: A) => CompiledQuery<R> {
  let compiled: { sql: string; slots: Slot[] } | undefined;
  const compile = () => {
    const q = build((name) => `\u0000arg:${name}\u0000` as A[typeof name]).compile();
    const slots = q.parameters.map((p): Slot => {
      const m = typeof p === 'string' ? SLOT.exec(p) : null;
      return m ? { arg: m[1]! } : { value: p };
    });
    return { sql: q.sql, slots };
  };
  return (args) => {
    compiled ??= compile();
    return CompiledQuery.raw(
      compiled.sql,
      compiled.slots.map((s) => ('arg' in s ? args[s.arg] : s.value)),
    );
  };
}

/** A compiled read: the function takes the arguments and resolves to the rows. */
export function preparedRead<A extends Record<string, unknown>, R>(
  read: ReadQuery,
  build: QueryBuilder<A, R>,
): (args: A) => Promise<R[]> {
  const bind = compileOnce(build);
  return (args) => {
    const q = bind(args);
    return read(q.sql, q.parameters) as Promise<R[]>;
  };
}

/** A compiled write, run on `db` or on the transaction passed as `on`. */
export function preparedWrite<A extends Record<string, unknown>>(
  build: QueryBuilder<A, unknown>,
): (on: Pick<Kysely<unknown>, 'executeQuery'>, args: A) => Promise<void> {
  const bind = compileOnce(build);
  return async (on, args) => {
    await on.executeQuery(bind(args));
  };
}
