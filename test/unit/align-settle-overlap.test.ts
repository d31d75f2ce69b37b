/**
 * alignDimensions settles a dimension (member map less what Anaplan refused, quarantine, counts,
 * audit rows) while the next dimension's list import task runs, not between the two imports where
 * the model lock waits for it (issue 15, dimensions at 50k members). Real activity, real ports
 * against both sandboxes; the port and the audit store are wrapped only to record the order of events.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { parseConfig, type ConnectionConfig } from '../../common/config';
import type { AlignResult } from '../../common/dto';
import { createActivities } from '../../activities';
import { createPortsResolver } from '../../activities/cycle/connections';
import type { CycleDeps } from '../../activities/cycle/context';
import type { AnaplanPort, Ports } from '../../activities/cycle/ports';
import { openStores, type AuditStore, type Stores } from '../../activities/store';
import { startSandboxes, type Sandboxes } from '../../sandbox/embedded';
import { sandboxConnection } from '../../client/sandbox-connection';

const quietEnv = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

describe('alignDimensions settles each dimension while the next list import runs', () => {
  let sb: Sandboxes;
  let dir: string;
  let stores: Stores;
  let resolver: ReturnType<typeof createPortsResolver>;
  let config: ConnectionConfig;
  const events: string[] = [];
  let failAuditOf: string | undefined;

  before(async () => {
    sb = await startSandboxes({ netsuite: { glLines: 50 } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-align-overlap-'));
    stores = openStores({ dataDir: dir, env: { ML_CONNECTOR_MASTER_KEY: Buffer.alloc(32, 7).toString('hex') } });
    config = parseConfig(sandboxConnection(sb, stores.vault, 'overlap'));
    resolver = createPortsResolver({ vault: stores.vault });
    // New members in two consecutive dimensions, so each needs its own list import (the sandbox
    // connection loads classes and locations; departments are compared only, no import).
    const db = sb.netsuite.state.db;
    for (const table of ['classification', 'location']) {
      const id = (db.prepare(`SELECT MAX(id) AS id FROM ${table}`).get() as { id: number }).id + 1;
      db.prepare(
        `INSERT INTO ${table} (id, name, fullname, parent, isinactive, subsidiary) VALUES (?, ?, ?, NULL, 'F', '1')`,
      ).run(id, `Overlap ${table}`, `Overlap ${table}`);
    }
    const ports = async (c: ConnectionConfig): Promise<Ports> => {
      const p = await resolver(c);
      const anaplan: AnaplanPort = {
        ...p.anaplan,
        runImport: async (action, file, opts) => {
          events.push(`run:${action}`);
          const r = await p.anaplan.runImport(action, file, {
            ...opts,
            onStarted: (taskId) => {
              events.push(`started:${action}`);
              opts.onStarted?.(taskId);
            },
          });
          events.push(`done:${action}`);
          return r;
        },
      };
      return { ...p, anaplan };
    };
    const audit: AuditStore = Object.create(stores.audit) as AuditStore;
    audit.appendRecords = async (rows) => {
      const list = [...rows];
      const dim = list.find((r) => r.step === 'alignDimensions')?.sourceRef?.split(':')[0];
      if (dim) {
        events.push(`audit:${dim}`);
        if (dim === failAuditOf) throw new Error(`audit store refused ${dim}`);
      }
      return stores.audit.appendRecords(list);
    };
    const deps: CycleDeps = { ports, artifacts: stores.artifacts, audit };
    acts = createActivities({ cycle: deps });
  });
  let acts: ReturnType<typeof createActivities>;
  after(async () => {
    await resolver?.close();
    await stores?.close();
    await sb?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a dimension's audit rows are written after the next import's task started and before it ends", async () => {
    events.length = 0;
    const r = (await quietEnv().run(acts.alignDimensions, { config, cycleId: 'cycle:overlap' })) as AlignResult;
    const action = (dim: 'classes' | 'locations') => config.dimensions[dim].importAction!;
    const at = (e: string) => {
      const i = events.indexOf(e);
      assert.ok(i >= 0, `${e} happened: ${events.join(' ')}`);
      return i;
    };
    // Dimensions without an import of their own (accounts, subsidiaries, departments here) wait for the next task.
    for (const [dim, next] of [
      ['accounts', 'classes'],
      ['subsidiaries', 'classes'],
      ['departments', 'classes'],
      ['classes', 'locations'],
    ] as const) {
      assert.ok(at(`audit:${dim}`) > at(`started:${action(next)}`), `${dim} settles once ${next}'s task runs`);
      assert.ok(at(`audit:${dim}`) < at(`done:${action(next)}`), `${dim} settles before ${next}'s task ends`);
    }
    // Every dimension is settled exactly once, the last one after its own import.
    for (const dim of ['accounts', 'subsidiaries', 'departments', 'classes', 'locations'])
      assert.equal(events.filter((e) => e === `audit:${dim}`).length, 1, `${dim} audited once: ${events.join(' ')}`);
    assert.ok(at('audit:locations') > at(`done:${action('locations')}`));
    assert.equal(r.dimensions.departments.imported, 0, 'departments ran no import: settled in the next task');
    for (const dim of ['classes', 'locations'] as const) {
      assert.equal(r.dimensions[dim].imported, 1, `${dim}: the new member was imported`);
      assert.equal(r.dimensions[dim].unmapped, 0, `${dim}: every member maps`);
    }
    const rows = await stores.audit.queryRecords({ cycleId: 'cycle:overlap', limit: 100_000 });
    const members = Object.values(r.dimensions).reduce((a, d) => a + d.members, 0);
    assert.equal(rows.filter((x) => x.recordKind === 'list_member').length, members, 'one audit row per member');
  });

  it('an audit failure while the next import runs fails the activity (no unhandled rejection)', async () => {
    failAuditOf = 'departments';
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      await assert.rejects(
        quietEnv().run(acts.alignDimensions, { config, cycleId: 'cycle:overlap-fail' }),
        /audit store refused departments/,
      );
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      failAuditOf = undefined;
    }
  });
});
