import type { AppContext } from '../../context.js';
import type { ResourceServer } from '../../storage/repositories/resource-servers.js';
import { accessDenied, invalidRequest } from '../errors.js';

type Reads = Pick<AppContext, 'configReads'>;

/** The API a token is for: `audience`, else the tenant's `default_audience` (spec section 2.3). */
export async function resolveAudience(ctx: Reads, audience: string | undefined): Promise<ResourceServer> {
  let identifier = audience;
  if (!identifier) {
    const settings = await ctx.configReads.tenantSettings();
    identifier = settings?.default_audience || undefined;
  }
  if (!identifier) {
    throw invalidRequest('Missing required parameter: audience', 'no audience and no tenant default_audience');
  }
  const api = await ctx.configReads.resourceServer(identifier);
  if (!api) throw accessDenied(`Service not found: ${identifier}`);
  return api;
}

export const splitScope = (scope: string | undefined): string[] =>
  Array.from(new Set((scope ?? '').split(' ').filter(Boolean)));
