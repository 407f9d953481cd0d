import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { executor } from './helpers.js';

const ex = executor();
after(() => ex.close());
const CTE = 'custom-token-exchange' as const;

test('valid Action code compiles', async () => {
  assert.equal(
    await ex.compile(
      "const jose = require('jose');\nconst c = require('node:crypto');\nexports.onExecuteCustomTokenExchange = async (event, api) => {};",
      CTE,
    ),
    null,
  );
  assert.equal(await ex.compile('module.exports = { onExecutePostLogin: async () => {} };', 'post-login'), null);
});

test("Node's built-ins the sandbox provides compile, by name and node: name; others are refused", async () => {
  for (const m of ['buffer', 'events', 'util', 'url', 'querystring', 'crypto']) {
    const code = `const a = require('${m}');\nconst b = require('node:${m}');\nexports.onExecuteCustomTokenExchange = async () => {};`;
    assert.equal(await ex.compile(code, CTE), null, m);
  }
  for (const m of ['node:fs', 'node:jose', 'stream', 'node:http', 'string_decoder']) {
    const c = await ex.compile(
      `const a = require('${m}');\nexports.onExecuteCustomTokenExchange = async () => {};`,
      CTE,
    );
    assert.equal(c?.message.startsWith(`Cannot find module '${m}'`), true, m);
  }
});

test('a syntax error reports its line and column', async () => {
  const c = await ex.compile('exports.onExecuteCustomTokenExchange = async (event, api) => {\n  const x = {;\n};', CTE);
  assert.deepEqual(c, { message: 'SyntaxError: invalid property name', line: 2, column: 13 });
  // On line 1 the column is relative to the Action's code, not to Baton's CommonJS wrapper.
  assert.deepEqual(await ex.compile('const x = 1; const y = {;', CTE), {
    message: 'SyntaxError: invalid property name',
    line: 1,
    column: 23,
  });
});

test('an unknown module is refused with where it is required; a require in a comment or string is not', async () => {
  assert.deepEqual(
    await ex.compile('// require(\'fs\')\nconst url = \'https://x/require("y")\';\n\nconst a = require("axios");', CTE),
    {
      message:
        "Cannot find module 'axios': Baton provides jose, crypto, buffer, events, querystring, url, util; declare any other in the Action's dependencies",
      line: 4,
      column: 11,
    },
  );
  assert.equal(
    await ex.compile(
      "/* require('fs') */ // require('os')\nexports.onExecuteCustomTokenExchange = async () => {};",
      CTE,
    ),
    null,
  );
});

test('a missing entry point is refused', async () => {
  assert.deepEqual(await ex.compile('exports.onExecutePostLogin = async () => {};', CTE), {
    message:
      'Action code must export onExecuteCustomTokenExchange as a function (exports.onExecuteCustomTokenExchange = async (event, api) => {...})',
  });
  assert.deepEqual(await ex.compile('exports.onExecuteCustomTokenExchange = 42;', CTE), {
    message:
      'Action code must export onExecuteCustomTokenExchange as a function (exports.onExecuteCustomTokenExchange = async (event, api) => {...})',
  });
});

test('module code that throws or loops while loading is refused', async () => {
  assert.deepEqual(await ex.compile("throw new Error('boom');", CTE), {
    message: 'Action module code threw while loading: Error: boom',
  });
  assert.deepEqual(await ex.compile('while (true) {}', CTE), {
    message: 'Action module code exceeded the CPU limit while loading',
  });
});

test('code over 100 kB is refused', async () => {
  const big = `exports.onExecuteCustomTokenExchange = async () => {};\n//${'x'.repeat(100 * 1024)}`;
  assert.deepEqual(await ex.compile(big, CTE), { message: 'Action code exceeds 100 kB' });
});
