/**
 * Client authentication at the token and revocation endpoints (RFC 6749 section 2.3, RFC 7523 section 2.2,
 * OIDC Core section 9). Exactly one method per request; it must be the client's registered one (the two secret
 * methods are interchangeable, as in Auth0). Every failure is `401 invalid_client`, with `WWW-Authenticate` when the
 * client tried HTTP Basic; the detail goes to the log only.
 */
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Client, TokenEndpointAuthMethod } from '../../storage/repositories/clients.js';
import { clientSecretMatches } from '../../crypto/hashing.js';
import { invalidClient, invalidRequest, type OAuthError } from '../errors.js';
import { verifyClientAssertion, JWT_BEARER_ASSERTION_TYPE } from './private-key-jwt.js';
import { markUnknownClient } from '../../logs/auth-failures.js';
import { CLIENT_ID_MAX_LENGTH } from '../limits.js';

/** What these steps use of the context. */
type ClientAuthDeps = Pick<AppContext, 'clock' | 'config' | 'configReads' | 'repos' | 'secretHasher'>;

/** Printable characters, at most the longest identifier Baton stores. */
const isClientId = (id: string) => id.length >= 1 && id.length <= CLIENT_ID_MAX_LENGTH && !hasControlCharacter(id);

/** Whether `s` holds a C0 control character or DEL (U+0000 to U+001F, U+007F). */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code <= 0x1f || code === 0x7f) return true;
  }
  return false;
}

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

interface Presented {
  method: TokenEndpointAuthMethod | 'client_secret_basic';
  clientId: string;
  secret?: string;
  assertion?: string;
}

const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="baton", charset="UTF-8"' };

/** RFC 6749 section 2.3.1: Basic credentials are form-urlencoded before base64. */
function parseBasic(header: string): { clientId: string; secret: string } {
  const encoded = header.slice(6).trim();
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('Client authentication failed', 'malformed Basic credentials', BASIC_CHALLENGE);
  try {
    const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    return { clientId, secret };
  } catch {
    throw invalidClient('Client authentication failed', 'malformed Basic credentials', BASIC_CHALLENGE);
  }
}

/** Works out which single method the request uses. */
function presentedCredentials(request: FastifyRequest, params: Record<string, string>): Presented {
  const auth = request.headers.authorization;
  const hasBasic = typeof auth === 'string' && /^basic /i.test(auth);
  const hasSecret = params.client_secret !== undefined;
  const hasAssertion = params.client_assertion !== undefined || params.client_assertion_type !== undefined;
  if ([hasBasic, hasSecret, hasAssertion].filter(Boolean).length > 1) {
    throw invalidRequest('Only one client authentication method may be used per request');
  }
  if (hasBasic) {
    const { clientId, secret } = parseBasic(auth);
    if (params.client_id !== undefined && params.client_id !== clientId) {
      throw invalidRequest('client_id in the body does not match the Authorization header');
    }
    return { method: 'client_secret_basic', clientId, secret };
  }
  if (hasAssertion) {
    if (params.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE) {
      throw invalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
    }
    if (!params.client_assertion) throw invalidRequest('Missing required parameter: client_assertion');
    return { method: 'private_key_jwt', clientId: params.client_id ?? '', assertion: params.client_assertion };
  }
  if (!params.client_id) throw invalidRequest('Missing required parameter: client_id');
  if (hasSecret) return { method: 'client_secret_post', clientId: params.client_id, secret: params.client_secret! };
  return { method: 'none', clientId: params.client_id };
}

const isSecretMethod = (m: string) => m === 'client_secret_basic' || m === 'client_secret_post';

function methodAllowed(registered: TokenEndpointAuthMethod, presented: Presented['method']): boolean {
  if (isSecretMethod(registered)) return isSecretMethod(presented);
  return registered === presented;
}

/** Authenticates the client of a token or revocation request; throws a 401 OAuthError on any failure. */
export async function authenticateClient(
  ctx: ClientAuthDeps,
  request: FastifyRequest,
  params: Record<string, string>,
): Promise<Client> {
  const presented = presentedCredentials(request, params);
  const challenge = presented.method === 'client_secret_basic' ? BASIC_CHALLENGE : undefined;
  const fail = (log: string): OAuthError => invalidClient('Client authentication failed', log, challenge);

  let clientId = presented.clientId;
  if (presented.method === 'private_key_jwt') {
    // The assertion names the client in iss/sub; client_id is optional (RFC 7523 section 3).
    clientId = verifyClientAssertion.peekClientId(presented.assertion!, params.client_id);
  }
  // C1: an identifier no client can have is refused before it keys a lookup (Basic and assertions included).
  if (!isClientId(clientId)) throw markUnknownClient(fail('client_id is not a valid client identifier'));
  const client = await ctx.configReads.client(clientId);
  // M4: failures for client_ids no client has are counted per IP in the tenant log, not logged one by one.
  if (!client) throw markUnknownClient(fail(`unknown client ${clientId}`));
  if (!methodAllowed(client.token_endpoint_auth_method, presented.method)) {
    throw fail(`method ${presented.method} not allowed for client (registered: ${client.token_endpoint_auth_method})`);
  }
  switch (presented.method) {
    case 'client_secret_basic':
    case 'client_secret_post':
      if (!(await clientSecretMatches(ctx, client, presented.secret ?? ''))) throw fail('wrong client secret');
      return client;
    case 'private_key_jwt':
      await verifyClientAssertion(ctx, client, presented.assertion!, fail);
      return client;
    case 'none':
      return client;
  }
}
