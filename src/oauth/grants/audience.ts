import type { AppContext } from '../../context.js';
import type { TenantSettings } from '../../cluster/config-reads.js';
import type { ResourceServer } from '../../storage/repositories/resource-servers.js';
import { accessDenied, invalidRequest } from '../errors.js';

/** The API a token is for: `audience`, else the tenant's `default_audience` (spec section 2.3). */
type Reads = Pick<AppContext, 'configReads'>;

export async function resolveAudience(ctx: Reads, audience: string | undefined): Promise<ResourceServer> {
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

export const tenantSettings = (ctx: Reads): Promise<TenantSettings | undefined> => ctx.configReads.tenantSettings();

export const resourceServerByIdentifier = (ctx: Reads, identifier: string): Promise<ResourceServer | undefined> =>
  ctx.configReads.resourceServer(identifier);

export const clientGrantFor = (ctx: Reads, clientId: string, audience: string) =>
  ctx.configReads.clientGrant(clientId, audience);

export const splitScope = (scope: string | undefined): string[] =>
  Array.from(new Set((scope ?? '').split(' ').filter(Boolean)));
