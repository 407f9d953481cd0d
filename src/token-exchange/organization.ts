/**
 * Organizations in a token exchange (spec 6.5, 7.3, DESIGN D6, D10): the request's `organization` is resolved
 * before the Action; `setOrganization` may add one or must agree with it; the client's `organization_usage`
 * must allow it; the user must be a member (or join through an enabled connection with
 * `assign_membership_on_login`, only for setUserByConnection; the membership is written only with a 200).
 */
import type { AppContext } from '../context.js';
import { accessDenied, invalidRequest } from '../oauth/errors.js';
import type { ExchangeTransaction } from './transaction.js';
import type { Organization } from '../storage/repositories/organizations.js';

/** What these steps use of the context. */
type OrganizationDeps = Pick<AppContext, 'configReads' | 'repos'>;

async function lookup(ctx: OrganizationDeps, idOrName: string): Promise<Organization | undefined> {
  if (idOrName.startsWith('org_')) return ctx.repos.organizations.get(idOrName);
  const tenant = await ctx.configReads.tenantSettings();
  if (!tenant?.allow_organization_name_in_authentication_api) return undefined;
  return ctx.repos.organizations.getByName(idOrName);
}

/** Before the Action: the `organization` parameter. */
export async function resolveRequestOrganization(ctx: OrganizationDeps, tx: ExchangeTransaction): Promise<void> {
  const requested = tx.params.organization;
  if (!requested) return;
  const usage = tx.client.organization_usage ?? 'deny';
  if (usage === 'deny') throw invalidRequest('The client does not support organizations (organization_usage is deny)');
  const org = await lookup(ctx, requested);
  if (!org) throw invalidRequest(`Organization not found: ${requested}`);
  tx.requestOrg = org;
}

/** After the Action selected the user. */
export async function resolveOrganization(
  ctx: OrganizationDeps,
  tx: ExchangeTransaction,
  fromAction: string | undefined,
  viaConnection: boolean,
): Promise<void> {
  let org = tx.requestOrg;
  if (fromAction !== undefined) {
    const usage = tx.client.organization_usage ?? 'deny';
    if (usage === 'deny')
      throw accessDenied('The client does not support organizations', 'setOrganization with organization_usage deny');
    const actionOrg = await lookup(ctx, fromAction);
    if (!actionOrg) throw accessDenied('Organization not found', `setOrganization: no organization ${fromAction}`);
    if (org && org.id !== actionOrg.id) {
      throw accessDenied(
        'Organization mismatch',
        `request organization ${org.id} differs from setOrganization ${actionOrg.id}`,
      );
    }
    org = actionOrg;
  }
  if (!org) {
    if (tx.client.organization_usage === 'require')
      throw invalidRequest(
        'An organization is required for this client',
        'organization_usage is require and no organization was set',
      );
    return;
  }
  const user = tx.user!;
  if (!(await ctx.repos.organizations.isMember(org.id, user.user_id))) {
    const enabled = tx.connection
      ? await ctx.repos.organizations.enabledConnection(org.id, tx.connection.id)
      : undefined;
    if (viaConnection && enabled?.assign_membership_on_login) {
      // Written once the exchange will answer 200 (apply-commands.ts writeExchangeDecision).
      tx.writes.membershipOf = org.id;
    } else {
      throw accessDenied(
        'User is not a member of the organization',
        `user ${user.user_id} is not a member of ${org.id}`,
      );
    }
  }
  tx.org = org;
}
