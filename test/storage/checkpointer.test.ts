/**
 * WAL checkpoints run on a worker thread (storage/checkpointer.ts): the serving connection only checkpoints past
 * SAFETY_NET_PAGES, so what reaches the database file between those is the worker's doing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';
import { SAFETY_NET_PAGES } from '../../src/storage/checkpointer.js';
import { sql } from 'kysely';

test('writes reach the database file from the WAL without the serving connection checkpointing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-ckpt-'));
  const file = path.join(dir, 'baton.sqlite');
  const { db } = openDatabase({ sqliteFile: file });
  try {
    await migrateToLatest(db);
    const pages = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db);
    assert.equal(pages.rows[0]!.wal_autocheckpoint, SAFETY_NET_PAGES);
    await sleep(1500); // the migrations' pages are checkpointed first
    const before = fs.statSync(file).size;
    const details = 'x'.repeat(2000);
    for (let i = 0; i < 40; i++) {
      await db
        .insertInto('logs')
        .values(
          Array.from({ length: 25 }, (_, j) => ({
            log_id: `ck-${i}-${j}`,
            date: new Date().toISOString(),
            type: 'secte',
            details,
          })),
        )
        .execute();
    }
    assert.ok(fs.statSync(`${file}-wal`).size > 1_000_000, 'the rows are in the WAL');
    let after = fs.statSync(file).size;
    for (let i = 0; i < 40 && after < before + 1_000_000; i++) {
      await sleep(100);
      after = fs.statSync(file).size;
    }
    assert.ok(after >= before + 1_000_000, `the database file grew from ${before} to ${after} bytes`);
  } finally {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
