/**
 * Step 4 of spec 1.2: the token exchange request parameters (RFC 8693 section 2.1, spec 4.2, 4.4).
 */
import { invalidRequest } from '../oauth/errors.js';
import type { TokenParams } from '../oauth/grants/types.js';
import { isReservedTokenType } from './profiles.js';
import { splitScope } from '../oauth/grants/audience.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
/** DESIGN D16: the one answer for "no exchange handler for this request" (observed Auth0 text, spec E3). */
export const NO_HANDLER = 'Invalid subject_token_type and requested_token_type combination.';

export interface ExchangeParams {
  subjectToken: string;
  subjectTokenType: string;
  actorToken?: string | undefined;
  actorTokenType?: string | undefined;
  requestedTokenType: string;
  audience?: string | undefined;
  scopes: string[];
  organization?: string | undefined;
}

export function parseExchangeParams(params: TokenParams): ExchangeParams {
  if (!params.subject_token) throw invalidRequest('Missing required parameter: subject_token');
  if (!params.subject_token_type) throw invalidRequest('Missing required parameter: subject_token_type');
  // RFC 8693 section 2.1: actor_token_type is REQUIRED with actor_token and MUST NOT appear without it.
  if (params.actor_token !== undefined && !params.actor_token_type)
    throw invalidRequest('actor_token_type is required when actor_token is present');
  if (params.actor_token_type !== undefined && !params.actor_token)
    throw invalidRequest('actor_token is required when actor_token_type is present');
  if (isReservedTokenType(params.subject_token_type)) {
    throw invalidRequest(NO_HANDLER, `subject_token_type ${params.subject_token_type} is in a reserved namespace`);
  }
  if (
    params.actor_token_type &&
    params.actor_token_type !== ID_TOKEN_TYPE &&
    isReservedTokenType(params.actor_token_type)
  ) {
    throw invalidRequest(NO_HANDLER, `actor_token_type ${params.actor_token_type} is in a reserved namespace`);
  }
  const requestedTokenType = params.requested_token_type ?? ACCESS_TOKEN_TYPE;
  if (requestedTokenType !== ACCESS_TOKEN_TYPE) {
    throw invalidRequest(NO_HANDLER, `requested_token_type ${requestedTokenType} is not supported`);
  }
  if (params.resource !== undefined && params.audience === undefined) {
    throw invalidRequest('The resource parameter is not supported; use audience', 'resource parameter sent');
  }
  return {
    subjectToken: params.subject_token,
    subjectTokenType: params.subject_token_type,
    actorToken: params.actor_token,
    actorTokenType: params.actor_token_type,
    requestedTokenType,
    audience: params.audience,
    scopes: splitScope(params.scope),
    organization: params.organization || undefined,
  };
}

/** D8: the parsed form as the Action sees it, without client credentials. */
export function redactedBody(params: TokenParams): Record<string, string> {
  const { client_secret: _s, client_assertion: _a, ...rest } = params;
  return rest;
}
