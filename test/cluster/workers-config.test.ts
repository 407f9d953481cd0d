/**
 * `--workers` / BATON_WORKERS: bounds, the flag over the variable, and the sandbox threads each server process gets
 * (the machine's cores divided among the processes, runtime/index.ts `defaultPoolSize`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/index.js';
import { defaultPoolSize } from '../../src/actions/runtime/index.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

test('BATON_WORKERS: 1 by default, 1 to 64, a bad value names the variable', () => {
  assert.equal(loadConfig({}).workers, 1);
  assert.equal(loadConfig({ BATON_WORKERS: '3' }).workers, 3);
  for (const bad of ['0', '65', '1.5', 'two']) {
    assert.throws(
      () => loadConfig({ BATON_WORKERS: bad }),
      (err: unknown) => err instanceof ConfigError && /BATON_WORKERS/.test(err.message),
      bad,
    );
  }
});

test('baton serve --workers refuses a value out of bounds before starting anything', () => {
  for (const bad of ['0', '65', 'x', '2.5']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve', '--workers', bad], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, BATON_DATA_DIR: '/nonexistent/never-created' },
    });
    assert.equal(r.status, 1, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /--workers <n>.*must be a whole number from 1 to 64/, bad);
  }
});

test('sandbox threads: 2 to 4 for one process; the cores divided among several, 1 to 4 each', () => {
  assert.equal(defaultPoolSize(1, 1), 2);
  assert.equal(defaultPoolSize(1, 2), 2);
  assert.equal(defaultPoolSize(1, 16), 4);
  assert.equal(defaultPoolSize(2, 2), 1);
  assert.equal(defaultPoolSize(3, 2), 1);
  assert.equal(defaultPoolSize(2, 8), 4);
  assert.equal(defaultPoolSize(4, 8), 2);
  assert.equal(defaultPoolSize(16, 16), 1);
});
