/**
 * /api/v2/actions/triggers: the triggers Baton runs Actions on and their bindings (the flow), replaced as a whole
 * by PATCH, as in Auth0.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import * as svc from '../../actions/service.js';
import { actionsPage, bindingOut, bindingsBody, pagingQuery, triggerOut, triggerParams } from './action-schemas.js';
import { presentBindings } from './action-views.js';

export function actionTriggerRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  app.get(
    '/actions/triggers',
    {
      preHandler: requireScope('read:actions'),
      schema: { response: { 200: { type: 'object', properties: { triggers: { type: 'array', items: triggerOut } } } } },
    },
    () => ({ triggers: svc.listTriggers() }),
  );

  app.get(
    '/actions/triggers/:triggerId/bindings',
    {
      preHandler: requireScope('read:actions'),
      schema: {
        params: triggerParams,
        querystring: pagingQuery,
        response: {
          200: actionsPage('bindings', bindingOut),
        },
      },
    },
    async (request) => {
      const { page, per_page } = request.query;
      const all = await svc.listBindings(ctx, request.params.triggerId);
      const slice = all.slice(page * per_page, (page + 1) * per_page);
      return { bindings: await presentBindings(ctx, slice), total: all.length, page, per_page };
    },
  );

  app.patch(
    '/actions/triggers/:triggerId/bindings',
    {
      preHandler: requireScope('update:actions'),
      schema: {
        params: triggerParams,
        body: bindingsBody,
        response: { 200: { type: 'object', properties: { bindings: { type: 'array', items: bindingOut } } } },
      },
    },
    async (request) => {
      const bindings = await svc.replaceBindings(ctx, request.params.triggerId, request.body.bindings);
      return { bindings: await presentBindings(ctx, bindings) };
    },
  );
}
