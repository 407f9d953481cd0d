/**
 * The `secte` / `fecte` tenant logs of a token exchange (spec 11.2, 11.3, DESIGN D2): the failure log carries the
 * detailed reason in `description` while the HTTP response stays terse. A request refused by the tenant's rate
 * limit is an `api_limit` entry instead (E22), at most one a second per node, counting the refusals it stands for.
 */
import type { AppContext } from '../context.js';
import { actorForLog } from '../tokens/actor.js';
import type { ExchangeTransaction } from './transaction.js';
import type { OAuthError } from '../oauth/errors.js';
import type { ExchangeRateLimit } from '../attack-protection/rate-limit.js';
import { isUnknownClientFailure } from '../logs/auth-failures.js';

/** What these steps use of the context. */
type AuditDeps = Pick<AppContext, 'logs'>;

function common(tx: ExchangeTransaction) {
  return {
    client_id: tx.client.client_id,
    client_name: tx.client.name,
    ip: tx.ip,
    user_agent: tx.userAgent ?? null,
    audience: tx.api?.identifier ?? tx.params.audience ?? null,
  };
}

export function logSuccess(ctx: AuditDeps, tx: ExchangeTransaction, scopes: string[], accessTokenJti: string): void {
  const user = tx.user!;
  ctx.logs.write({
    type: 'secte',
    description: 'Successful Exchange via Custom Token Exchange',
    ...common(tx),
    scope: scopes.join(' '),
    user_id: user.user_id,
    user_name: user.email ?? user.username ?? user.phone_number ?? user.user_id,
    connection: tx.connection?.name ?? null,
    connection_id: tx.connection?.id ?? null,
    strategy: tx.connection?.strategy ?? null,
    identity_user_id: tx.identityUserId ?? null,
    organization_id: tx.org?.id ?? null,
    organization_name: tx.org?.name ?? null,
    details: {
      subject_token_type: tx.params.subjectTokenType,
      access_token_jti: accessTokenJti,
      ...(tx.actor ? { actor: actorForLog(tx.actor) } : {}),
    },
  });
}

/** A failed authentication of a client that does not exist is counted per IP and minute (M4), not logged alone. */
export function logFailure(ctx: AuditDeps, tx: ExchangeTransaction, error: OAuthError): void {
  const write = isUnknownClientFailure(error) ? ctx.logs.writeUnknownClientFailure : ctx.logs.write;
  write({
    type: 'fecte',
    description: error.logDescription ?? error.description,
    ...common(tx),
    hostname: tx.hostname,
    scope: tx.params.scopes.join(' ') || null,
    details: {
      subject_token_type: tx.params.subjectTokenType,
      error: error.error,
      ...(tx.actor ? { actor: actorForLog(tx.actor) } : {}),
    },
  });
}

export function logRateLimited(
  ctx: AuditDeps,
  tx: ExchangeTransaction,
  limit: ExchangeRateLimit,
  refused: number,
): void {
  ctx.logs.write({
    type: 'api_limit',
    description: 'Rate limit exceeded for Custom Token Exchange requests',
    ...common(tx),
    details: {
      subject_token_type: tx.params.subjectTokenType,
      error: 'too_many_requests',
      burst: limit.burst,
      rate_per_second: limit.ratePerSecond,
      refused,
    },
  });
}
