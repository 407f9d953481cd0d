/**
 * What one Action run may hand the host (issue 10 H2). Every `api` command crosses from the sandbox worker to the
 * server's main thread, is kept with the transaction, applied and logged; without a budget one run could record
 * gigabytes of commands and end the server. Auth0 documents none of these numbers except the 32 kB metadata
 * limit (spec 6.10); the others are Baton's, chosen far above what an Action needs.
 */

/** Commands one run may record (`BATON_ACTION_MAX_COMMANDS`). */
export const DEFAULT_MAX_COMMANDS = 256;
/** Serialized bytes (UTF-8 JSON of `{name, args}`) of the commands one run may record (`BATON_ACTION_MAX_COMMAND_BYTES`). */
export const DEFAULT_MAX_COMMAND_BYTES = 256 * 1024;

/** `api.access.deny` and `rejectInvalidSubjectToken` reasons (the response's `error_description`) are cut here. */
export const MAX_REASON_CHARS = 500;
/** Thrown error messages and rule messages are cut here before they leave the worker. */
export const MAX_ERROR_MESSAGE_CHARS = 1024;
/** Thrown error names are cut here. */
export const MAX_ERROR_NAME_CHARS = 128;

/** `setCustomClaim`: a claim name's length, a value's serialized size, distinct claims per token per run. */
export const MAX_CLAIM_NAME_CHARS = 256;
export const MAX_CLAIM_VALUE_BYTES = 16 * 1024;
export const MAX_CUSTOM_CLAIMS = 100;

/** spec 6.10: 32 kB of app_metadata and 32 kB of user_metadata per run (serialized values; a key set again counts once). */
export const MAX_METADATA_BYTES = 32 * 1024;
/** A metadata key's length. */
export const MAX_METADATA_KEY_CHARS = 256;

/** `s` cut to at most `max` UTF-16 code units, without leaving half a surrogate pair at the end. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.charCodeAt(max - 1);
  return s.slice(0, cut >= 0xd800 && cut <= 0xdbff ? max - 1 : max);
}

/** `setActor`: `sub` and custom string properties (they become the `act` claim). */
export const MAX_ACTOR_STRING_CHARS = 1024;
/** `setUserByConnection`: each string user attribute (stored on the user, some in the ID token). */
export const MAX_USER_ATTRIBUTE_CHARS = 2048;
