/**
 * /api/v2/actions: Actions, their versions, triggers and the post-login flow, in Auth0's paths and shapes
 * (spec 3.5; DESIGN section 4). The response schemas are allow-lists: no secret value can leave by accident.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope } from '../plugin.js';
import * as svc from '../../actions/service.js';
import { ApiError } from '../errors.js';
import { DEFAULT_QUEUE_TIMEOUT_MS, queueRetryAfterS } from '../../actions/runtime/pool.js';
import type { ActionRecord, ActionVersionRecord, BindingRecord } from '../../storage/repositories/actions.js';
import { idParams } from './params.js';

// ---------------------------------------------------------------------------------------------------------------
// Schemas

const triggerRef = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 64 },
    version: { type: 'string', minLength: 1, maxLength: 16 },
    // Echoed back by SDKs that send a trigger object they read; ignored.
    status: { type: 'string' },
    runtimes: { type: 'array', items: { type: 'string' } },
    default_runtime: { type: 'string' },
    compatible_triggers: { type: 'array' },
    binding_policy: { type: 'string' },
  },
} as const;

const dependency = {
  type: 'object',
  required: ['name', 'version'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 214 },
    version: { type: 'string', minLength: 1, maxLength: 64 },
    registry_url: { type: 'string', maxLength: 512 },
  },
} as const;

// Length limits are checked in the service, which names the limit in its message (spec 5.1).
const secretInput = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string' }, value: { type: 'string' } },
} as const;

const createBody = {
  type: 'object',
  required: ['name', 'supported_triggers'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    supported_triggers: { type: 'array', items: triggerRef },
    code: { type: 'string' },
    runtime: { type: 'string' },
    dependencies: { type: 'array', items: dependency },
    secrets: { type: 'array', items: secretInput },
    deploy: { type: 'boolean' },
  },
} as const;

const updateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    supported_triggers: { type: 'array', items: triggerRef },
    code: { type: 'string' },
    runtime: { type: 'string' },
    dependencies: { type: 'array', items: dependency },
    secrets: { type: 'array', items: secretInput },
  },
} as const;

const triggerOut = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    version: { type: 'string' },
    status: { type: 'string' },
    runtimes: { type: 'array', items: { type: 'string' } },
    default_runtime: { type: 'string' },
    compatible_triggers: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, version: { type: 'string' } } },
    },
    binding_policy: { type: 'string' },
  },
} as const;

const secretOut = { type: 'object', properties: { name: { type: 'string' }, updated_at: { type: 'string' } } } as const;
const depOut = {
  type: 'object',
  properties: { name: { type: 'string' }, version: { type: 'string' }, registry_url: { type: 'string' } },
} as const;

const actionBaseOut = {
  id: { type: 'string' },
  name: { type: 'string' },
  supported_triggers: { type: 'array', items: triggerOut },
  all_changes_deployed: { type: 'boolean' },
  created_at: { type: 'string' },
  updated_at: { type: 'string' },
} as const;

const versionOut = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    action_id: { type: 'string' },
    code: { type: 'string' },
    dependencies: { type: 'array', items: depOut },
    deployed: { type: 'boolean' },
    runtime: { type: 'string' },
    secrets: { type: 'array', items: secretOut },
    status: { type: 'string' },
    number: { type: 'integer' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, msg: { type: 'string' }, url: { type: 'string' } },
      },
    },
    action: { type: 'object', properties: actionBaseOut },
    built_at: { type: 'string' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    supported_triggers: { type: 'array', items: triggerOut },
  },
} as const;

const actionOut = {
  type: 'object',
  properties: {
    ...actionBaseOut,
    code: { type: 'string' },
    dependencies: { type: 'array', items: depOut },
    runtime: { type: 'string' },
    secrets: { type: 'array', items: secretOut },
    deployed_version: versionOut,
    status: { type: 'string' },
    built_at: { type: 'string' },
  },
} as const;

const bindingOut = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    trigger_id: { type: 'string' },
    display_name: { type: 'string' },
    action: actionOut,
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;

const versionParams = {
  type: 'object',
  required: ['actionId', 'id'],
  properties: {
    actionId: { type: 'string', minLength: 1, maxLength: 64 },
    id: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;
const triggerParams = {
  type: 'object',
  required: ['triggerId'],
  properties: { triggerId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const paging = {
  page: { type: 'integer', minimum: 0, default: 0 },
  per_page: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Presenters

const triggerView = (a: ActionRecord) => [{ id: a.trigger_id, version: a.trigger_version }];

function actionBase(a: ActionRecord) {
  return {
    id: a.id,
    name: a.name,
    supported_triggers: triggerView(a),
    all_changes_deployed: a.all_changes_deployed,
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

function presentVersion(a: ActionRecord, v: ActionVersionRecord) {
  return {
    id: v.id,
    action_id: v.action_id,
    code: v.code,
    dependencies: v.dependencies,
    deployed: v.deployed,
    runtime: v.runtime,
    secrets: v.secret_names,
    status: v.status,
    number: v.number,
    errors: [],
    action: actionBase(a),
    built_at: v.created_at,
    created_at: v.created_at,
    updated_at: v.updated_at,
    supported_triggers: triggerView(a),
  };
}

async function presentActions(ctx: AppContext, actions: ActionRecord[]) {
  const ids = actions.map((a) => a.deployed_version_id).filter((id): id is string => id !== null);
  const versions = new Map((await ctx.repos.actions.getVersionsByIds(ids)).map((v) => [v.id, v]));
  return actions.map((a) => {
    const out: Record<string, unknown> = {
      ...actionBase(a),
      code: a.code,
      dependencies: a.dependencies,
      runtime: a.runtime,
      secrets: a.secret_names,
      status: a.status,
      built_at: a.updated_at,
    };
    const deployed = a.deployed_version_id ? versions.get(a.deployed_version_id) : undefined;
    if (deployed) out.deployed_version = presentVersion(a, deployed);
    return out;
  });
}

const presentAction = async (ctx: AppContext, a: ActionRecord) => (await presentActions(ctx, [a]))[0]!;

async function presentBindings(ctx: AppContext, bindings: Array<BindingRecord & { action: ActionRecord }>) {
  const actions = await presentActions(
    ctx,
    bindings.map((b) => b.action),
  );
  return bindings.map((b, i) => ({
    id: b.id,
    trigger_id: b.trigger_id,
    display_name: b.display_name,
    action: actions[i],
    created_at: b.created_at,
    updated_at: b.created_at,
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

/** The Actions API's list envelope (Auth0): `{<key>: [...], total, page, per_page}`, unlike the other resources. */
function actionsPage(key: string, item: object) {
  return {
    type: 'object',
    properties: {
      [key]: { type: 'array', items: item },
      total: { type: 'integer' },
      page: { type: 'integer' },
      per_page: { type: 'integer' },
    },
  } as const;
}

