/**
 * Public keys for private_key_jwt (Auth0 `client_authentication_methods.private_key_jwt.credentials` and
 * /api/v2/clients/{id}/credentials). A PEM is imported with jose before it is stored, so a bad key is a 400 at
 * configuration time and never a failure at the token endpoint. As in Auth0, a credential created here
 * (`create:client_credentials`) is not used until a PATCH of the client lists its id (`update:client_credentials`);
 * the global client's credentials cannot change (issue 10, H1).
 */
import type { FastifyInstance } from 'fastify';
import { calculateJwkThumbprint, exportJWK, importSPKI, importX509 } from 'jose';
import type { AppContext } from '../../context.js';
import type { ClientCredentialsTable } from '../../storage/schema.js';
import { requireScope, typed } from '../plugin.js';
import { badRequest, notFound } from '../errors.js';
import { nowIso } from '../../storage/codec.js';
import { randomAlnum } from '../../storage/ids.js';
import { credentialInputSchema } from './client-schemas.js';
import { globalImmutable, refuseForGlobal, type ClientAudit } from './client-audit.js';
import type { Client } from '../../storage/repositories/clients.js';
import { idParams } from './params.js';

export interface CredentialInput {
  credential_type: 'public_key';
  name?: string;
  pem: string;
  alg?: string;
}

export type NewCredential = Omit<ClientCredentialsTable, 'client_id' | 'enabled'>;

/** Validates the PEM (SPKI public key or X.509 certificate) for its alg; `kid` is the key's RFC 7638 thumbprint. */
export async function prepareCredential(input: CredentialInput): Promise<NewCredential> {
  const alg = input.alg ?? 'RS256';
  const pem = input.pem.trim();
  let jwkThumbprint: string;
  try {
    const key = pem.startsWith('-----BEGIN CERTIFICATE-----')
      ? await importX509(pem, alg, { extractable: true })
      : await importSPKI(pem, alg, { extractable: true });
    const jwk = await exportJWK(key);
    // RFC 7518 section 3.3: RSA keys of at least 2048 bits (jose refuses shorter ones at verification anyway).
    if (jwk.n && Buffer.from(jwk.n, 'base64url').length * 8 < 2048) throw new Error('RSA key too short');
    jwkThumbprint = await calculateJwkThumbprint(jwk);
  } catch {
    throw badRequest(
      `Invalid credential: pem must be a PEM-encoded public key or X.509 certificate usable with ${alg} (RSA keys of at least 2048 bits)`,
      'invalid_body',
    );
  }
  return {
    id: `cred_${randomAlnum(22)}`,
    name: input.name ?? '',
    credential_type: input.credential_type,
    alg,
    pem,
    kid: jwkThumbprint,
    created_at: nowIso(),
  };
}

const credentialSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    credential_type: { type: 'string' },
    kid: { type: 'string' },
    alg: { type: 'string' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;

const present = (c: NewCredential) => ({
  id: c.id,
  name: c.name,
  credential_type: c.credential_type,
  kid: c.kid ?? undefined,
  alg: c.alg,
  created_at: c.created_at,
  updated_at: c.created_at,
});

const credentialParams = {
  type: 'object',
  required: ['id', 'credential_id'],
  properties: { ...idParams.properties, credential_id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

async function requireClient(ctx: AppContext, id: string): Promise<Client> {
  const client = await ctx.repos.clients.get(id);
  if (!client) throw notFound('The client does not exist', 'inexistent_client');
  return client;
}

export function clientCredentialRoutes(untyped: FastifyInstance, ctx: AppContext, audit: ClientAudit): void {
  const app = typed(untyped);
  app.get(
    '/clients/:id/credentials',
    {
      preHandler: requireScope('read:client_credentials'),
      schema: { params: idParams, response: { 200: { type: 'array', items: credentialSchema } } },
    },
    async (request) => {
      await requireClient(ctx, request.params.id);
      return (await ctx.repos.clients.allCredentials(request.params.id)).map(present);
    },
  );

  app.get(
    '/clients/:id/credentials/:credential_id',
    {
      preHandler: requireScope('read:client_credentials'),
      schema: { params: credentialParams, response: { 200: credentialSchema } },
    },
    async (request) => {
      await requireClient(ctx, request.params.id);
      const cred = (await ctx.repos.clients.allCredentials(request.params.id)).find(
        (c) => c.id === request.params.credential_id,
      );
      if (!cred) throw notFound('The credential does not exist', 'inexistent_credential');
      return present(cred);
    },
  );

  app.post(
    '/clients/:id/credentials',
    {
      preHandler: requireScope('create:client_credentials'),
      schema: { params: idParams, body: credentialInputSchema, response: { 201: credentialSchema } },
    },
    async (request, reply) => {
      const client = await requireClient(ctx, request.params.id);
      if (client.global) throw refuseForGlobal(audit, request, globalImmutable('credentials'), request.body);
      const cred = await prepareCredential(request.body);
      await ctx.repos.clients.addCredential({ ...cred, client_id: request.params.id });
      audit(request, { type: 'sapi', description: 'Create a client credential', statusCode: 201, body: request.body });
      return reply.status(201).send(present(cred));
    },
  );

  app.delete(
    '/clients/:id/credentials/:credential_id',
    {
      preHandler: requireScope('delete:client_credentials'),
      schema: { params: credentialParams },
    },
    async (request, reply) => {
      const client = await requireClient(ctx, request.params.id);
      if (client.global) throw refuseForGlobal(audit, request, globalImmutable('credentials'));
      if (!(await ctx.repos.clients.deleteCredential(request.params.id, request.params.credential_id))) {
        throw notFound('The credential does not exist', 'inexistent_credential');
      }
      audit(request, { type: 'sapi', description: 'Delete a client credential', statusCode: 204 });
      return reply.status(204).send();
    },
  );
}
