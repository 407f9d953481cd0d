/**
 * /api/v2/actions/actions/{actionId}/versions: an Action's deployed versions, read and rolled back to (Auth0's
 * `POST .../versions/{id}/deploy`, with `update_draft` to bring the draft back too).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import * as svc from '../../actions/service.js';
import { actionIdParams, actionsPage, pagingQuery, versionOut, versionParams } from './action-schemas.js';
import { presentVersion } from './action-views.js';

export function actionVersionRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  app.get(
    '/actions/actions/:actionId/versions',
    {
      preHandler: requireScope('read:actions'),
      schema: {
        params: actionIdParams,
        querystring: pagingQuery,
        response: {
          200: actionsPage('versions', versionOut),
        },
      },
    },
    async (request) => {
      const action = await svc.getAction(ctx, request.params.actionId);
      const { page, per_page } = request.query;
      const { versions, total } = await ctx.repos.actions.listVersions(action.id, { page, perPage: per_page });
      return { versions: versions.map((v) => presentVersion(action, v)), total, page, per_page };
    },
  );

  app.get(
    '/actions/actions/:actionId/versions/:id',
    { preHandler: requireScope('read:actions'), schema: { params: versionParams, response: { 200: versionOut } } },
    async (request) => {
      const { action, version } = await svc.getVersion(ctx, request.params.actionId, request.params.id);
      return presentVersion(action, version);
    },
  );

  app.post(
    '/actions/actions/:actionId/versions/:id/deploy',
    {
      preHandler: requireScope('create:actions'),
      schema: {
        params: versionParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { update_draft: { type: 'boolean' } },
        },
        response: { 202: versionOut },
      },
    },
    async (request, reply) => {
      const { actionId, id } = request.params;
      const { action, version } = await svc.rollbackToVersion(ctx, actionId, id, {
        updateDraft: request.body?.update_draft === true,
      });
      return reply.status(202).send(presentVersion(action, version));
    },
  );
}