export async function actionRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{
    Querystring: {
      triggerId?: string;
      actionName?: string;
      deployed?: boolean;
      installed?: boolean;
      page: number;
      per_page: number;
    };
  }>(
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

  app.post<{ Body: svc.CreateActionInput }>(
    '/actions/actions',
    { preHandler: requireScope('create:actions'), schema: { body: createBody, response: { 201: actionOut } } },
    async (request, reply) => {
      const action = await svc.createAction(ctx, request.body);
      return reply.status(201).send(await presentAction(ctx, action));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/actions/actions/:id',
    { preHandler: requireScope('read:actions'), schema: { params: idParams, response: { 200: actionOut } } },
    async (request) => presentAction(ctx, await svc.getAction(ctx, request.params.id)),
  );

  app.patch<{ Params: { id: string }; Body: svc.UpdateActionInput }>(
    '/actions/actions/:id',
    {
      preHandler: requireScope('update:actions'),
      schema: { params: idParams, body: updateBody, response: { 200: actionOut } },
    },
    async (request) => presentAction(ctx, await svc.updateAction(ctx, request.params.id, request.body)),
  );

  app.delete<{ Params: { id: string }; Querystring: { force?: boolean } }>(
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

  app.post<{ Params: { id: string } }>(
    '/actions/actions/:id/deploy',
    { preHandler: requireScope('create:actions'), schema: { params: idParams, response: { 202: versionOut } } },
    async (request, reply) => {
      const { action, version } = await svc.deployAction(ctx, request.params.id);
      return reply.status(202).send(presentVersion(action, version));
    },
  );

  app.post<{ Params: { id: string }; Body: { payload: Record<string, unknown> } }>(
    '/actions/actions/:id/test',
    {
      preHandler: requireScope('create:actions'),
      schema: {
        params: idParams,
        body: {
          type: 'object',
          required: ['payload'],
          additionalProperties: false,
          properties: { payload: { type: 'object', additionalProperties: true } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              payload: {
                type: 'object',
                properties: {
                  kind: { type: 'string' },
                  commands: {
                    type: 'array',
                    items: { type: 'object', properties: { name: { type: 'string' }, args: { type: 'array' } } },
                  },
                  logs: {
                    type: 'array',
                    items: { type: 'object', properties: { level: { type: 'string' }, message: { type: 'string' } } },
                  },
                  error: {
                    type: ['object', 'null'],
                    properties: { name: { type: 'string' }, message: { type: 'string' }, rule: { type: 'string' } },
                  },
                  duration_ms: { type: 'number' },
                },
              },
            },
          },
        },
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
      return { payload };
    },
  );

  app.get<{ Params: { actionId: string }; Querystring: { page: number; per_page: number } }>(
    '/actions/actions/:actionId/versions',
    {
      preHandler: requireScope('read:actions'),
      schema: {
        params: {
          type: 'object',
          required: ['actionId'],
          properties: { actionId: { type: 'string', minLength: 1, maxLength: 64 } },
        },
        querystring: { type: 'object', properties: { ...paging } },
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

  app.get<{ Params: { actionId: string; id: string } }>(
    '/actions/actions/:actionId/versions/:id',
    { preHandler: requireScope('read:actions'), schema: { params: versionParams, response: { 200: versionOut } } },
    async (request) => {
      const { action, version } = await svc.getVersion(ctx, request.params.actionId, request.params.id);
      return presentVersion(action, version);
    },
  );

  app.post<{ Params: { actionId: string; id: string }; Body: { update_draft?: boolean } | undefined }>(
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

  app.get(
    '/actions/triggers',
    {
      preHandler: requireScope('read:actions'),
      schema: { response: { 200: { type: 'object', properties: { triggers: { type: 'array', items: triggerOut } } } } },
    },
    async () => ({ triggers: svc.listTriggers() }),
  );

  app.get<{ Params: { triggerId: string }; Querystring: { page: number; per_page: number } }>(
    '/actions/triggers/:triggerId/bindings',
    {
      preHandler: requireScope('read:actions'),
      schema: {
        params: triggerParams,
        querystring: { type: 'object', properties: { ...paging } },
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

  app.patch<{
    Params: { triggerId: string };
    Body: { bindings: Array<{ ref: svc.BindingRef; display_name?: string }> };
  }>(
    '/actions/triggers/:triggerId/bindings',
    {
      preHandler: requireScope('update:actions'),
      schema: {
        params: triggerParams,
        body: {
          type: 'object',
          required: ['bindings'],
          additionalProperties: false,
          properties: {
            bindings: {
              type: 'array',
              items: {
                type: 'object',
                required: ['ref'],
                additionalProperties: false,
                properties: {
                  ref: {
                    type: 'object',
                    required: ['type', 'value'],
                    additionalProperties: false,
                    properties: {
                      type: { type: 'string', enum: ['action_id', 'action_name'] },
                      value: { type: 'string', minLength: 1, maxLength: 255 },
                    },
                  },
                  display_name: { type: 'string', minLength: 1, maxLength: 255 },
                },
              },
            },
          },
        },
        response: { 200: { type: 'object', properties: { bindings: { type: 'array', items: bindingOut } } } },
      },
    },
    async (request) => {
      const bindings = await svc.replaceBindings(ctx, request.params.triggerId, request.body.bindings);
      return { bindings: await presentBindings(ctx, bindings) };
    },
  );
}
