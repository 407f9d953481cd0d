/**
 * Steps 8 and 9 of spec 1.2: run the profile's deployed Action with the full event (spec 5.2), then read its
 * outcome (actions/triggers/outcome.ts). Only a run that decided on a user goes on; `deny` and
 * `rejectInvalidSubjectToken` map as spec 6.7, 6.8 and DESIGN D9, D10 say.
 */
import type { AppContext } from '../context.js';
import type { ExchangeDecision, RunFailure } from '../actions/contract.js';
import { OAuthError, actionUnavailable, serverError, invalidRequest } from '../oauth/errors.js';
import { RULES } from '../actions/triggers/commands.js';
import { exchangeOutcome } from '../actions/triggers/outcome.js';
import type { ExchangeTransaction } from './transaction.js';
import { publicUser } from '../users/public-user.js';
import { buildCustomTokenExchangeEvent, type EventUser } from '../actions/triggers/custom-token-exchange.js';

/** What these steps use of the context. */
type RunActionDeps = Pick<AppContext, 'actions' | 'config' | 'deployedActions' | 'throttle'>;

/** The event of spec 5.2, through the trigger's typed builder; the runtime adds `secrets` itself. */
function buildExchangeEvent(ctx: RunActionDeps, tx: ExchangeTransaction) {
  const p = tx.params;
  return buildCustomTokenExchangeEvent({
    client: { client_id: tx.client.client_id, name: tx.client.name, metadata: tx.client.client_metadata },
    ...(tx.requestOrg
      ? {
          organization: {
            id: tx.requestOrg.id,
            name: tx.requestOrg.name,
            display_name: tx.requestOrg.display_name ?? tx.requestOrg.name,
            metadata: tx.requestOrg.metadata,
          },
        }
      : {}),
    request: {
      body: tx.body,
      geoip: {},
      hostname: tx.hostname,
      ip: tx.ip,
      ...(tx.language ? { language: tx.language } : {}),
      method: 'POST',
      ...(tx.userAgent ? { user_agent: tx.userAgent } : {}),
    },
    resource_server: { identifier: tx.api!.identifier },
    tenant: { id: ctx.config.tenant },
    transaction: {
      subject_token: p.subjectToken,
      subject_token_type: p.subjectTokenType,
      requested_scopes: p.scopes,
      requested_token_type: p.requestedTokenType,
      ...(p.actorToken !== undefined ? { actor_token: p.actorToken } : {}),
      ...(p.actorTokenType !== undefined ? { actor_token_type: p.actorTokenType } : {}),
      ...(tx.actorTokenUser ? { actor_token_user: publicUser(tx.actorTokenUser) as unknown as EventUser } : {}),
    },
  }) as unknown as Record<string, unknown>;
}

const CLIENT_VISIBLE_RULES = new Set<string>([
  RULES.userId,
  RULES.connectionName,
  RULES.userAttributes,
  RULES.connectionOptions,
]);

/** Why a run failed, for the fecte log (the client only sees the generic 500 text). */
function failureDetail(result: RunFailure): string {
  switch (result.kind) {
    case 'thrown':
      return `Action threw ${result.name}: ${result.message}`;
    case 'timeout':
      return `Action exceeded its ${result.limit === 'cpu' ? 'CPU budget' : 'wall-clock limit'}`;
    case 'memory':
      return 'Action exceeded its memory limit';
    case 'invalid_command':
      return `Action called ${result.command} and broke the rule ${result.rule}: ${result.message}`;
  }
}

export type UserDecision = Extract<ExchangeDecision, { kind: 'user' }>;

/** Runs the Action; returns its decision on the user when it made one, else throws the mapped OAuthError. */
export async function runExchangeAction(ctx: RunActionDeps, tx: ExchangeTransaction): Promise<UserDecision> {
  const version = await ctx.deployedActions.version(tx.profile!.action_id);
  if (!version) throw serverError(`the Action ${tx.profile!.action_id} of profile ${tx.profile!.id} is not deployed`);
  const outcome = exchangeOutcome(
    await ctx.actions.run({
      versionId: version.versionId,
      code: version.code,
      trigger: 'custom-token-exchange',
      event: buildExchangeEvent(ctx, tx),
      secrets: version.secrets,
      packages: version.packages,
      clientId: tx.client.client_id,
    }),
  );
  switch (outcome.kind) {
    case 'unavailable':
      throw actionUnavailable(
        outcome,
        `Action did not run: no sandbox worker was free for it within the queue deadline (${outcome.queuedMs} ms)`,
      );
    case 'failed': {
      const failure = outcome.failure;
      // D10: a broken setUserById/setUserByConnection argument rule is the caller's 400; every other broken rule
      // (no user, two users, a bad setActor shape) is the Action's fault: 500.
      if (failure.kind === 'invalid_command' && CLIENT_VISIBLE_RULES.has(failure.rule))
        throw invalidRequest(failure.message, failureDetail(failure));
      throw serverError(failureDetail(failure));
    }
    case 'decided':
      break;
  }
  const decision = outcome.decision;
  switch (decision.kind) {
    case 'deny':
      // D9: any code; server_error is 500, every other code 400.
      throw new OAuthError(
        decision.code === 'server_error' ? 500 : 400,
        decision.code,
        decision.reason,
        `Action denied: ${decision.code}: ${decision.reason}`,
      );
    case 'reject':
      await ctx.throttle.recordInvalidSubjectToken(tx.ip);
      throw invalidRequest(decision.reason, `Action rejected the subject token: ${decision.reason}`);
    case 'user':
      return decision;
  }
}
