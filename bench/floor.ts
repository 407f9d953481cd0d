/**
 * The crypto floor: what any token exchange server must do per request, and nothing more. One process, bare
 * node:http, synchronous node:crypto: parse the form, check the client and parameters, verify the subject JWT
 * (ES256, against a key imported once), sign an access token (RS256 or ES256). No storage, no Action, no logs.
 * Baton's throughput is reported as a ratio of this one's (docs/benchmarks.md).
 *
 * Run as a child: env FLOOR_ALG (RS256|ES256), FLOOR_IDP_JWK (the IdP public JWK), FLOOR_CLIENT_ID,
 * FLOOR_CLIENT_SECRET, FLOOR_AUDIENCE, FLOOR_SUBJECT_TOKEN_TYPE; prints `listening <port>` when ready.
 */
import http from 'node:http';
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { AddressInfo } from 'node:net';

const ALG = process.env.FLOOR_ALG === 'ES256' ? 'ES256' : 'RS256';
const IDP_KEY = createPublicKey({ key: JSON.parse(process.env.FLOOR_IDP_JWK ?? '{}'), format: 'jwk' });
const CLIENT_ID = process.env.FLOOR_CLIENT_ID ?? 'floor-client';
const SECRET_HASH = createHash('sha256')
  .update(process.env.FLOOR_CLIENT_SECRET ?? '')
  .digest();
const AUDIENCE = process.env.FLOOR_AUDIENCE ?? '';
const SUBJECT_TOKEN_TYPE = process.env.FLOOR_SUBJECT_TOKEN_TYPE ?? '';
const ISSUER = 'http://127.0.0.1/';
const IDP_ISSUER = 'https://idp.bench.example/';
const IDP_AUDIENCE = 'urn:baton:bench';

const signingKey: KeyObject =
  ALG === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const accessHeader = Buffer.from(JSON.stringify({ alg: ALG, typ: 'at+jwt', kid: 'floor-1' })).toString('base64url');

function fail(res: http.ServerResponse, status: number, error: string, description: string) {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ error, error_description: description }));
}

/** Verifies an ES256 compact JWT against the IdP key; returns its payload or undefined. */
function verifySubject(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString()) as { alg?: string };
  if (header.alg !== 'ES256') return undefined;
  const ok = verify(
    'sha256',
    Buffer.from(`${parts[0]}.${parts[1]}`),
    { key: IDP_KEY, dsaEncoding: 'ieee-p1363' },
    Buffer.from(parts[2]!, 'base64url'),
  );
  if (!ok) return undefined;
  const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  if (
    payload.iss !== IDP_ISSUER ||
    payload.aud !== IDP_AUDIENCE ||
    typeof payload.exp !== 'number' ||
    payload.exp <= now
  )
    return undefined;
  return payload;
}

function mint(sub: string, scope: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const payload = {
    iss: ISSUER,
    sub,
    aud: AUDIENCE,
    azp: CLIENT_ID,
    scope,
    iat,
    exp: iat + 3600,
    jti: randomBytes(16).toString('hex'),
  };
  const input = `${accessHeader}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const sig =
    ALG === 'RS256'
      ? sign('sha256', Buffer.from(input), signingKey)
      : sign('sha256', Buffer.from(input), { key: signingKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

function handle(body: string, res: http.ServerResponse) {
  const form = new URLSearchParams(body);
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange')
    return fail(res, 400, 'unsupported_grant_type', 'grant_type');
  const secret = createHash('sha256')
    .update(form.get('client_secret') ?? '')
    .digest();
  if (form.get('client_id') !== CLIENT_ID || !timingSafeEqual(secret, SECRET_HASH))
    return fail(res, 401, 'invalid_client', 'Unauthorized');
  if (form.get('subject_token_type') !== SUBJECT_TOKEN_TYPE || form.get('audience') !== AUDIENCE)
    return fail(res, 400, 'invalid_request', 'parameters');
  let claims: Record<string, unknown> | undefined;
  try {
    claims = verifySubject(form.get('subject_token') ?? '');
  } catch {
    claims = undefined;
  }
  if (!claims) return fail(res, 400, 'invalid_request', 'Invalid subject token');
  const scope = form.get('scope') ?? '';
  const body2 = JSON.stringify({
    access_token: mint(`oidc|legacy-idp|${String(claims.sub)}`, scope),
    issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    token_type: 'Bearer',
    expires_in: 3600,
    ...(scope ? { scope } : {}),
  });
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body2);
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/oauth/token') return fail(res, 404, 'not_found', 'Not Found');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => handle(Buffer.concat(chunks).toString(), res));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
