/**
 * /api/v2/keys/signing: the tenant's signing keys (public halves only) and rotation.
 * Auth0's fields (`kid`, `current`, `previous`, `revoked`, `current_since`, `current_until`) plus `alg` and `jwk`.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { notFound, badRequest } from '../errors.js';
import type { PublicKeyView } from '../../keys/key-set.js';

const keySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kid: { type: 'string' },
    alg: { type: 'string' },
    current: { type: 'boolean' },
    previous: { type: 'boolean' },
    revoked: { type: 'boolean' },
    current_since: { type: 'string' },
    current_until: { type: 'string' },
    publish_until: { type: 'string' },
    thumbprint: { type: 'string' },
    jwk: { type: 'object', additionalProperties: true },
  },
} as const;

function present(k: PublicKeyView) {
  return {
    kid: k.kid,
    alg: k.alg,
    current: k.status === 'current',
    previous: k.status === 'previous',
    revoked: k.status === 'revoked',
    current_since: k.created_at,
    thumbprint: k.kid,
    jwk: k.jwk,
    ...(k.rotated_at ? { current_until: k.rotated_at } : {}),
    ...(k.publish_until ? { publish_until: k.publish_until } : {}),
  };
}

const kidParams = {
  type: 'object',
  required: ['kid'],
  properties: { kid: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export function keyRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  app.get(
    '/keys/signing',
    {
      preHandler: requireScope('read:signing_keys'),
      schema: { response: { 200: { type: 'array', items: keySchema } } },
    },
    async () => {
      await ctx.keys.reload();
      return ctx.keys.list().map(present);
    },
  );

  app.get(
    '/keys/signing/:kid',
    {
      preHandler: requireScope('read:signing_keys'),
      schema: { params: kidParams, response: { 200: keySchema } },
    },
    async (request) => {
      await ctx.keys.reload();
      const key = ctx.keys.list().find((k) => k.kid === request.params.kid);
      if (!key) throw notFound('Signing key not found');
      return present(key);
    },
  );

  app.post(
    '/keys/signing/rotate',
    {
      preHandler: requireScope('create:signing_keys', 'update:signing_keys'),
      schema: {
        response: {
          201: { type: 'object', properties: { keys: { type: 'array', items: keySchema }, kid: { type: 'string' } } },
        },
      },
    },
    async (_request, reply) => {
      const fresh = await ctx.keys.rotate();
      await ctx.invalidation.publish('keys');
      const rs256 = fresh.find((k) => k.alg === 'RS256');
      return reply.status(201).send({ kid: rs256?.kid, keys: fresh.map(present) });
    },
  );

  app.put(
    '/keys/signing/:kid/revoke',
    {
      preHandler: requireScope('update:signing_keys'),
      schema: { params: kidParams, response: { 200: keySchema } },
    },
    async (request) => {
      const key = ctx.keys.list().find((k) => k.kid === request.params.kid);
      if (!key) throw notFound('Signing key not found');
      if (key.status === 'current')
        throw badRequest('The current signing key cannot be revoked; rotate first', 'invalid_operation');
      await ctx.repos.signingKeys.revoke(key.kid, new Date(ctx.clock.now()).toISOString());
      await ctx.invalidation.publish('keys');
      return present(ctx.keys.list().find((k) => k.kid === key.kid)!);
    },
  );
}
