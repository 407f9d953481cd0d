/**
 * The post-login flow for token-endpoint grants (spec 7.1, 8): the bound post-login Actions run in flow order for
 * the selected user. Their commands shape the tokens (custom claims, scopes), the user (metadata) or end the
 * transaction (deny → 403 access_denied; MFA → mfa_required, or the spec 6.6 400 with an actor;
 * challengeWith/enrollWith are not possible in a non-interactive grant).
 */
import type { AppContext } from '../../context.js';
import type { Client } from '../../storage/repositories/clients.js';
import type { ResourceServer } from '../../storage/repositories/resource-servers.js';
import type { User } from '../../storage/repositories/users.js';
import type { Organization } from '../../storage/repositories/organizations.js';
import type { ActorClaim } from '../../tokens/actor.js';
import { boundPostLoginActions } from '../../actions/service.js';
import { OAuthError, accessDenied, invalidRequest, serverError } from '../errors.js';
import { publicUser } from './token-exchange/user-view.js';
import { actionUnavailable } from './token-exchange/run-action.js';
import { buildPostLoginEvent } from '../../actions/triggers/post-login.js';

export const MFA_WITH_ACTOR = 'MFA is not supported using actor_token with the requested token exchange profile.';

export interface PostLoginInput {
  protocol: 'oauth2-token-exchange' | 'oauth2-refresh-token';
  client: Client;
  api: ResourceServer;
  user: User;
  connection?: { id: string; name: string; strategy: string } | undefined;
  org?: Organization | undefined;
  scopes: string[];
  requestedScopes: string[];
  body: Record<string, string>;
  ip: string;
  userAgent: string | undefined;
  hostname: string;
  subjectTokenType?: string | undefined;
  actorTokenType?: string | undefined;
  actor?: ActorClaim | undefined;
}

export interface PostLoginOutcome {
  scopes: string[];
  accessTokenClaims: Record<string, unknown>;
  idTokenClaims: Record<string, unknown>;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
}

function buildEvent(ctx: AppContext, input: PostLoginInput, user: User) {
  return buildPostLoginEvent({
    transaction: {
      protocol: input.protocol,
      requested_scopes: input.requestedScopes,
      ...(input.subjectTokenType ? { subject_token_type: input.subjectTokenType } : {}),
      ...(input.actorTokenType ? { actor_token_type: input.actorTokenType } : {}),
      ...(input.actor ? { actor: input.actor } : {}),
    },
    user: publicUser(user),
    client: { client_id: input.client.client_id, name: input.client.name, metadata: input.client.client_metadata },
    resource_server: { identifier: input.api.identifier },
    request: { body: input.body, geoip: {}, hostname: input.hostname, ip: input.ip, method: 'POST', ...(input.userAgent ? { user_agent: input.userAgent } : {}) },
    tenant: { id: ctx.config.tenant },
    stats: { logins_count: user.logins_count },
    authenticatedAt: new Date(),
    ...(input.connection ? { connection: input.connection } : {}),
    ...(input.org ? { organization: { id: input.org.id, name: input.org.name, display_name: input.org.display_name ?? input.org.name, metadata: input.org.metadata } } : {}),
  });
}

export async function runPostLogin(ctx: AppContext, input: PostLoginInput): Promise<PostLoginOutcome> {
  const out: PostLoginOutcome = { scopes: [...input.scopes], accessTokenClaims: {}, idTokenClaims: {}, appMetadata: {}, userMetadata: {} };
  const actions = await boundPostLoginActions(ctx);
  for (const action of actions) {
    const result = await ctx.actions.run({
      versionId: action.versionId,
      code: action.code,
      trigger: 'post-login',
      event: buildEvent(ctx, input, input.user),
      secrets: action.secrets,
      clientId: input.client.client_id,
    });
    if (result.kind === 'unavailable') {
      throw actionUnavailable(result, `post-login Action ${action.actionId} did not run: no sandbox worker was free for it within the queue deadline (${result.queuedMs} ms)`);
    }
    for (const c of result.commands) {
      const [a, b] = c.args;
      switch (c.name) {
        case 'access.deny':
          throw accessDenied(String(a ?? 'Access denied'), `post-login Action denied: ${String(a)}`);
        case 'multifactor.enable':
          if (input.actor) throw invalidRequest(MFA_WITH_ACTOR);
          throw new OAuthError(403, 'mfa_required', 'Multifactor authentication required', 'post-login required MFA');
        case 'authentication.challengeWith':
        case 'authentication.challengeWithAny':
        case 'authentication.enrollWith':
        case 'authentication.enrollWithAny':
        case 'redirect.sendUserTo':
          throw invalidRequest(`api.${c.name} is not supported in a non-interactive ${input.protocol} transaction`);
        case 'accessToken.setCustomClaim':
          out.accessTokenClaims[String(a)] = b;
          break;
        case 'idToken.setCustomClaim':
          out.idTokenClaims[String(a)] = b;
          break;
        case 'accessToken.addScope':
          if (!out.scopes.includes(String(a))) out.scopes.push(String(a));
          break;
        case 'accessToken.removeScope':
          out.scopes = out.scopes.filter((s) => s !== String(a));
          break;
        case 'user.setAppMetadata':
          out.appMetadata[String(a)] = b ?? null;
          break;
        case 'user.setUserMetadata':
          out.userMetadata[String(a)] = b ?? null;
          break;
      }
    }
    if (result.kind !== 'ok') {
      const detail = result.kind === 'thrown' ? `${result.name}: ${result.message}` : result.kind === 'invalid_command' ? result.rule : result.kind;
      throw serverError(`post-login Action ${action.actionId} failed: ${detail}`);
    }
  }
  return out;
}
