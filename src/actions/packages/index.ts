/**
 * npm dependencies of Actions (issue 12; docs/actions-sandbox.md, Dependencies): each declared `{name, version}`
 * is resolved to one exact version, installed without running any of its scripts (source.ts), bundled with its
 * own dependencies into one CommonJS module (bundle.ts) and stored in the database by name and exact version, so
 * every node sharing the database runs the very bundle the deploying node built. Runs read the bundles back
 * through a per-process cache.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ActionDependency } from '../../storage/repositories/actions.js';
import type { ActionPackagesRepository } from '../../storage/repositories/action-packages.js';
import { builtinModules } from 'node:module';
import { MODULE_ALIASES, PROVIDED_MODULES, type PackageBundle } from '../contract.js';
import { bundlePackage } from './bundle.js';
import { PackageError } from './errors.js';
import { install, type PackageSourceConfig } from './source.js';
import { parseDependency, specText } from './spec.js';

export { PackageError } from './errors.js';
export type { PackageSourceConfig } from './source.js';

/**
 * The Node built-ins a bundle may leave to the sandbox: the provided modules that are Node's (contract.ts
 * PROVIDED_MODULES; `jose` is an npm name, so a package depending on jose gets its own copy) and their aliases.
 */
export function providedBuiltins(): ReadonlySet<string> {
  const node = new Set(builtinModules);
  const names = [...PROVIDED_MODULES, ...Object.keys(MODULE_ALIASES)].filter((m) => node.has(m.replace(/^node:/, '')));
  return new Set(names);
}

const sameRegistry = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** Bundles kept in memory per process, by size (a bundle is at most BATON_ACTION_PACKAGE_MAX_BYTES). */
const MEMORY_CACHE_BYTES = 64 * 1024 * 1024;

export class ActionPackages {
  private readonly building = new Map<string, Promise<ActionDependency>>();
  private readonly bundles: LRUCache<string, PackageBundle>;

  constructor(
    private readonly deps: {
      config: PackageSourceConfig;
      repo: ActionPackagesRepository;
      /** The Node built-ins the sandbox serves (contract.ts PROVIDED_MODULES and aliases). */
      provided: ReadonlySet<string>;
    },
  ) {
    this.bundles = new LRUCache({
      maxSize: Math.max(MEMORY_CACHE_BYTES, deps.config.maxBytes),
      sizeCalculation: (b) => Math.max(1, b.code.length),
    });
  }

  /**
   * Resolves each dependency to an exact version whose bundle is stored, building what is missing; returns the
   * list with exact versions (what the Management API then shows). Throws PackageError.
   */
  async prepare(list: readonly ActionDependency[]): Promise<ActionDependency[]> {
    const out: ActionDependency[] = [];
    // One at a time: an install is CPU and network heavy, and the first failure ends the request.
    for (const dep of list) out.push(await this.prepareOne(dep));
    return out;
  }

  private async prepareOne(dep: ActionDependency): Promise<ActionDependency> {
    const spec = parseDependency(dep);
    if (dep.registry_url !== undefined && !sameRegistry(dep.registry_url, this.deps.config.registry)) {
      // Auth0 lets an Action name its registry; here the server would fetch from a URL its client chose.
      throw new PackageError(
        'invalid',
        `Dependency '${dep.name}' names the registry ${dep.registry_url}: Baton installs only from the one its operator configured (BATON_ACTION_NPM_REGISTRY).`,
      );
    }
    const key = `${dep.name}@${specText(spec)}`;
    let p = this.building.get(key);
    if (!p) {
      p = this.build(dep.name, spec).finally(() => this.building.delete(key));
      this.building.set(key, p);
    }
    const resolved = await p;
    return dep.registry_url !== undefined ? { ...resolved, registry_url: dep.registry_url } : resolved;
  }

  private async build(name: string, spec: ReturnType<typeof parseDependency>): Promise<ActionDependency> {
    if (spec.kind === 'exact' && (await this.deps.repo.has(name, spec.version))) return { name, version: spec.version };
    const installed = await install(this.deps.config, name, spec);
    try {
      if (await this.deps.repo.has(name, installed.version)) return { name, version: installed.version };
      const b = await bundlePackage(installed.root, name, installed.version, {
        provided: this.deps.provided,
        maxBytes: this.deps.config.maxBytes,
      });
      await this.deps.repo.put({
        name,
        version: installed.version,
        code: b.code,
        bytes: b.bytes,
        sha256: createHash('sha256').update(b.code).digest('hex'),
      });
      return { name, version: installed.version };
    } finally {
      await installed.cleanup();
    }
  }

  /** The bundles of a version's (exact) dependencies, for a run. A missing bundle is rebuilt from its source. */
  async load(list: readonly ActionDependency[]): Promise<PackageBundle[]> {
    const out: PackageBundle[] = [];
    for (const dep of list) {
      const key = `${dep.name}@${dep.version}`;
      let b = this.bundles.get(key);
      if (!b) {
        let row = await this.deps.repo.get(dep.name, dep.version);
        if (!row) {
          await this.prepareOne(dep);
          row = await this.deps.repo.get(dep.name, dep.version);
        }
        if (!row) throw new PackageError('unavailable', `The bundle of dependency '${key}' is missing.`);
        b = { name: row.name, version: row.version, code: row.code };
        this.bundles.set(key, b);
      }
      out.push(b);
    }
    return out;
  }
}
