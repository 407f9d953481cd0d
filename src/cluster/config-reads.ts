/**
 * The configuration the token endpoint reads on every request, through one typed interface: each read names what it
 * answers and which repository call loads it, and shares the bounded, cluster-invalidated ConfigCache
 * (cluster/config-cache.ts; DESIGN section 5). No other module builds a cache key.
 */
import type { Repositories } from '../storage/index.js';
import { ConfigCache, type ConfigCacheOptions } from './config-cache.js';

/** The tenant settings document (`settings` row `tenant`; spec 2.3). */
interface TenantSettings {
  default_audience?: string;
  allow_organization_name_in_authentication_api?: boolean;
}

type Repos = Pick<
  Repositories,
  'settings' | 'resourceServers' | 'clientGrants' | 'clients' | 'connections' | 'actions'
>;
type Loaded<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

export interface ConfigReads {
  tenantSettings(): Promise<TenantSettings | undefined>;
  /** An API by its `identifier` (the `audience`). */
  resourceServer(identifier: string): Promise<Loaded<Repos['resourceServers']['getByIdentifier']>>;
  clientGrant(clientId: string, audience: string): Promise<Loaded<Repos['clientGrants']['find']>>;
  client(clientId: string): Promise<Loaded<Repos['clients']['get']>>;
  /** A client's enabled credentials (private_key_jwt). */
  clientCredentials(clientId: string): Promise<Loaded<Repos['clients']['credentials']>>;
  connectionById(id: string): Promise<Loaded<Repos['connections']['get']>>;
  connectionByName(name: string): Promise<Loaded<Repos['connections']['getByName']>>;
  /** Which version of an Action is deployed now (a version itself never changes). */
  actionPointer(actionId: string): Promise<Loaded<Repos['actions']['deployedPointer']>>;
  /** The post-login flow's Actions in order, with their deployed version ids. */
  postLoginFlow(): Promise<Loaded<Repos['actions']['boundDeployed']>>;
  /** Entries and misses held now (tests and metrics). */
  readonly size: { entries: number; misses: number };
  /** Forgets everything: after a Management API write, here or on another node. */
  clear(): void;
}

export function createConfigReads(repos: Repos, opts: ConfigCacheOptions = {}): ConfigReads {
  const cache = new ConfigCache(opts);
  return {
    tenantSettings: () => cache.get('settings:tenant', () => repos.settings.get<TenantSettings>('tenant')),
    resourceServer: (identifier) =>
      cache.get(`api:${identifier}`, () => repos.resourceServers.getByIdentifier(identifier)),
    clientGrant: (clientId, audience) =>
      cache.get(`grant:${clientId}:${audience}`, () => repos.clientGrants.find(clientId, audience)),
    client: (clientId) => cache.get(`client:${clientId}`, () => repos.clients.get(clientId)),
    clientCredentials: (clientId) => cache.get(`credentials:${clientId}`, () => repos.clients.credentials(clientId)),
    connectionById: (id) => cache.get(`connection-id:${id}`, () => repos.connections.get(id)),
    connectionByName: (name) => cache.get(`connection:${name}`, () => repos.connections.getByName(name)),
    actionPointer: (actionId) => cache.get(`action-pointer:${actionId}`, () => repos.actions.deployedPointer(actionId)),
    postLoginFlow: () => cache.get('post-login-flow', () => repos.actions.boundDeployed('post-login')),
    get size() {
      return cache.size;
    },
    clear: () => cache.clear(),
  };
}
