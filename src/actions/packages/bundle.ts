/**
 * Bundles one installed package and its own dependencies into one CommonJS module for the sandbox (issue 12), with
 * esbuild. Packages are read as a browser would (`platform: 'browser'`: the `browser` field and condition), so
 * those with a browser build use it: axios swaps its Node http adapter for its fetch/XHR ones, uuid its Node crypto
 * for `crypto.getRandomValues`. A Node built-in the sandbox provides (contract.ts PROVIDED_MODULES) stays a
 * `require` the guest serves at run time; any other built-in, or a native addon, refuses the package, naming the
 * module and the package that needs it.
 */
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { PackageError } from './errors.js';
import { httpShimSource } from './http-shim.js';

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * Node built-ins the sandbox lacks but a small pure-JS browser port replaces at bundle time, resolved from Baton's
 * own dependencies (not the package's tree). `stream`: stream-browserify 3.0.0 (readable-stream 3, the browserify
 * port; jws, under jsonwebtoken, extends Stream). `http` and `https`: the client shim of http-shim.ts, over the
 * sandbox fetch.
 */
const ALIASES: Record<string, string> = { stream: 'stream-browserify' };
const ownRequire = createRequire(import.meta.url);

/**
 * What a Node package may expect of `process` in the sandbox: a production environment, a Node version (semver
 * checks such as jsonwebtoken's read it) and `nextTick`. Local to the bundle, not a global of the sandbox.
 */
const PROCESS_SHIM =
  'var process={env:{NODE_ENV:"production"},version:"v22.12.0",versions:{node:"22.12.0"},browser:true,' +
  'platform:"browser",argv:[],cwd:function(){return"/"},' +
  'nextTick:function(f){var a=[].slice.call(arguments,1);Promise.resolve().then(function(){f.apply(null,a)})}};';

/** The package a file belongs to: the path after the last `node_modules/`. */
function packageOf(file: string): string {
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return '(entry)';
  return parts[at + 1]?.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : (parts[at + 1] ?? '(entry)');
}

interface Missing {
  module: string;
  by: string;
}

/**
 * Node built-ins: the provided ones stay external; for any other, esbuild resolves it as a browser would (a
 * package's `"browser": {"fs": false}` empties it); only what is still unresolved is recorded as missing.
 */
function builtinsPlugin(provided: ReadonlySet<string>, missing: Missing[]): Plugin {
  return {
    name: 'baton-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'inner') return undefined;
        if (/\.node$/.test(args.path)) {
          missing.push({ module: `native addon ${path.basename(args.path)}`, by: packageOf(args.importer) });
          return { path: args.path, external: true };
        }
        if (!BUILTINS.has(args.path)) return undefined;
        if (provided.has(args.path)) return { path: args.path, external: true };
        const bare = args.path.replace(/^node:/, '');
        if (bare === 'http' || bare === 'https') return { path: bare, namespace: 'baton-http' };
        const alias = ALIASES[bare];
        if (alias) return { path: ownRequire.resolve(alias) };
        const inner = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'inner',
        });
        // Mapped to `false` by the package's browser field: esbuild's own answer is an empty module.
        if (inner.errors.length === 0 && !inner.external) return { path: args.path, namespace: 'baton-disabled' };
        missing.push({ module: args.path.replace(/^node:/, ''), by: packageOf(args.importer) });
        return { path: args.path, external: true };
      });
      b.onLoad({ filter: /.*/, namespace: 'baton-disabled' }, () => ({ contents: 'module.exports = {};' }));
      b.onLoad({ filter: /.*/, namespace: 'baton-http' }, (args) => ({
        contents: httpShimSource(args.path === 'https' ? 'https:' : 'http:'),
        loader: 'js',
      }));
    },
  };
}

export interface Bundle {
  code: string;
  bytes: number;
}

export async function bundlePackage(
  root: string,
  name: string,
  version: string,
  opts: { provided: ReadonlySet<string>; maxBytes: number },
): Promise<Bundle> {
  const missing: Missing[] = [];
  let code: string;
  try {
    const out = await build({
      stdin: {
        contents: `module.exports = require(${JSON.stringify(name)});`,
        resolveDir: root,
        sourcefile: 'entry.js',
      },
      absWorkingDir: root,
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'browser',
      mainFields: ['browser', 'module', 'main'],
      target: 'es2022',
      minifyWhitespace: true,
      minifySyntax: true,
      legalComments: 'none',
      charset: 'utf8',
      define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
      banner: { js: PROCESS_SHIM },
      logLevel: 'silent',
      plugins: [builtinsPlugin(opts.provided, missing)],
    });
    code = out.outputFiles[0]!.text;
  } catch (err) {
    const first = (err as { errors?: Array<{ text: string; location?: { file: string } | null }> }).errors?.[0];
    const where = first?.location ? ` (in ${packageOf(first.location.file)})` : '';
    throw new PackageError(
      'refused',
      `Dependency '${name}@${version}' cannot be bundled for the Actions sandbox: ${first?.text ?? 'unknown error'}${where}.`,
    );
  }
  if (missing.length) {
    const list = [...new Map(missing.map((m) => [`${m.module} ${m.by}`, m])).values()]
      .slice(0, 5)
      .map((m) => `'${m.module}' (required by ${m.by})`)
      .join(', ');
    throw new PackageError(
      'refused',
      `Dependency '${name}@${version}' needs Node modules the Actions sandbox does not provide: ${list}.`,
    );
  }
  const bytes = Buffer.byteLength(code, 'utf8');
  if (bytes > opts.maxBytes) {
    throw new PackageError(
      'too_large',
      `Dependency '${name}@${version}' bundles to ${bytes} bytes, more than the limit of ${opts.maxBytes} bytes.`,
    );
  }
  return { code, bytes };
}
