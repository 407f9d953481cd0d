/** The grant registry: `grant_type` → handler. Grants register here and nowhere else. */
import type { Grant } from './types.js';
import { clientCredentialsGrant } from './client-credentials.js';

const registry = new Map<string, Grant>();
for (const grant of [clientCredentialsGrant]) registry.set(grant.grantType, grant);

export const findGrant = (grantType: string): Grant | undefined => registry.get(grantType);
export const grantTypes = (): string[] => [...registry.keys()];
