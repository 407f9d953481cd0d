/**
 * Step 10 of spec 1.2: apply the commands of a successful Action: the user (exactly one of setUserById /
 * setUserByConnection, spec 6.2-6.4), the organization (spec 6.5, 7.3), the actor (spec 6.6), metadata (6.10).
 * Error mapping per DESIGN D10.
 */
import type { AppContext } from '../../../context.js';
import type { ActionCommand } from '../../../actions/contract.js';
import { accessDenied, invalidRequest, serverError } from '../../errors.js';
import { actorShapeError, type ActorClaim } from '../../../tokens/actor.js';
import type { ExchangeTransaction } from './transaction.js';
import { DATABASE_STRATEGY, isConnectionName } from '../../../storage/repositories/connections.js';
import type { ProfileAttributes, User } from '../../../storage/repositories/users.js';
import { resolveOrganization } from './organization.js';

const IMMUTABLE = ['email', 'email_verified', 'username', 'phone_number', 'phone_verified'] as const;
const PROFILE_ATTRIBUTES = ['email', 'email_verified', 'username', 'phone_number', 'phone_verified', 'name', 'given_name', 'family_name', 'nickname', 'picture'] as const;

const byName = (commands: ActionCommand[], name: string) => commands.filter((c) => c.name === name);

export async function applyExchangeCommands(ctx: AppContext, tx: ExchangeTransaction, commands: ActionCommand[]): Promise<void> {
  const byId = byName(commands, 'authentication.setUserById');
  const byConnection = byName(commands, 'authentication.setUserByConnection');
  if (byId.length + byConnection.length === 0) throw serverError('Action did not set a user (setUserById or setUserByConnection)');
  if (byId.length + byConnection.length > 1) throw serverError('Action set more than one user');

  const actors = byName(commands, 'authentication.setActor');
  if (actors.length > 1) throw serverError('Action called setActor more than once');
  if (actors.length === 1) {
    const shape = actorShapeError(actors[0]!.args[0]);
    if (shape) throw serverError(`setActor: ${shape}`);
    tx.actor = actors[0]!.args[0] as ActorClaim;
  }

  for (const c of commands) {
    if (c.name === 'user.setAppMetadata') tx.appMetadata[String(c.args[0])] = c.args[1] ?? null;
    if (c.name === 'user.setUserMetadata') tx.userMetadata[String(c.args[0])] = c.args[1] ?? null;
  }

  if (byId.length) await selectUserById(ctx, tx, String(byId[0]!.args[0]));
  else await selectUserByConnection(ctx, tx, byConnection[0]!.args);

  const orgs = byName(commands, 'authentication.setOrganization');
  if (orgs.length > 1) throw serverError('Action called setOrganization more than once');
  await resolveOrganization(ctx, tx, orgs[0]?.args[0] as string | undefined, byConnection.length > 0);
}

function ensureUsable(user: User): void {
  if (user.blocked) throw accessDenied('user is blocked', `user ${user.user_id} is blocked`);
}

async function selectUserById(ctx: AppContext, tx: ExchangeTransaction, userId: string): Promise<void> {
  const user = await ctx.repos.users.get(userId);
  if (!user) throw invalidRequest('User not found', `setUserById: no user ${userId}`);
  ensureUsable(user);
  const connection = await ctx.configCache.get(`connection-id:${user.connection_id}`, () => ctx.repos.connections.get(user.connection_id));
  tx.user = user;
  if (connection) tx.connection = { id: connection.id, name: connection.name, strategy: connection.strategy };
  tx.identityUserId = user.identities[0]?.user_id;
}

async function selectUserByConnection(ctx: AppContext, tx: ExchangeTransaction, args: unknown[]): Promise<void> {
  const [connectionName, rawAttributes, rawOptions] = args as [string, Record<string, unknown>, Record<string, unknown> | undefined];
  const options = rawOptions ?? {};
  const creation = (options.creationBehavior as string | undefined) ?? 'none';
  const update = (options.updateBehavior as string | undefined) ?? 'none';
  // C1: the name is the Action's; a name no connection can have is refused before it keys a lookup.
  if (!isConnectionName(connectionName)) throw invalidRequest('setUserByConnection: the connection name is not valid');
  const connection = await ctx.configCache.get(`connection:${connectionName}`, () => ctx.repos.connections.getByName(connectionName));
  if (!connection) throw invalidRequest(`setUserByConnection: connection ${connectionName} does not exist`);
  if (!connection.enabled_clients.includes(tx.client.client_id)) {
    throw invalidRequest(`setUserByConnection: connection ${connectionName} is not enabled for this client`);
  }
  const providerUserId = String(rawAttributes.user_id);
  const attributes: ProfileAttributes = {};
  for (const k of PROFILE_ATTRIBUTES) if (rawAttributes[k] !== undefined) (attributes as Record<string, unknown>)[k] = rawAttributes[k];

  let user = await ctx.repos.users.getByIdentity(connection.id, providerUserId);
  if (!user) {
    if (creation !== 'create_if_not_exists') {
      throw invalidRequest(`setUserByConnection: user ${providerUserId} not found in connection ${connectionName} and creationBehavior is none`);
    }
    if (connection.strategy === DATABASE_STRATEGY && !attributes.email) {
      throw invalidRequest(`setUserByConnection: email is required to create a user in database connection ${connectionName}`);
    }
    user = (await ctx.repos.users.findOrCreateByIdentity(connection, providerUserId, attributes)).user;
  } else if (update === 'replace') {
    for (const k of IMMUTABLE) {
      const supplied = attributes[k];
      const current = user[k];
      if (supplied !== undefined && supplied !== (current ?? (k.endsWith('verified') ? false : undefined))) {
        throw invalidRequest(`setUserByConnection: ${k} is immutable on an existing user and cannot be changed with updateBehavior replace`);
      }
    }
    ensureUsable(user);
    const replaced: ProfileAttributes = {};
    for (const k of PROFILE_ATTRIBUTES) {
      if ((IMMUTABLE as readonly string[]).includes(k)) continue;
      (replaced as Record<string, unknown>)[k] = attributes[k] ?? null;
    }
    user = (await ctx.repos.users.updateProfile(user.user_id, replaced, 'merge'))!;
  }
  ensureUsable(user);
  tx.user = user;
  tx.connection = { id: connection.id, name: connection.name, strategy: connection.strategy };
  tx.identityUserId = providerUserId;
}
