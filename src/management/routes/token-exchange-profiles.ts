/**
 * /api/v2/token-exchange-profiles: Custom Token Exchange Profiles, exactly as spec section 3.2 (paths, bodies,
 * status codes and messages), with the limits of section 3.3 and the reserved namespaces of section 4.3.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { badQuery, badRequest, conflict, forbidden, notFound } from '../errors.js';
import { accepted } from '../refusals.js';
import { newProfileId } from '../../storage/ids.js';
import type { ProfileCheckpoint, TokenExchangeProfile } from '../../storage/repositories/token-exchange-profiles.js';
import { reservedPrefixOf, validateSubjectTokenType } from '../../token-exchange/profiles.js';
import { idParams } from './params.js';
import { deleteByIdRoute } from './delete-route.js';

/** Spec section 3.3: at most 100 profiles per tenant. */
const MAX_PROFILES = 100;
/** Clients a profile may list in `actor_token_audiences` (issue 10, M2; Baton's setting, not Auth0's). */
const MAX_ACTOR_TOKEN_AUDIENCES = 20;
const PROFILE_TYPE = 'custom_authentication';
const CTE_TRIGGER = 'custom-token-exchange';

const profileSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    subject_token_type: { type: 'string' },
    action_id: { type: 'string' },
    type: { type: 'string' },
    actor_token_audiences: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;

const nameSchema = { type: 'string', minLength: 3, maxLength: 50 } as const;
const subjectTokenTypeSchema = { type: 'string', minLength: 8, maxLength: 100 } as const;
const actorTokenAudiencesSchema = {
  type: 'array',
  maxItems: MAX_ACTOR_TOKEN_AUDIENCES,
  uniqueItems: true,
  items: { type: 'string', minLength: 1, maxLength: 64 },
} as const;

const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'subject_token_type', 'action_id', 'type'],
  properties: {
    name: nameSchema,
    subject_token_type: subjectTokenTypeSchema,
    action_id: { type: 'string', minLength: 1, maxLength: 36 },
    type: { type: 'string', maxLength: 21 },
    actor_token_audiences: actorTokenAudiencesSchema,
  },
} as const;

// `action_id` and `type` are listed so that sending them yields "Unable to update field." rather than the generic
// additional-properties message (spec section 3.2; auth0-cli: only name and subject_token_type can be updated).
const updateBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: nameSchema,
    subject_token_type: subjectTokenTypeSchema,
    actor_token_audiences: actorTokenAudiencesSchema,
    action_id: {},
    type: {},
  },
} as const;

const listQuery = {
  type: 'object',
  properties: {
    from: { type: 'string', minLength: 1, maxLength: 512 },
    take: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
  },
} as const;

/** The opaque checkpoint `from`/`next`: the position of the last profile returned (keyset paging). */
function encodeCheckpoint(p: ProfileCheckpoint): string {
  return Buffer.from(JSON.stringify([p.created_at, p.id])).toString('base64url');
}

