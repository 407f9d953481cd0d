/** The in-process `api.cache` store, for a single node (DESIGN section 7: Redis when several nodes run). */
import type { ActionCacheStore, CacheEntry, CacheOp } from './types.js';
import { enforceLimits } from './session.js';

export class MemoryCacheStore implements ActionCacheStore {
  private readonly namespaces = new Map<string, Map<string, CacheEntry>>();

  constructor(private readonly now: () => number = Date.now) {}

  load(namespace: string): Promise<CacheEntry[]> {
    return Promise.resolve(this.live(namespace));
  }

  private live(namespace: string): CacheEntry[] {
    const ns = this.namespaces.get(namespace);
    if (!ns) return [];
    const now = this.now();
    const out: CacheEntry[] = [];
    for (const [k, e] of ns) {
      if (e.expires_at <= now) ns.delete(k);
      else out.push({ ...e });
    }
    return out;
  }

  async apply(namespace: string, ops: CacheOp[]): Promise<void> {
    if (ops.length === 0) return;
    let ns = this.namespaces.get(namespace);
    if (!ns) this.namespaces.set(namespace, (ns = new Map<string, CacheEntry>()));
    for (const op of ops) {
      if (op.op === 'set') ns.set(op.key, { key: op.key, value: op.value, expires_at: op.expires_at });
      else ns.delete(op.key);
    }
    for (const key of enforceLimits(await this.load(namespace)).drop) ns.delete(key);
  }

  close(): Promise<void> {
    this.namespaces.clear();
    return Promise.resolve();
  }
}
