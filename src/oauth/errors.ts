/**
 * The Authentication API's one error family: RFC 6749 section 5.2 `{error, error_description}`.
 * Storage that cannot be reached is 503 `temporarily_unavailable` with Retry-After (`asOAuthError`); anything else
 * that is not an OAuthError becomes `server_error` with no detail (see oauth/plugin.ts).
 */
import { STORAGE_RETRY_AFTER_S, StorageUnavailableError } from '../storage/unavailable.js';

export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    public readonly status: number,
    public readonly error: string,
    public readonly description: string,
    /** Detail kept for the logs (fecte `description`), never sent to the client. */
    public readonly logDescription?: string,
    public readonly headers: Record<string, string> = {},
  ) {
    super(`${error}: ${description}`);
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export const invalidRequest = (d: string, log?: string) => new OAuthError(400, 'invalid_request', d, log);
export const invalidClient = (d = 'Client authentication failed', log?: string, headers?: Record<string, string>) =>
  new OAuthError(401, 'invalid_client', d, log, headers);
export const invalidGrant = (d: string, log?: string) => new OAuthError(400, 'invalid_grant', d, log);
export const unauthorizedClient = (d: string, log?: string) => new OAuthError(403, 'unauthorized_client', d, log);
export const accessDenied = (d: string, log?: string) => new OAuthError(403, 'access_denied', d, log);
export const invalidScope = (d: string, log?: string) => new OAuthError(403, 'invalid_scope', d, log);
export const unsupportedGrantType = (d: string) => new OAuthError(400, 'unsupported_grant_type', d);
export const serverError = (log?: string) =>
  new OAuthError(500, 'server_error', 'The server encountered an internal error.', log);

const UNAVAILABLE_DESCRIPTION = 'The server is too busy to run the Action now; retry after the delay in Retry-After.';

/**
 * A run refused at its queue deadline (issue 10 M1): 503 temporarily_unavailable with Retry-After, so the client
 * retries later instead of reading it as its own mistake or the Action's; `log` says why, for the fecte entry.
 */
export function actionUnavailable(result: { retryAfterS: number }, log: string): OAuthError {
  return new OAuthError(503, 'temporarily_unavailable', UNAVAILABLE_DESCRIPTION, log, {
    'Retry-After': String(result.retryAfterS),
  });
}

/**
 * The database cannot be reached or does not answer in time (storage/unavailable.ts), or this node holds as many
 * unwritten audit entries as it may (logs/writer.ts): 503 `temporarily_unavailable` (RFC 6749 section 5.2 lists it
 * for the authorization endpoint; Baton uses it on the token endpoint too, as for a busy sandbox) and Retry-After,
 * never a driver message and never a token without its `secte` entry.
 */
export function storageUnavailable(log: string): OAuthError {
  return new OAuthError(
    503,
    'temporarily_unavailable',
    'The service is temporarily unavailable; retry after the delay in Retry-After.',
    log,
    { 'Retry-After': String(STORAGE_RETRY_AFTER_S) },
  );
}

/** An error as the Authentication API answers it: an OAuthError as is, a storage fault as 503, else undefined. */
export function asOAuthError(err: unknown): OAuthError | undefined {
  if (err instanceof OAuthError) return err;
  if (err instanceof StorageUnavailableError) return storageUnavailable('storage unavailable');
  return undefined;
}
