/**
 * An Action's secrets at rest: sealed with the master key (`ctx.sealer`) for the Action's id before they reach
 * storage, opened only to run.
 */
import type { Sealer } from '../crypto/master-key.js';
import type { SecretName } from '../storage/repositories/actions.js';

/** A secret as stored (sealed): its value and when it last changed. */
export interface StoredSecret {
  name: string;
  value: string;
  updated_at: string;
}

/**
 * Sealed for the Action's id (L5): its versions copy the blob, so a version opens it with the same binding, and a
 * blob copied into another Action does not open. Every write reseals, so a blob sealed before L5 is bound then.
 */
const secretsContext = (actionId: string) => ({ purpose: 'action-secrets', id: actionId }) as const;

export async function sealSecrets(
  ctx: { sealer: Sealer },
  actionId: string,
  secrets: StoredSecret[],
): Promise<{ secrets_enc: string; secret_names: SecretName[] }> {
  return {
    secrets_enc: await ctx.sealer.seal(JSON.stringify(secrets), secretsContext(actionId)),
    secret_names: secrets.map((s) => ({ name: s.name, updated_at: s.updated_at })),
  };
}

export async function openSecrets(ctx: { sealer: Sealer }, actionId: string, sealed: string): Promise<StoredSecret[]> {
  return JSON.parse(await ctx.sealer.open(sealed, secretsContext(actionId))) as StoredSecret[];
}

export const secretsRecord = (secrets: StoredSecret[]): Record<string, string> =>
  Object.fromEntries(secrets.map((s) => [s.name, s.value]));
