#!/usr/bin/env node
/**
 * `npm run build`, after tsc: copies the sandbox's guest JavaScript (src/actions/guest/*.js and the vendored
 * libraries of src/actions/guest/vendor/, which tsc does not emit) to dist/actions/guest/, where
 * dist/actions/runtime/prelude.js reads them. Stale copies are removed first.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const from = path.join(root, 'src/actions/guest');
const to = path.join(root, 'dist/actions/guest');

rmSync(to, { recursive: true, force: true });
mkdirSync(path.join(to, 'vendor'), { recursive: true });
const files = ['.', 'vendor'].flatMap((dir) =>
  readdirSync(path.join(from, dir))
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join(dir, f)),
);
for (const f of files) copyFileSync(path.join(from, f), path.join(to, f));
console.log(`copy-guest: ${files.length} guest files to ${path.relative(root, to)}/`);
