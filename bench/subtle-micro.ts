/**
 * Diagnostic: the cost of one JWT signature and verification through jose, with Node's WebCrypto (a libuv pool
 * job per operation) and with Baton's inline wrapper (src/crypto/inline-subtle.ts), one after the other in one
 * process, each operation awaited before the next. `npx tsx bench/subtle-micro.ts` (BENCH_OPS, default 3000).
 * Prints wall-clock and process CPU µs per operation; the CPU includes the pool thread's.
 */
import * as jose from 'jose';
import { installInlineSubtle } from '../src/crypto/inline-subtle.js';

const n = Number(process.env.BENCH_OPS ?? 3000);
const ec = await jose.generateKeyPair('ES256');
const rsa = await jose.generateKeyPair('RS256');
const ecToken = await new jose.SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey);
const rsaToken = await new jose.SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);

async function measure(name: string, count: number, op: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 300; i++) await op();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await op();
  const wall = ((performance.now() - t0) * 1000) / count;
  const used = process.cpuUsage(cpu);
  console.log(
    `${name.padEnd(28)} wall ${wall.toFixed(1).padStart(6)} µs   cpu ${((used.user + used.system) / count).toFixed(1).padStart(6)} µs`,
  );
}

for (const phase of ['webcrypto', 'inline']) {
  if (phase === 'inline') installInlineSubtle();
  await measure(`${phase} ES256 sign`, n, () =>
    new jose.SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey),
  );
  await measure(`${phase} ES256 verify`, n, () => jose.jwtVerify(ecToken, ec.publicKey));
  await measure(`${phase} RS256 verify`, n, () => jose.jwtVerify(rsaToken, rsa.publicKey));
  await measure(`${phase} RS256 sign`, Math.ceil(n / 3), () =>
    new jose.SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey),
  );
}
