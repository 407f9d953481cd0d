/**
 * Connection `options` may hold upstream credentials (an OIDC `client_secret`, a SAML signing key). They are sealed
 * with the master key before they are stored and opened only to answer the Management API, so the database never
 * holds them in clear (DESIGN section 5). A sealed value is stored as `{"$sealed": "<compact JWE>"}`.
 */
import type { Sealer } from '../../keys/master-key.js';

const SECRET_OPTION = /secret|password|private_?key|signing_?key|cert_?key/i;

type Options = Record<string, unknown>;

const isSealed = (v: unknown): v is { $sealed: string } =>
  typeof v === 'object' && v !== null && typeof (v as { $sealed?: unknown }).$sealed === 'string' && Object.keys(v).length === 1;

export async function sealOptions(sealer: Sealer, options: Options): Promise<Options> {
  const out: Options = {};
  for (const [k, v] of Object.entries(options)) {
    if (SECRET_OPTION.test(k) && typeof v === 'string') out[k] = { $sealed: await sealer.seal(v) };
    else if (v && typeof v === 'object' && !Array.isArray(v)) out[k] = await sealOptions(sealer, v as Options);
    else out[k] = v;
  }
  return out;
}

export async function openOptions(sealer: Sealer, options: Options): Promise<Options> {
  const out: Options = {};
  for (const [k, v] of Object.entries(options)) {
    if (isSealed(v)) out[k] = await sealer.open(v.$sealed);
    else if (v && typeof v === 'object' && !Array.isArray(v)) out[k] = await openOptions(sealer, v as Options);
    else out[k] = v;
  }
  return out;
}
