/**
 * Connection `options` may hold upstream credentials (an OIDC `client_secret`, a SAML signing key). They are sealed
 * with the master key before they are stored and opened only to answer the Management API, so the database never
 * holds them in clear (DESIGN section 5). A sealed value is stored as `{"$sealed": "<compact JWE>"}`.
 */
import type { SealContext, Sealer } from '../../crypto/master-key.js';

const SECRET_OPTION = /secret|password|private_?key|signing_?key|cert_?key/i;

type Options = Record<string, unknown>;

const isSealed = (v: unknown): v is { $sealed: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { $sealed?: unknown }).$sealed === 'string' &&
  Object.keys(v).length === 1;

/**
 * A sealed option is bound to its connection and its place in `options` (L5): `<connection id>/<key>/<key>...`, so
 * it opens neither in another connection nor under another option name.
 */
const optionContext = (connectionId: string, keys: string[]): SealContext => ({
  purpose: 'connection-secret',
  id: [connectionId, ...keys].map(encodeURIComponent).join('/'),
});

export async function sealOptions(
  sealer: Sealer,
  connectionId: string,
  options: Options,
  at: string[] = [],
): Promise<Options> {
  const out: Options = {};
  for (const [k, v] of Object.entries(options)) {
    if (SECRET_OPTION.test(k) && typeof v === 'string')
      out[k] = { $sealed: await sealer.seal(v, optionContext(connectionId, [...at, k])) };
    else if (v && typeof v === 'object' && !Array.isArray(v))
      out[k] = await sealOptions(sealer, connectionId, v as Options, [...at, k]);
    else out[k] = v;
  }
  return out;
}

export async function openOptions(
  sealer: Sealer,
  connectionId: string,
  options: Options,
  at: string[] = [],
): Promise<Options> {
  const out: Options = {};
  for (const [k, v] of Object.entries(options)) {
    if (isSealed(v)) out[k] = await sealer.open(v.$sealed, optionContext(connectionId, [...at, k]));
    else if (v && typeof v === 'object' && !Array.isArray(v))
      out[k] = await openOptions(sealer, connectionId, v as Options, [...at, k]);
    else out[k] = v;
  }
  return out;
}
