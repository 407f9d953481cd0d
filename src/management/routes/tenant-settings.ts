/**
 * Tenant-wide settings documents in Auth0's paths and shapes: `/tenants/settings` (whose `default_audience` the
 * token endpoint reads, spec 2.3), `/prompts` and their custom text, the brute-force and breached-password
 * protection settings, risk assessment (Adaptive MFA) and `/guardian/policies`. Auth0's Deploy CLI exports each and writes it back on import, so
 * each is stored as written and read back as stored (settings-document.ts). Baton has no Universal Login, password
 * login or MFA: the prompts, brute-force, breached-password and Guardian documents are kept, not acted on
 * (docs/migrating-from-auth0.md lists what each does in Baton).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { settingsDocumentRoutes, readDocument } from './settings-document.js';

const stringArray = { type: 'array', items: { type: 'string', maxLength: 2048 }, maxItems: 100 } as const;

/**
 * Auth0's PATCH /tenants/settings properties are many; the ones Baton reads are typed, the others are kept as sent
 * (an export from Auth0 carries them) and read back. The document's size is bounded by the body limit.
 */
const tenantSettingsBody = {
  type: 'object',
  additionalProperties: true,
  properties: {
    default_audience: { type: 'string', maxLength: 2048 },
    default_directory: { type: 'string', maxLength: 128 },
    allow_organization_name_in_authentication_api: { type: 'boolean' },
    enabled_locales: stringArray,
    friendly_name: { type: 'string', maxLength: 256 },
    support_email: { type: 'string', maxLength: 256 },
    support_url: { type: 'string', maxLength: 2048 },
    picture_url: { type: 'string', maxLength: 2048 },
    allowed_logout_urls: stringArray,
    session_lifetime: { type: 'number' },
    idle_session_lifetime: { type: 'number' },
    flags: { type: 'object', additionalProperties: { type: 'boolean' } },
  },
} as const;

const promptsBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    universal_login_experience: { type: 'string', enum: ['new', 'classic'] },
    identifier_first: { type: 'boolean' },
    webauthn_platform_first_factor: { type: 'boolean' },
  },
} as const;

const shieldList = (values: string[]) =>
  ({ type: 'array', uniqueItems: true, items: { type: 'string', enum: values } }) as const;

const bruteForceBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    shields: shieldList(['block', 'user_notification']),
    allowlist: stringArray,
    mode: { type: 'string', enum: ['count_per_identifier_and_ip', 'count_per_identifier'] },
    max_attempts: { type: 'integer', minimum: 1, maximum: 100 },
  },
} as const;

const breachedStage = {
  type: 'object',
  additionalProperties: false,
  properties: { shields: shieldList(['block', 'admin_notification']) },
} as const;

const breachedPasswordBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    shields: shieldList(['block', 'user_notification', 'admin_notification']),
    admin_notification_frequency: shieldList(['immediately', 'daily', 'weekly', 'monthly']),
    method: { type: 'string', enum: ['standard', 'enhanced'] },
    stage: {
      type: 'object',
      additionalProperties: false,
      properties: { 'pre-user-registration': breachedStage, 'pre-change-password': breachedStage },
    },
  },
} as const;

const guardianPoliciesBody = {
  type: 'array',
  uniqueItems: true,
  items: { type: 'string', enum: ['all-applications', 'confidence-score'] },
} as const;

const customTextParams = {
  type: 'object',
  required: ['prompt', 'language'],
  properties: {
    prompt: { type: 'string', pattern: '^[a-z0-9-]{1,64}$' },
    language: { type: 'string', pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$', maxLength: 16 },
  },
} as const;

/** Custom text: one object per prompt and language, screen → text key → string. */
const customTextBody = {
  type: 'object',
  additionalProperties: { type: 'object', additionalProperties: { type: 'string', maxLength: 4096 } },
} as const;

export function tenantSettingsRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  // The `tenant` row is the one ConfigReads.tenantSettings reads; a write clears that cache (plugin.ts onSend).
  settingsDocumentRoutes(untyped, ctx, {
    path: '/tenants/settings',
    key: 'tenant',
    readScope: 'read:tenant_settings',
    updateScope: 'update:tenant_settings',
    write: 'PATCH',
    // Baton has no login pages, hence no locales to customise: the Deploy CLI reads custom text per locale.
    defaults: { enabled_locales: [] },
    body: tenantSettingsBody,
  });
  settingsDocumentRoutes(untyped, ctx, {
    path: '/prompts',
    key: 'prompts',
    readScope: 'read:prompts',
    updateScope: 'update:prompts',
    write: 'PATCH',
    defaults: { universal_login_experience: 'new', identifier_first: false, webauthn_platform_first_factor: false },
    body: promptsBody,
  });
  settingsDocumentRoutes(untyped, ctx, {
    path: '/attack-protection/brute-force-protection',
    key: 'brute_force_protection',
    readScope: 'read:attack_protection',
    updateScope: 'update:attack_protection',
    write: 'PATCH',
    defaults: {
      enabled: true,
      shields: ['block', 'user_notification'],
      allowlist: [],
      mode: 'count_per_identifier_and_ip',
      max_attempts: 10,
    },
    body: bruteForceBody,
  });
  settingsDocumentRoutes(untyped, ctx, {
    path: '/attack-protection/breached-password-detection',
    key: 'breached_password_detection',
    readScope: 'read:attack_protection',
    updateScope: 'update:attack_protection',
    write: 'PATCH',
    defaults: {
      enabled: false,
      shields: [],
      admin_notification_frequency: [],
      method: 'standard',
      stage: { 'pre-user-registration': { shields: [] }, 'pre-change-password': { shields: [] } },
    },
    body: breachedPasswordBody,
  });
  settingsDocumentRoutes(untyped, ctx, {
    path: '/risk-assessments/settings',
    key: 'risk_assessment',
    readScope: 'read:attack_protection',
    updateScope: 'update:attack_protection',
    write: 'PATCH',
    defaults: { enabled: false },
    body: { type: 'object', additionalProperties: false, properties: { enabled: { type: 'boolean' } } },
  });
  settingsDocumentRoutes(untyped, ctx, {
    path: '/risk-assessments/settings/new-device',
    key: 'risk_assessment_new_device',
    readScope: 'read:attack_protection',
    updateScope: 'update:attack_protection',
    write: 'PATCH',
    defaults: { remember_for: 0 },
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { remember_for: { type: 'integer', minimum: 0, maximum: 365 } },
    },
  });
  settingsDocumentRoutes(untyped, ctx, {
    path: '/guardian/policies',
    key: 'guardian_policies',
    readScope: 'read:mfa_policies',
    updateScope: 'update:mfa_policies',
    write: 'PUT',
    defaults: [],
    body: guardianPoliciesBody,
  });

  const app = typed(untyped);
  const customTextKey = (p: { prompt: string; language: string }) => `prompt_text:${p.prompt}:${p.language}`;
  app.get(
    '/prompts/:prompt/custom-text/:language',
    {
      preHandler: requireScope('read:prompts'),
      schema: { params: customTextParams, response: { 200: customTextBody } },
    },
    async (request) =>
      readDocument<Record<string, Record<string, string>>>(ctx, { key: customTextKey(request.params), defaults: {} }),
  );
  app.put(
    '/prompts/:prompt/custom-text/:language',
    {
      preHandler: requireScope('update:prompts'),
      schema: { params: customTextParams, body: customTextBody, response: { 200: customTextBody } },
    },
    async (request) => {
      await ctx.repos.settings.set(customTextKey(request.params), request.body);
      return request.body;
    },
  );
}
