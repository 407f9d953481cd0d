import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newJti, newLogId } from '../../src/storage/ids.js';

test('jti and log ids keep their formats and never repeat across pool refills', () => {
  const jtis = Array.from({ length: 1000 }, newJti);
  const logIds = Array.from({ length: 1000 }, newLogId);
  for (const j of jtis) assert.match(j, /^[A-Za-z0-9_-]{22}$/);
  for (const l of logIds) assert.match(l, /^[0-9a-f]{56}$/);
  // 1000 ids of 16 and 28 bytes span several 4 kB refills.
  assert.equal(new Set(jtis).size, jtis.length);
  assert.equal(new Set(logIds).size, logIds.length);
});
