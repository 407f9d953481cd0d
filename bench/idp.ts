/**
 * The bench "IdP": an ES256 key that signs the subject tokens, and a tiny node:http server publishing its JWKS on
 * loopback, as an external identity provider would. The JWKS server counts its hits, so the report can say whether
 * the Action's remote JWKS is cached (DESIGN section 4: `createRemoteJWKSet` through the jose shim).
 */
import http from 'node:http';
import { generateKeyPairSync, sign, randomUUID, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export const IDP_ISSUER = 'https://idp.bench.example/';
export const IDP_AUDIENCE = 'urn:baton:bench';
export const IDP_KID = 'bench-idp-1';

export interface Idp {
  /** The public key as a JWK (for the floor, which imports it once). */
  publicJwk: Record<string, unknown>;
  jwksUrl: string;
  /** How many times the JWKS was fetched. */
  jwksHits(): number;
  /** Subject tokens for `count` distinct users, valid for `ttlSeconds`. */
  mintPool(count: number, ttlSeconds: number, prefix?: string): string[];
  close(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export function signEs256(privateKey: KeyObject, header: object, payload: object): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(sig)}`;
}

export async function startIdp(): Promise<Idp> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: IDP_KID, alg: 'ES256', use: 'sig' };
  const body = JSON.stringify({ keys: [publicJwk] });
  let hits = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' }).end(body);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    publicJwk,
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    jwksHits: () => hits,
    mintPool(count, ttlSeconds, prefix = 'user') {
      const iat = Math.floor(Date.now() / 1000);
      return Array.from({ length: count }, (_, i) =>
        signEs256(
          privateKey,
          { alg: 'ES256', typ: 'JWT', kid: IDP_KID },
          {
            iss: IDP_ISSUER,
            aud: IDP_AUDIENCE,
            sub: `${prefix}-${i}`,
            email: `${prefix}-${i}@bench.example`,
            iat,
            exp: iat + ttlSeconds,
            jti: randomUUID(),
          },
        ),
      );
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
