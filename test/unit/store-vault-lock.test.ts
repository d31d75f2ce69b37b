/**
 * Issue 13 item 5 (and the lock part of item 8): waiting for the vault lock yields to the event loop,
 * the refresh path reads what is stored NOW under the lock, and its patch is on disk before it returns.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withFileLock, withFileLockAsync } from '../../activities/store/atomic-file';
import { CredentialVault } from '../../activities/store/vault';
import { vaultOAuthTokenStore } from '../../activities/store/oauth-token-store';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop()!, { recursive: true, force: true });
});
function vaultIn(): CredentialVault {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-vault-lock-'));
  dirs.push(d);
  return new CredentialVault({ file: path.join(d, 'credentials.vault'), key: Buffer.alloc(32, 3) });
}

describe('vault lock and the refresh path', () => {
  it('waits for a lock held by another process without blocking the event loop: a timer releases it while we wait', async () => {
    const vault = vaultIn();
    vault.set('acme-anaplan', 'anaplan', { type: 'oauth', clientId: 'cid', refreshToken: 'rt-1' });
    const lock = `${vault.file}.lock`;
    fs.writeFileSync(lock, ''); // held by "another process"
    let released = false;
    // Only runs if the event loop keeps turning while exclusiveUpdate waits for the lock.
    setTimeout(() => {
      released = true;
      fs.rmSync(lock);
    }, 200);
    const seen = await vault.exclusiveUpdate('acme-anaplan', 'anaplan', async (current) => {
      assert.ok(released, 'entered only after the holder released the lock');
      assert.ok(fs.existsSync(lock), 'we hold the lock while deciding');
      return { patch: { refreshToken: 'rt-2' }, result: current.type === 'oauth' ? current.refreshToken : '' };
    });
    assert.equal(seen, 'rt-1');
    assert.ok(!fs.existsSync(lock), 'released afterwards');
    const stored = vault.get('acme-anaplan', 'anaplan');
    assert.ok(stored.type === 'oauth' && stored.refreshToken === 'rt-2');
  });

  it('the token store hands over what another process stored since, and writes the rotation before returning', async () => {
    const vault = vaultIn();
    vault.set('acme-anaplan', 'anaplan', { type: 'oauth', clientId: 'cid', refreshToken: 'rt-1' });
    // "Another process" (a second vault object on the same file) rotates the token.
    const other = new CredentialVault({ file: vault.file, key: Buffer.alloc(32, 3) });
    other.update('acme-anaplan', 'anaplan', {
      refreshToken: 'rt-2',
      accessToken: 'at-2',
      accessTokenExpiresAt: 4_102_444_800_000,
    });
    const store = vaultOAuthTokenStore(vault, 'acme-anaplan');
    const got = await store.exclusive(async (stored) => {
      assert.deepEqual(stored, { refreshToken: 'rt-2', accessToken: 'at-2', accessTokenExpiresAt: 4_102_444_800_000 });
      return {
        save: { refreshToken: 'rt-3', accessToken: 'at-3', accessTokenExpiresAt: 4_102_444_900_000 },
        result: 'done',
      };
    });
    assert.equal(got, 'done');
    const s = other.get('acme-anaplan', 'anaplan');
    assert.ok(s.type === 'oauth');
    assert.equal(s.refreshToken, 'rt-3');
    assert.equal(s.accessToken, 'at-3');
  });

  it('concurrent exclusive updates in one process take turns: each sees the previous one’s write', async () => {
    const vault = vaultIn();
    vault.set('acme-anaplan', 'anaplan', { type: 'oauth', clientId: 'cid', refreshToken: 'rt-0' });
    const seen: string[] = [];
    await Promise.all(
      Array.from({ length: 5 }, () =>
        vault.exclusiveUpdate('acme-anaplan', 'anaplan', async (cur) => {
          const rt = cur.type === 'oauth' ? cur.refreshToken : '';
          seen.push(rt);
          await new Promise((r) => setTimeout(r, 5));
          return { patch: { refreshToken: `rt-${Number(rt.slice(3)) + 1}` }, result: undefined };
        }),
      ),
    );
    assert.deepEqual([...seen].sort(), ['rt-0', 'rt-1', 'rt-2', 'rt-3', 'rt-4']);
    const s = vault.get('acme-anaplan', 'anaplan');
    assert.ok(s.type === 'oauth' && s.refreshToken === 'rt-5');
  });

  it('a lock left by a crashed process (untouched past staleMs) is broken; a holder never removes a lock that is no longer its own', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-lock-'));
    dirs.push(d);
    const file = path.join(d, 'x.vault');
    const lock = `${file}.lock`;
    fs.writeFileSync(lock, 'crashed-owner');
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(lock, old, old);
    const ran = await withFileLockAsync(file, async () => fs.readFileSync(lock, 'utf8'), { staleMs: 30_000 });
    assert.notEqual(ran, 'crashed-owner', 'the stale lock was replaced by ours');
    assert.ok(!fs.existsSync(lock));
    // Our lock was taken from us (judged stale elsewhere) while we ran: we must leave the new owner's lock alone.
    withFileLock(file, () => fs.writeFileSync(lock, 'new-owner'));
    assert.equal(fs.readFileSync(lock, 'utf8'), 'new-owner');
    fs.rmSync(lock);
    await withFileLockAsync(file, async () => fs.writeFileSync(lock, 'new-owner'));
    assert.equal(fs.readFileSync(lock, 'utf8'), 'new-owner');
    fs.rmSync(lock);
  });

  it('a live lock is not broken while its holder is slow: the holder keeps it fresh', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-lock-'));
    dirs.push(d);
    const file = path.join(d, 'x.vault');
    const order: string[] = [];
    const slow = withFileLockAsync(
      file,
      async () => {
        order.push('slow:start');
        await new Promise((r) => setTimeout(r, 4_000));
        order.push('slow:end');
      },
      { staleMs: 3_000 },
    );
    await new Promise((r) => setTimeout(r, 50));
    const second = withFileLockAsync(file, async () => void order.push('second'), { staleMs: 3_000 });
    await Promise.all([slow, second]);
    assert.deepEqual(
      order,
      ['slow:start', 'slow:end', 'second'],
      'the waiter did not take a lock held longer than staleMs by a live holder',
    );
  });
});
