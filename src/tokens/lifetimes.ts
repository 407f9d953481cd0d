/** Token lifetimes that more than one module needs. */

/** Default ID token lifetime (Auth0's default, 10 hours) and the floor used for key publication windows. */
export const DEFAULT_ID_TOKEN_LIFETIME = 36000;
