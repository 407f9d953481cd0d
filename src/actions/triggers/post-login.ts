/**
 * The `post-login` trigger (v3) as it runs after a Custom Token Exchange (spec section 7.1): the `event` object.
 * Only the fields a token-exchange transaction has; `event.session` is absent (no interactive session).
 */
import { TRIGGERS } from '../contract.js';
import { buildEventRequest, type EventClient, type EventOrganization, type EventRequest, type EventUser } from './custom-token-exchange.js';

export const TRIGGER_ID = 'post-login' as const;
export const ENTRY_POINT = TRIGGERS[TRIGGER_ID].entryPoint;
/** spec 7.1: shared with Native Social Login and OBO; Actions tell them apart by `subject_token_type`. */
export const TOKEN_EXCHANGE_PROTOCOL = 'oauth2-token-exchange';

/** The `setActor()` object: `{sub, act?, ...custom}` (spec 6.6). */
export interface Actor {
  sub: string;
  act?: Actor;
  [custom: string]: string | number | boolean | Actor | undefined;
}

export interface PostLoginTransaction {
  protocol: typeof TOKEN_EXCHANGE_PROTOCOL;
  subject_token_type: string;
  actor_token_type?: string;
  actor?: Actor;
  requested_scopes: string[];
}

export interface EventConnection {
  id: string;
  name: string;
  strategy: string;
  metadata?: Record<string, string>;
}

export interface PostLoginEventInput {
  client: EventClient;
  connection: EventConnection;
  organization?: EventOrganization;
  request: EventRequest;
  resource_server: { identifier: string };
  tenant: { id: string };
  transaction: Omit<PostLoginTransaction, 'protocol'>;
  user: EventUser;
  stats: { logins_count: number };
}

export type PostLoginEvent = Omit<PostLoginEventInput, 'transaction'> & { transaction: PostLoginTransaction };

export function buildPostLoginEvent(input: PostLoginEventInput): PostLoginEvent {
  const t = input.transaction;
  const transaction: PostLoginTransaction = {
    protocol: TOKEN_EXCHANGE_PROTOCOL,
    subject_token_type: t.subject_token_type,
    requested_scopes: [...t.requested_scopes],
  };
  if (t.actor_token_type !== undefined) transaction.actor_token_type = t.actor_token_type;
  if (t.actor !== undefined) transaction.actor = t.actor;
  const event: PostLoginEvent = {
    client: { client_id: input.client.client_id, name: input.client.name, metadata: { ...input.client.metadata } },
    connection: { ...input.connection },
    request: buildEventRequest(input.request),
    resource_server: { identifier: input.resource_server.identifier },
    tenant: { id: input.tenant.id },
    transaction,
    user: input.user,
    stats: { logins_count: input.stats.logins_count },
  };
  if (input.organization) event.organization = { ...input.organization, metadata: { ...input.organization.metadata } };
  return event;
}
