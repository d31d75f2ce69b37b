import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createCertificate, type TestCertificate } from '../../sandbox/certs';
import { parseCommandArgs, UsageError } from '../../client/command';
import { createCredentialsCommand } from '../../client/commands/credentials';
import { CredentialVault, VaultRekeyedError, VaultRollbackError } from '../../activities/store';

let dir: string;
let ec: TestCertificate;
let soon: TestCertificate;
let other: TestCertificate;
const env = () => ({ ML_CONNECTOR_DATA_DIR: dir, ML_CONNECTOR_MASTER_KEY: Buffer.alloc(32, 3).toString('hex') });
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-cli-cred-'));
  [ec, soon, other] = await Promise.all([
    createCertificate({ kind: 'ec', days: 300 }),
    createCertificate({ kind: 'ec', days: 10 }),
    createCertificate({ kind: 'ec', days: 300 }),
  ]);
  for (const [n, c] of [
    ['ec', ec],
    ['soon', soon],
    ['other', other],
  ] as const) {
    fs.writeFileSync(path.join(dir, `${n}.key.pem`), c.privateKeyPem, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, `${n}.cert.pem`), c.certificatePem);
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {}) {
  const cmd = createCredentialsCommand({ env: opts.env ?? env(), readStdin: async () => opts.stdin ?? '' });
  const out: string[] = [];
  const err: string[] = [];
  const { values, positionals } = parseCommandArgs(cmd, argv);
  const code = await cmd.run({ values, positionals, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const nsArgs = (name: string, cert: string, extra: string[] = []) => [
  'set',
  '--name',
  name,
  '--kind',
  'netsuite',
  '--account-id',
  '1234567_SB1',
  '--client-id',
  'consumer-key-abc',
  '--certificate-id',
  'cert-id-1',
  '--private-key-file',
  path.join(dir, `${cert}.key.pem`),
  '--certificate-file',
  path.join(dir, `${cert}.cert.pem`),
  '--algorithm',
  'ES256',
  ...extra,
];

describe('ml-connector credentials', () => {
  it('stores NetSuite credentials from files; list shows metadata and expiry, never the key', async () => {
    const r = await run(nsArgs('acme-ns', 'ec'));
    assert.equal(r.code, 0, r.err);
    const secret = new CredentialVault({ env: env(), file: path.join(dir, 'credentials.vault') }).get(
      'acme-ns',
      'netsuite',
    );
    assert.equal(secret.privateKeyPem, ec.privateKeyPem);
    const list = await run(['list']);
    assert.match(list.out, /acme-ns\s+netsuite\s+certificate\s+\d{4}-\d{2}-\d{2}/);
    assert.match(list.out, /accountId=1234567_SB1/);
    const keyLine = ec.privateKeyPem.split('\n')[1]!;
    assert.ok(!list.out.includes(keyLine) && !list.out.includes('consumer-key-abc'));
    const json = JSON.parse((await run(['list', '--json'])).out) as Array<Record<string, any>>;
    assert.equal(json[0]!.name, 'acme-ns');
    assert.equal(json[0]!.certificate.state, 'ok');
    assert.ok(!JSON.stringify(json).includes(keyLine));
  });

  it('warns when the certificate expires within 30 days, at set and in list', async () => {
    const r = await run(nsArgs('soon-ns', 'soon'));
    assert.equal(r.code, 0);
    assert.match(r.err, /expires in \d+ days/);
    const list = await run(['list']);
    assert.match(list.out, /soon-ns.*⚠ \d+ days/);
    assert.match(list.err, /"soon-ns" expires in/);
  });

  it('refuses a key that does not belong to the certificate, and an algorithm that does not fit the key', async () => {
    const mismatched = nsArgs('bad', 'ec');
    mismatched[mismatched.indexOf('--private-key-file') + 1] = path.join(dir, 'other.key.pem');
    await assert.rejects(() => run(mismatched), /does not belong to the certificate/);
    await assert.rejects(() => run(nsArgs('bad', 'ec').slice(0, -1).concat('PS256')), /does not fit a ec key/);
    assert.doesNotMatch((await run(['list'])).out, /\bbad\b/);
  });

  it('takes the Anaplan password from ANAPLAN_PASSWORD or stdin, never from argv', async () => {
    const pw = `pw-${randomBytes(8).toString('hex')}`;
    assert.equal(
      (
        await run(['set', '--name', 'ap', '--kind', 'anaplan', '--auth', 'basic', '--username', 'u@x.example'], {
          env: { ...env(), ANAPLAN_PASSWORD: pw },
        })
      ).code,
      0,
    );
    const vault = new CredentialVault({ env: env(), file: path.join(dir, 'credentials.vault') });
    assert.deepEqual(vault.get('ap', 'anaplan'), { type: 'basic', username: 'u@x.example', password: pw });
    const pw2 = `pw-${randomBytes(8).toString('hex')}`;
    assert.equal(
      (
        await run(['set', '--name', 'ap', '--kind', 'anaplan', '--auth', 'basic', '--username', 'u@x.example'], {
          stdin: `${pw2}\n`,
        })
      ).code,
      0,
    );
    assert.equal((vault.get('ap', 'anaplan') as { password: string }).password, pw2);
    await assert.rejects(
      () => run(['set', 'hunter2', '--name', 'ap', '--kind', 'anaplan', '--auth', 'basic', '--username', 'u']),
      UsageError,
    );
    await assert.rejects(
      () => run(['set', '--name', 'ap2', '--kind', 'anaplan', '--auth', 'basic', '--username', 'u']),
      /ANAPLAN_PASSWORD/,
    );
    assert.ok(
      !fs.readFileSync(path.join(dir, 'credentials.vault'), 'utf8').includes(pw2),
      'vault holds no clear password',
    );
  });

  it('stores Anaplan OAuth (refresh token from stdin) and certificate credentials', async () => {
    const rt = `rt-${randomBytes(12).toString('hex')}`;
    assert.equal(
      (
        await run(['set', '--name', 'ap-oauth', '--kind', 'anaplan', '--auth', 'oauth', '--client-id', 'cid'], {
          stdin: rt,
        })
      ).code,
      0,
    );
    assert.equal(
      (
        await run([
          'set',
          '--name',
          'ap-cert',
          '--kind',
          'anaplan',
          '--auth',
          'certificate',
          '--certificate-file',
          path.join(dir, 'ec.cert.pem'),
          '--private-key-file',
          path.join(dir, 'ec.key.pem'),
        ])
      ).code,
      0,
    );
    const json = JSON.parse((await run(['list', '--json'])).out) as Array<{ name: string; authType: string }>;
    assert.equal(json.find((j) => j.name === 'ap-oauth')!.authType, 'oauth');
    assert.equal(json.find((j) => j.name === 'ap-cert')!.authType, 'certificate');
    assert.ok(!JSON.stringify(json).includes(rt));
  });

  it('removes by name, and says so when there is nothing to remove', async () => {
    assert.equal((await run(['remove', '--name', 'ap-oauth'])).code, 0);
    assert.doesNotMatch((await run(['list'])).out, /ap-oauth/);
    const again = await run(['remove', '--name', 'ap-oauth']);
    assert.equal(again.code, 1);
    assert.match(again.err, /no credentials named "ap-oauth"/);
  });

  it('reads the password piped on stdin through the real entry point (bin process)', async () => {
    const pw = `piped-${randomBytes(8).toString('hex')}`;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.resolve(__dirname, '../../client/cli.ts'),
        'credentials',
        'set',
        '--name',
        'piped',
        '--kind',
        'anaplan',
        '--auth',
        'basic',
        '--username',
        'p@x.example',
      ],
      {
        env: { ...process.env, ...env(), ANAPLAN_PASSWORD: '' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdin.end(`${pw}\n`);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, output);
    assert.match(output, /stored anaplan credentials "piped" \(basic\)/);
    assert.ok(!output.includes(pw));
    const vault = new CredentialVault({ env: env(), file: path.join(dir, 'credentials.vault') });
    assert.equal((vault.get('piped', 'anaplan') as { password: string }).password, pw);
  });

  it('pins credentials to production hosts by default, to given hosts on request, refuses plain http off loopback, and re-pins with `pin`', async () => {
    assert.equal((await run(nsArgs('pin-ns', 'ec'))).code, 0);
    const pw = `pw-${randomBytes(8).toString('hex')}`;
    const set = await run(
      [
        'set',
        '--name',
        'pin-ap',
        '--kind',
        'anaplan',
        '--auth',
        'basic',
        '--username',
        'u@x.example',
        '--auth-url',
        'https://auth.eu1.example.com',
      ],
      { env: { ...env(), ANAPLAN_PASSWORD: pw } },
    );
    assert.equal(set.code, 0, set.err);
    assert.match(
      set.out,
      /pinned to https:\/\/auth\.eu1\.example\.com https:\/\/us1a\.app\.anaplan\.com https:\/\/api\.anaplan\.com/,
    );
    const list = await run(['list']);
    assert.match(list.out, /pin-ns\s+netsuite\s+.*https:\/\/1234567-sb1\.suitetalk\.api\.netsuite\.com/);
    assert.match(list.out, /pin-ap\s+anaplan\s+.*https:\/\/auth\.eu1\.example\.com/);
    const json = JSON.parse((await run(['list', '--json'])).out) as Array<{ name: string; pinnedTo: string }>;
    assert.equal(json.find((j) => j.name === 'pin-ns')!.pinnedTo, 'https://1234567-sb1.suitetalk.api.netsuite.com');
    await assert.rejects(
      () => run(nsArgs('pin-bad', 'ec', ['--base-url', 'http://ns.example.com'])),
      /--base-url: http:\/\/ns\.example\.com must use https/,
    );
    await assert.rejects(
      () => run(nsArgs('pin-bad', 'ec', ['--auth-url', 'https://a.example.com'])),
      /--auth-url does not apply to netsuite/,
    );
    const pinned = await run(['pin', '--name', 'pin-ns', '--kind', 'netsuite', '--base-url', 'http://127.0.0.1:4555/']);
    assert.equal(pinned.code, 0, pinned.err);
    assert.match(pinned.out, /"pin-ns" pinned to http:\/\/127\.0\.0\.1:4555$/);
    const vault = new CredentialVault({ env: env(), file: path.join(dir, 'credentials.vault') });
    assert.equal(vault.info('pin-ns', 'netsuite')!.metadata['pin.baseUrl'], 'http://127.0.0.1:4555');
    assert.equal(vault.get('pin-ns', 'netsuite').privateKeyPem, ec.privateKeyPem, 're-pinning keeps the secret');
    assert.equal((await run(['pin', '--name', 'nobody', '--kind', 'anaplan'])).code, 1);
  });

  it('list on a data dir without a vault creates no key file', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-cli-empty-'));
    try {
      const r = await run(['list'], { env: { ML_CONNECTOR_DATA_DIR: empty } });
      assert.equal(r.out, 'no credentials stored');
      assert.deepEqual(fs.readdirSync(empty), []);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('ml-connector credentials rotate-master-key and accept-rollback (issue 13 item 8)', () => {
  const fresh = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-cli-life-'));
  const basicSet = (name: string) => [
    'set',
    '--name',
    name,
    '--kind',
    'anaplan',
    '--auth',
    'basic',
    '--username',
    'u@x.example',
  ];

  it('embedded-default layout: generates the new key into the key file (0600); list keeps working, the old key is refused as re-keyed', async () => {
    const data = fresh();
    try {
      const e = { ML_CONNECTOR_DATA_DIR: data };
      const pw = `pw-${randomBytes(8).toString('hex')}`;
      assert.equal((await run(basicSet('life'), { env: { ...e, ANAPLAN_PASSWORD: pw } })).code, 0);
      const keyFile = path.join(data, 'master.key');
      const oldKey = fs.readFileSync(keyFile, 'utf8').trim();
      const r = await run(['rotate-master-key'], { env: e });
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.out,
        /re-encrypted 1 credential record\(s\) under key id [0-9a-f]{16} .*key id [0-9a-f]{16} is retired/,
      );
      assert.match(r.out, /key file .*master\.key now holds the new key/);
      const newKey = fs.readFileSync(keyFile, 'utf8').trim();
      assert.notEqual(newKey, oldKey);
      assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
      assert.ok(!r.out.includes(newKey) && !r.out.includes(oldKey), 'no key material printed');
      assert.match((await run(['list'], { env: e })).out, /life\s+anaplan\s+basic/);
      const vault = new CredentialVault({ env: e, file: path.join(data, 'credentials.vault'), keyFile });
      assert.equal((vault.get('life', 'anaplan') as { password: string }).password, pw);
      await assert.rejects(
        () => run(['list'], { env: { ...e, ML_CONNECTOR_MASTER_KEY: oldKey } }),
        (err: Error) => err instanceof VaultRekeyedError && /was re-keyed/.test(err.message),
      );
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('key from ML_CONNECTOR_MASTER_KEY: the new key must be given (--new-key-file, owner-only); afterwards only the new key opens the vault', async () => {
    const data = fresh();
    try {
      const oldKey = randomBytes(32).toString('hex');
      const e = { ML_CONNECTOR_DATA_DIR: data, ML_CONNECTOR_MASTER_KEY: oldKey };
      assert.equal((await run(basicSet('life'), { env: { ...e, ANAPLAN_PASSWORD: 'pw-1234567890' } })).code, 0);
      await assert.rejects(
        () => run(['rotate-master-key'], { env: e }),
        (err: Error) => err instanceof UsageError && /--new-key-file/.test(err.message),
      );
      const newKeyFile = path.join(data, 'new.key');
      const newKey = randomBytes(32).toString('base64');
      fs.writeFileSync(newKeyFile, newKey, { mode: 0o644 });
      await assert.rejects(() => run(['rotate-master-key', '--new-key-file', newKeyFile], { env: e }), /0644/);
      fs.chmodSync(newKeyFile, 0o600);
      const r = await run(['rotate-master-key', '--new-key-file', newKeyFile], { env: e });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /set ML_CONNECTOR_MASTER_KEY to the new key/);
      assert.equal(
        fs.existsSync(path.join(data, 'master.key')),
        false,
        'no key file is written when the key comes from the environment',
      );
      await assert.rejects(() => run(['list'], { env: e }), VaultRekeyedError);
      assert.match((await run(['list'], { env: { ...e, ML_CONNECTOR_MASTER_KEY: newKey } })).out, /life\s+anaplan/);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('an older copy of the vault put back is refused by list and set; accept-rollback accepts it on purpose', async () => {
    const data = fresh();
    try {
      const e = {
        ML_CONNECTOR_DATA_DIR: data,
        ML_CONNECTOR_MASTER_KEY: randomBytes(32).toString('hex'),
        ANAPLAN_PASSWORD: 'pw-1234567890',
      };
      const file = path.join(data, 'credentials.vault');
      assert.equal((await run(basicSet('first'), { env: e })).code, 0);
      const copy = fs.readFileSync(file);
      assert.equal((await run(basicSet('second'), { env: e })).code, 0);
      fs.writeFileSync(file, copy);
      await assert.rejects(
        () => run(['list'], { env: e }),
        (err: Error) => err instanceof VaultRollbackError && /accept-rollback/.test(err.message),
      );
      await assert.rejects(() => run(basicSet('third'), { env: e }), VaultRollbackError);
      const r = await run(['accept-rollback'], { env: e });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /accepted vault .* at version 1 \(version 2 was seen before\); rewritten as version 3/);
      const list = (await run(['list'], { env: e })).out;
      assert.match(list, /first/);
      assert.doesNotMatch(list, /second/);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});
