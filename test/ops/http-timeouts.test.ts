/**
 * M5 (docs/security.md): before the fix `requestTimeout` and `connectionTimeout` were 0 and nothing capped
 * connections, so a request body that never arrived kept its socket forever. Now a request must arrive whole within
 * BATON_REQUEST_TIMEOUT_MS (headers within BATON_HEADERS_TIMEOUT_MS), an idle kept-alive socket closes after
 * BATON_KEEP_ALIVE_TIMEOUT_MS, and at most BATON_MAX_CONNECTIONS connections are open at once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let port: number;
before(async () => {
  t = await startTestApp({
    env: {
      BATON_REQUEST_TIMEOUT_MS: '1500',
      BATON_HEADERS_TIMEOUT_MS: '1000',
      BATON_KEEP_ALIVE_TIMEOUT_MS: '1000',
      BATON_MAX_CONNECTIONS: '16',
    },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
});
after(async () => {
  await t?.close();
});

/** Opens a socket, writes `data`, and resolves with what the server sent once it closes the connection. */
function untilClosed(data: string): Promise<{ received: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: Buffer) => (received += c.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ received, socket }));
    socket.on('connect', () => socket.write(data));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the socket open; received: ${received}`));
    }, 20_000).unref();
  });
}

test('a body that never arrives: the server answers 408 and closes the socket', async () => {
  const head =
    'POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=';
  const { received } = await untilClosed(head);
  assert.match(received, /^HTTP\/1\.1 408 /);
});

test('headers that never finish: the socket is closed', async () => {
  const { received } = await untilClosed('POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
  assert.match(received, /^(HTTP\/1\.1 408 |)/);
});

test('an idle kept-alive connection is closed after the keep-alive timeout', async () => {
  const { received } = await untilClosed(
    'GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n',
  );
  assert.match(received, /^HTTP\/1\.1 200 /);
  assert.match(received, /Keep-Alive: timeout=1/i);
});

test('connections past BATON_MAX_CONNECTIONS are refused; the server serves again once they go', async () => {
  const held: net.Socket[] = [];
  for (let i = 0; i < 16; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.once('connect', () => r()));
    held.push(s);
  }
  // Node accepts then destroys a connection over maxConnections: the 17th socket closes without an answer.
  const { received } = await untilClosed('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
  assert.equal(received, '');
  for (const s of held) s.destroy();
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    try {
      status = (await fetch(`http://127.0.0.1:${port}/health/live`)).status;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  assert.equal(status, 200);
});

test('configuration refuses a headers timeout over the request timeout', async () => {
  const { loadConfig } = await import('../../src/config/index.js');
  assert.throws(
    () => loadConfig({ BATON_REQUEST_TIMEOUT_MS: '5000', BATON_HEADERS_TIMEOUT_MS: '6000' }),
    /BATON_HEADERS_TIMEOUT_MS: must not exceed BATON_REQUEST_TIMEOUT_MS/,
  );
});
