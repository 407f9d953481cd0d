/**
 * Where a dependency's files come from (issue 12; docs/actions-sandbox.md, Dependencies): an installed
 * `node_modules` tree in the operator's folder (`BATON_ACTION_PACKAGES_DIR`, for machines without a registry), or
 * the npm registry or a mirror (`BATON_ACTION_NPM_REGISTRY`) through the npm CLI that ships with Node.
 *
 * Why the npm CLI: it resolves the package's whole dependency tree exactly as `npm install` would (ranges, peer and
 * optional dependencies, the operator's `.npmrc` for a private mirror), verifies every tarball's integrity, and
 * `--ignore-scripts` guarantees that no package code runs on this host: no preinstall, install, postinstall or
 * prepare script. The tree is installed into a throwaway folder, only read by esbuild, then deleted; npm's own
 * tarball cache lives under the data directory.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { PackageError } from './errors.js';
import { specText, type VersionSpec } from './spec.js';

export interface PackageSourceConfig {
  /** Registry or mirror URL, used when `dir` is unset. */
  registry: string;
  /** A folder holding `node_modules/<name>`: the only source when set. */
  dir: string | undefined;
  /** Largest bundle of one dependency, in bytes. */
  maxBytes: number;
  /** Time to install and bundle one dependency. */
  timeoutMs: number;
  /** npm's tarball cache. */
  cacheDir: string;
}

/** A package's files on disk: `root` holds `node_modules/<name>` and its dependencies. */
export interface Installed {
  version: string;
  root: string;
  cleanup(): Promise<void>;
}

const label = (name: string, spec: VersionSpec) => `${name}@${specText(spec)}`;

async function installedVersion(root: string, name: string): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await readFile(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** The operator's folder: the installed version is the only one there is; the spec must accept it. */
async function fromFolder(dir: string, name: string, spec: VersionSpec): Promise<Installed> {
  const version = await installedVersion(dir, name);
  if (!version) throw new PackageError('not_found', `Dependency '${name}' is not in the server's packages folder.`);
  const ok =
    spec.kind === 'exact'
      ? spec.version === version
      : spec.kind === 'range'
        ? semver.satisfies(version, spec.range)
        : spec.tag === 'latest';
  if (!ok) {
    throw new PackageError(
      'not_found',
      `Dependency '${label(name, spec)}' is not available: the server's packages folder has version ${version}.`,
    );
  }
  return { version, root: dir, cleanup: () => Promise.resolve() };
}

/** Error codes npm reports (`--json`) when the registry, not the request, is at fault. */
const UNREACHABLE =
  /^(E5\d\d|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ESOCKETTIMEDOUT|EHOSTUNREACH|ENETUNREACH|EINTEGRITY)$/;

function npmError(stdout: string): { code: string; summary: string } {
  const start = stdout.indexOf('{');
  try {
    const e = (JSON.parse(stdout.slice(start)) as { error?: { code?: unknown; summary?: unknown } }).error;
    return {
      code: typeof e?.code === 'string' ? e.code : 'unknown',
      summary: typeof e?.summary === 'string' ? e.summary : '',
    };
  } catch {
    return { code: 'unknown', summary: '' };
  }
}

function failure(name: string, spec: VersionSpec, code: string, summary: string): PackageError {
  if (code === 'E404') {
    const missing = /\/((?:@[^/\s]+\/)?[^/\s]+)\s*$/.exec(summary.replace(/%2f/gi, '/'))?.[1];
    return new PackageError(
      'not_found',
      missing && missing !== name
        ? `Dependency '${label(name, spec)}' cannot be installed: its dependency '${missing}' was not found in the registry.`
        : `Dependency '${name}' was not found in the registry.`,
    );
  }
  if (code === 'ETARGET') {
    const which = /No matching version found for (\S+?)\.?$/m.exec(summary)?.[1];
    return new PackageError(
      'not_found',
      which && !which.startsWith(`${name}@`)
        ? `Dependency '${label(name, spec)}' cannot be installed: no version of its dependency ${which} exists.`
        : `Dependency '${name}' has no version matching '${specText(spec)}'.`,
    );
  }
  if (UNREACHABLE.test(code))
    return new PackageError('unavailable', `The npm registry could not be reached to install '${label(name, spec)}'.`);
  return new PackageError('unavailable', `Dependency '${label(name, spec)}' could not be installed (npm ${code}).`);
}

function runNpm(
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, {
      cwd,
      // npm reads npm_config_* from the environment: the one that matters is forced here as well as on the command line.
      env: { ...process.env, npm_config_ignore_scripts: 'true', npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'ignore'],
      signal: AbortSignal.timeout(timeoutMs),
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (stdout.length < 1_000_000) stdout += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError') resolve({ code: null, stdout, timedOut: true });
      else reject(err);
    });
    child.on('close', (code) => resolve({ code, stdout, timedOut: false }));
  });
}

/** `npm install --ignore-scripts name@spec` into a fresh folder; the caller bundles from it, then cleans up. */
async function fromRegistry(config: PackageSourceConfig, name: string, spec: VersionSpec): Promise<Installed> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'baton-pkg-'));
  const cleanup = () => rm(root, { recursive: true, force: true });
  try {
    await writeFile(path.join(root, 'package.json'), '{"name":"baton-action-dependency","private":true}\n');
    const args = [
      'install',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      '--no-save',
      '--omit=dev',
      '--json',
      '--loglevel=error',
      '--fetch-retries=1',
      '--fetch-retry-mintimeout=500',
      '--fetch-retry-maxtimeout=2000',
      `--fetch-timeout=${config.timeoutMs}`,
      `--registry=${config.registry}`,
      `--cache=${config.cacheDir}`,
      `--prefix=${root}`,
      '--',
      label(name, spec),
    ];
    let r: Awaited<ReturnType<typeof runNpm>>;
    try {
      r = await runNpm(args, root, config.timeoutMs);
    } catch {
      throw new PackageError(
        'unavailable',
        'npm is not available on this server: set BATON_ACTION_PACKAGES_DIR to install Action dependencies from a folder.',
      );
    }
    if (r.timedOut)
      throw new PackageError(
        'unavailable',
        `Installing '${label(name, spec)}' took longer than ${config.timeoutMs} ms.`,
      );
    if (r.code !== 0) {
      const e = npmError(r.stdout);
      throw failure(name, spec, e.code, e.summary);
    }
    const version = await installedVersion(root, name);
    if (!version) throw new PackageError('unavailable', `Dependency '${label(name, spec)}' could not be installed.`);
    return { version, root, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export function install(config: PackageSourceConfig, name: string, spec: VersionSpec): Promise<Installed> {
  return config.dir !== undefined ? fromFolder(config.dir, name, spec) : fromRegistry(config, name, spec);
}
