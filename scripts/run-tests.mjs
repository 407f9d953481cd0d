#!/usr/bin/env node
/**
 * `npm test`: finds every test/**\/*.test.ts, checks which real services answer (PostgreSQL, Redis), and runs
 * node's test runner through tsx. Suites that need a missing service are skipped with a clear message; under
 * CI=true a missing service is an error.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTests(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out.sort();
}

function answers(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const env = { ...process.env };
env.BATON_TEST_PG_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
env.BATON_TEST_REDIS_URL ??= 'redis://127.0.0.1:6379';
const pgUp = await answers('127.0.0.1', Number(new URL(env.BATON_TEST_PG_URL).port || 5432));
const redisUp = await answers('127.0.0.1', Number(new URL(env.BATON_TEST_REDIS_URL).port || 6379));
const ci = process.env.CI === 'true';
for (const [name, up, v] of [
  ['PostgreSQL', pgUp, 'BATON_TEST_PG_URL'],
  ['Redis', redisUp, 'BATON_TEST_REDIS_URL'],
]) {
  if (up) continue;
  if (ci) {
    console.error(`npm test: ${name} does not answer at ${env[v]} and CI=true requires it`);
    process.exit(1);
  }
  console.warn(`npm test: ${name} does not answer at ${env[v]}: the suites that need it are SKIPPED`);
  delete env[v];
}

const files = process.argv.slice(2).length ? process.argv.slice(2) : findTests(path.join(root, 'test'));
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  cwd: root,
  env,
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
