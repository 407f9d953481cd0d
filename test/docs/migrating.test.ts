/**
 * docs/migrating-from-auth0.md lists what Baton answers for every resource type of the pinned Deploy CLI: the list
 * is read from the tool itself, so a new type in an upgraded auth0-deploy-cli fails here until it is documented.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(import.meta.url);

test('the migration guide has a row for every Deploy CLI resource type', () => {
  // The handlers module is loaded through the tool's entry point, which breaks its import cycle.
  require('auth0-deploy-cli/lib/tools/auth0');
  const handlers = require('auth0-deploy-cli/lib/tools/auth0/handlers') as { default: Record<string, unknown> };
  const types = Object.keys(handlers.default);
  assert.ok(types.length >= 40, types.join());
  const doc = fs.readFileSync(path.join(root, 'docs/migrating-from-auth0.md'), 'utf8');
  const rows = doc.split('\n').filter((line) => line.startsWith('| `'));
  const missing = types.filter((type) => !rows.some((row) => row.split('|')[1]!.includes(`\`${type}\``)));
  assert.deepEqual(missing, []);
});
