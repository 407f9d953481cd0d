/**
 * One contract for every grant: a registry maps `grant_type` to a handler; the token endpoint
 * holds no grant logic.
 */
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Client } from '../../storage/repositories/clients.js';
import type { OAuthError } from '../errors.js';

export type TokenParams = Record<string, string>;

export interface TokenRequest {
  params: TokenParams;
  client: Client;
  /** The end user's IP (auth0-forwarded-for when trusted, else the peer). */
  ip: string;
  userAgent: string | undefined;
  http: FastifyRequest;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
  id_token?: string;
  refresh_token?: string;
  issued_token_type?: string;
}

export interface Grant {
  grantType: string;
  /** Parameters this grant reads (for documentation and the duplicate-parameter check). */
  parameters: readonly string[];
  /** Writes tenant log entries or login counts: refused with 503 while they cannot be buffered (issue 13). */
  audited: boolean;
  handle(ctx: AppContext, req: TokenRequest): Promise<TokenResponse>;
  /** Called when client authentication fails for a request of this grant (audit logs). */
  onClientAuthFailed?(ctx: AppContext, http: FastifyRequest, params: TokenParams, error: OAuthError): void;
}
