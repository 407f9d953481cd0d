/**
 * SQLite transactions begin IMMEDIATE (storage/database.ts): with `baton serve --workers N` another process may write
 * between a transaction's read and its write. A deferred transaction then fails at once with SQLITE_BUSY (its read
 * snapshot is stale; the busy handler cannot help); an immediate one holds the write lock from its start, and the
 * other writer is the one that waits. The other process is played by a second connection to the same file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openDatabase } from '../../src/storage/database.js';

test('a transaction that reads, then writes, is not failed by another connection writing in between', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-immediate-'));
  const file = path.join(dir, 'baton.sqlite');
  const { db } = openDatabase({ sqliteFile: file });
  const other = new SQLite(file, { timeout: 0 });
  try {
    await sql`create table counter (n integer not null)`.execute(db);
    await sql`insert into counter (n) values (1)`.execute(db);
    let otherWrite: string | undefined;
    await db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ n: number }>`select n from counter`.execute(trx);
      // Another process writes now. With BEGIN IMMEDIATE it cannot (this transaction holds the lock): it would wait
      // under its busy_timeout; with timeout 0 it is refused at once, and this transaction goes on.
      try {
        other.prepare('update counter set n = 100').run();
        otherWrite = 'written';
      } catch (err) {
        otherWrite = (err as { code?: string }).code;
      }
      await sql`update counter set n = ${rows[0]!.n + 1}`.execute(trx);
    });
    assert.equal(otherWrite, 'SQLITE_BUSY');
    assert.deepEqual((await sql<{ n: number }>`select n from counter`.execute(db)).rows, [{ n: 2 }]);
  } finally {
    other.close();
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a write that finds another connection holding the lock waits for it without freezing the event loop', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-immediate-'));
  const file = path.join(dir, 'baton.sqlite');
  const { db } = openDatabase({ sqliteFile: file });
  const other = new SQLite(file);
  try {
    await sql`create table counter (n integer not null)`.execute(db);
    other.exec('begin immediate');
    other.exec('insert into counter (n) values (1)');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    // The other "process" commits 200 ms later; this insert must wait for it, with this event loop still running.
    const release = new Promise<void>((resolve) =>
      setTimeout(() => {
        other.exec('commit');
        resolve();
      }, 200),
    );
    await sql`insert into counter (n) values (2)`.execute(db);
    clearInterval(ticker);
    await release;
    assert.ok(ticks >= 5, `the event loop ran while the write waited (${ticks} ticks)`);
    assert.deepEqual((await sql<{ n: number }>`select n from counter order by n`.execute(db)).rows, [
      { n: 1 },
      { n: 2 },
    ]);
  } finally {
    other.close();
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
