/**
 * In-process cache of the configuration the token endpoint reads on every request (clients, their credentials,
 * APIs, client grants, connections, deployed Action pointers, the post-login flow, tenant settings; DESIGN
 * section 5). Every successful Management API write publishes the `config` topic, which clears it on every node;
 * entries also expire after a minute, a bound on staleness should a write bypass the API.
 */
const TTL_MS = 60_000;

export class ConfigCache {
  private entries = new Map<string, { at: number; value: Promise<unknown> }>();

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value as Promise<T>;
    const value = load();
    const entry = { at: Date.now(), value };
    this.entries.set(key, entry);
    // A failed read is not cached: the next request tries again.
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
