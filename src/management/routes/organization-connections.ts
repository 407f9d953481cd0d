/**
 * /api/v2/organizations/{id}/enabled_connections: which connections an organization's users may come from, and
 * whether a login through one makes the user a member (`assign_membership_on_login`, spec section 7.3). Auth0 also
 * serves the same resource at /organizations/{id}/connections (its list keyed `connections`), which its newer SDKs
 * and the Deploy CLI use; both paths answer here.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { notFound } from '../errors.js';
import type { EnabledConnection } from '../../storage/repositories/organizations.js';
import { accepted } from '../refusals.js';
import { listResponseSchema, pagedResult, pagingQueryProperties } from './paging.js';
import { idParams } from './params.js';
import {
  assignMembershipBody,
  connectionParams,
  enabledConnectionBody,
  enabledConnectionSchema,
} from './organization-schemas.js';
import { connectionMissing, findOrg } from './organizations.js';

const notEnabled = () => notFound('The connection is not enabled for this organization', 'inexistent_connection');

export function organizationConnectionRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  const orgs = ctx.repos.organizations;
  // As a plain object literal, which the (open) response schema's type accepts.
  const enabled = async (orgId: string, connectionId: string) => {
    const c: EnabledConnection | undefined = await orgs.enabledConnection(orgId, connectionId);
    if (!c) throw notEnabled();
    return { ...c, connection: { ...c.connection } };
  };

  for (const segment of ['enabled_connections', 'connections'] as const) routesAt(segment);

  function routesAt(segment: 'enabled_connections' | 'connections') {
    app.get(
      `/organizations/:id/${segment}`,
      {
        preHandler: requireScope('read:organization_connections'),
        schema: {
          params: idParams,
          querystring: { type: 'object', additionalProperties: false, properties: pagingQueryProperties },
          response: { 200: listResponseSchema(segment, enabledConnectionSchema) },
        },
      },
      async (request) => {
        await findOrg(ctx, request.params.id);
        const q = request.query;
        const all = await orgs.enabledConnections(request.params.id);
        const page = all.slice(q.page * q.per_page, (q.page + 1) * q.per_page);
        return pagedResult(segment, page, all.length, q);
      },
    );

    app.post(
      `/organizations/:id/${segment}`,
      {
        preHandler: requireScope('create:organization_connections'),
        schema: { params: idParams, body: enabledConnectionBody, response: { 201: enabledConnectionSchema } },
      },
      async (request, reply) => {
        await findOrg(ctx, request.params.id);
        const { connection_id, assign_membership_on_login = false } = request.body;
        accepted(await orgs.enableConnection(request.params.id, connection_id, assign_membership_on_login), {
          missing_reference: connectionMissing,
        });
        return reply.status(201).send(await enabled(request.params.id, connection_id));
      },
    );

    app.get(
      `/organizations/:id/${segment}/:connectionId`,
      {
        preHandler: requireScope('read:organization_connections'),
        schema: { params: connectionParams, response: { 200: enabledConnectionSchema } },
      },
      async (request) => {
        await findOrg(ctx, request.params.id);
        return enabled(request.params.id, request.params.connectionId);
      },
    );

    app.patch(
      `/organizations/:id/${segment}/:connectionId`,
      {
        preHandler: requireScope('update:organization_connections'),
        schema: { params: connectionParams, body: assignMembershipBody, response: { 200: enabledConnectionSchema } },
      },
      async (request) => {
        await findOrg(ctx, request.params.id);
        const { id, connectionId } = request.params;
        if (!(await orgs.updateEnabledConnection(id, connectionId, request.body.assign_membership_on_login))) {
          throw notEnabled();
        }
        return enabled(id, connectionId);
      },
    );

    app.delete(
      `/organizations/:id/${segment}/:connectionId`,
      {
        preHandler: requireScope('delete:organization_connections'),
        schema: { params: connectionParams },
      },
      async (request, reply) => {
        await findOrg(ctx, request.params.id);
        if (!(await orgs.disableConnection(request.params.id, request.params.connectionId))) throw notEnabled();
        return reply.status(204).send();
      },
    );
  }
}
