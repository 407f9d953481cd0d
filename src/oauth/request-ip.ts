import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import type { Client } from '../storage/repositories/clients.js';

/**
 * The end user's IP: `auth0-forwarded-for` only for a confidential client that trusts it
 * (`is_token_endpoint_ip_header_trusted`, spec section 4.1), else the peer address (behind BATON_TRUST_PROXY,
 * Fastify's X-Forwarded-For handling).
 */
export function clientIp(request: FastifyRequest, client?: Client): string {
  const forwarded = request.headers['auth0-forwarded-for'];
  if (
    client &&
    client.is_token_endpoint_ip_header_trusted &&
    client.token_endpoint_auth_method !== 'none' &&
    typeof forwarded === 'string'
  ) {
    const first = forwarded.split(',')[0]!.trim();
    if (isIP(first)) return first;
  }
  return request.ip;
}
