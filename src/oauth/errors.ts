/**
 * The Authentication API's one error family: RFC 6749 section 5.2 `{error, error_description}`.
 * Anything that is not an OAuthError becomes `server_error` with no detail (see oauth/plugin.ts).
 */
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
