/**
 * The schemas of /api/v2/actions: bodies as Auth0 accepts them, params, the Actions API's own paging (per_page
 * defaults to 20) and list envelope, and the response allow-lists, so no secret value can leave by accident.
 */

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

export const createBody = {
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

export const updateBody = {
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

export const triggerOut = {
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

const secretOut = {
  type: 'object',
  properties: { name: { type: 'string' }, updated_at: { type: 'string' } },
} as const;
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

export const versionOut = {
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

export const actionOut = {
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

export const bindingOut = {
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

export const versionParams = {
  type: 'object',
  required: ['actionId', 'id'],
  properties: {
    actionId: { type: 'string', minLength: 1, maxLength: 64 },
    id: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;
export const triggerParams = {
  type: 'object',
  required: ['triggerId'],
  properties: { triggerId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
export const paging = {
  page: { type: 'integer', minimum: 0, default: 0 },
  per_page: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
} as const;

export const actionIdParams = {
  type: 'object',
  required: ['actionId'],
  properties: { actionId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const pagingQuery = { type: 'object', properties: { ...paging } } as const;

export const testBody = {
  type: 'object',
  required: ['payload'],
  additionalProperties: false,
  properties: { payload: { type: 'object', additionalProperties: true } },
} as const;

/** What POST /actions/actions/{id}/test answers: the run's outcome (actions/service.ts testAction). */
export const testResponse = {
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
} as const;

export const bindingsBody = {
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
} as const;

/** The Actions API's list envelope (Auth0): `{<key>: [...], total, page, per_page}`, unlike the other resources. */
export function actionsPage(key: string, item: object) {
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
