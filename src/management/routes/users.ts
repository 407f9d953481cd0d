/**
 * /api/v2/users and /api/v2/users-by-email: Auth0's user object (DESIGN section 2). Users are created here in
 * database connections (strategy `auth0`); users of other connections arrive through `setUserByConnection`
 * (spec section 6.3). PATCH merges `app_metadata`/`user_metadata` at the top level, a key set to null is removed
 * and an empty object clears them, as in Auth0. Ids such as `auth0|abc` are URL-encoded in paths.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { seeOwnLogins } from '../read-your-writes.js';
import { ApiError, badRequest, conflict, notFound } from '../errors.js';
import { DATABASE_STRATEGY } from '../../storage/repositories/connections.js';
import type { Metadata, ProfileAttributes, UserUpdate } from '../../storage/repositories/users.js';
import { hashPassword } from '../../storage/repositories/user-password.js';
import { accepted } from '../refusals.js';
import { listQuery, listResponseSchema, pagedResult } from './paging.js';
import { fieldsQueryProperties, projectFields } from './fields.js';
import { parseSearchQuery } from './search-query.js';
import { userSchema, createBody, patchBody, userIdParams, type UserBody } from './user-schemas.js';
import { PROFILE_ATTRIBUTES } from '../../users/attributes.js';

const fieldsQuery = { type: 'object', additionalProperties: false, properties: fieldsQueryProperties } as const;

const userNotFound = () => notFound('The user does not exist.', 'inexistent_user');
const userExists = () => conflict('The user already exists.', 'auth0_idp_error');

/** Auth0's default password policy floor for database connections. */
function checkPassword(password: string | undefined): void {
  if (password !== undefined && password.length < 8) throw badRequest('PasswordStrengthError: Password is too weak');
}

function profileFrom(b: UserBody): ProfileAttributes {
  const a: ProfileAttributes = {};
  for (const k of PROFILE_ATTRIBUTES) {
    if (b[k] !== undefined) (a as Record<string, unknown>)[k] = b[k];
  }
  return a;
}

/** `{}` clears the metadata (Auth0); otherwise the top-level merge of the repository applies. */
function metadataPatch(current: Metadata, patch: Metadata | undefined): Metadata | undefined {
  if (patch === undefined) return undefined;
  if (Object.keys(patch).length === 0) return Object.fromEntries(Object.keys(current).map((k) => [k, null]));
  return patch;
}

