/**
 * The user attributes of spec 6.3 and 6.5, the one table they are defined in: the attributes `setUserByConnection`
 * accepts, with their types. The host's command checks and the guest (through actions/triggers/tables.ts) read it;
 * the profile a connection supplies (`ProfileAttributes`, `PROFILE_FIELDS`) is the same table without the id and
 * the `verify_email` flag.
 */

export const USER_ATTRIBUTES = {
  user_id: 'string',
  email: 'string',
  email_verified: 'boolean',
  username: 'string',
  phone_number: 'string',
  phone_verified: 'boolean',
  name: 'string',
  given_name: 'string',
  family_name: 'string',
  nickname: 'string',
  picture: 'string',
  verify_email: 'boolean',
} as const satisfies Record<string, 'string' | 'boolean'>;

type AttributeName = keyof typeof USER_ATTRIBUTES;
type ValueOf<K extends AttributeName> = (typeof USER_ATTRIBUTES)[K] extends 'string' ? string : boolean;

/** `setUserByConnection` user attributes (spec 6.3), as the host checked them. */
export type UserAttributes = { user_id: string } & { [K in Exclude<AttributeName, 'user_id'>]?: ValueOf<K> };

/** The attributes that are not profile: the id inside the connection and the `verify_email` request. */
type ProfileName = Exclude<AttributeName, 'user_id' | 'verify_email'>;

/** Profile attributes a connection supplies (spec section 6.3 table, metadata excluded); null clears one. */
export type ProfileAttributes = {
  [K in ProfileName]?: (typeof USER_ATTRIBUTES)[K] extends 'string' ? string | null : boolean;
};

/** Every profile attribute, flags included, in the table's order. */
export const PROFILE_ATTRIBUTES = (Object.keys(USER_ATTRIBUTES) as AttributeName[]).filter(
  (k): k is ProfileName => k !== 'user_id' && k !== 'verify_email',
);

/** The profile as a user carries it (no null: a cleared attribute is absent). */
export type Profile = { [K in ProfileName]?: ValueOf<K> };

type ProfileField = { [K in ProfileName]: (typeof USER_ATTRIBUTES)[K] extends 'string' ? K : never }[ProfileName];

/** The string-valued profile attributes (the flags `email_verified` and `phone_verified` excluded). */
export const PROFILE_FIELDS: readonly ProfileField[] = (Object.keys(USER_ATTRIBUTES) as AttributeName[]).filter(
  (k): k is ProfileField => USER_ATTRIBUTES[k] === 'string' && k !== 'user_id',
);
