/**
 * /api/v2/logs: tenant logs (spec section 11), newest first. `q` accepts Auth0's Lucene form for the fields Baton
 * filters on (`type:secte`, `type:"fecte"`, `type:(secte OR fecte)`, `user_id:"auth0|1"`, `client_id:...`);
 * `from`/`take` is Auth0's checkpoint pagination (entries after a log id, oldest first).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope } from '../plugin.js';
import { badQuery, notFound } from '../errors.js';
import type { LogEntry, LogFilter } from '../../storage/repositories/logs.js';
import { listResponseSchema, pagedResult, pagingQueryProperties, type PagingQuery } from './paging.js';
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

export async function logRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{
    Querystring: PagingQuery & {
      q?: string;
      search?: string;
      from?: string;
      take?: number;
      sort?: string;
      fields?: string;
      include_fields?: boolean;
    };
  }>(
    '/logs',
    {
      preHandler: requireScope('read:logs'),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pagingQueryProperties,
            q: { type: 'string', maxLength: 2000 },
            // The auth0 v7 SDK names the query `search`.
            search: { type: 'string', maxLength: 2000 },
            sort: { type: 'string', enum: ['date:1', 'date:-1'] },
            fields: { type: 'string' },
            include_fields: { type: 'boolean', default: true },
            from: { type: 'string', minLength: 1, maxLength: 128 },
            take: { type: 'integer', minimum: 1, maximum: 100 },
          },
        },
        response: { 200: listResponseSchema('logs', logSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const filter = filterFrom(q.q ?? q.search);
      const fields = q.fields ? new Set(q.fields.split(',').map((f) => f.trim())) : undefined;
      const project = (entries: LogEntry[]) =>
        fields
          ? entries.map((e) =>
              Object.fromEntries(Object.entries(e).filter(([k]) => fields.has(k) === (q.include_fields !== false))),
            )
          : entries;
      if (q.from !== undefined) {
        const { logs } = await ctx.repos.logs.list({ from: q.from, take: q.take ?? 50, filter });
        return project(logs);
      }
      const perPage = q.take ?? q.per_page;
      const order = q.sort === 'date:1' ? 'asc' : 'desc';
      const { logs, total } = await ctx.repos.logs.list({ page: q.page, perPage, filter, order });
      return pagedResult('logs', project(logs), total ?? logs.length, { ...q, per_page: perPage });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/logs/:id',
    {
      preHandler: requireScope('read:logs'),
      schema: {
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
        },
        response: { 200: logSchema },
      },
    },
    async (request) => {
      const entry = await ctx.repos.logs.get(request.params.id);
      if (!entry) throw notFound('log not found', 'inexistent_log');
      return entry;
    },
  );
}