export function userRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  app.post(
    '/users',
    {
      preHandler: requireScope('create:users'),
      schema: { body: createBody, response: { 201: userSchema } },
    },
    async (request, reply) => {
      const b = request.body;
      const connection = await ctx.repos.connections.getByName(b.connection);
      if (!connection) throw badRequest('The connection does not exist.', 'inexistent_connection');
      if (connection.strategy !== DATABASE_STRATEGY) {
        throw badRequest(
          'Connection does not support user creation through the API. It must either be a database or passwordless connection.',
          'operation_not_supported',
        );
      }
      if (!b.email) throw badRequest(`Payload validation error: 'Missing required property: email'.`);
      if (connection.options.requires_username === true && !b.username) {
        throw badRequest(`Payload validation error: 'Missing required property: username'.`);
      }
      checkPassword(b.password);
      const attributes = profileFrom(b);
      // Auth0's defaults for database users: name is the e-mail, nickname its local part.
      attributes.name ??= b.email;
      attributes.nickname ??= b.email.split('@')[0]!;
      const user = accepted(
        await ctx.repos.users.add(connection, {
          attributes,
          ...(b.user_id !== undefined ? { providerUserId: b.user_id } : {}),
          passwordHash: b.password !== undefined ? await hashPassword(b.password) : null,
          app_metadata: b.app_metadata ?? {},
          user_metadata: b.user_metadata ?? {},
          blocked: b.blocked ?? false,
        }),
        { duplicate: userExists },
      );
      return reply.status(201).send(projectFields(user, {}));
    },
  );

  app.get(
    '/users',
    {
      preHandler: [requireScope('read:users'), seeOwnLogins(ctx)],
      schema: {
        querystring: listQuery({
          ...fieldsQueryProperties,
          q: { type: 'string', maxLength: 2000 },
          search_engine: { type: 'string', enum: ['v1', 'v2', 'v3'] },
          connection: { type: 'string' },
          // Sent by the auth0 v7 SDK; Baton lists every user by its primary identity anyway.
          primary_order: { type: 'boolean' },
        }),
        response: { 200: listResponseSchema('users', userSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const opts: Parameters<typeof ctx.repos.users.list>[0] = { page: q.page, perPage: q.per_page };
      if (q.connection !== undefined) opts.connection = q.connection;
      for (const term of q.q ? parseSearchQuery(q.q, 'email', ['email', 'identities.connection']) : []) {
        if (term.values.length !== 1)
          throw badRequest(
            `Query validation error: 'OR is not supported on ${term.field}' on property q.`,
            'invalid_query_string',
          );
        const value = term.values[0]!;
        if (term.field === 'identities.connection' && !term.prefix) opts.connection = value;
        else if (term.field === 'email' && term.prefix) opts.emailPrefix = value;
        else if (term.field === 'email') opts.email = value;
        else
          throw badRequest(
            `Query validation error: 'Prefix search is not supported on ${term.field}' on property q.`,
            'invalid_query_string',
          );
      }
      const { users, total } = await ctx.repos.users.list(opts);
      return pagedResult(
        'users',
        users.map((u) => projectFields(u, q)),
        total,
        q,
      );
    },
  );

  app.get(
    '/users-by-email',
    {
      preHandler: [requireScope('read:users'), seeOwnLogins(ctx)],
      schema: {
        querystring: {
          type: 'object',
          required: ['email'],
          additionalProperties: false,
          properties: { email: { type: 'string', minLength: 1, maxLength: 320 }, ...fieldsQueryProperties },
        },
        response: { 200: { type: 'array', items: userSchema } },
      },
    },
    async (request) =>
      (await ctx.repos.users.getByEmail(request.query.email)).map((u) => projectFields(u, request.query)),
  );

  app.get(
    '/users/:id',
    {
      preHandler: [requireScope('read:users'), seeOwnLogins(ctx)],
      schema: {
        params: userIdParams,
        querystring: fieldsQuery,
        response: { 200: userSchema },
      },
    },
    async (request) => {
      const user = await ctx.repos.users.get(request.params.id);
      if (!user) throw userNotFound();
      return projectFields(user, request.query);
    },
  );

  app.patch(
    '/users/:id',
    {
      preHandler: requireScope('update:users'),
      schema: { params: userIdParams, body: patchBody, response: { 200: userSchema } },
    },
    async (request) => {
      const current = await ctx.repos.users.get(request.params.id);
      if (!current) throw userNotFound();
      const b = request.body ?? {};
      const connection = await ctx.repos.connections.get(current.connection_id);
      const isDatabase = connection?.strategy === DATABASE_STRATEGY;
      if (b.connection !== undefined && b.connection !== connection?.name) {
        throw badRequest("The connection given does not match the user's connection.", 'invalid_body');
      }
      if (b.password !== undefined && !isDatabase) {
        throw badRequest('Cannot update password for non-database connections.', 'operation_not_supported');
      }
      checkPassword(b.password);
      if (isDatabase && b.email !== undefined && b.email.toLowerCase() !== current.email) {
        const taken = (await ctx.repos.users.getByEmail(b.email)).some(
          (u) => u.connection_id === current.connection_id,
        );
        if (taken) throw new ApiError(409, 'The specified new email already exists', 'email_conflict');
      }
      const update: UserUpdate = { attributes: profileFrom(b) };
      const app_metadata = metadataPatch(current.app_metadata, b.app_metadata);
      const user_metadata = metadataPatch(current.user_metadata, b.user_metadata);
      if (app_metadata) update.app_metadata = app_metadata;
      if (user_metadata) update.user_metadata = user_metadata;
      if (b.blocked !== undefined) update.blocked = b.blocked;
      if (b.password !== undefined) update.passwordHash = await hashPassword(b.password);
      const updated = await ctx.repos.users.update(current.user_id, update);
      if (!updated) throw userNotFound();
      return projectFields(updated, {});
    },
  );

  // Auth0 answers 204 whether or not the user existed.
  app.delete(
    '/users/:id',
    {
      preHandler: requireScope('delete:users'),
      schema: { params: userIdParams },
    },
    async (request, reply) => {
      await ctx.repos.users.delete(request.params.id);
      return reply.status(204).send();
    },
  );
}
