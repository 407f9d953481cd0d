/**
 * The `custom-token-exchange` trigger (v1): the `event` object, field by field as spec section 5.2 lists it.
 * `event.secrets` is added by the runtime from RunRequest.secrets, never here (secrets go there and nowhere else).
 */

export interface EventClient {
  client_id: string;
  name: string;
  /** The client's `client_metadata`. */
  metadata: Record<string, string>;
}

export interface EventOrganization {
  id: string;
  name: string;
  display_name: string;
  metadata: Record<string, string>;
}

interface EventGeoip {
  cityName?: string;
  continentCode?: string;
  countryCode?: string;
  countryCode3?: string;
  countryName?: string;
  latitude?: number;
  longitude?: number;
  subdivisionCode?: string;
  subdivisionName?: string;
  timeZone?: string;
}

export interface EventRequest {
  /** The parsed form; DESIGN D8: `client_secret` and `client_assertion` removed. */
  body: Record<string, string>;
  geoip: EventGeoip;
  hostname?: string;
  ip: string;
  language?: string;
  method: string;
  user_agent?: string;
}

/** The normalized profile subset of `event.transaction.actor_token_user` (spec 5.2). */
export interface EventUser {
  user_id: string;
  created_at: string;
  updated_at: string;
  email_verified: boolean;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  identities: Array<{
    connection?: string;
    isSocial?: boolean;
    profileData?: Record<string, unknown>;
    provider?: string;
    user_id?: string;
  }>;
  email?: string;
  family_name?: string;
  given_name?: string;
  last_password_reset?: string;
  name?: string;
  nickname?: string;
  phone_number?: string;
  phone_verified?: boolean;
  picture?: string;
  username?: string;
  enrolledFactors?: Array<{ type: string; options?: Record<string, unknown> }>;
  multifactor?: string[];
}

interface CustomTokenExchangeTransaction {
  subject_token: string;
  subject_token_type: string;
  requested_scopes: string[];
  requested_token_type: string;
  actor_token?: string;
  actor_token_type?: string;
  actor_token_user?: EventUser;
}

export interface CustomTokenExchangeEventInput {
  client: EventClient;
  organization?: EventOrganization;
  request: EventRequest;
  /** The resolved audience. */
  resource_server: { identifier: string };
  tenant: { id: string };
  transaction: CustomTokenExchangeTransaction;
}

/** The event without `secrets` (the runtime adds them). Optional fields are omitted rather than set to undefined. */
export type CustomTokenExchangeEvent = CustomTokenExchangeEventInput;

export function buildCustomTokenExchangeEvent(input: CustomTokenExchangeEventInput): CustomTokenExchangeEvent {
  const t = input.transaction;
  const transaction: CustomTokenExchangeTransaction = {
    subject_token: t.subject_token,
    subject_token_type: t.subject_token_type,
    requested_scopes: [...t.requested_scopes],
    requested_token_type: t.requested_token_type,
  };
  if (t.actor_token !== undefined) transaction.actor_token = t.actor_token;
  if (t.actor_token_type !== undefined) transaction.actor_token_type = t.actor_token_type;
  if (t.actor_token_user !== undefined) transaction.actor_token_user = t.actor_token_user;
  const event: CustomTokenExchangeEvent = {
    client: { client_id: input.client.client_id, name: input.client.name, metadata: { ...input.client.metadata } },
    request: buildEventRequest(input.request),
    resource_server: { identifier: input.resource_server.identifier },
    tenant: { id: input.tenant.id },
    transaction,
  };
  if (input.organization) event.organization = { ...input.organization, metadata: { ...input.organization.metadata } };
  return event;
}

/** DESIGN D8: the form as parsed, without client credentials. */
export function buildEventRequest(r: EventRequest): EventRequest {
  const { client_secret: _s, client_assertion: _a, ...body } = r.body;
  const out: EventRequest = { body, geoip: { ...r.geoip }, ip: r.ip, method: r.method };
  if (r.hostname !== undefined) out.hostname = r.hostname;
  if (r.language !== undefined) out.language = r.language;
  if (r.user_agent !== undefined) out.user_agent = r.user_agent;
  return out;
}
