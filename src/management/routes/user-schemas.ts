/** JSON schemas of /api/v2/users: request bodies as Auth0 accepts them, and the response allow-list. */
import type { Profile } from '../../users/attributes.js';

/** User ids are `provider|id` (URL-encoded in paths), longer than Baton's own ids (params.ts). */
export const userIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 300 } },
} as const;

const metadata = { type: 'object', additionalProperties: true, maxProperties: 100 } as const;

const profile = {
  email: { type: 'string', format: 'email', maxLength: 320 },
  email_verified: { type: 'boolean' },
  username: { type: 'string', minLength: 1, maxLength: 128, pattern: "^[a-zA-Z0-9_+\\-.!#$'^`~@]+$" },
  phone_number: { type: 'string', pattern: '^\\+[0-9]{1,15}$' },
  phone_verified: { type: 'boolean' },
  name: { type: 'string', minLength: 1, maxLength: 300 },
  given_name: { type: 'string', minLength: 1, maxLength: 150 },
  family_name: { type: 'string', minLength: 1, maxLength: 150 },
  nickname: { type: 'string', minLength: 1, maxLength: 300 },
  picture: { type: 'string', format: 'uri', maxLength: 2000 },
  blocked: { type: 'boolean' },
  app_metadata: metadata,
  user_metadata: metadata,
  password: { type: 'string', minLength: 1, maxLength: 128 },
  connection: { type: 'string', minLength: 1, maxLength: 128 },
  verify_email: { type: 'boolean' },
} as const;

export const createBody = {
  type: 'object',
  required: ['connection'],
  additionalProperties: false,
  properties: {
    ...profile,
    // Id inside the database connection; the user id becomes `auth0|<user_id>`.
    user_id: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^|]+$' },
  },
} as const;

export const patchBody = {
  type: 'object',
  additionalProperties: false,
  properties: { ...profile, client_id: { type: 'string' } },
} as const;

export interface UserBody extends Profile {
  blocked?: boolean;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  password?: string;
  connection?: string;
  verify_email?: boolean;
  user_id?: string;
  client_id?: string;
}

/** What a response may carry: never the password hash or Baton's internal connection id. */
export const userSchema = {
  type: 'object',
  properties: {
    user_id: { type: 'string' },
    email: { type: 'string' },
    email_verified: { type: 'boolean' },
    username: { type: 'string' },
    phone_number: { type: 'string' },
    phone_verified: { type: 'boolean' },
    name: { type: 'string' },
    given_name: { type: 'string' },
    family_name: { type: 'string' },
    nickname: { type: 'string' },
    picture: { type: 'string' },
    identities: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          connection: { type: 'string' },
          provider: { type: 'string' },
          user_id: { type: 'string' },
          isSocial: { type: 'boolean' },
        },
      },
    },
    app_metadata: { type: 'object', additionalProperties: true },
    user_metadata: { type: 'object', additionalProperties: true },
    blocked: { type: 'boolean' },
    logins_count: { type: 'integer' },
    last_login: { type: 'string' },
    last_ip: { type: 'string' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;
