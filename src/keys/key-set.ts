/**
 * The tenant's signing key set: one current key per algorithm (RS256 and PS256 on 2048-bit RSA, ES256 on P-256),
 * private halves encrypted at rest with the master key, imported once and kept in memory.
 * Rotation: new keys sign from then on; the retired ones stay in the JWKS until every token they signed has
 * expired (`publish_until_epoch`).
 */
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  calculateJwkThumbprint,
  createLocalJWKSet,
  type JWK,
  type CryptoKey,
} from 'jose';
import type { Sealer } from '../crypto/master-key.js';
import type { signingKeysRepository, SigningKeyRow } from '../storage/repositories/signing-keys.js';
import { nowEpoch, nowIso } from '../storage/codec.js';
import type { Repositories } from '../storage/index.js';
import { DEFAULT_ID_TOKEN_LIFETIME } from '../tokens/lifetimes.js';

export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
export const isSigningAlg = (v: unknown): v is SigningAlg => SIGNING_ALGS.includes(v as SigningAlg);

export interface ActiveKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  /** The private JWK, kept so a worker thread can import it for off-loop signing. */
  privateJwk: JWK;
}

export interface PublicKeyView {
  kid: string;
  alg: string;
  status: string;
  created_at: string;
  rotated_at: string | null;
  publish_until: string | null;
  jwk: JWK;
}

type Repo = ReturnType<typeof signingKeysRepository>;

export class KeySet {
  private current = new Map<SigningAlg, ActiveKey>();
  private jwks: { keys: JWK[] } = { keys: [] };
  private rows: SigningKeyRow[] = [];
  private localJwks: ReturnType<typeof createLocalJWKSet> | undefined;

  constructor(
    private readonly repo: Repo,
    private readonly sealer: Sealer,
    /** Longest lifetime of any token Baton issues, in seconds: how long a retired key stays published. */
    private readonly maxTokenLifetime: () => Promise<number>,
  ) {}

  /** Creates the first key set if there is none, then loads it. */
  async init(): Promise<void> {
    const rows = await this.repo.list();
    if (!rows.some((r) => r.status === 'current')) {
      await this.repo.insertIfNone(await this.generateAll());
    }
    await this.reload();
  }

  async reload(): Promise<void> {
    const rows = await this.repo.list();
    const now = nowEpoch();
    const current = new Map<SigningAlg, ActiveKey>();
    for (const row of rows) {
      if (row.status !== 'current' || !isSigningAlg(row.alg) || current.has(row.alg)) continue;
      const context = { purpose: 'signing-key', id: row.kid } as const;
      const plaintext = await this.sealer.open(row.private_jwk_enc, context);
      // Sealed before L5 (no binding to its row): bound from now on.
      if (this.sealer.isLegacy(row.private_jwk_enc))
        await this.repo.reseal(row.kid, row.private_jwk_enc, await this.sealer.seal(plaintext, context));
      const privateJwk = JSON.parse(plaintext) as JWK;
      const privateKey = (await importJWK(privateJwk, row.alg)) as CryptoKey;
      current.set(row.alg, { kid: row.kid, alg: row.alg, privateKey, privateJwk });
    }
    const published = rows.filter(
      (r) => r.status === 'current' || (r.status === 'previous' && (r.publish_until_epoch ?? 0) > now),
    );
    this.current = current;
    this.rows = rows;
    this.jwks = { keys: published.map((r) => JSON.parse(r.public_jwk) as JWK) };
    this.localJwks = undefined;
  }

  signingKey(alg: SigningAlg): ActiveKey {
    const key = this.current.get(alg);
    if (!key) throw new TypeError(`no current signing key for ${alg}`);
    return key;
  }

  /** The public JWKS: current keys and retired ones still within their publication window. */
  publicJwks(): { keys: JWK[] } {
    const now = nowEpoch();
    const visible = new Set(
      this.rows
        .filter((r) => r.status === 'current' || (r.status === 'previous' && (r.publish_until_epoch ?? 0) > now))
        .map((r) => r.kid),
    );
    return { keys: this.jwks.keys.filter((k) => visible.has(k.kid!)) };
  }

  /**
   * The published keys as a jose key resolver, for verifying Baton's own tokens. Built once per reload (at most a
   * minute old, see context.ts) instead of on every verification.
   */
  verificationKeys(): ReturnType<typeof createLocalJWKSet> {
    this.localJwks ??= createLocalJWKSet(this.publicJwks());
    return this.localJwks;
  }

  list(): PublicKeyView[] {
    return this.rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      status: r.status,
      created_at: r.created_at,
      rotated_at: r.rotated_at,
      publish_until: r.publish_until_epoch ? new Date(r.publish_until_epoch * 1000).toISOString() : null,
      jwk: JSON.parse(r.public_jwk) as JWK,
    }));
  }

  async rotate(): Promise<PublicKeyView[]> {
    const fresh = await this.generateAll();
    const publishUntil = nowEpoch() + (await this.maxTokenLifetime());
    await this.repo.rotate(fresh, nowIso(), publishUntil);
    await this.reload();
    const kids = new Set(fresh.map((k) => k.kid));
    return this.list().filter((k) => kids.has(k.kid));
  }

  private async generateAll(): Promise<SigningKeyRow[]> {
    return Promise.all(SIGNING_ALGS.map((alg) => this.generate(alg)));
  }

  private async generate(alg: SigningAlg): Promise<SigningKeyRow> {
    const { publicKey, privateKey } = await generateKeyPair(alg, { modulusLength: 2048, extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = await exportJWK(privateKey);
    return {
      kid,
      alg,
      private_jwk_enc: await this.sealer.seal(JSON.stringify({ ...privateJwk, kid, alg }), {
        purpose: 'signing-key',
        id: kid,
      }),
      public_jwk: JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' }),
      status: 'current',
      created_at: nowIso(),
      rotated_at: null,
      publish_until_epoch: null,
    };
  }
}

/**
 * The tenant's key set over its storage: a retired key stays published for the longest lifetime of any token Baton
 * issues (an API's access tokens, the ID token's default), and at least a day.
 */
export function tenantKeySet(repos: Pick<Repositories, 'signingKeys' | 'resourceServers'>, sealer: Sealer): KeySet {
  return new KeySet(repos.signingKeys, sealer, async () =>
    Math.max(DEFAULT_ID_TOKEN_LIFETIME, 86400, await repos.resourceServers.maxTokenLifetime()),
  );
}
