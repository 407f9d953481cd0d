/**
 * Hot-path reads, compiled once: Kysely builds and compiles the query a single time with placeholder arguments,
 * and each call binds the real arguments to the compiled SQL and runs it with `ReadQuery` (database.ts). The SQL
 * is still Kysely's and every value is still a bound parameter; what is skipped is rebuilding the same query
 * tree, recompiling it and Kysely's connection hand-off on every exchange.
 */
import type { Compilable } from 'kysely';
import type { ReadQuery } from './database.js';

const SLOT = /^\u0000arg:(.+)\u0000$/;

type Slot = { arg: string } | { value: unknown };

/**
 * `build(arg)` returns the query; `arg('name')` stands for the argument of that name (a plain value, not a list).
 * The returned function takes the arguments and resolves to the rows.
 */
export function preparedRead<A extends Record<string, unknown>, R>(
  read: ReadQuery,
  build: (arg: <K extends keyof A & string>(name: K) => A[K]) => Compilable<R>,
): (args: A) => Promise<R[]> {
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
    const parameters = compiled.slots.map((s) => ('arg' in s ? args[s.arg] : s.value));
    return read(compiled.sql, parameters) as Promise<R[]>;
  };
}
