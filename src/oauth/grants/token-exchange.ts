/**
 * The token-exchange grant entry (RFC 8693, Auth0's Custom Token Exchange): its `grant_type` and parameters; the
 * pipeline itself lives in src/token-exchange/ (exchange.ts).
 */
import type { Grant } from './types.js';
import { TOKEN_EXCHANGE_GRANT } from '../../token-exchange/parameters.js';
import { logClientAuthFailure, runTokenExchange } from '../../token-exchange/exchange.js';

export const tokenExchangeGrant: Grant = {
  grantType: TOKEN_EXCHANGE_GRANT,
  audited: true,
  parameters: [
    'subject_token',
    'subject_token_type',
    'actor_token',
    'actor_token_type',
    'requested_token_type',
    'audience',
    'scope',
    'organization',
  ],
  handle: runTokenExchange,
  onClientAuthFailed: logClientAuthFailure,
};
