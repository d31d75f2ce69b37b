/**
 * What the vault tests share: temp directories removed after each test, a throw-away EC certificate,
 * and fresh secrets of each kind (random values, so a leak of one is easy to search for).
 */
import { afterEach, before } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createCertificate, type TestCertificate } from '../../sandbox/certs';
import type { AnaplanSecret, NetsuiteSecret } from '../../activities/store/vault-types';

export function vaultFixtures(prefix: string) {
  const dirs: string[] = [];
  afterEach(() => {
    while (dirs.length) fs.rmSync(dirs.pop()!, { recursive: true, force: true });
  });
  let cert: TestCertificate;
  before(async () => {
    cert = await createCertificate({ kind: 'ec', days: 200 });
  });
  const uniq = () => randomBytes(9).toString('hex');
  return {
    /** A new temp directory, removed after the test. */
    tmp(): string {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    cert: () => cert,
    netsuite: (): NetsuiteSecret => ({
      accountId: `acct-${uniq()}`,
      clientId: `client-${uniq()}`,
      certificateId: `cert-${uniq()}`,
      privateKeyPem: cert.privateKeyPem,
      certificatePem: cert.certificatePem,
      algorithm: 'ES256',
    }),
    oauth: (): Extract<AnaplanSecret, { type: 'oauth' }> => ({
      type: 'oauth',
      clientId: `cid-${uniq()}`,
      refreshToken: `rt-${uniq()}`,
    }),
    basic: (): AnaplanSecret => ({ type: 'basic', username: `user-${uniq()}`, password: `pw-${uniq()}` }),
  };
}
