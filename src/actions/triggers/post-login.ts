/**
 * The `post-login` trigger (v3) as it runs in Baton's token-endpoint grants (spec section 7.1): the `event` object.
 * Only the fields a non-interactive transaction has; `event.session` is absent. `event.secrets` is added by the
 * runtime from RunRequest.secrets, never here.
 */
import type { Actor } from '../contract.js';
import {
  buildEventRequest,
  type EventClient,
  type EventOrganization,
  type EventRequest,
} from './custom-token-exchange.js';

/** spec 7.1: token exchange shares `oauth2-token-exchange` with Native Social Login and OBO; Actions tell them apart by `subject_token_type`. */
type PostLoginProtocol = 'oauth2-token-exchange' | 'oauth2-refresh-token';

interface PostLoginTransaction {
  protocol: PostLoginProtocol;
  requested_scopes: string[];
  subject_token_type?: string;
  actor_token_type?: string;
  actor?: Actor;
}

interface EventConnection {
  id: string;
  name: string;
  strategy: string;
}

export type PostLoginEventInput = {
  client: EventClient;
  connection?: EventConnection;
  organization?: EventOrganization;
  request: EventRequest;
  resource_server: { identifier: string };
  tenant: { id: string };
  transaction: PostLoginTransaction;
  /** The user as the Management API shows it. */
  user: Record<string, unknown>;
  stats: { logins_count: number };
  /** When the transaction authenticated the user (the grant's time). */
  authenticatedAt: Date;
};

export type PostLoginEvent = Omit<PostLoginEventInput, 'authenticatedAt'> & {
  authentication: { methods: Array<{ name: string; timestamp: string }> };
};

/** The event without `secrets` (the runtime adds them). Optional fields are omitted rather than set to undefined. */
export function buildPostLoginEvent(input: PostLoginEventInput): PostLoginEvent {
  const t = input.transaction;
  const transaction: PostLoginTransaction = { protocol: t.protocol, requested_scopes: [...t.requested_scopes] };
  if (t.subject_token_type !== undefined) transaction.subject_token_type = t.subject_token_type;
  if (t.actor_token_type !== undefined) transaction.actor_token_type = t.actor_token_type;
  if (t.actor !== undefined) transaction.actor = t.actor;
  const method = t.protocol === 'oauth2-token-exchange' ? 'custom-token-exchange' : 'refresh_token';
  const event: PostLoginEvent = {
    transaction,
    user: input.user,
    client: { client_id: input.client.client_id, name: input.client.name, metadata: { ...input.client.metadata } },
    resource_server: { identifier: input.resource_server.identifier },
    request: buildEventRequest(input.request),
    tenant: { id: input.tenant.id },
    stats: { logins_count: input.stats.logins_count },
    authentication: { methods: [{ name: method, timestamp: input.authenticatedAt.toISOString() }] },
  };
  if (input.connection)
    event.connection = { id: input.connection.id, name: input.connection.name, strategy: input.connection.strategy };
  if (input.organization) event.organization = { ...input.organization, metadata: { ...input.organization.metadata } };
  return event;
}
