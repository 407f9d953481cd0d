/**
 * A TCP proxy of the test's own in front of a server, that can go silent: `silence()` stops forwarding bytes in
 * both directions without closing any connection (no FIN, no RST), and new connections are accepted but never
 * answered, as when a network drops every packet; `restore()` forwards again, bytes held meanwhile included.
 */
import net from 'node:net';

export interface SilentProxy {
  port: number;
  silence(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startSilentProxy(target: { host: string; port: number }): Promise<SilentProxy> {
  let silent = false;
  const sockets = new Set<net.Socket>();
  const waiting: Array<() => void> = [];
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const connect = (client: net.Socket) => {
    const upstream = net.connect(target);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    if (silent) {
      client.pause();
      // pipe() resumes it, with the bytes that arrived meanwhile.
      waiting.push(() => connect(client));
    } else connect(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    silence() {
      silent = true;
      for (const s of sockets) s.pause();
    },
    restore() {
      silent = false;
      for (const s of sockets) s.resume();
      for (const go of waiting.splice(0)) go();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
