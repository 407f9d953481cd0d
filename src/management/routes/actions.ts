/**
 * /api/v2/actions/actions: Actions themselves (spec 3.5; DESIGN section 4), in Auth0's paths and shapes: list,
 * create, read, update, delete, deploy and test. Versions (action-versions.ts) and triggers with their bindings
 * (action-triggers.ts) have their own files; the schemas are in action-schemas.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import * as svc from '../../actions/service.js';
import { ApiError } from '../errors.js';
import { DEFAULT_QUEUE_TIMEOUT_MS, queueRetryAfterS } from '../../actions/runtime/pool.js';
import { idParams } from './params.js';
import {
  actionOut,
  actionsPage,
  createBody,
  paging,
  testBody,
  testResponse,
  updateBody,
  versionOut,
} from './action-schemas.js';
import { presentAction, presentActions, presentVersion } from './action-views.js';

export function actionRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  app.get(
    '/actions/actions',
    {
      preHandler: requireScope('read:actions'),
      schema: {
        querystring: {
          type: 'object',
          properties: {
            triggerId: { type: 'string', maxLength: 64 },
            actionName: { type: 'string', maxLength: 255 },
            deployed: { type: 'boolean' },
            installed: { type: 'boolean' },
            ...paging,
          },
        },
        response: {
          200: actionsPage('actions', actionOut),
        },
      },
    },
    async (request) => {
      const q = request.query;
      // Baton has no marketplace integrations: every Action is a custom one (installed=false).
      if (q.installed === true) return { actions: [], total: 0, page: q.page, per_page: q.per_page };
      const { actions, total } = await ctx.repos.actions.list({
        page: q.page,
        perPage: q.per_page,
        ...(q.triggerId !== undefined ? { triggerId: q.triggerId } : {}),
        ...(q.actionName !== undefined ? { actionName: q.actionName } : {}),
        ...(q.deployed !== undefined ? { deployed: q.deployed } : {}),
      });
      return { actions: await presentActions(ctx, actions), total, page: q.page, per_page: q.per_page };
    },
  );

  app.post(
    '/actions/actions',
    { preHandler: requireScope('create:actions'), schema: { body: createBody, response: { 201: actionOut } } },
    async (request, reply) => {
      const action = await svc.createAction(ctx, request.body);
      return reply.status(201).send(await presentAction(ctx, action));
    },
  );

  app.get(
    '/actions/actions/:id',
    { preHandler: requireScope('read:actions'), schema: { params: idParams, response: { 200: actionOut } } },
    async (request) => presentAction(ctx, await svc.getAction(ctx, request.params.id)),
  );

  app.patch(
    '/actions/actions/:id',
    {
      preHandler: requireScope('update:actions'),
      schema: { params: idParams, body: updateBody, response: { 200: actionOut } },
    },
    async (request) => presentAction(ctx, await svc.updateAction(ctx, request.params.id, request.body)),
  );

  app.delete(
    '/actions/actions/:id',
    {
      preHandler: requireScope('delete:actions'),
      schema: { params: idParams, querystring: { type: 'object', properties: { force: { type: 'boolean' } } } },
    },
    async (request, reply) => {
      await svc.deleteAction(ctx, request.params.id, { force: request.query.force === true });
      return reply.status(204).send();
    },
  );

  app.post(
    '/actions/actions/:id/deploy',
    { preHandler: requireScope('create:actions'), schema: { params: idParams, response: { 202: versionOut } } },
    async (request, reply) => {
      const { action, version } = await svc.deployAction(ctx, request.params.id);
      return reply.status(202).send(presentVersion(action, version));
    },
  );

  app.post(
    '/actions/actions/:id/test',
    {
      preHandler: requireScope('create:actions'),
      schema: {
        params: idParams,
        body: testBody,
        response: { 200: testResponse },
      },
    },
    async (request, reply) => {
      const payload = await svc.testAction(ctx, request.params.id, request.body.payload);
      // Issue 10 M1: a test run that waited past the queue deadline did not run: 503, as the token endpoint says.
      if (payload.kind === 'unavailable') {
        reply.header(
          'Retry-After',
          String(queueRetryAfterS(ctx.config.actions.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS)),
        );
        throw new ApiError(
          503,
          'The server is too busy to run the action now; retry after the delay in Retry-After.',
          'temporarily_unavailable',
        );
      }
      // The run's outcome as the response schema's open object; the schema decides what is written.
      const body: Record<string, unknown> = { payload };
      return body;
    },
  );
}
