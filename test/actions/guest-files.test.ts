/**
 * The sandbox's guest JavaScript (src/actions/guest/*.js) as files: each parses in the QuickJS build the sandbox
 * uses, evaluates to one function without defining a global, is loaded by runtime/prelude.ts, and passes the
 * TypeScript check of tsconfig.guest.json (undefined names, unused locals). The api each trigger exposes is the
 * table of tables.ts, and a table the guest has no checks for stops the prelude from loading.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import variantImport from '@jitl/quickjs-ng-wasmfile-release-sync';
import { GUEST_DIR, GUEST_FILES, GUEST_PARTS } from '../../src/actions/runtime/prelude.js';
import { COMMANDS, GUEST_TABLES } from '../../src/actions/triggers/tables.js';
import { MODULE_ALIASES, PROVIDED_MODULES, type TriggerId } from '../../src/actions/contract.js';
import { executor, run } from './helpers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const onDisk = readdirSync(GUEST_DIR)
  .filter((f) => f.endsWith('.js'))
  .sort();
let quickjs: Promise<QuickJSWASMModule> | undefined;
const module = () => (quickjs ??= newQuickJSWASMModuleFromVariant(variantImport as unknown as QuickJSSyncVariant));

async function withContext<T>(fn: (ctx: QuickJSContext) => T): Promise<T> {
  const ctx = (await module()).newContext();
  try {
    return fn(ctx);
  } finally {
    ctx.dispose();
  }
}

const ex = executor();
after(() => ex.close());

test('every guest file is loaded by the sandbox, and every file it loads is in src/actions/guest/', () => {
  assert.deepEqual(GUEST_FILES.map((f) => f.name.replace('baton:guest/', '')).sort(), onDisk);
  assert.deepEqual([...GUEST_PARTS, 'prelude'].map((p) => `${p}.js`).sort(), onDisk);
});

test("each guest file parses in the sandbox's QuickJS and evaluates to a function, defining no global", async () => {
  for (const file of onDisk) {
    const code = readFileSync(path.join(GUEST_DIR, file), 'utf8');
    await withContext((ctx) => {
      const syntax = ctx.evalCode(code, file, { compileOnly: true });
      if (syntax.error) {
        const e = ctx.dump(syntax.error) as { message: string; stack: string };
        syntax.error.dispose();
        assert.fail(`${file}: ${e.message}\n${e.stack}`);
      }
      syntax.value.dispose();
      const globals = ctx.unwrapResult(ctx.evalCode('JSON.stringify(Object.getOwnPropertyNames(globalThis))'));
      const before = ctx.getString(globals);
      globals.dispose();
      const r = ctx.unwrapResult(ctx.evalCode(code, file));
      assert.equal(ctx.typeof(r), 'function', `${file} evaluates to a function`);
      r.dispose();
      const after = ctx.unwrapResult(ctx.evalCode('JSON.stringify(Object.getOwnPropertyNames(globalThis))'));
      assert.equal(ctx.getString(after), before, `${file} defines no global`);
      after.dispose();
    });
  }
});

test('the guest files pass the TypeScript check of tsconfig.guest.json', () => {
  const configPath = path.join(root, 'tsconfig.guest.json');
  const { config } = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root);
  assert.deepEqual(parsed.fileNames.map((f) => path.basename(f)).sort(), onDisk);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${d.file ? path.relative(root, d.file.fileName) : ''}${where ? `(${where.line + 1},${where.character + 1})` : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  assert.deepEqual(problems, []);
});

test("each trigger's api has exactly the commands of the tables, and require serves the provided modules", async () => {
  const apiOf = (trigger: TriggerId) =>
    run(
      ex,
      'const names = []; for (const g of Object.keys(api)) if (g !== "cache") for (const m of Object.keys(api[g])) names.push(g + "." + m); console.log(JSON.stringify(names.sort()));' +
        (trigger === 'custom-token-exchange' ? "api.authentication.setUserById('u');" : ''),
      { trigger },
    );
  for (const trigger of ['custom-token-exchange', 'post-login'] as const) {
    const r = await apiOf(trigger);
    assert.equal(r.kind, 'ok');
    assert.deepEqual(JSON.parse(r.logs[0]!.message), [...COMMANDS[trigger]].sort());
  }
  const names = [...PROVIDED_MODULES, ...Object.keys(MODULE_ALIASES)];
  const aliases = Object.entries(MODULE_ALIASES);
  const r = await run(
    ex,
    `for (const m of ${JSON.stringify(names)}) console.log(m, typeof require(m));
for (const [a, m] of ${JSON.stringify(aliases)}) console.log(a, require(a) === require(m));
api.authentication.setUserById('u');`,
  );
  assert.deepEqual(
    r.logs.map((l) => l.message),
    // Node's `events` module is the EventEmitter class itself.
    [...names.map((m) => `${m} ${m.endsWith('events') ? 'function' : 'object'}`), ...aliases.map(([a]) => `${a} true`)],
  );
});

test('api.js refuses tables it has no checks for, and checks the tables do not list', async () => {
  const code = readFileSync(path.join(GUEST_DIR, 'api.js'), 'utf8');
  const load = (tables: unknown) =>
    withContext((ctx) => {
      const fn = ctx.unwrapResult(ctx.evalCode(code, 'api.js'));
      const args = ctx.unwrapResult(
        ctx.evalCode(`({ hostCall() { return '{}'; }, tables: ${JSON.stringify(tables)}, URL: {} })`),
      );
      const r = ctx.callFunction(fn, ctx.undefined, args);
      fn.dispose();
      args.dispose();
      if (!r.error) {
        r.value.dispose();
        return null;
      }
      const e = ctx.dump(r.error) as { message: string };
      r.error.dispose();
      return e.message;
    });
  assert.equal(await load(GUEST_TABLES), null);
  const more = {
    ...GUEST_TABLES,
    commands: { ...GUEST_TABLES.commands, 'post-login': [...COMMANDS['post-login'], 'accessToken.setAudience'] },
  };
  assert.equal(await load(more), 'api.js: no checks for the post-login command accessToken.setAudience');
  const fewer = {
    ...GUEST_TABLES,
    commands: {
      ...GUEST_TABLES.commands,
      'custom-token-exchange': COMMANDS['custom-token-exchange'].filter((c) => c !== 'access.deny'),
    },
  };
  assert.equal(await load(fewer), 'api.js: custom-token-exchange has no command access.deny in the tables');
});
