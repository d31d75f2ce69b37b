/**
 * Issue 13 item 8, vault lifecycle: re-keying (atomic, crash-safe, old key refused with a clear
 * error), rollback detection (a write counter under the MAC against the last one seen, kept apart
 * from the file), and migration of vault files written before (format version 1).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { vaultFixtures } from '../helpers/vault-fixtures';
import { CredentialVault } from '../../activities/store/vault';
import {
  VaultIntegrityError,
  VaultKeyError,
  VaultRekeyedError,
  VaultRollbackError,
} from '../../activities/store/errors';

const { tmp, netsuite, oauth, basic } = vaultFixtures('mlc-vault-life-');

/** A data dir laid out like the embedded default: vault + key file created on first use. */
function fileKeyVault(dir: string, extra: { env?: NodeJS.ProcessEnv } = {}): CredentialVault {
  return new CredentialVault({
    file: path.join(dir, 'credentials.vault'),
    keyFile: path.join(dir, 'master.key'),
    createKeyFile: true,
    env: extra.env ?? {},
    onWarning: () => {},
  });
}
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;

/** Seeds three records of all shapes and returns them by name. */
function seed(v: CredentialVault): Map<string, { kind: 'netsuite' | 'anaplan'; secret: object }> {
  const out = new Map<string, { kind: 'netsuite' | 'anaplan'; secret: object }>();
  const ns = netsuite();
  v.set('acme', 'netsuite', ns, { label: 'prod' });
  out.set('acme/netsuite', { kind: 'netsuite', secret: ns });
  const ap = oauth();
  v.set('acme', 'anaplan', ap);
  out.set('acme/anaplan', { kind: 'anaplan', secret: ap });
  const b = basic();
  v.set('other', 'anaplan', b);
  out.set('other/anaplan', { kind: 'anaplan', secret: b });
  return out;
}
function assertAll(v: CredentialVault, expected: ReturnType<typeof seed>): void {
  for (const [key, { kind, secret }] of expected) assert.deepEqual(v.get(key.split('/')[0], kind), secret, key);
  assert.equal(v.list().length, expected.size);
}

/**
 * Runs a rotation in a child process that kills itself (SIGKILL: no finally, no cleanup) at `crashAt`,
 * so the crash is real, not a thrown error that lets cleanup code run.
 */
