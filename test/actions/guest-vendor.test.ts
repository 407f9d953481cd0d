/**
 * The vendored Node libraries of the sandbox (src/actions/guest/vendor/, built by scripts/build-guest-vendor.mjs
 * from the npm packages `buffer`, `events`, `util`, `url`, `querystring-es3`): the committed files are what the
 * build makes from the installed packages, each parses in the sandbox's QuickJS and evaluates to one function that
 * defines no global, and the sandbox serves exactly these names and nothing else through its `vendor` host call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { newQuickJSWASMModuleFromVariant, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import variantImport from '@jitl/quickjs-ng-wasmfile-release-sync';
import { GUEST_DIR, VENDOR_LIBS, vendorSource } from '../../src/actions/runtime/prelude.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const vendorDir = path.join(GUEST_DIR, 'vendor');

test('the committed vendor files are what scripts/build-guest-vendor.mjs builds from the installed packages', () => {
  const r = spawnSync(process.execPath, ['scripts/build-guest-vendor.mjs', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const onDisk = readdirSync(vendorDir)
    .filter((f) => f.endsWith('.js'))
    .sort();
  assert.deepEqual(onDisk, VENDOR_LIBS.map((n) => `${n}.js`).sort());
});

test("each vendor file evaluates in the sandbox's QuickJS to a function returning its exports, defining no global", async () => {
  const module = await newQuickJSWASMModuleFromVariant(variantImport as unknown as QuickJSSyncVariant);
  const expected: Record<string, string> = {
    buffer: 'Buffer,INSPECT_MAX_BYTES,SlowBuffer,kMaxLength',
    events: 'EventEmitter,defaultMaxListeners,init,listenerCount,once',
    url: 'querystring,url',
    inspect:
      'Proxy,format,formatWithOptions,getStringWidth,identicalSequenceRange,inspect,inspectDefaultOptions,isZeroWidthCodePoint,stripVTControlCharacters,stylizeWithColor,stylizeWithHTML',
  };
  for (const name of VENDOR_LIBS) {
    const ctx = module.newContext();
    const evalString = (code: string): string => {
      const h = ctx.unwrapResult(ctx.evalCode(code, `${name}.js`));
      try {
        return ctx.getString(h);
      } finally {
        h.dispose();
      }
    };
    try {
      const before = evalString('Object.getOwnPropertyNames(globalThis).join()');
      const source = readFileSync(path.join(vendorDir, `${name}.js`), 'utf8');
      assert.equal(evalString(`typeof ${source}`), 'function', name);
      const keys = evalString(`Object.keys((${source})()).sort().join()`);
      if (name === 'util') assert.match(keys, /(^|,)format,.*inherits,.*promisify,/);
      else assert.equal(keys, expected[name], name);
      assert.equal(evalString('Object.getOwnPropertyNames(globalThis).join()'), before, `${name} defines no global`);
    } finally {
      ctx.dispose();
    }
  }
});

test('the vendor host call serves the vendored names only', () => {
  for (const name of VENDOR_LIBS)
    assert.match(vendorSource(name), new RegExp(`^// Generated[^\\n]*\\n\\(function ${name}\\(\\)`));
  for (const name of ['../prelude', 'vendor/buffer', 'fs', '__proto__', 'constructor', ''])
    assert.throws(() => vendorSource(name), { name: 'TypeError', message: `no vendored library ${name}` });
});
