/**
 * Step 10 of spec 1.2: apply the decision of a successful Action: the user (by id or by connection, spec
 * 6.2-6.4), the organization (spec 6.5, 7.3), the actor (spec 6.6), metadata (6.10). Error mapping per DESIGN
 * D10. Decide first, mint last: what the decision asks to write on an existing user (a replaced profile, a
 * membership assigned on login) is held in `tx.writes` and written by `writeExchangeDecision`, once the exchange
 * will answer 200; a user created by setUserByConnection stays, as with any federated first login.
 */
import type { AppContext } from '../context.js';
import type { UserSelection } from '../actions/contract.js';
import { accessDenied, invalidRequest } from '../oauth/errors.js';
import type { ExchangeTransaction } from './transaction.js';
import type { UserDecision } from './run-action.js';
import { DATABASE_STRATEGY, isConnectionName } from '../storage/repositories/connections.js';
import type { User } from '../users/user.js';
import { PROFILE_ATTRIBUTES, type ProfileAttributes } from '../users/attributes.js';
import { resolveOrganization } from './organization.js';

/** What these steps use of the context. */
type ApplyDeps = Pick<AppContext, 'configReads' | 'repos'>;

const IMMUTABLE = ['email', 'email_verified', 'username', 'phone_number', 'phone_verified'] as const;

export async function applyExchangeDecision(
  ctx: ApplyDeps,
  tx: ExchangeTransaction,
  decision: UserDecision,
): Promise<void> {
  if (decision.actor) tx.actor = decision.actor;
  tx.metadata = decision.metadata;
  if (decision.user.by === 'id') await selectUserById(ctx, tx, decision.user.userId);
  else await selectUserByConnection(ctx, tx, decision.user);
  await resolveOrganization(ctx, tx, decision.organization, decision.user.by === 'connection');
}

/** The writes `tx.writes` held, once the exchange will answer 200; `tx.user` becomes the stored row. */
export async function writeExchangeDecision(ctx: ApplyDeps, tx: ExchangeTransaction): Promise<void> {
  const { profile, membershipOf } = tx.writes;
  if (profile) tx.user = (await ctx.repos.users.updateProfile(tx.user!.user_id, profile, 'merge')) ?? tx.user;
  if (membershipOf) await ctx.repos.organizations.addMembers(membershipOf, [tx.user!.user_id]);
}

function ensureUsable(user: User): void {
  if (user.blocked) throw accessDenied('user is blocked', `user ${user.user_id} is blocked`);
}

async function selectUserById(ctx: ApplyDeps, tx: ExchangeTransaction, userId: string): Promise<void> {
  const user = await ctx.repos.users.get(userId);
  if (!user) throw invalidRequest('User not found', `setUserById: no user ${userId}`);
  ensureUsable(user);
  const connection = await ctx.configReads.connectionById(user.connection_id);
  tx.user = user;
  if (connection) tx.connection = { id: connection.id, name: connection.name, strategy: connection.strategy };
  tx.identityUserId = user.identities[0]?.user_id;
}

async function selectUserByConnection(
  ctx: ApplyDeps,
  tx: ExchangeTransaction,
  selection: Extract<UserSelection, { by: 'connection' }>,
): Promise<void> {
  const {
    connection: connectionName,
    attributes: rawAttributes,
    creationBehavior: creation,
    updateBehavior: update,
  } = selection;
  // C1: the name is the Action's; a name no connection can have is refused before it keys a lookup.
  if (!isConnectionName(connectionName)) throw invalidRequest('setUserByConnection: the connection name is not valid');
  const connection = await ctx.configReads.connectionByName(connectionName);
  if (!connection) throw invalidRequest(`setUserByConnection: connection ${connectionName} does not exist`);
  if (!connection.enabled_clients.includes(tx.client.client_id)) {
    throw invalidRequest(`setUserByConnection: connection ${connectionName} is not enabled for this client`);
  }
  const providerUserId = rawAttributes.user_id;
  const attributes: ProfileAttributes = {};
  for (const k of PROFILE_ATTRIBUTES)
    if (rawAttributes[k] !== undefined) (attributes as Record<string, unknown>)[k] = rawAttributes[k];

  let user = await ctx.repos.users.getByIdentity(connection.id, providerUserId);
  if (!user) {
    if (creation !== 'create_if_not_exists') {
      throw invalidRequest(
        `setUserByConnection: user ${providerUserId} not found in connection ${connectionName} and creationBehavior is none`,
      );
    }
    if (connection.strategy === DATABASE_STRATEGY && !attributes.email) {
      throw invalidRequest(
        `setUserByConnection: email is required to create a user in database connection ${connectionName}`,
      );
    }
    user = (await ctx.repos.users.findOrCreateByIdentity(connection, providerUserId, attributes)).user;
  } else if (update === 'replace') {
    for (const k of IMMUTABLE) {
      const supplied = attributes[k];
      const current = user[k];
      if (supplied !== undefined && supplied !== (current ?? (k.endsWith('verified') ? false : undefined))) {
        throw invalidRequest(
          `setUserByConnection: ${k} is immutable on an existing user and cannot be changed with updateBehavior replace`,
        );
      }
    }
    ensureUsable(user);
    const replaced: ProfileAttributes = {};
    for (const k of PROFILE_ATTRIBUTES) {
      if ((IMMUTABLE as readonly string[]).includes(k)) continue;
      (replaced as Record<string, unknown>)[k] = attributes[k] ?? null;
    }
    tx.writes.profile = replaced;
    user = withProfile(user, replaced);
  }
  ensureUsable(user);
  tx.user = user;
  tx.connection = { id: connection.id, name: connection.name, strategy: connection.strategy };
  tx.identityUserId = providerUserId;
}

/** The user as it will be stored once `profile` is written ('merge': a null attribute is removed). */
function withProfile(user: User, profile: ProfileAttributes): User {
  const out: Record<string, unknown> = { ...user };
  for (const [k, v] of Object.entries(profile)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out as unknown as User;
}
