/**
 * A throwaway certificate authority and a `localhost` server certificate it signs, for tests that serve Baton over
 * HTTPS to clients that verify TLS (the CA reaches them through NODE_EXTRA_CA_CERTS, never by turning checks off).
 * Certificates come from `selfsigned` (over @peculiar/x509 and WebCrypto), not hand-built ASN.1.
 */
import selfsigned from 'selfsigned';

export interface TestPki {
  /** The CA certificate (PEM) clients must trust. */
  caCert: string;
  /** The server's private key and certificate (PEM), for `localhost` and 127.0.0.1. */
  key: string;
  cert: string;
}

export async function makeTestPki(): Promise<TestPki> {
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'Baton test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { caCert: ca.cert, key: server.private, cert: server.cert };
}
