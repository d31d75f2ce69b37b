import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { vaultFixtures } from '../helpers/vault-fixtures';
import { CredentialVault } from '../../activities/store/vault';
import {
  CredentialNotFoundError,
  CredentialShapeError,
  VaultIntegrityError,
  VaultKeyError,
} from '../../activities/store/errors';
import { deriveVaultKeys, fileMac, openRecord } from '../../activities/store/vault-crypto';
import { macBody } from '../../activities/store/vault-file';
import type { AnaplanSecret } from '../../activities/store/vault-types';

const { tmp, cert, netsuite, oauth, basic } = vaultFixtures('mlc-vault-');
const uniq = () => randomBytes(9).toString('hex');

function secretStrings(...secrets: object[]): string[] {
  const out: string[] = [];
  for (const s of secrets) {
    for (const [k, v] of Object.entries(s)) {
      if (k === 'type' || k === 'algorithm') continue;
      if (typeof v !== 'string') continue;
      if (v.includes('-----BEGIN')) {
        // every base64 line of the PEM body
        out.push(...v.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')));
      } else out.push(v);
    }
  }
  return out;
}

function openVault(dir: string, key = Buffer.alloc(32, 7)): CredentialVault {
  return new CredentialVault({ file: path.join(dir, 'credentials.vault'), key });
}

void describe('credential vault', () => {
  void it('round-trips both credential kinds and lists metadata, never secrets', () => {
    const dir = tmp();
    const vault = openVault(dir);
    const ns = netsuite();
    const ap = oauth();
    const ap2 = basic();
    vault.set('acme', 'netsuite', ns, { label: 'production' });
    vault.set('acme', 'anaplan', ap);
    vault.set('other', 'anaplan', ap2);

    const again = openVault(dir);
    assert.deepEqual(again.get('acme', 'netsuite'), ns);
    assert.deepEqual(again.get('acme', 'anaplan'), ap);
    assert.deepEqual(again.get('other', 'anaplan'), ap2);

    const list = again.list();
    assert.deepEqual(
      list.map((i) => [i.name, i.kind, i.authType]),
      [
        ['acme', 'anaplan', 'oauth'],
        ['acme', 'netsuite', 'certificate'],
        ['other', 'anaplan', 'basic'],
      ],
    );
    const nsInfo = list.find((i) => i.kind === 'netsuite')!;
    assert.equal(nsInfo.metadata.label, 'production');
    assert.equal(nsInfo.certificateExpiry, new Date(Math.floor(cert().notAfter.getTime() / 1000) * 1000).toISOString());
    const listed = JSON.stringify(list);
    for (const s of secretStrings(ns, ap, ap2)) assert.ok(!listed.includes(s), 'list() leaked a secret');

    assert.throws(() => again.get('missing', 'anaplan'), CredentialNotFoundError);
    assert.equal(again.remove('other', 'anaplan'), true);
    assert.equal(again.remove('other', 'anaplan'), false);
    assert.throws(() => again.get('other', 'anaplan'), CredentialNotFoundError);
  });

  void it('stores none of the secret strings in clear in the file', () => {
    const dir = tmp();
    const vault = openVault(dir);
    const ns = netsuite();
    const ap = basic();
    vault.set('acme', 'netsuite', ns);
    vault.set('acme', 'anaplan', ap);
    const bytes = fs.readFileSync(vault.file);
    const strings = secretStrings(ns, ap);
    assert.ok(strings.length >= 8);
    for (const s of strings) {
      assert.equal(bytes.includes(Buffer.from(s)), false, 'secret found in vault file');
      assert.equal(
        bytes.includes(Buffer.from(Buffer.from(s).toString('base64').slice(0, 16))),
        false,
        'base64 of a secret in file',
      );
    }
    assert.equal(fs.statSync(vault.file).mode & 0o777, 0o600);
  });

  void it('rejects secrets of the wrong shape without echoing them', () => {
    const vault = openVault(tmp());
    const bad = { type: 'basic', username: 'u', password: '' } as AnaplanSecret;
    assert.throws(
      () => vault.set('acme', 'anaplan', bad),
      (e: Error) => e instanceof CredentialShapeError && /password/.test(e.message),
    );
    assert.throws(
      () =>
        vault.set('acme', 'netsuite', {
          ...netsuite(),
          certificatePem: '-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----',
        }),
      CredentialShapeError,
    );
    assert.throws(() => vault.set('bad name!', 'anaplan', basic()), CredentialShapeError);
    assert.equal(fs.existsSync(vault.file), false);
  });

  void it('refuses a file with one byte changed, naming the file, and changes nothing', () => {
    const dir = tmp();
    const vault = openVault(dir);
    const ns = netsuite();
    vault.set('acme', 'netsuite', ns);
    const original = fs.readFileSync(vault.file);
    const text = original.toString('utf8');
    const at = text.indexOf('"ciphertext": "') + '"ciphertext": "'.length + 10;
    const flipped = text[at] === 'A' ? 'B' : 'A';
    const tampered = Buffer.from(text.slice(0, at) + flipped + text.slice(at + 1));
    fs.writeFileSync(vault.file, tampered);

    for (const attempt of [
      () => vault.get('acme', 'netsuite'),
      () => vault.list(),
      () => vault.set('x', 'anaplan', basic()),
      () => vault.remove('acme', 'netsuite'),
    ]) {
      assert.throws(attempt, (e: Error) => {
        assert.ok(e instanceof VaultIntegrityError, String(e));
        assert.ok(e.message.includes(vault.file));
        for (const s of secretStrings(ns)) assert.ok(!e.message.includes(s));
        return true;
      });
    }
    assert.deepEqual(fs.readFileSync(vault.file), tampered);

    // metadata is authenticated too
    const meta = text.replace(
      /"certificateExpiry": "(\d{4})/,
      (_m, y: string) => `"certificateExpiry": "${Number(y) + 5}`,
    );
    assert.notEqual(meta, text);
    fs.writeFileSync(vault.file, meta);
    assert.throws(() => vault.list(), VaultIntegrityError);
  });

  void it('refuses a wrong key with VaultKeyError and changes nothing', () => {
    const dir = tmp();
    openVault(dir, Buffer.alloc(32, 1)).set('acme', 'anaplan', basic());
    const before = fs.readFileSync(path.join(dir, 'credentials.vault'));
    const wrong = openVault(dir, Buffer.alloc(32, 2));
    assert.throws(
      () => wrong.get('acme', 'anaplan'),
      (e: Error) => e instanceof VaultKeyError && e.message.includes(wrong.file),
    );
    assert.throws(() => wrong.set('acme', 'anaplan', basic()), VaultKeyError);
    assert.throws(() => wrong.update('acme', 'anaplan', { password: 'x'.repeat(12) }), VaultKeyError);
    assert.deepEqual(fs.readFileSync(wrong.file), before);
  });

  void it('binds each ciphertext to its connection name and kind: swapped records fail', () => {
    const dir = tmp();
    const master = Buffer.alloc(32, 9);
    const vault = openVault(dir, master);
    vault.set('alpha', 'anaplan', basic());
    vault.set('beta', 'anaplan', basic());
    const doc = JSON.parse(fs.readFileSync(vault.file, 'utf8'));
    const [a, b] = doc.records;
    [a.nonce, b.nonce, a.ciphertext, b.ciphertext] = [b.nonce, a.nonce, b.ciphertext, a.ciphertext];
    const keys = deriveVaultKeys(master);
    assert.equal(openRecord(keys.record, a), undefined);
    assert.equal(openRecord(keys.record, b), undefined);

    // Even with a valid whole-file MAC (an attacker holding the MAC key), the AEAD binding refuses it.
    doc.mac = fileMac(keys.mac, macBody(doc));
    fs.writeFileSync(vault.file, JSON.stringify(doc));
    assert.throws(
      () => vault.get('alpha', 'anaplan'),
      (e: Error) => e instanceof VaultIntegrityError && e.message.includes('"alpha"'),
    );
    assert.throws(() => vault.get('beta', 'anaplan'), VaultIntegrityError);
  });

  void it('writes a rotated refresh token back atomically', () => {
    const dir = tmp();
    const file = path.join(dir, 'credentials.vault');
    const first = oauth();
    const vault = openVault(dir);
    vault.set('acme', 'anaplan', first);
    vault.set('acme', 'netsuite', netsuite());
    const inodeBefore = fs.statSync(file).ino;

    const rotated = `rt-${uniq()}`;
    const infoAfter = vault.update('acme', 'anaplan', { refreshToken: rotated });
    assert.equal(infoAfter.authType, 'oauth');
    assert.deepEqual(vault.get('acme', 'anaplan'), { ...first, refreshToken: rotated });
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(!text.includes(first.refreshToken) && !text.includes(rotated));
    assert.notEqual(fs.statSync(file).ino, inodeBefore, 'file was rewritten in place, not replaced');

    // A crash between writing the temp file and the rename leaves the old vault intact.
    const snapshot = fs.readFileSync(file);
    let tempSeen = '';
    const crashing = new CredentialVault({
      file,
      key: Buffer.alloc(32, 7),
      hooks: {
        beforeRename: (t) => {
          tempSeen = t;
          assert.equal(path.dirname(t), dir);
          assert.ok(fs.statSync(t).size > 0);
          throw new Error('simulated crash');
        },
      },
    });
    assert.throws(() => crashing.update('acme', 'anaplan', { refreshToken: `rt-${uniq()}` }), /simulated crash/);
    assert.ok(tempSeen);
    assert.deepEqual(fs.readFileSync(file), snapshot);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['credentials.vault', 'credentials.vault.seen']);
    assert.equal(openVault(dir).get('acme', 'anaplan').type, 'oauth');
    assert.deepEqual(openVault(dir).get('acme', 'anaplan'), { ...first, refreshToken: rotated });
  });

  void it('takes the key from ML_CONNECTOR_MASTER_KEY as hex or base64 and validates it', () => {
    const dir = tmp();
    const key = randomBytes(32);
    const file = path.join(dir, 'v.vault');
    const ap = basic();
    new CredentialVault({ file, env: { ML_CONNECTOR_MASTER_KEY: key.toString('hex') } }).set('acme', 'anaplan', ap);
    assert.deepEqual(
      new CredentialVault({ file, env: { ML_CONNECTOR_MASTER_KEY: key.toString('base64') } }).get('acme', 'anaplan'),
      ap,
    );
    for (const bad of ['abc', randomBytes(16).toString('base64'), 'z'.repeat(64)]) {
      assert.throws(
        () => new CredentialVault({ file, env: { ML_CONNECTOR_MASTER_KEY: bad } }),
        (e: Error) =>
          e instanceof VaultKeyError && e.message.includes('ML_CONNECTOR_MASTER_KEY') && !e.message.includes(bad),
      );
    }
  });

  void it('creates the default key file owner-only with a warning and refuses a readable one', () => {
    const dir = tmp();
    const keyFile = path.join(dir, 'keys', 'master.key');
    const file = path.join(dir, 'credentials.vault');
    const warnings: string[] = [];
    const v = new CredentialVault({ file, env: {}, keyFile, createKeyFile: true, onWarning: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /created vault key file/);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    const ap = basic();
    v.set('acme', 'anaplan', ap);
    assert.deepEqual(new CredentialVault({ file, env: {}, keyFile }).get('acme', 'anaplan'), ap);

    fs.chmodSync(keyFile, 0o644);
    assert.throws(
      () => new CredentialVault({ file, env: {}, keyFile }),
      (e: Error) => e instanceof VaultKeyError && /0644/.test(e.message) && e.message.includes(keyFile),
    );
    fs.chmodSync(keyFile, 0o640);
    assert.throws(() => new CredentialVault({ file, env: {}, keyFile }), VaultKeyError);

    // An existing vault whose key file is gone: no new key is minted, the vault is untouched.
    fs.rmSync(keyFile);
    const before = fs.readFileSync(file);
    assert.throws(() => new CredentialVault({ file, env: {}, keyFile, createKeyFile: true }), /key file .* is missing/);
    assert.equal(fs.existsSync(keyFile), false);
    assert.deepEqual(fs.readFileSync(file), before);
    // An explicitly named key file is never created implicitly.
    assert.throws(
      () =>
        new CredentialVault({
          file: path.join(dir, 'new.vault'),
          env: { ML_CONNECTOR_MASTER_KEY_FILE: path.join(dir, 'nope.key') },
        }),
      VaultKeyError,
    );
  });

  void it('serialises writers with a lock file and breaks a stale one', async () => {
    const dir = tmp();
    const vault = openVault(dir);
    vault.set('acme', 'anaplan', oauth());
    const lock = `${vault.file}.lock`;

    // another process holds the lock for a moment: the update waits for it instead of racing
    const holder = spawn(process.execPath, [
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(lock)}, ''); console.log('held'); setTimeout(() => require('fs').rmSync(${JSON.stringify(lock)}), 300);`,
    ]);
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const t0 = Date.now();
    vault.update('acme', 'anaplan', { refreshToken: 'rt-after-wait-123' });
    assert.ok(Date.now() - t0 >= 200, 'update did not wait for the lock');
    await new Promise((resolve) => holder.once('exit', resolve));
    assert.equal((vault.get('acme', 'anaplan') as { refreshToken: string }).refreshToken, 'rt-after-wait-123');

    // a lock left by a crashed process (older than 30 s) is removed
    fs.writeFileSync(lock, '');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    vault.update('acme', 'anaplan', { refreshToken: 'rt-after-stale-456' });
    assert.equal(fs.existsSync(lock), false);
  });
});
