/**
 * The keys a guest holds by opaque handle: host CryptoKeys and key sets live in a per-context table, and the guest
 * sees only an id and the key's public description (type, algorithm, usages) or a secret's bytes.
 */
import type { RunEgress } from './egress-run.js';

/** Per-context table of host keys and key sets the guest holds opaque handles to. */
export class KeyTable {
  /** The run whose host call is in progress: a remote JWKS (kept across runs) fetches under that run's caps. */
  egress: RunEgress | null = null;
  private next = 1;
  private readonly items = new Map<number, unknown>();
  static readonly MAX = 10_000;

  add(item: unknown): number {
    if (this.items.size >= KeyTable.MAX) throw new TypeError(`too many live keys (at most ${KeyTable.MAX})`);
    const id = this.next++;
    this.items.set(id, item);
    return id;
  }
  get(id: unknown): unknown {
    const item = typeof id === 'number' ? this.items.get(id) : undefined;
    if (item === undefined) throw new TypeError('invalid key handle');
    return item;
  }
  release(id: unknown): void {
    if (typeof id === 'number') this.items.delete(id);
  }
  get size(): number {
    return this.items.size;
  }
}

export function describeKey(table: KeyTable, key: unknown): Record<string, unknown> {
  if (key instanceof Uint8Array) return { secret: Buffer.from(key).toString('base64') };
  const k = key as CryptoKey;
  const alg = k.algorithm as {
    name: string;
    namedCurve?: string;
    hash?: { name: string };
    modulusLength?: number;
    length?: number;
  };
  const algorithm: Record<string, unknown> = { name: alg.name };
  if (alg.namedCurve) algorithm.namedCurve = alg.namedCurve;
  if (alg.hash) algorithm.hash = { name: alg.hash.name };
  if (alg.modulusLength) algorithm.modulusLength = alg.modulusLength;
  if (alg.length) algorithm.length = alg.length;
  return { id: table.add(k), type: k.type, algorithm, extractable: k.extractable, usages: [...k.usages] };
}

export function resolveKey(table: KeyTable, ref: Record<string, unknown>): unknown {
  if (ref.h !== undefined) return table.get(ref.h);
  if (ref.jwks !== undefined) return table.get(ref.jwks);
  if (typeof ref.secret === 'string') return new Uint8Array(Buffer.from(ref.secret, 'base64'));
  if (ref.jwk && typeof ref.jwk === 'object') return ref.jwk;
  throw new TypeError('invalid key');
}
