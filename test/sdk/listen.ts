/**
 * A Baton app on a real loopback port, for tests with real HTTP clients (SDKs). The issuer must name the port the
 * server listens on, so a free port is picked first and passed as BATON_ISSUER.
 */
import net from 'node:net';
import { startTestApp, type TestApp } from '../helpers/app.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ListeningApp extends TestApp {
  port: number;
  issuer: string;
}

export async function startListeningApp(): Promise<ListeningApp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/`;
  const t = await startTestApp({ env: { BATON_ISSUER: issuer } });
  await t.app.listen({ port, host: '127.0.0.1' });
  return Object.assign(t, { port, issuer });
}

/** The auth0 SDKs hard-wire `https://{domain}`; this fetch sends their requests to the plain-HTTP loopback server. */
export const httpFetch: typeof fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  const rewritten = url.replace(/^https:\/\//, 'http://');
  return input instanceof Request ? fetch(new Request(rewritten, input), init) : fetch(rewritten, init);
};
