/**
 * Step 3 of spec 1.2: only first-party, OIDC-conformant clients with `custom_authentication` in
 * `token_exchange.allow_any_profile_of_type` may use Custom Token Exchange (spec 2.1).
 */
import type { Client } from '../storage/repositories/clients.js';
import { invalidRequest, unauthorizedClient } from '../oauth/errors.js';
import { NO_HANDLER } from './parameters.js';

export function checkClientMayExchange(client: Client): void {
  if (!client.token_exchange?.allow_any_profile_of_type?.includes('custom_authentication')) {
    // D16: a client not enabled for CTE sees the same text as an unknown profile.
    throw invalidRequest(
      NO_HANDLER,
      `client ${client.client_id} is not enabled for custom_authentication token exchange`,
    );
  }
  if (!client.is_first_party) {
    throw unauthorizedClient('Custom Token Exchange is only available to first-party clients', 'third-party client');
  }
  if (!client.oidc_conformant) {
    throw unauthorizedClient(
      'Custom Token Exchange is only available to OIDC-conformant clients',
      'client is not OIDC conformant',
    );
  }
}
