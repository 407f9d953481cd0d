/**
 * The Management API's one error family, Auth0's shape `{statusCode, error, message, errorCode}`.
 * Anything that is not an ApiError becomes a 500 with a generic message (see management/plugin.ts).
 */
import { STATUS_CODES } from 'node:http';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    public readonly statusCode: number,
    message: string,
    public readonly errorCode?: string,
  ) {
    super(message);
  }

  toJSON(): { statusCode: number; error: string; message: string; errorCode?: string } {
    const body: { statusCode: number; error: string; message: string; errorCode?: string } = {
      statusCode: this.statusCode,
      error: STATUS_CODES[this.statusCode] ?? 'Error',
      message: this.message,
    };
    if (this.errorCode) body.errorCode = this.errorCode;
    return body;
  }
}

/**
 * The response schema of every error answer (each route's `4xx`, added by management/plugin.ts), so the OpenAPI
 * document describes them. Open (`additionalProperties`), so serialization never drops a field of an error body.
 */
export const errorResponseSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  additionalProperties: true,
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
    errorCode: { type: 'string' },
  },
} as const;

/** Storage cannot be reached or does not answer in time (storage/unavailable.ts): Auth0's 503 shape. */
export const serviceUnavailable = () =>
  new ApiError(
    503,
    'The service is temporarily unavailable; retry after the delay in Retry-After.',
    'temporarily_unavailable',
  );
export const badRequest = (message: string, errorCode = 'invalid_body') => new ApiError(400, message, errorCode);
export const badQuery = (message: string) => new ApiError(400, message, 'invalid_query_string');
export const notFound = (message: string, errorCode = 'inexistent_entity') => new ApiError(404, message, errorCode);
export const conflict = (message: string, errorCode = 'conflict') => new ApiError(409, message, errorCode);
export const forbidden = (message: string, errorCode = 'insufficient_scope') => new ApiError(403, message, errorCode);
export const unauthorized = (message = 'Invalid token', errorCode?: string) => new ApiError(401, message, errorCode);
