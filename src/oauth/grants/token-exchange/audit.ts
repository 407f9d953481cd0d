/**
 * The `secte` / `fecte` tenant logs of a token exchange (spec 11.2, 11.3, DESIGN D2): the failure log carries the
 * detailed reason in `description` while the HTTP response stays terse.
 */
import type { AppContext } from '../../../context.js';
import { actorForLog } from '../../../tokens/actor.js';
import type { ExchangeTransaction } from './transaction.js';
import type { OAuthError } from '../../errors.js';

function common(tx: ExchangeTransaction) {
  return {
    client_id: tx.client.client_id,
    client_name: tx.client.name,
    ip: tx.ip,
    user_agent: tx.userAgent ?? null,
    audience: tx.api?.identifier ?? tx.params.audience ?? null,
  };
}

export function logSuccess(ctx: AppContext, tx: ExchangeTransaction, scopes: string[], accessTokenJti: string): void {
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

export function logFailure(ctx: AppContext, tx: ExchangeTransaction, error: OAuthError): void {
  ctx.logs.write({
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
