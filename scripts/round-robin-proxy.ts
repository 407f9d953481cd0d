/**
 * A small round-robin HTTP proxy for trying Baton as a cluster on one machine (`npm run cluster`, and the bench's
 * cluster pass). Not a production load balancer: no TLS, no health checks, no retries.
 *
 * It forwards each request as it came (method, path, headers, body streamed both ways) to the next node in turn,
 * over kept-alive connections, minus the hop-by-hop headers (RFC 9110 section 7.6.1). It OVERWRITES
 * X-Forwarded-For with the address it received the connection from, and sets X-Forwarded-Proto and
 * X-Forwarded-Host likewise, so the nodes may run with BATON_TRUST_PROXY=true: Fastify then takes the client's IP
 * from X-Forwarded-For (oauth/request-ip.ts, Suspicious IP Throttling), and a client cannot choose it by sending
 * one of its own (docs/security.md, "Behind a reverse proxy"). A node that cannot be reached gets the request a 502
 * in OAuth's error shape.
 *
 *   tsx scripts/round-robin-proxy.ts <port> <upstream URL>...
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/** Hop-by-hop headers: they describe one connection, never forwarded (RFC 9110 section 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.includes(name)) out[name] = value;
  }
  return out;
}

export interface Proxy {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startProxy(opts: { upstreams: string[]; port?: number; host?: string }): Promise<Proxy> {
  const upstreams = opts.upstreams.map((u) => new URL(u));
  if (upstreams.length === 0) throw new Error('the proxy needs at least one upstream');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let next = 0;
  const server = http.createServer((req, res) => {
    const target = upstreams[next++ % upstreams.length]!;
    const headers = endToEnd(req.headers);
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = 'http';
    if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(
        JSON.stringify({ error: 'temporarily_unavailable', error_description: `node ${target.host} did not answer` }),
      );
    });
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [port, ...upstreams] = process.argv.slice(2);
  if (!port || upstreams.length === 0) {
    process.stderr.write('usage: tsx scripts/round-robin-proxy.ts <port> <upstream URL>...\n');
    process.exit(2);
  }
  const proxy = await startProxy({ port: Number(port), upstreams });
  process.stdout.write(`round-robin proxy on ${proxy.url} -> ${upstreams.join(', ')}\n`);
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
