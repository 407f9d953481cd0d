/**
 * The schemas of /api/v2/organizations, its members and enabled connections: request bodies and params as Auth0
 * validates them, and the response shapes the handlers are typed against (routes/organizations.ts and next to it).
 */
import { idParams } from './params.js';

const mutable = {
  name: { type: 'string', minLength: 1, maxLength: 50, pattern: '^[a-z0-9_-]+$' },
  display_name: { type: 'string', minLength: 1, maxLength: 255 },
  metadata: {
    type: 'object',
    maxProperties: 25,
    additionalProperties: { type: 'string', maxLength: 255 },
    propertyNames: { maxLength: 255 },
  },
  branding: {
    type: 'object',
    additionalProperties: false,
    properties: {
      logo_url: { type: 'string', format: 'uri', maxLength: 2000 },
      colors: {
        type: 'object',
        additionalProperties: false,
        required: ['primary', 'page_background'],
        properties: {
          primary: { type: 'string', pattern: '^#[0-9a-fA-F]{6}$' },
          page_background: { type: 'string', pattern: '^#[0-9a-fA-F]{6}$' },
        },
      },
    },
  },
} as const;

export const enabledConnectionBody = {
  type: 'object',
  required: ['connection_id'],
  additionalProperties: false,
  properties: {
    connection_id: { type: 'string', minLength: 1, maxLength: 64 },
    assign_membership_on_login: { type: 'boolean' },
  },
} as const;

export const createOrganizationBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    ...mutable,
    enabled_connections: { type: 'array', maxItems: 10, items: enabledConnectionBody },
  },
} as const;

export const patchOrganizationBody = { type: 'object', additionalProperties: false, properties: mutable } as const;

export const organizationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    display_name: { type: 'string' },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    branding: { type: 'object', additionalProperties: true },
  },
} as const;

export const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 50 } },
} as const;

export const memberSchema = {
  type: 'object',
  properties: {
    user_id: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    picture: { type: 'string' },
  },
} as const;

export const membersBody = {
  type: 'object',
  required: ['members'],
  additionalProperties: false,
  properties: {
    members: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string', minLength: 1, maxLength: 300 } },
  },
} as const;

export const enabledConnectionSchema = {
  type: 'object',
  properties: {
    connection_id: { type: 'string' },
    assign_membership_on_login: { type: 'boolean' },
    connection: { type: 'object', properties: { name: { type: 'string' }, strategy: { type: 'string' } } },
  },
} as const;

export const connectionParams = {
  type: 'object',
  required: ['id', 'connectionId'],
  properties: { ...idParams.properties, connectionId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const assignMembershipBody = {
  type: 'object',
  required: ['assign_membership_on_login'],
  additionalProperties: false,
  properties: { assign_membership_on_login: { type: 'boolean' } },
} as const;
