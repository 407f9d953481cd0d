/**
 * /api/v2/logs: tenant logs (spec section 11), newest first. `q` accepts Auth0's Lucene form for the fields Baton
 * filters on (`type:secte`, `type:"fecte"`, `type:(secte OR fecte)`, `user_id:"auth0|1"`, `client_id:...`);
 * `from`/`take` is Auth0's checkpoint pagination (entries after a log id, oldest first).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { seeOwnLogs } from '../read-your-writes.js';
import { badQuery, notFound } from '../errors.js';
import type { LogFilter } from '../../storage/repositories/logs.js';
import { listQuery, listResponseSchema, pagedResult } from './paging.js';
import { checkpointQueryProperties } from './checkpoint.js';
import { fieldsQueryProperties, projectFields } from './fields.js';
import { parseSearchQuery } from './search-query.js';

const nullableString = { type: ['string', 'null'] } as const;

const logSchema = {
  type: 'object',
  properties: {
    log_id: { type: 'string' },
    date: { type: 'string' },
    type: { type: 'string' },
    description: nullableString,
    client_id: nullableString,
    client_name: nullableString,
    ip: nullableString,
    user_agent: nullableString,
    user_id: nullableString,
    user_name: nullableString,
    connection: nullableString,
    connection_id: nullableString,
    audience: nullableString,
    scope: nullableString,
    hostname: nullableString,
    strategy: nullableString,
    strategy_type: nullableString,
    tenant_name: nullableString,
    organization_id: nullableString,
    organization_name: nullableString,
    identity_user_id: nullableString,
    details: { type: 'object', additionalProperties: true },
  },
} as const;

const FILTER_FIELDS = ['type', 'user_id', 'client_id', 'connection', 'ip', 'audience'] as const;

function filterFrom(q: string | undefined): LogFilter {
  const filter: LogFilter = {};
  for (const term of q ? parseSearchQuery(q, 'type', FILTER_FIELDS) : []) {
    if (term.prefix)
      throw badQuery(`Query validation error: 'Prefix search is not supported on ${term.field}' on property q.`);
    if (term.field === 'type') filter.type = term.values;
    else if (term.values.length !== 1)
      throw badQuery(`Query validation error: 'OR is only supported on type' on property q.`);
    else filter[term.field as Exclude<(typeof FILTER_FIELDS)[number], 'type'>] = term.values[0]!;
  }
  return filter;
}

const logIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export function logRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  app.get(
    '/logs',
    {
      preHandler: [requireScope('read:logs'), seeOwnLogs(ctx)],
      schema: {
        querystring: listQuery({
          q: { type: 'string', maxLength: 2000 },
          // The auth0 v7 SDK names the query `search`.
          search: { type: 'string', maxLength: 2000 },
          sort: { type: 'string', enum: ['date:1', 'date:-1'] },
          ...fieldsQueryProperties,
          ...checkpointQueryProperties,
          // Log ids are longer than other checkpoints' (storage/repositories/logs.ts).
          from: { type: 'string', minLength: 1, maxLength: 128 },
        }),
        response: { 200: listResponseSchema('logs', logSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const filter = filterFrom(q.q ?? q.search);
      if (q.from !== undefined) {
        const { logs } = await ctx.repos.logs.list({ from: q.from, take: q.take ?? 50, filter });
        return logs.map((e) => projectFields(e, q));
      }
      const perPage = q.take ?? q.per_page;
      const order = q.sort === 'date:1' ? 'asc' : 'desc';
      const { logs, total } = await ctx.repos.logs.list({ page: q.page, perPage, filter, order });
      const projected = logs.map((e) => projectFields(e, q));
      return pagedResult('logs', projected, total ?? logs.length, { ...q, per_page: perPage });
    },
  );

  app.get(
    '/logs/:id',
    {
      preHandler: [requireScope('read:logs'), seeOwnLogs(ctx)],
      schema: { params: logIdParams, response: { 200: logSchema } },
    },
    async (request) => {
      const entry = await ctx.repos.logs.get(request.params.id);
      if (!entry) throw notFound('log not found', 'inexistent_log');
      return projectFields(entry, {});
    },
  );
}
