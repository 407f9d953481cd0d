import type { AppContext } from '../../context.js';
import type { ResourceServer } from '../../storage/repositories/resource-servers.js';
import { accessDenied, invalidRequest } from '../errors.js';

/** The API a token is for: `audience`, else the tenant's `default_audience` (spec section 2.3). */
export async function resolveAudience(ctx: AppContext, audience: string | undefined): Promise<ResourceServer> {
  let identifier = audience;
  if (!identifier) {
    const settings = await ctx.repos.settings.get<{ default_audience?: string }>('tenant');
    identifier = settings?.default_audience || undefined;
  }
  if (!identifier) {
    throw invalidRequest('Missing required parameter: audience', 'no audience and no tenant default_audience');
  }
  const api = await ctx.repos.resourceServers.getByIdentifier(identifier);
  if (!api) throw accessDenied(`Service not found: ${identifier}`);
  return api;
}

export const splitScope = (scope: string | undefined): string[] =>
  Array.from(new Set((scope ?? '').split(' ').filter(Boolean)));
