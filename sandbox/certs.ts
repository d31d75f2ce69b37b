/**
 * Key pairs and self-signed X.509 certificates for the sandboxes' demo credentials and for tests.
 * NetSuite's M2M setup takes an uploaded certificate (RSA ≥ 3072 or EC P-256/384/521, ≤ 2 years,
 * see docs/netsuite.md §2.2); Anaplan CA-certificate auth takes a PEM certificate.
 */
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as any);

export type KeyKind = 'rsa' | 'ec';

export interface TestCertificate {
  /** PKCS#8 private key PEM. */
  privateKeyPem: string;
  /** Certificate PEM (public key inside). */
  certificatePem: string;
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateOptions {
  kind?: KeyKind;
  /** RSA modulus length; NetSuite requires at least 3072. */
  rsaBits?: number;
  /** EC curve; NetSuite accepts P-256, P-384, P-521. */
  curve?: 'P-256' | 'P-384' | 'P-521';
  commonName?: string;
  notBefore?: Date;
  /** Validity in days from notBefore (negative values make already-expired certificates for tests). */
  days?: number;
}

export async function createCertificate(options: CertificateOptions = {}): Promise<TestCertificate> {
  const kind = options.kind ?? 'rsa';
  const alg =
    kind === 'rsa'
      ? {
          name: 'RSASSA-PKCS1-v1_5',
          hash: 'SHA-256',
          publicExponent: new Uint8Array([1, 0, 1]),
          modulusLength: options.rsaBits ?? 3072,
        }
      : { name: 'ECDSA', namedCurve: options.curve ?? 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg as any, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + (options.days ?? 365) * 86_400_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Date.now().toString(16) + Math.floor(Math.random() * 1e6).toString(16),
    name: `CN=${options.commonName ?? 'ml-connector sandbox'}`,
    notBefore,
    notAfter,
    signingAlgorithm: alg as any,
    keys,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { privateKeyPem, certificatePem: cert.toString('pem') + '\n', notBefore, notAfter };
}

/** Reads expiry and the public key from a certificate PEM (Node's own X.509 parser). */
export function inspectCertificate(certificatePem: string): {
  notAfter: Date;
  notBefore: Date;
  publicKey: X509Certificate['publicKey'];
  fingerprint256: string;
} {
  const c = new X509Certificate(certificatePem);
  return {
    notAfter: new Date(c.validTo),
    notBefore: new Date(c.validFrom),
    publicKey: c.publicKey,
    fingerprint256: c.fingerprint256,
  };
}
