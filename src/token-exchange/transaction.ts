/** The state one token exchange accumulates as it moves through its steps. */
import type { Client } from '../storage/repositories/clients.js';
import type { ResourceServer } from '../storage/repositories/resource-servers.js';
import type { ExchangeParams } from './parameters.js';
import type { ActorClaim } from '../tokens/actor.js';
import type { MetadataChanges } from '../actions/contract.js';
import type { User } from '../users/user.js';
import type { ProfileAttributes } from '../users/attributes.js';
import type { Organization } from '../storage/repositories/organizations.js';

export interface ExchangeTransaction {
  client: Client;
  params: ExchangeParams;
  /** The parsed form, client credentials removed (D8). */
  body: Record<string, string>;
  ip: string;
  userAgent: string | undefined;
  hostname: string;
  language: string | undefined;
  api?: ResourceServer;
  profile?: { id: string; action_id: string; subject_token_type: string; actor_token_audiences?: string[] };
  /** Organization named by the request (`organization` parameter), resolved before the Action. */
  requestOrg?: Organization | undefined;
  actorTokenUser?: User | undefined;
  user?: User;
  /** The connection the user was selected through (setUserByConnection) or the user's primary one. */
  connection?: { id: string; name: string; strategy: string };
  identityUserId?: string;
  org?: Organization | undefined;
  actor?: ActorClaim | undefined;
  /** The metadata the exchange Action set; written with post-login's, once the exchange will answer 200. */
  metadata: MetadataChanges;
  /**
   * Writes the Action's decision asks for, held until the exchange will answer 200 (decide first, mint last):
   * the profile replaced by `updateBehavior: 'replace'`, the membership assigned on login. Until then `user`
   * shows the replaced profile.
   */
  writes: { profile?: ProfileAttributes; membershipOf?: string };
}