async function rotateAndCrash(dir: string, crashAt: 'beforeRename' | 'beforeKeySwap'): Promise<void> {
  const vaultTs = path.resolve(__dirname, '../../activities/store/vault.ts');
  const script = path.join(dir, 'crash.ts');
  fs.writeFileSync(
    script,
    `import { CredentialVault } from ${JSON.stringify(vaultTs)};
import { randomBytes } from 'node:crypto';
const die = () => { process.kill(process.pid, 'SIGKILL'); };
const v = new CredentialVault({ file: ${JSON.stringify(path.join(dir, 'credentials.vault'))}, keyFile: ${JSON.stringify(path.join(dir, 'master.key'))}, env: {}, hooks: { ${crashAt}: die } });
v.rotateMasterKey(randomBytes(32), { keyFile: v.keyFile });
console.log('survived');
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  assert.equal(signal, 'SIGKILL', `child did not crash where asked: ${output}`);
}

void describe('vault master key rotation', () => {
  void it('re-encrypts every record under the new key; the old key is refused with a clear "re-keyed" error', () => {
    const dir = tmp();
    const v = fileKeyVault(dir);
    const expected = seed(v);
    const keyFile = path.join(dir, 'master.key');
    const oldKey = fs.readFileSync(keyFile, 'utf8');
    const oldKeyId = v.keyId;
    // Another process (e.g. a worker) opened the vault before the rotation, with the same key file.
    const worker = fileKeyVault(dir);
    const before = readJson(v.file);

    const r = v.rotateMasterKey(randomBytes(32), { keyFile });
    assert.equal(r.records, 3);
    assert.equal(r.previousKeyId, oldKeyId);
    assert.notEqual(r.keyId, oldKeyId);
    assert.notEqual(fs.readFileSync(keyFile, 'utf8'), oldKey, 'the key file holds the new key');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(fs.existsSync(`${keyFile}.next`), false);
    const after = readJson(v.file);
    assert.equal(after.keyId, r.keyId);
    assert.deepEqual(
      after.retiredKeys.map((k: { keyId: string }) => k.keyId),
      [oldKeyId],
    );
    assert.ok(after.counter > before.counter);
    for (const [i, rec] of (after.records as Array<{ ciphertext: string; updatedAt: string }>).entries()) {
      assert.notEqual(rec.ciphertext, before.records[i].ciphertext, 'record re-encrypted');
      assert.equal(rec.updatedAt, before.records[i].updatedAt);
    }

    assertAll(fileKeyVault(dir), expected); // a fresh process with the (new) key file
    assertAll(v, expected); // the rotating instance itself
    assertAll(worker, expected); // a process opened before: re-reads the key file instead of failing

    const bytes = fs.readFileSync(v.file);
    const stale = new CredentialVault({ file: v.file, key: Buffer.from(oldKey.trim(), 'base64') });
    for (const attempt of [
      () => stale.list(),
      () => stale.get('acme', 'anaplan'),
      () => stale.set('x', 'anaplan', basic()),
    ]) {
      assert.throws(attempt, (e: Error) => {
        assert.ok(e instanceof VaultRekeyedError, String(e));
        assert.match(e.message, /was re-keyed at .* rotate-master-key/);
        assert.ok(e.message.includes(oldKeyId) && e.message.includes(r.keyId) && e.message.includes(v.file));
        assert.ok(!e.message.includes(oldKey.trim()));
        return true;
      });
    }
    assert.deepEqual(fs.readFileSync(v.file), bytes, 'a refused key changes nothing');
    // A key that never opened this vault still gets the plain wrong-key error.
    assert.throws(
      () => new CredentialVault({ file: v.file, key: randomBytes(32) }).list(),
      (e: Error) => e instanceof VaultKeyError && !(e instanceof VaultRekeyedError),
    );
  });

  void it('re-keys a vault whose key is given directly (ML_CONNECTOR_MASTER_KEY), twice; both old keys are refused', () => {
    const dir = tmp();
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const k3 = randomBytes(32);
    const file = path.join(dir, 'credentials.vault');
    const v = new CredentialVault({ file, env: { ML_CONNECTOR_MASTER_KEY: k1.toString('hex') } });
    const expected = seed(v);
    assert.throws(() => v.rotateMasterKey(k1), /already under/);
    v.rotateMasterKey(k2);
    v.rotateMasterKey(k3);
    assertAll(new CredentialVault({ file, env: { ML_CONNECTOR_MASTER_KEY: k3.toString('base64') } }), expected);
    for (const old of [k1, k2]) assert.throws(() => new CredentialVault({ file, key: old }).list(), VaultRekeyedError);
    assert.deepEqual(readJson(file).retiredKeys.length, 2);
  });

  void it('a crash after the new key is written but before the vault is replaced leaves the old vault, readable with the old key', async () => {
    const dir = tmp();
    const v = fileKeyVault(dir);
    const expected = seed(v);
    const keyFile = path.join(dir, 'master.key');
    const oldKey = fs.readFileSync(keyFile);
    const vaultBefore = fs.readFileSync(v.file);
    await rotateAndCrash(dir, 'beforeRename');
    assert.deepEqual(fs.readFileSync(v.file), vaultBefore, 'the vault file is untouched');
    assert.deepEqual(fs.readFileSync(keyFile), oldKey);
    assert.ok(fs.existsSync(`${keyFile}.next`), 'the crash left the pending key behind');
    assertAll(fileKeyVault(dir), expected);
    assert.deepEqual(fs.readFileSync(keyFile), oldKey, 'an unused pending key is not promoted');
  });

  void it('a crash after the vault is replaced but before the key file is: the next open finishes the key swap', async () => {
    const dir = tmp();
    const v = fileKeyVault(dir);
    const expected = seed(v);
    const keyFile = path.join(dir, 'master.key');
    const oldKey = fs.readFileSync(keyFile, 'utf8');
    await rotateAndCrash(dir, 'beforeKeySwap');
    assert.equal(fs.readFileSync(keyFile, 'utf8'), oldKey, 'crashed before the key file was replaced');
    assert.notEqual(readJson(v.file).keyId, v.keyId, 'the vault is under the new key already');
    const pending = fs.readFileSync(`${keyFile}.next`, 'utf8');

    assertAll(fileKeyVault(dir), expected);
    assert.equal(fs.readFileSync(keyFile, 'utf8'), pending, 'the pending key replaced the key file');
    assert.equal(fs.existsSync(`${keyFile}.next`), false);
    assert.throws(
      () => new CredentialVault({ file: v.file, key: Buffer.from(oldKey.trim(), 'base64') }).list(),
      VaultRekeyedError,
    );
  });
});

void describe('vault rollback detection', () => {
  void it('refuses a restored older copy of the vault with a clear error until accept-rollback', () => {
    const dir = tmp();
    const key = randomBytes(32);
    const stateFile = path.join(dir, 'elsewhere', 'vault.seen');
    const file = path.join(dir, 'credentials.vault');
    const open = () => new CredentialVault({ file, key, env: { ML_CONNECTOR_VAULT_STATE_FILE: stateFile } });
    const v = open();
    const old = basic();
    v.set('acme', 'anaplan', old);
    v.set('keep', 'anaplan', basic());
    const copy = fs.readFileSync(file);
    const copyCounter = readJson(file).counter as number;
    // The newer vault: the password was changed and an entry removed.
    v.set('acme', 'anaplan', basic());
    v.remove('keep', 'anaplan');
    assert.equal(readJson(stateFile).counter, copyCounter + 2, 'the state file follows every write');
    assert.equal(fs.existsSync(`${file}.seen`), false, 'the state is kept where configured, apart from the vault');

    fs.writeFileSync(file, copy); // restore the older copy
    for (const attempt of [
      () => v.get('acme', 'anaplan'),
      () => open().list(),
      () => v.set('x', 'anaplan', basic()),
      () => v.remove('acme', 'anaplan'),
    ]) {
      assert.throws(attempt, (e: Error) => {
        assert.ok(e instanceof VaultRollbackError, String(e));
        assert.equal(e.counter, copyCounter);
        assert.equal(e.lastSeen, copyCounter + 2);
        assert.ok(e.message.includes(file) && e.message.includes(stateFile));
        assert.match(e.message, /older copy of the vault was restored.*credentials accept-rollback/);
        return true;
      });
    }
    assert.deepEqual(fs.readFileSync(file), copy, 'a refused vault is not modified');

    const r = open().acceptRollback();
    assert.deepEqual(r, { accepted: copyCounter, lastSeen: copyCounter + 2, counter: copyCounter + 3 });
    assert.deepEqual(open().get('acme', 'anaplan'), old, 'the restored content is what is served now');
    assert.equal(open().list().length, 2);
    // Another host that had seen the newer vault accepts the rewritten one too (its counter is higher).
    const otherHost = path.join(dir, 'other-host.seen');
    fs.writeFileSync(
      otherHost,
      JSON.stringify({ format: 'ml-connector-vault-seen', counter: copyCounter + 2, seenAt: new Date().toISOString() }),
    );
    assert.equal(new CredentialVault({ file, key, stateFile: otherHost }).list().length, 2);
  });

  void it('the counter is under the MAC: raising it by hand breaks the integrity check', () => {
    const dir = tmp();
    const v = new CredentialVault({ file: path.join(dir, 'credentials.vault'), key: randomBytes(32) });
    v.set('acme', 'anaplan', basic());
    const doc = readJson(v.file);
    doc.counter += 10;
    fs.writeFileSync(v.file, JSON.stringify(doc));
    assert.throws(() => v.list(), VaultIntegrityError);
  });

  void it('first use: a missing state file is trusted and created; a deleted vault starts above the last version seen', () => {
    const dir = tmp();
    const key = randomBytes(32);
    const file = path.join(dir, 'credentials.vault');
    const v = new CredentialVault({ file, key });
    assert.deepEqual(v.list(), []);
    assert.equal(fs.existsSync(v.stateFile), false, 'nothing recorded for a vault that does not exist');
    v.set('acme', 'anaplan', basic());
    assert.equal(readJson(file).counter, 1);
    assert.equal(readJson(v.stateFile).counter, 1);
    assert.equal(fs.statSync(v.stateFile).mode & 0o777, 0o600);
    v.set('acme', 'anaplan', basic());

    fs.rmSync(v.stateFile); // e.g. a new host, or the state was lost: trust on first use
    assert.equal(v.list().length, 1);
    assert.equal(readJson(v.stateFile).counter, 2);

    fs.rmSync(file); // the vault deleted: an empty vault, and a new one is not taken for a rollback
    assert.deepEqual(v.list(), []);
    v.set('fresh', 'anaplan', basic());
    assert.equal(readJson(file).counter, 3);
    assert.equal(new CredentialVault({ file, key }).list().length, 1);

    fs.writeFileSync(v.stateFile, 'garbage');
    assert.throws(
      () => v.list(),
      (e: Error) =>
        e instanceof VaultIntegrityError && e.message.includes(v.stateFile) && /accept-rollback/.test(e.message),
    );
    assert.equal(v.acceptRollback().counter, 4);
    assert.equal(v.list().length, 1);
  });
});

/** A vault written by the code before issue 13 item 8 (format version 1), key Buffer.alloc(32, 5). */
const V1_VAULT = {
  format: 'ml-connector-vault',
  version: 1,
  keyCheck: 'oOELMxCDbqEfgONvAJen3A==',
  records: [
    {
      name: 'legacy-basic',
      kind: 'anaplan',
      createdAt: '2026-11-01T10:00:00.000Z',
      updatedAt: '2026-11-01T10:00:00.000Z',
      authType: 'basic',
      certificateExpiry: null,
      metadata: {
        username: 'legacy@example.com',
        'pin.authUrl': 'https://auth.anaplan.com',
        'pin.oauthUrl': 'https://us1a.app.anaplan.com',
        'pin.apiUrl': 'https://api.anaplan.com',
      },
      nonce: 'wraLp5nw9OyY7eia',
      ciphertext:
        'syCMziIYw57THwBk9R9cZ33h2XFRiWcbZQ4UAUG8QwqBR5QzXQgwCf4Z/Tl8w143PZi3x6I/dIEzb+jM6/gUdWojZw/bDnab9ZWND4U7jckby2BnBZv4iV7kGUml2Dc=',
    },
    {
      name: 'legacy-oauth',
      kind: 'anaplan',
      createdAt: '2026-11-01T10:00:00.000Z',
      updatedAt: '2026-11-01T10:00:00.000Z',
      authType: 'oauth',
      certificateExpiry: null,
      metadata: {},
      nonce: 'DnEYaxixh29OqRpX',
      ciphertext:
        '/I14Y9QHG9jlX2i2FDOqMMXOf8ieO1idhc7aR26CO0oL1EghI7flobgiMhbpo3wrrIWCsodBuQNViqdOjubckp1AETdoAkHR4BoyrUqWvrCFsHIVb0bJgCwmb0qPGpbuaOCQ',
    },
  ],
  mac: '2C4l/JkiV57GEHRBehwaqaDm2EObo8Hn1GH3CNJDzJI=',
};
const V1_KEY = Buffer.alloc(32, 5);
const LEGACY_BASIC = { type: 'basic', username: 'legacy@example.com', password: 'legacy-password-1' };
const LEGACY_OAUTH = { type: 'oauth', clientId: 'legacy-client', refreshToken: 'legacy-refresh-token-1' };

void describe('vault files written before (format version 1)', () => {
  void it('are read as they are and migrated to version 2 on the first write; the old copy then counts as a rollback', () => {
    const dir = tmp();
    const file = path.join(dir, 'credentials.vault');
    fs.writeFileSync(file, JSON.stringify(V1_VAULT, null, 2), { mode: 0o600 });
    const v = new CredentialVault({ file, key: V1_KEY });
    assert.deepEqual(v.get('legacy-basic', 'anaplan'), LEGACY_BASIC);
    assert.deepEqual(v.get('legacy-oauth', 'anaplan'), LEGACY_OAUTH);
    assert.equal(v.info('legacy-basic', 'anaplan')!.metadata['pin.authUrl'], 'https://auth.anaplan.com');
    assert.equal(readJson(file).version, 1, 'reading does not rewrite the file');

    v.update('legacy-oauth', 'anaplan', { refreshToken: 'rotated-refresh-token-2' });
    const doc = readJson(file);
    assert.equal(doc.version, 2);
    assert.equal(doc.counter, 1);
    assert.equal(doc.keyId, v.keyId);
    assert.deepEqual(new CredentialVault({ file, key: V1_KEY }).get('legacy-basic', 'anaplan'), LEGACY_BASIC);
    assert.deepEqual(new CredentialVault({ file, key: V1_KEY }).get('legacy-oauth', 'anaplan'), {
      ...LEGACY_OAUTH,
      refreshToken: 'rotated-refresh-token-2',
    });

    fs.writeFileSync(file, JSON.stringify(V1_VAULT)); // the pre-migration copy restored
    assert.throws(() => new CredentialVault({ file, key: V1_KEY }).list(), VaultRollbackError);
  });

  void it('a version 1 vault can be re-keyed directly', () => {
    const dir = tmp();
    const file = path.join(dir, 'credentials.vault');
    fs.writeFileSync(file, JSON.stringify(V1_VAULT), { mode: 0o600 });
    const k2 = randomBytes(32);
    new CredentialVault({ file, key: V1_KEY }).rotateMasterKey(k2);
    const v = new CredentialVault({ file, key: k2 });
    assert.deepEqual(v.get('legacy-basic', 'anaplan'), LEGACY_BASIC);
    assert.deepEqual(v.get('legacy-oauth', 'anaplan'), LEGACY_OAUTH);
    assert.throws(() => new CredentialVault({ file, key: V1_KEY }).list(), VaultRekeyedError);
  });
});
