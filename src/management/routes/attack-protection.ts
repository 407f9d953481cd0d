/**
 * Suspicious IP Throttling on the Management API (spec section 12.2), Auth0's paths and shapes:
 * `GET|PATCH /attack-protection/suspicious-ip-throttling` and `GET|DELETE /anomaly/blocks/ips/{ip}`.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { ApiError, badRequest, notFound } from '../errors.js';
import { normalizeIp } from '../../attack-protection/ip.js';
import { SharedBucketsUnavailable } from '../../attack-protection/buckets.js';
import {
  MAX_ALLOWLIST,
  SHIELDS,
  STAGE_BOUNDS,
  mergeSettings,
  settingsProblem,
  type StageName,
  type SuspiciousIpThrottlingSettings,
} from '../../attack-protection/settings.js';

const stageResponse = {
  type: 'object',
  additionalProperties: true,
  properties: { max_attempts: { type: 'integer' }, rate: { type: 'integer' } },
} as const;

const settingsResponse = {
  type: 'object',
  additionalProperties: true,
  properties: {
    enabled: { type: 'boolean' },
    shields: { type: 'array', items: { type: 'string' } },
    allowlist: { type: 'array', items: { type: 'string' } },
    stage: {
      type: 'object',
      properties: {
        'pre-login': stageResponse,
        'pre-user-registration': stageResponse,
        'pre-custom-token-exchange': stageResponse,
      },
    },
  },
} as const;

/** A stage's body schema with its bounds, so ajv reports e.g. `must be <= 2500` on the exact property. */
function stageBody(name: StageName) {
  const b = STAGE_BOUNDS[name];
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      max_attempts: { type: 'integer', minimum: b.attempts[0], maximum: b.attempts[1] },
      rate: { type: 'integer', minimum: b.rate[0], maximum: b.rate[1] },
    },
  } as const;
}

/** The settings as the response schema's open object (it lets extra properties through, as Auth0's). */
const view = (settings: SuspiciousIpThrottlingSettings): Record<string, unknown> => ({ ...settings });

const patchBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    shields: { type: 'array', uniqueItems: true, items: { type: 'string', enum: [...SHIELDS] } },
    allowlist: { type: 'array', maxItems: MAX_ALLOWLIST, items: { type: 'string', minLength: 1, maxLength: 64 } },
    stage: {
      type: 'object',
      additionalProperties: false,
      properties: {
        'pre-login': stageBody('pre-login'),
        'pre-user-registration': stageBody('pre-user-registration'),
        'pre-custom-token-exchange': stageBody('pre-custom-token-exchange'),
      },
    },
  },
} as const;

const ipParams = {
  type: 'object',
  required: ['ip'],
  properties: { ip: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** The `{ip}` path segment as a canonical address, or Auth0's path validation 400. */
function pathIp(value: string): string {
  const ip = normalizeIp(value);
  if (!ip)
    throw new ApiError(
      400,
      "Path validation error: 'must be a valid IPv4 or IPv6 address' on property ip.",
      'invalid_uri',
    );
  return ip;
}

export function attackProtectionRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  app.get(
    '/attack-protection/suspicious-ip-throttling',
    {
      preHandler: requireScope('read:attack_protection'),
      schema: { response: { 200: settingsResponse } },
    },
    async () => view(await ctx.throttle.settings()),
  );

  app.patch(
    '/attack-protection/suspicious-ip-throttling',
    {
      preHandler: requireScope('update:attack_protection'),
      schema: { body: patchBody, response: { 200: settingsResponse } },
    },
    async (request) => {
      const next = mergeSettings(await ctx.throttle.settings(), request.body);
      // Bounds are in the body schema; this catches what JSON Schema cannot say (IP/CIDR syntax of the allowlist).
      const problem = settingsProblem(next);
      if (problem) throw badRequest(`Payload validation error: '${problem.message}' on property ${problem.property}.`);
      await ctx.throttle.save(next);
      await ctx.invalidation.publish('throttle');
      return view(next);
    },
  );

  app.get(
    '/anomaly/blocks/ips/:ip',
    {
      preHandler: requireScope('read:anomaly_blocks'),
      schema: { params: ipParams },
    },
    async (request, reply) => {
      const ip = pathIp(request.params.ip);
      if (!(await ctx.throttle.isBlocked(ip))) throw notFound('IP address specified is not currently blocked.');
      return reply.status(200).send();
    },
  );

  app.delete(
    '/anomaly/blocks/ips/:ip',
    {
      preHandler: requireScope('delete:anomaly_blocks'),
      schema: { params: ipParams },
    },
    async (request, reply) => {
      try {
        await ctx.throttle.unblock(pathIp(request.params.ip));
      } catch (err) {
        // Redis is down (docs/deployment.md): this node's fallback bucket is refilled, the shared one still blocks.
        if (err instanceof SharedBucketsUnavailable)
          throw new ApiError(
            503,
            'The shared throttling store is unavailable: the IP address was unblocked on this node only. Retry later.',
            'temporarily_unavailable',
          );
        throw err;
      }
      return reply.status(204).send();
    },
  );
}
