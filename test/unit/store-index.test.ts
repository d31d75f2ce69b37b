import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { certificateStatus, openStores } from '../../activities/store';

void describe('store wiring', () => {
  void it('opens vault, artifacts and audit under one data directory, creating the key once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-stores-'));
    try {
      const warnings: string[] = [];
      const s = openStores({ dataDir: dir, env: {}, vault: { onWarning: (m) => warnings.push(m) } });
      assert.equal(warnings.length, 1);
      s.vault.set('demo', 'anaplan', { type: 'basic', username: 'u', password: 'p4ssw0rd-demo' });
      const { hash } = await s.artifacts.put('x');
      await s.audit.appendRecord({
        cycleId: 'c',
        step: 's',
        recordKind: 'actual',
        outcome: 'accepted',
        artifactHash: hash,
      });
      await s.close();
      const files = fs.readdirSync(dir);
      for (const f of ['artifacts', 'audit.db', 'credentials.vault', 'master.key']) assert.ok(files.includes(f), f);
      assert.deepEqual(
        fs.readdirSync(path.join(dir, 'artifacts')).filter((f) => f !== '.tmp'),
        [hash],
      );
      assert.equal(fs.statSync(path.join(dir, 'master.key')).mode & 0o777, 0o600);

      const again = openStores({ dataDir: dir, env: {}, vault: { onWarning: (m) => warnings.push(m) } });
      assert.equal(warnings.length, 1, 'no second key file');
      assert.equal(again.vault.get('demo', 'anaplan').type, 'basic');
      assert.equal(await again.artifacts.has(hash), true);
      assert.equal((await again.audit.queryRecords({ cycleId: 'c' }))[0].artifactHash, hash);
      await again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('classifies certificate expiry with a 30-day warning window', () => {
    const now = new Date('2026-11-27T00:00:00Z');
    assert.deepEqual(certificateStatus({}, now), { state: 'none' });
    assert.equal(certificateStatus({ certificateExpiry: '2027-06-01T00:00:00.000Z' }, now).state, 'ok');
    const soon = certificateStatus({ certificateExpiry: '2026-12-20T00:00:00.000Z' }, now);
    assert.deepEqual([soon.state, soon.daysLeft], ['expiring', 23]);
    assert.equal(certificateStatus({ certificateExpiry: '2026-11-26T23:59:59.000Z' }, now).state, 'expired');
    assert.equal(certificateStatus({ certificateExpiry: '2026-12-20T00:00:00.000Z' }, now, 10).state, 'ok');
  });
});
