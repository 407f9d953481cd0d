/**
 * What a /api/v2/clients body means beyond its schema (client-schemas.ts): the fields copied as they are, the
 * authentication method it asks for (inline keys on create, credential ids on PATCH, never both with
 * token_endpoint_auth_method) and the scopes a PATCH needs for what it changes (Auth0).
 */
import { badRequest } from '../errors.js';
import { prepareCredential, type CredentialInput, type NewCredential } from './client-credentials.js';

export interface ClientBody {
  name?: string;
  description?: string;
  app_type?: string;
  is_first_party?: boolean;
  oidc_conformant?: boolean;
  grant_types?: string[];
  token_endpoint_auth_method?: 'none' | 'client_secret_post' | 'client_secret_basic';
  /** Inline keys on create; `{id}` items on PATCH. */
  client_authentication_methods?: {
    private_key_jwt: { credentials: Array<CredentialInput | { id?: unknown }> };
  } | null;
  callbacks?: string[];
  allowed_origins?: string[];
  client_metadata?: Record<string, string>;
  token_exchange?: { allow_any_profile_of_type: string[] } | null;
  organization_usage?: 'deny' | 'allow' | 'require';
  organization_require_behavior?: string;
  jwt_configuration?: { alg?: string; lifetime_in_seconds?: number };
  refresh_token?: Record<string, unknown> | null;
  is_token_endpoint_ip_header_trusted?: boolean;
}

export const isSecretMethod = (m: string) => m === 'client_secret_post' || m === 'client_secret_basic';
/** Fields copied as they are from a body to the stored client. */
export const PLAIN_FIELDS = [
  'name',
  'description',
  'app_type',
  'is_first_party',
  'oidc_conformant',
  'grant_types',
  'callbacks',
  'allowed_origins',
  'client_metadata',
  'token_exchange',
  'organization_usage',
  'organization_require_behavior',
  'refresh_token',
  'is_token_endpoint_ip_header_trusted',
] as const;

const BOTH_METHODS = 'token_endpoint_auth_method and client_authentication_methods cannot be set together';
const INLINE_ON_PATCH =
  'client_authentication_methods.private_key_jwt.credentials takes the ids of credentials created with POST /api/v2/clients/{id}/credentials; keys inline are accepted on create only';

export async function prepareCredentials(b: ClientBody): Promise<NewCredential[] | undefined> {
  const methods = b.client_authentication_methods;
  if (!methods) return undefined;
  if (b.token_endpoint_auth_method !== undefined) throw badRequest(BOTH_METHODS, 'invalid_body');
  return Promise.all((methods.private_key_jwt.credentials as CredentialInput[]).map(prepareCredential));
}

/** PATCH: the credential ids to enable; each item must be exactly `{id}` (Auth0's update shape). */
export function credentialIds(b: ClientBody): string[] | undefined {
  const methods = b.client_authentication_methods;
  if (!methods) return undefined;
  if (b.token_endpoint_auth_method !== undefined) throw badRequest(BOTH_METHODS, 'invalid_body');
  const items = methods.private_key_jwt.credentials;
  if (items.some((i) => Object.keys(i).length !== 1 || typeof (i as { id?: unknown }).id !== 'string'))
    throw badRequest(INLINE_ON_PATCH, 'invalid_body');
  return [...new Set(items.map((i) => (i as { id: string }).id))];
}

/**
 * PATCH's scopes by what the body changes (Auth0): `update:clients` for the client's settings,
 * `update:client_credentials` for client_authentication_methods. A secret never changes through PATCH.
 */
export function patchScopes(body: unknown): string[] {
  const keys = Object.keys(body ?? {});
  const needs: string[] = [];
  if (keys.length === 0 || keys.some((k) => k !== 'client_authentication_methods')) needs.push('update:clients');
  if (keys.includes('client_authentication_methods')) needs.push('update:client_credentials');
  return needs;
}

export const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;
