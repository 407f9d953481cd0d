/**
 * refresh_token (RFC 6749 section 6): an opaque token, stored hashed, bound to its client and to its user's row.
 * The CTE Action does not run again; post-login runs with protocol `oauth2-refresh-token` (spec 9.4), its metadata
 * changes written as in a token exchange (login/post-login.ts applyPostLoginOutcome); a narrower
 * `scope` may be asked (RFC 6749 section 6).
 *
 * Rotation (RFC 9700 section 4.14.2, Auth0 refresh token rotation): for a client with `refresh_token.rotation_type:
 * rotating`, and always for a public client, every redemption retires the token and issues a successor in the same
 * family; a retired token presented again revokes the whole family (400 invalid_grant), except the previous token
 * within the client's `leeway`. Non-rotating tokens stay reusable, as Auth0's are. Idle and absolute lifetimes:
 * tokens/refresh-policy.ts. What held when the token was issued is checked again: the user row (same row, not
 * blocked), the client grant's scopes for the API as they are now (the exchange's ceiling), the organization and
 * the user's membership.
 */
import { epochSeconds } from '../../clock.js';
import type { Grant } from './types.js';
import type { AppContext } from '../../context.js';
import type { Client } from '../../storage/repositories/clients.js';
import type { ResourceServer } from '../../storage/repositories/resource-servers.js';
import type { User } from '../../users/user.js';
import type { RefreshTokenRecord } from '../../storage/repositories/refresh-tokens.js';
import { accessDenied, invalidGrant, invalidRequest, invalidScope } from '../errors.js';
import { splitScope } from './audience.js';
import { issueTokens, newRefreshTokenId } from '../../tokens/issue.js';
import { refreshPolicy, idleDeadline, type RefreshPolicy } from '../../tokens/refresh-policy.js';
import { OIDC_SCOPES } from '../../tokens/user-claims.js';
import { newRefreshToken } from '../../storage/ids.js';
import { applyPostLoginOutcome, runPostLogin } from '../../login/post-login.js';

/** What these steps use of the context. */
type RefreshDeps = Pick<AppContext, 'clock' | 'configReads' | 'logs' | 'repos'>;

const UNKNOWN = 'Unknown or invalid refresh token.';
const unknownToken = (log: string) => invalidGrant(UNKNOWN, log);

/** Who presented the token, for the `ferrt` log of a detected reuse. */
interface Presenter {
  client: Client;
  ip: string;
  userAgent: string | undefined;
}

/** The live, unexpired record of the presented token; a retired one is a reuse unless inside the leeway. */
async function liveRecord(
  ctx: RefreshDeps,
  token: string,
  by: Presenter,
  policy: RefreshPolicy,
): Promise<RefreshTokenRecord> {
  const { client } = by;
  const record = await ctx.repos.refreshTokens.find(token);
  if (!record || record.client_id !== client.client_id) throw unknownToken("unknown refresh token or another client's");
  if (record.revoked_at) throw unknownToken('the refresh token was revoked');
  const nowS = epochSeconds(ctx.clock);
  if (record.expires_at_epoch !== null && record.expires_at_epoch < nowS)
    throw unknownToken('the refresh token reached its absolute lifetime');
  if (record.idle_expires_at_epoch !== null && record.idle_expires_at_epoch < nowS)
    throw unknownToken('the refresh token reached its idle lifetime');
  if (record.rotated_at_ms !== null && !(await mayReuse(ctx, record, policy))) await reuseDetected(ctx, record, by);
  return record;
}

/** Auth0's leeway: only the previous token (its successors not redeemed yet), only within `leeway` seconds. */
async function mayReuse(ctx: RefreshDeps, record: RefreshTokenRecord, policy: RefreshPolicy): Promise<boolean> {
  if (policy.leewayS <= 0 || record.rotated_at_ms === null) return false;
  if (ctx.clock.now() - record.rotated_at_ms > policy.leewayS * 1000) return false;
  return !(await ctx.repos.refreshTokens.hasRotatedSuccessor(record.id));
}

/** A retired token came back: the family is revoked and the event logged (Auth0's `ferrt`), then invalid_grant. */
async function reuseDetected(ctx: RefreshDeps, record: RefreshTokenRecord, by: Presenter): Promise<never> {
  const revoked = await ctx.repos.refreshTokens.revokeFamily(record.family_id);
  const description = 'Reused rotating refresh token detected: the token family was revoked';
  ctx.logs.write({
    type: 'ferrt',
    description,
    client_id: by.client.client_id,
    client_name: by.client.name,
    ip: by.ip,
    user_agent: by.userAgent ?? null,
    user_id: record.user_id,
    audience: record.audience,
    organization_id: record.org_id,
    details: { error: 'invalid_grant', family_id: record.family_id, token_id: record.id, revoked },
  });
  throw unknownToken(description);
}

/** The user the token was issued for: the same row (a user deleted and created again is another), not blocked. */
async function tokenUser(ctx: RefreshDeps, record: RefreshTokenRecord): Promise<User> {
  const user = await ctx.repos.users.get(record.user_id);
  if (!user) throw unknownToken('the user of the refresh token no longer exists');
  if (record.user_created_at === null || user.created_at !== record.user_created_at) {
    throw unknownToken('the refresh token was issued to an earlier user with this user_id');
  }
  if (user.blocked) throw invalidGrant('user is blocked');
  return user;
}

