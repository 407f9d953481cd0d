/**
 * The post-login flow for token-endpoint grants (spec 7.1, 8): the bound post-login Actions run in flow order for
 * the selected user. Each run's outcome (actions/triggers/outcome.ts) shapes the tokens (custom claims, scopes),
 * the user (metadata, written by applyPostLoginOutcome once the grant will answer 200) or ends the transaction
 * (deny → 403 access_denied; MFA → mfa_required, or the spec 6.6 400 with an actor; challengeWith/enrollWith are
 * not possible in a non-interactive grant).
 */
import type { AppContext } from '../context.js';
import type { Client } from '../storage/repositories/clients.js';
import type { ResourceServer } from '../storage/repositories/resource-servers.js';
import type { User } from '../users/user.js';
import type { Organization } from '../storage/repositories/organizations.js';
import type { ActorClaim } from '../tokens/actor.js';
import { OAuthError, accessDenied, actionUnavailable, invalidRequest, serverError } from '../oauth/errors.js';
import { publicUser } from '../users/public-user.js';
import { buildPostLoginEvent } from '../actions/triggers/post-login.js';
import { postLoginOutcome } from '../actions/triggers/outcome.js';
import type { MetadataChanges, PostLoginDecision } from '../actions/contract.js';

/** What these steps use of the context. */
type PostLoginDeps = Pick<AppContext, 'actions' | 'clock' | 'config' | 'deployedActions' | 'repos'>;

const MFA_WITH_ACTOR = 'MFA is not supported using actor_token with the requested token exchange profile.';

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

/** What the bound post-login Actions decided, together, for a transaction they let through. */
export interface PostLoginOutcome {
  scopes: string[];
  accessTokenClaims: Record<string, unknown>;
  idTokenClaims: Record<string, unknown>;
  /** Written by applyPostLoginOutcome, once the grant will answer 200. */
  metadata: MetadataChanges;
}

function buildEvent(ctx: PostLoginDeps, input: PostLoginInput, user: User) {
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
    request: {
      body: input.body,
      geoip: {},
      hostname: input.hostname,
      ip: input.ip,
      method: 'POST',
      ...(input.userAgent ? { user_agent: input.userAgent } : {}),
    },
    tenant: { id: ctx.config.tenant },
    stats: { logins_count: user.logins_count },
    authenticatedAt: new Date(ctx.clock.now()),
    ...(input.connection ? { connection: input.connection } : {}),
    ...(input.org
      ? {
          organization: {
            id: input.org.id,
            name: input.org.name,
            display_name: input.org.display_name ?? input.org.name,
            metadata: input.org.metadata,
          },
        }
      : {}),
  });
}

/** Folds one run's decision into the outcome so far; a decision that ends the transaction is thrown. */
function fold(out: PostLoginOutcome, decision: PostLoginDecision, input: PostLoginInput): void {
  switch (decision.kind) {
    case 'deny':
      throw accessDenied(decision.reason, `post-login Action denied: ${decision.reason}`);
    case 'mfa':
      if (input.actor) throw invalidRequest(MFA_WITH_ACTOR);
      throw new OAuthError(403, 'mfa_required', 'Multifactor authentication required', 'post-login required MFA');
    case 'interactive':
      throw invalidRequest(
        `api.${decision.command} is not supported in a non-interactive ${input.protocol} transaction`,
      );
    case 'continue':
      Object.assign(out.accessTokenClaims, decision.accessTokenClaims);
      Object.assign(out.idTokenClaims, decision.idTokenClaims);
      for (const { op, scope } of decision.scopes) {
        if (op === 'remove') out.scopes = out.scopes.filter((s) => s !== scope);
        else if (!out.scopes.includes(scope)) out.scopes.push(scope);
      }
      Object.assign(out.metadata.app_metadata, decision.metadata.app_metadata);
      Object.assign(out.metadata.user_metadata, decision.metadata.user_metadata);
  }
}

export async function runPostLogin(ctx: PostLoginDeps, input: PostLoginInput): Promise<PostLoginOutcome> {
  const out: PostLoginOutcome = {
    scopes: [...input.scopes],
    accessTokenClaims: {},
    idTokenClaims: {},
    metadata: { app_metadata: {}, user_metadata: {} },
  };
  const actions = await ctx.deployedActions.postLoginFlow();
  for (const action of actions) {
    const outcome = postLoginOutcome(
      await ctx.actions.run({
        versionId: action.versionId,
        code: action.code,
        trigger: 'post-login',
        event: buildEvent(ctx, input, input.user),
        secrets: action.secrets,
        packages: action.packages,
        clientId: input.client.client_id,
      }),
    );
    switch (outcome.kind) {
      case 'unavailable':
        throw actionUnavailable(
          outcome,
          `post-login Action ${action.actionId} did not run: no sandbox worker was free for it within the queue deadline (${outcome.queuedMs} ms)`,
        );
      case 'failed': {
        const f = outcome.failure;
        const detail = f.kind === 'thrown' ? `${f.name}: ${f.message}` : f.kind === 'invalid_command' ? f.rule : f.kind;
        throw serverError(`post-login Action ${action.actionId} failed: ${detail}`);
      }
      case 'decided':
        fold(out, outcome.decision, input);
    }
  }
  return out;
}

/**
 * The last step before minting, in every grant that runs post-login: the metadata the Actions set (`earlier`: the
 * exchange Action's, then post-login's over it) is written, now that the grant will answer 200. Returns the user
 * as stored.
 */
export async function applyPostLoginOutcome(
  ctx: PostLoginDeps,
  user: User,
  post: PostLoginOutcome,
  earlier?: MetadataChanges,
): Promise<User> {
  const app_metadata = { ...earlier?.app_metadata, ...post.metadata.app_metadata };
  const user_metadata = { ...earlier?.user_metadata, ...post.metadata.user_metadata };
  if (!Object.keys(app_metadata).length && !Object.keys(user_metadata).length) return user;
  return (await ctx.repos.users.mergeMetadata(user.user_id, { app_metadata, user_metadata })) ?? user;
}
