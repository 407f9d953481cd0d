/** The grant registry: `grant_type` → handler. Grants register here and nowhere else. */
import type { Grant } from './types.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { tokenExchangeGrant } from './token-exchange.js';
import { refreshTokenGrant } from './refresh-token.js';

const registry = new Map<string, Grant>();
for (const grant of [clientCredentialsGrant, tokenExchangeGrant, refreshTokenGrant])
  registry.set(grant.grantType, grant);

export const findGrant = (grantType: string): Grant | undefined => registry.get(grantType);
export const grantTypes = (): string[] => [...registry.keys()];