/** The exchange's scope ceiling, as it is now: OIDC scopes, the API's scopes, limited by the client grant if any. */
async function scopeCeiling(ctx: RefreshDeps, client: Client, api: ResourceServer): Promise<(s: string) => boolean> {
  const defined = new Set(api.scopes.map((s) => s.value));
  const grant = await ctx.configReads.clientGrant(client.client_id, api.identifier);
  return (s) =>
    (OIDC_SCOPES as readonly string[]).includes(s) || (defined.has(s) && (!grant || grant.scope.includes(s)));
}

/** The token's organization, still there, still allowed for the client, the user still a member. */
async function tokenOrganization(ctx: RefreshDeps, record: RefreshTokenRecord, client: Client, user: User) {
  if (!record.org_id) return undefined;
  const org = await ctx.repos.organizations.get(record.org_id);
  if (!org) throw unknownToken(`the organization ${record.org_id} of the refresh token no longer exists`);
  if ((client.organization_usage ?? 'deny') === 'deny') {
    throw accessDenied(
      'The client does not support organizations',
      'refresh token with an organization, client organization_usage is deny',
    );
  }
  if (!(await ctx.repos.organizations.isMember(org.id, user.user_id))) {
    throw accessDenied('User is not a member of the organization', `user ${user.user_id} is not a member of ${org.id}`);
  }
  return org;
}

/**
 * Rotation: retires `record` and stores its successor (same family, same absolute end, a fresh idle deadline).
 * A non-rotating token met by a rotating policy is swapped the same way (the client's other reusable tokens for
 * this API and user are revoked, as Auth0 does); a rotating token met by a non-rotating policy starts a reusable
 * family and its own family is revoked (Auth0 again). Returns the new token, or undefined (the token stays).
 */
async function successor(
  ctx: RefreshDeps,
  record: RefreshTokenRecord,
  policy: RefreshPolicy,
  user: User,
  by: Presenter,
): Promise<string | undefined> {
  if (!policy.rotating && !record.rotating) {
    await ctx.repos.refreshTokens.touch(
      record.id,
      idleDeadline(policy, epochSeconds(ctx.clock), record.expires_at_epoch),
    );
    return undefined;
  }
  const token = newRefreshToken();
  const id = newRefreshTokenId();
  const leavingRotation = !policy.rotating;
  const outcome = await ctx.repos.refreshTokens.rotate({
    old: record,
    binding: { user_id: user.user_id, user_created_at: user.created_at },
    token,
    successor: {
      id,
      client_id: record.client_id,
      user_id: record.user_id,
      audience: record.audience,
      scope: record.scope,
      org_id: record.org_id,
      data: record.data,
      expires_at_epoch: record.expires_at_epoch,
      rotating: policy.rotating,
      idle_expires_at_epoch: idleDeadline(policy, epochSeconds(ctx.clock), record.expires_at_epoch),
      user_created_at: user.created_at,
      ...(leavingRotation ? {} : { family_id: record.family_id, parent_id: record.id }),
    },
    retiredSinceMs: policy.leewayS > 0 ? ctx.clock.now() - policy.leewayS * 1000 : undefined,
    nowMs: ctx.clock.now(),
    revokeFamily: leavingRotation,
    revokeReusable: policy.rotating && !record.rotating,
  });
  if (outcome === 'user') throw unknownToken('the user of the refresh token changed while it was redeemed');
  // Another redemption of this token won the race: this one is a reuse.
  if (outcome === 'conflict') await reuseDetected(ctx, record, by);
  return token;
}

export const refreshTokenGrant: Grant = {
  grantType: 'refresh_token',
  audited: true,
  parameters: ['refresh_token', 'scope'],
  async handle(ctx, { params, client, ip, userAgent, http }) {
    if (!params.refresh_token) throw invalidRequest('Missing required parameter: refresh_token');
    const policy = refreshPolicy(client);
    const by: Presenter = { client, ip, userAgent };
    const record = await liveRecord(ctx, params.refresh_token, by, policy);
    const user = await tokenUser(ctx, record);
    const api = await ctx.configReads.resourceServer(record.audience);
    if (!api) throw unknownToken('the API of the refresh token no longer exists');

    const requested = splitScope(params.scope);
    const notGranted = requested.filter((s) => !record.data.scopes.includes(s));
    if (notGranted.length) throw invalidScope(`Scopes not granted to the refresh token: ${notGranted.join(' ')}`);
    const allowed = await scopeCeiling(ctx, client, api);
    const withdrawn = requested.filter((s) => !allowed(s));
    if (withdrawn.length) throw accessDenied(`Client has not been granted scopes: ${withdrawn.join(', ')}`);
    const scopes = (requested.length ? requested : record.data.scopes).filter(allowed);
    const org = await tokenOrganization(ctx, record, client, user);

    const post = await runPostLogin(ctx, {
      protocol: 'oauth2-refresh-token',
      client,
      api,
      user,
      org,
      scopes,
      requestedScopes: scopes,
      body: { grant_type: 'refresh_token', ...(params.scope ? { scope: params.scope } : {}) },
      ip,
      userAgent,
      hostname: http.hostname,
    });
    const refreshToken = await successor(ctx, record, policy, user, by);
    const updated = await applyPostLoginOutcome(ctx, user, post);
    const issued = await issueTokens(ctx, {
      client,
      api,
      user: updated,
      // Never more than the refresh token holds and the ceiling allows now; offline_access stays only when a
      // (rotated) refresh token is returned.
      scopes: post.scopes.filter((s) => allowed(s) && (s === 'offline_access' || record.data.scopes.includes(s))),
      org: org ? { id: org.id, name: org.name } : undefined,
      noRefreshToken: true,
      ...(refreshToken !== undefined ? { refreshToken } : {}),
      accessTokenClaims: post.accessTokenClaims,
      idTokenClaims: post.idTokenClaims,
    });
    return issued.response;
  },
};