function decodeCheckpoint(from: string): ProfileCheckpoint {
  try {
    const value = JSON.parse(Buffer.from(from, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
      return { created_at: value[0] as string, id: value[1] as string };
    }
  } catch {
    // fall through
  }
  throw badQuery(
    "Query validation error: 'Invalid checkpoint: use the value of next from a previous page' on property from.",
  );
}

function present(p: TokenExchangeProfile) {
  return {
    id: p.id,
    name: p.name,
    subject_token_type: p.subject_token_type,
    action_id: p.action_id,
    type: p.type,
    // Shown only when set, so a profile reads exactly as on Auth0 unless the operator used Baton's setting.
    ...(p.actor_token_audiences.length ? { actor_token_audiences: p.actor_token_audiences } : {}),
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

/** Shape (DESIGN D3) and reserved namespaces (spec 4.3, DESIGN D4) of a subject_token_type, as a 400. */
function assertSubjectTokenType(value: string): void {
  const problem = validateSubjectTokenType(value);
  if (problem)
    throw badRequest(`Payload validation error: 'subject_token_type ${problem}' on property subject_token_type.`);
  const reserved = reservedPrefixOf(value);
  if (reserved) {
    throw badRequest(
      `subject_token_type cannot use a reserved namespace: '${reserved}' is reserved.`,
      'invalid_subject_token_type',
    );
  }
}

/** Every client `actor_token_audiences` names must exist (the wording of the connections API's enabled_clients). */
async function assertClientsExist(ctx: AppContext, clientIds: string[] | undefined): Promise<void> {
  if (!clientIds) return;
  const unknown: string[] = [];
  for (const id of clientIds) if (!(await ctx.repos.clients.get(id))) unknown.push(id);
  if (unknown.length) throw badRequest(`The client does not exist: ${unknown.join(', ')}`, 'inexistent_client');
}

/**
 * The profile's Action must exist, be deployed and target the custom-token-exchange trigger (spec section 3.5).
 * Read straight from the `actions` table, the columns every Action row has.
 */
async function assertUsableAction(ctx: AppContext, actionId: string): Promise<void> {
  const action = await ctx.storage.db
    .selectFrom('actions')
    .select(['id', 'trigger_id', 'deployed_version_id'])
    .where('id', '=', actionId)
    .executeTakeFirst();
  if (!action) throw badRequest('Action not found', 'action_not_found');
  if (!action.deployed_version_id) throw badRequest('Action is not deployed', 'action_not_deployed');
  if (action.trigger_id !== CTE_TRIGGER) {
    throw badRequest(`Action must have supported_triggers: ${CTE_TRIGGER}`, 'invalid_action_trigger');
  }
}

/** Spec section 3.2: POST also takes form-urlencoded. Scoped to these routes (an encapsulated child context). */
function parseForm(_request: unknown, body: string, done: (err: Error | null, value?: unknown) => void): void {
  done(null, Object.fromEntries(new URLSearchParams(body)));
}

export async function tokenExchangeProfileRoutes(parent: FastifyInstance, ctx: AppContext): Promise<void> {
  await parent.register((app, _opts, done) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, parseForm);
    profileRoutes(app, ctx);
    done();
  });
}

function profileRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  app.get(
    '/token-exchange-profiles',
    {
      preHandler: requireScope('read:token_exchange_profiles'),
      schema: {
        querystring: listQuery,
        response: {
          200: {
            type: 'object',
            required: ['token_exchange_profiles'],
            properties: { token_exchange_profiles: { type: 'array', items: profileSchema }, next: { type: 'string' } },
          },
        },
      },
    },
    async (request) => {
      const { from, take } = request.query;
      const after = from === undefined ? undefined : decodeCheckpoint(from);
      const { profiles, more } = await ctx.repos.profiles.page({ take, ...(after ? { after } : {}) });
      const body: { token_exchange_profiles: ReturnType<typeof present>[]; next?: string } = {
        token_exchange_profiles: profiles.map(present),
      };
      // `next` only when another page follows (spec section 3.2).
      if (more) body.next = encodeCheckpoint(profiles[profiles.length - 1]!);
      return body;
    },
  );

  app.post(
    '/token-exchange-profiles',
    {
      preHandler: requireScope('create:token_exchange_profiles'),
      schema: { body: createBody, response: { 201: profileSchema } },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.type !== PROFILE_TYPE) throw badRequest('Type field must be custom', 'invalid_type');
      assertSubjectTokenType(body.subject_token_type);
      await assertUsableAction(ctx, body.action_id);
      await assertClientsExist(ctx, body.actor_token_audiences);
      if ((await ctx.repos.profiles.count()) >= MAX_PROFILES) {
        throw forbidden('You reached the limit of entities of this type for this tenant.', 'entity_limit_exceeded');
      }
      const created = accepted(
        await ctx.repos.profiles.create({
          id: newProfileId(),
          name: body.name,
          subject_token_type: body.subject_token_type,
          action_id: body.action_id,
          type: PROFILE_TYPE,
          ...(body.actor_token_audiences ? { actor_token_audiences: body.actor_token_audiences } : {}),
        }),
        {
          duplicate: () => conflict('subject_token_type already exists for tenant'),
          // The Action was deleted between the check and the insert.
          missing_reference: () => badRequest('Action not found', 'action_not_found'),
        },
      );
      await ctx.invalidation.publish('profiles');
      return reply.status(201).send(present(created));
    },
  );

  app.get(
    '/token-exchange-profiles/:id',
    {
      preHandler: requireScope('read:token_exchange_profiles'),
      schema: { params: idParams, response: { 200: profileSchema } },
    },
    async (request) => {
      const profile = await ctx.repos.profiles.get(request.params.id);
      if (!profile) throw notFound('Token Exchange Profile not found.');
      return present(profile);
    },
  );

  app.patch(
    '/token-exchange-profiles/:id',
    { preHandler: requireScope('update:token_exchange_profiles'), schema: { params: idParams, body: updateBody } },
    async (request, reply) => {
      const body = request.body;
      if ('action_id' in body || 'type' in body) throw badRequest('Unable to update field.', 'invalid_update');
      if (body.subject_token_type !== undefined) assertSubjectTokenType(body.subject_token_type);
      await assertClientsExist(ctx, body.actor_token_audiences);
      const updated = accepted(
        await ctx.repos.profiles.update(request.params.id, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.subject_token_type !== undefined ? { subject_token_type: body.subject_token_type } : {}),
          ...(body.actor_token_audiences !== undefined ? { actor_token_audiences: body.actor_token_audiences } : {}),
        }),
        { duplicate: () => conflict('Token exchange profile with the same subject_token_type already exists') },
      );
      if (!updated) throw notFound('Token exchange profile not found.');
      await ctx.invalidation.publish('profiles');
      // 200 with no body: the SDKs type the result as void (spec section 3.2).
      return reply.status(200).send();
    },
  );

  deleteByIdRoute(untyped, {
    path: '/token-exchange-profiles/:id',
    scope: 'delete:token_exchange_profiles',
    remove: async (id) => {
      // Deleting an unknown id is idempotent: no 404 is documented (spec section 3.2).
      await ctx.repos.profiles.delete(id);
      await ctx.invalidation.publish('profiles');
    },
  });
}
