/**
 * Loads the guest JavaScript of `src/actions/guest/` (DESIGN section 4; docs/actions-sandbox.md) into a sandbox
 * context. The files are plain `.js`, each one parenthesized function (so evaluating it defines no global), read
 * once per worker from the `guest/` folder next to this module's folder: `src/actions/guest/` under tsx,
 * `dist/actions/guest/` once built (scripts/copy-guest.mjs copies them). `prelude.js` is called with the two host
 * functions, the shared tables as JSON (triggers/tables.ts) and the other parts; it returns the object the sandbox
 * drives (`load`, `hasEntry`, `start`, `describe`). The vendored Node libraries of `guest/vendor/` are not
 * evaluated here: the guest asks for one when an Action first uses it (`vendorSource`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten-core';
import { GUEST_TABLES } from '../triggers/tables.js';

/** The parts prelude.js receives, in the order they are evaluated; `guest/<name>.js` each. */
export const GUEST_PARTS = [
  'bytes',
  'url',
  'timers',
  'abort',
  'clone',
  'node',
  'keys',
  'subtle',
  'web',
  'modules',
  'node-crypto',
  'api',
] as const;
/** The vendored Node libraries (guest/vendor/<name>.js, scripts/build-guest-vendor.mjs), evaluated on first use. */
export const VENDOR_LIBS = ['buffer', 'events', 'util', 'inspect', 'url'] as const;
export const GUEST_DIR = fileURLToPath(new URL('../guest/', import.meta.url));

export interface GuestFile {
  /** The name the guest's stack traces show, `baton:guest/<name>.js`. */
  name: string;
  code: string;
}

function read(name: string): GuestFile {
  const file = `${GUEST_DIR}${name}.js`;
  try {
    return { name: `baton:guest/${name}.js`, code: readFileSync(file, 'utf8') };
  } catch (err) {
    throw new Error(
      `the sandbox's guest file ${file} cannot be read (does the build copy src/actions/guest/?): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

const PRELUDE = read('prelude');
const vendored = new Map<string, string>();

/**
 * The source of vendored library `name`, for the guest's `vendor` host call (guest/node.js evaluates it on first
 * use): read once per worker, and only the names of VENDOR_LIBS.
 */
export function vendorSource(name: string): string {
  if (!(VENDOR_LIBS as readonly string[]).includes(name)) throw new TypeError(`no vendored library ${name}`);
  let code = vendored.get(name);
  if (code === undefined) {
    code = read(`vendor/${name}`).code;
    vendored.set(name, code);
  }
  return code;
}
const PARTS = GUEST_PARTS.map((name) => ({ key: name, ...read(name) }));
const TABLES_JSON = JSON.stringify(GUEST_TABLES);

/** Every guest file, prelude first (for the syntax check of test/actions/guest-files.test.ts). */
export const GUEST_FILES: readonly GuestFile[] = [PRELUDE, ...PARTS];

/**
 * Evaluates the guest files in `ctx` and calls the prelude with the host functions (as arguments, never globals),
 * the tables and the parts. Returns the prelude's object; the caller disposes it and the two functions.
 */
export function installPrelude(ctx: QuickJSContext, hostCall: QuickJSHandle, hostAsync: QuickJSHandle): QuickJSHandle {
  const parts = ctx.newObject();
  const tables = ctx.newString(TABLES_JSON);
  const prelude = ctx.unwrapResult(ctx.evalCode(PRELUDE.code, PRELUDE.name));
  try {
    for (const p of PARTS) {
      const fn = ctx.unwrapResult(ctx.evalCode(p.code, p.name));
      ctx.setProp(parts, p.key, fn);
      fn.dispose();
    }
    return ctx.unwrapResult(ctx.callFunction(prelude, ctx.undefined, hostCall, hostAsync, tables, parts));
  } finally {
    prelude.dispose();
    tables.dispose();
    parts.dispose();
  }
}
