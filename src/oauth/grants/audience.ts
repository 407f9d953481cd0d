import type { AppContext } from '../../context.js';
import type { ResourceServer } from '../../storage/repositories/resource-servers.js';
import { accessDenied, invalidRequest } from '../errors.js';

/** The API a token is for: `audience`, else the tenant's `default_audience` (spec section 2.3). */
export async function resolveAudience(ctx: AppContext, audience: string | undefined): Promise<ResourceServer> {
  let identifier = audience;
  if (!identifier) {
    const settings = await tenantSettings(ctx);
    identifier = settings?.default_audience || undefined;
  }
  if (!identifier) {
    throw invalidRequest('Missing required parameter: audience', 'no audience and no tenant default_audience');
  }
  const api = await resourceServerByIdentifier(ctx, identifier);
  if (!api) throw accessDenied(`Service not found: ${identifier}`);
  return api;
}

export interface TenantSettings {
  default_audience?: string;
  allow_organization_name_in_authentication_api?: boolean;
}

export const tenantSettings = (ctx: AppContext): Promise<TenantSettings | undefined> =>
  ctx.configCache.get('settings:tenant', () => ctx.repos.settings.get<TenantSettings>('tenant'));

export const resourceServerByIdentifier = (ctx: AppContext, identifier: string): Promise<ResourceServer | undefined> =>
  ctx.configCache.get(`api:${identifier}`, () => ctx.repos.resourceServers.getByIdentifier(identifier));

export const clientGrantFor = (ctx: AppContext, clientId: string, audience: string) =>
  ctx.configCache.get(`grant:${clientId}:${audience}`, () => ctx.repos.clientGrants.find(clientId, audience));

export const splitScope = (scope: string | undefined): string[] =>
  Array.from(new Set((scope ?? '').split(' ').filter(Boolean)));
