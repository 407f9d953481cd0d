/**
 * The clients' tenant log and the global client's guard: every Management API write on clients is a `sapi` entry,
 * a refused change to the global client (the admin client bootstrap creates) a `fapi` one. Shared by the client
 * and client credential routes.
 */
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { forbidden, type ApiError } from '../errors.js';

/** A tenant log entry for a Management API operation on clients (Auth0 `sapi` / `fapi`). */
export type ClientAudit = (
  request: FastifyRequest,
  entry: { type: 'sapi' | 'fapi'; description: string; statusCode: number; body?: unknown },
) => void;

export function clientAudit(ctx: AppContext): ClientAudit {
  return (request, { type, description, statusCode, body }) => {
    const callerId = request.management?.clientId ?? null;
    ctx.logs.write({
      type,
      description,
      client_id: callerId,
      ip: request.ip,
      user_agent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
      details: {
        request: {
          method: request.method,
          path: request.url.split('?')[0],
          channel: 'api',
          auth: { strategy: 'jwt', credentials: { client_id: callerId } },
          ...(body !== undefined ? { body } : {}),
        },
        response: { statusCode },
      },
    });
  };
}

/** The refusal of a change to the global client, logged as a failed API operation. */
export function refuseForGlobal(
  audit: ClientAudit,
  request: FastifyRequest,
  message: string,
  body?: unknown,
): ApiError {
  const error = forbidden(message, 'operation_not_supported');
  audit(request, { type: 'fapi', description: message, statusCode: 403, body });
  return error;
}

export function globalImmutable(what: string): string {
  return `The global client's ${what} cannot be changed through the Management API (Baton manages it at start: BATON_ADMIN_CLIENT_ID, BATON_ADMIN_CLIENT_SECRET)`;
}
