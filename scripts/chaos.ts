/**
 * `npm run chaos [-- --cycles 5 --kills 20 --seed 1]` (`-- --ledger [--rounds 6 --kills 12]`: the ledger
 * chaos run, `runLedgerChaos` below; `-- --hosts 2 [--cycles 6 --kills 9 --outage-s 120
 * --outage-vendor netsuite]`: two hosts sharing S3, PostgreSQL and Temporal, scripts/chaos-hosts.ts): planning cycles on two Anaplan models run
 * while the worker process (`ml-connector worker --config F`) is SIGKILLed at random moments and
 * restarted; afterwards the invariants are checked against the sandboxes (scripts/chaos-invariants.ts):
 * every cycle completed, Anaplan actuals = NetSuite per combination, each planned journal exactly
 * once with the planned lines, no externalId twice, no two tasks overlapping on a model.
 * Prints every kill and every invariant; exits non-zero on any violation.
 *
 * Cycles: cycle i runs on model i % 2, for the month ⌊i/2⌋ months before 2026-10; the 2026-10
 * cycles are `full` (they post the plan), earlier months `actuals`.
 */
import type { ChildProcess } from 'node:child_process';
import { replayJournalsArgs, spawnCli, workerArgs } from './cli-process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { openClientConnection } from '../common/node/temporal-connection';
import { parseConfig, type ConnectionConfig } from '../common/config';
import { resolveDataConverter } from '../common/node/codec-config';
import type { CycleSummary } from '../common/dto';
import { cycleWorkflowId, type CycleKind } from '../common/ids';
import { inheritedEnv, setProcessEnv } from '../common/node/env';
import { openStores } from '../activities/store';
import { startTemporal } from '../client/dev-server';
import { startAnaplanSandbox } from '../sandbox/anaplan';
import { startSandboxes, type Sandboxes } from '../sandbox/embedded';
import { sandboxConnection } from '../client/sandbox-connection';
import { planningCycle } from '../workflows';
import {
  checkCompleted,
  checkDeletes,
  checkJournals,
  checkLedgerEqualsPlan,
  checkModels,
  checkNoOverlap,
  checkWritesExplained,
  expectedLedger,
  formatResults,
  planJournalPrefix,
  recordLedgerWrites,
  type InvariantResult,
} from './chaos-invariants';
import { main as cli } from '../client/cli';
import { startCycle } from '../client/cycle-runner';
import { rng } from '../sandbox/demo-company';
import { HOSTS_CHAOS_DEFAULTS, runHostsChaosStandalone } from './chaos-hosts';

export interface ChaosOptions {
  cycles: number;
  kills: number;
  seed: number;
  /** Random pause before each kill (after the worker polls again). */
  minIntervalMs: number;
  maxIntervalMs: number;
  glLines: number;
  log: (line: string) => void;
}

export const CHAOS_DEFAULTS: Omit<ChaosOptions, 'log'> = {
  cycles: 5,
  kills: 20,
  seed: 1,
  minIntervalMs: 300,
  maxIntervalMs: 3_000,
  glLines: 6_000,
};

export interface ChaosReport {
  kills: Array<{ at_s: number; pid: number; running: number }>;
  results: InvariantResult[];
  ok: boolean;
}

const MASTER_KEY = Buffer.alloc(32, 3).toString('hex');

function monthsBefore(period: string, n: number): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 - n, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log;
  const random = rng(opts.seed);
  const server = await startTemporal({ uiPort: false, startTimeoutMs: 120_000 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-chaos-'));
  const env = inheritedEnv({
    ML_CONNECTOR_MASTER_KEY: MASTER_KEY,
    ML_CONNECTOR_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: server.address,
  });
  const a = await startSandboxes({ netsuite: { glLines: opts.glLines } });
  const bAnaplan = await startAnaplanSandbox({ seed: 43 });
  const models: Sandboxes[] = [a, { netsuite: a.netsuite, anaplan: bAnaplan, close: () => bAnaplan.close() }];
  const stores = openStores({ dataDir, env });
  const configs: ConnectionConfig[] = models.map((s, i) =>
    parseConfig(sandboxConnection(s, stores.vault, `chaos${i}`)),
  );
  await stores.close();
  const configFile = path.join(dataDir, 'ml-connector.config.json');
  fs.writeFileSync(configFile, JSON.stringify(configs[0], null, 2));
  const taskQueue = `chaos-${process.pid}-${Date.now().toString(36)}`;

  const worker = workerProcess(configFile, taskQueue, env);

  const connection = await openClientConnection(server.settings);
  const kills: ChaosReport['kills'] = [];
  const results: InvariantResult[] = [];
  try {
    await worker.start();
    const client = new Client({
      connection,
      namespace: server.namespace,
      dataConverter: resolveDataConverter({ dataDir, env }),
    });
    const runs = Array.from({ length: opts.cycles }, (_, i) => {
      const period = monthsBefore('2026-10', Math.floor(i / 2));
      return { model: i % 2, period, kind: (period === '2026-10' ? 'full' : 'actuals') as CycleKind };
    });
    const t0 = performance.now();
    const handles = await Promise.all(
      runs.map((r) =>
        client.workflow.start(planningCycle, {
          taskQueue,
          workflowId: cycleWorkflowId(
            configs[r.model]!.anaplan.workspaceId,
            configs[r.model]!.anaplan.modelId,
            r.period,
            r.kind,
          ),
          // A killed activity is retried after its heartbeat timeout: keep it short so chaos stays quick.
          args: [
            { config: configs[r.model]!, period: r.period, kind: r.kind, options: { heartbeatTimeoutMs: 10_000 } },
          ],
        }),
      ),
    );
    log(`started ${runs.length} cycles on 2 models: ${runs.map((r) => `${r.model}:${r.period}:${r.kind}`).join(', ')}`);
    const outcomes: Array<CycleSummary | Error | undefined> = runs.map(() => undefined);
    const done = Promise.all(
      handles.map((h, i) =>
        h.result().then(
          (s) => (outcomes[i] = s),
          (e: Error) => (outcomes[i] = e),
        ),
      ),
    );
    let finished = false;
    void done.then(() => (finished = true));

    while (!finished && kills.length < opts.kills) {
      const wait = opts.minIntervalMs + random() * (opts.maxIntervalMs - opts.minIntervalMs);
      await Promise.race([new Promise((r) => setTimeout(r, wait)), done]);
      if (finished) break;
      const pid = worker.pid()!;
      await worker.stop('SIGKILL');
      const running = outcomes.filter((o) => o === undefined).length;
      kills.push({ at_s: Math.round((performance.now() - t0) / 100) / 10, pid, running });
      log(
        `kill ${kills.length}/${opts.kills}: SIGKILL worker ${pid} at ${kills.at(-1)!.at_s}s (${running} cycles running); restarting`,
      );
      await worker.start();
    }
    await done;
    log(`all cycles ended after ${Math.round((performance.now() - t0) / 1000)}s and ${kills.length} kills`);

    results.push(...checkCompleted(runs, outcomes));
    results.push(...(await checkModels(models, configs, runs, outcomes)));
  } finally {
    await worker.stop('SIGTERM').catch(() => undefined);
    await connection.close();
    await bAnaplan.close();
    await a.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const ok = results.length > 0 && results.every((r) => r.ok);
  log(formatResults(results));
  log(
    `${ok ? 'PASS' : 'FAIL'}: ${results.filter((r) => r.ok).length}/${results.length} invariants hold after ${kills.length} kills`,
  );
  return { kills, results, ok };
}

/** Spawns `ml-connector worker --config F` as a child process; SIGKILL and restart it at will. */
function workerProcess(configFile: string, taskQueue: string, env: NodeJS.ProcessEnv) {
  let worker: ChildProcess | undefined;
  const start = async (): Promise<ChildProcess> => {
    const child = spawnCli(workerArgs(configFile, taskQueue), env);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('polling')) {
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code, sig) =>
        reject(new Error(`worker exited (${code ?? sig}) before polling: ${err.slice(-1500)}`)),
      );
    });
    return (worker = child);
  };
  const stop = async (signal: NodeJS.Signals) => {
    const w = worker;
    if (!w || w.exitCode !== null || w.signalCode !== null) return;
    const exited = new Promise((r) => w.once('exit', r));
    w.kill(signal);
    await exited;
  };
  return { start, stop, pid: () => worker?.pid };
}

export interface LedgerChaosOptions {
  /** Rounds of cycles; the first posts the plan, the middle ones change the mapping, the last maps fully. */
  rounds: number;
  kills: number;
  seed: number;
  minIntervalMs: number;
  maxIntervalMs: number;
  glLines: number;
  /** Also a `plan` cycle for the full cycle's period in each round (three writers instead of two). */
  threeWriters: boolean;
  /** What changes before each middle round (in turn); default one change per round. */
  mutations?: LedgerMutation[][];
  log: (line: string) => void;
}

export const LEDGER_CHAOS_DEFAULTS: Omit<LedgerChaosOptions, 'log'> = {
  rounds: 6,
  kills: 12,
  seed: 1,
  minIntervalMs: 2_000,
  maxIntervalMs: 8_000,
  glLines: 1_000,
  threeWriters: true,
};

export interface LedgerChaosReport {
  kills: Array<{ at_s: number; pid: number; round: number; at: number }>;
  cycles: number;
  replays: { refused: number; applied: number };
  mutations: string[];
  writes: { insert: number; update: number; delete: number };
  results: InvariantResult[];
  ok: boolean;
}

/** Mapping / plan changes applied before a middle round (in turn). */
export type LedgerMutation = 'subsidiary-null' | 'account-renumbered' | 'scope-unapproved';
const LEDGER_MUTATIONS: LedgerMutation[][] = [['subsidiary-null'], ['account-renumbered'], ['scope-unapproved']];
const LEDGER_FROM = '2026-09';

/**
 * The ledger chaos run (issue 11 item 9). Each round starts a `plan` cycle for 2026-09 and a
 * `full` cycle for 2026-10 (and, with `threeWriters`, a `plan` cycle for 2026-10) of one model ×
 * NetSuite account at the same moment — they write overlapping months — together with `replay
 * --step postJournals` of the previous round's cycles; the approved plan's amounts change before
 * every round and the mapping before the middle ones (a subsidiary set to null, an account
 * renumbered in NetSuite and renumbered back, a scope un-approved in Anaplan: the plan retires it);
 * the worker process is SIGKILLed and restarted throughout. After the last (fully mapped) round,
 * the older writer's replay must be refused and the latest writer's must change nothing; then the
 * ledger must equal the plan computed from the sandboxes (chaos-invariants.ts), no journal may
 * have been deleted where the plan covered it, and every write must have an audit row.
 */
export async function runLedgerChaos(opts: LedgerChaosOptions): Promise<LedgerChaosReport> {
  const log = opts.log;
  const random = rng(opts.seed);
  const server = await startTemporal({ uiPort: false, startTimeoutMs: 120_000 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-ledger-chaos-'));
  const env = inheritedEnv({
    ML_CONNECTOR_MASTER_KEY: MASTER_KEY,
    ML_CONNECTOR_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: server.address,
  });
  const s = await startSandboxes({ netsuite: { glLines: opts.glLines }, seed: 4_000 + opts.seed });
  const stores = openStores({ dataDir, env });
  const base: ConnectionConfig = parseConfig(sandboxConnection(s, stores.vault, 'ledgerchaos'));
  await stores.close();
  const configFile = path.join(dataDir, 'ml-connector.config.json');
  fs.writeFileSync(configFile, JSON.stringify(base, null, 2));
  const taskQueue = `ledger-chaos-${process.pid}-${Date.now().toString(36)}`;
  const writes = recordLedgerWrites(s, planJournalPrefix(base));
  // The replay CLI runs in this process: it reads the same settings as the worker.
  const restoreEnv = setProcessEnv({
    TEMPORAL_ADDRESS: server.address,
    ML_CONNECTOR_DATA_DIR: dataDir,
    ML_CONNECTOR_MASTER_KEY: MASTER_KEY,
  });
  const w = workerProcess(configFile, taskQueue, env);
  const connection = await openClientConnection(server.settings);
  const report: LedgerChaosReport = {
    kills: [],
    cycles: 0,
    replays: { refused: 0, applied: 0 },
    mutations: [],
    writes: { insert: 0, update: 0, delete: 0 },
    results: [],
    ok: false,
  };
  const results = report.results;
  /** Coverage of the approved plan from each write seq on (a round's plan is fixed while it runs). */
  const coverage: Array<{ fromSeq: number; covered: Map<string, number> }> = [];
  const coveredAt = (seq: number) => [...coverage].reverse().find((c) => seq >= c.fromSeq)!.covered;
  const db = s.netsuite.state.db;
  const pln = s.anaplan.state.model.modules.get('PLN01 Plan')!;
  const replay = async (cycleId: string): Promise<{ code: number; text: string }> => {
    const lines: string[] = [];
    const code = await cli(replayJournalsArgs(cycleId, taskQueue), {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    if (code === 0) report.replays.applied++;
    else report.replays.refused++;
    return { code, text: lines.join(' ') };
  };
  let round = 0;
  let busy = false;
  let stopKills = false;
  const t0 = performance.now();
  const killer = (async () => {
    while (!stopKills && report.kills.length < opts.kills) {
      await new Promise((r) =>
        setTimeout(r, opts.minIntervalMs + random() * (opts.maxIntervalMs - opts.minIntervalMs)),
      );
      // Spread over the rounds: at most ⌈kills / rounds⌉ in one round.
      if (
        stopKills ||
        !busy ||
        report.kills.filter((k) => k.round === round).length >= Math.ceil(opts.kills / opts.rounds)
      )
        continue;
      const pid = w.pid()!;
      await w.stop('SIGKILL');
      report.kills.push({ at_s: Math.round((performance.now() - t0) / 100) / 10, pid, round, at: Date.now() });
      log(
        `kill ${report.kills.length}/${opts.kills}: SIGKILL worker ${pid} at ${report.kills.at(-1)!.at_s}s (round ${round}); restarting`,
      );
      await w.start();
    }
  })();
  try {
    await w.start();
    const client = new Client({
      connection,
      namespace: server.namespace,
      dataConverter: resolveDataConverter({ dataDir, env }),
    });
    let previous: string[] = [];
    for (round = 0; round < opts.rounds; round++) {
      const last = round === opts.rounds - 1;
      let config = base;
      let undo = () => undefined as void;
      if (round > 0) {
        // A new approved plan every round: stale journals would show.
        const amount = pln.lineItem('Amount')!.cells;
        for (const [k, v] of amount) amount.set(k, Math.round((v + 1.25) * 100) / 100);
      }
      const table = opts.mutations ?? LEDGER_MUTATIONS;
      const changes = round === 0 || last ? [] : table[(round - 1) % table.length]!;
      const mutation = changes.join('+') || 'none';
      const posted = expectedLedger(s, base, LEDGER_FROM);
      const subs = [...new Set([...posted.scopes.keys()].map((k) => k.split('|')[2]!))].sort();
      if (changes.includes('subsidiary-null')) {
        const sub = subs.at(-1)!;
        config = {
          ...base,
          dimensions: {
            ...base.dimensions,
            subsidiaries: {
              ...base.dimensions.subsidiaries,
              overrides: { ...base.dimensions.subsidiaries.overrides, [`SUB-${sub}`]: null },
            },
          },
        };
        report.mutations.push(`round ${round}: subsidiary SUB-${sub} set to null in the mapping`);
      }
      if (changes.includes('account-renumbered')) {
        const acct = [...posted.scopes.values()][0]!.keys().next().value!.split('|')[0]!;
        const { acctnumber } = db.prepare('SELECT acctnumber FROM account WHERE id = ?').get(Number(acct)) as {
          acctnumber: string;
        };
        db.prepare('UPDATE account SET acctnumber = ? WHERE id = ?').run(`${acctnumber}9`, Number(acct));
        undo = () => void db.prepare('UPDATE account SET acctnumber = ? WHERE id = ?').run(acctnumber, Number(acct));
        report.mutations.push(
          `round ${round}: account ${acctnumber} renumbered ${acctnumber}9 in NetSuite (back after the round)`,
        );
      }
      if (changes.includes('scope-unapproved')) {
        // The approved plan retires one scope for good: its journals may (must) be deleted.
        const scope = [...posted.scopes.keys()]
          .filter((k) => k.startsWith('forecast|'))
          .sort()
          .at(-1)!;
        const [, month, sub] = scope.split('|') as [string, string, string];
        const model = s.anaplan.state.model;
        const vi = model.versions.find((v) => v.name === 'Forecast')!.index;
        const ti = model.time.find((t) => t.start.startsWith(month))!.index;
        const si = s.anaplan.state.model.lists.get('Subsidiaries')!.getByCode(`SUB-${sub}`)!.index;
        const axis = (n: string) => pln.dims.findIndex((_, i) => pln.dimName(i) === n);
        const [vx, tx, sx] = [axis('Versions'), axis('Time'), axis('Subsidiaries')];
        const approved = pln.lineItem('Approved')!.cells;
        for (const k of [...approved.keys()]) {
          const d = pln.decode(k);
          if (d[vx] === vi && d[tx] === ti && d[sx] === si) approved.delete(k);
        }
        report.mutations.push(`round ${round}: scope ${scope} un-approved in Anaplan (retired by the plan)`);
      }
      coverage.push({ fromSeq: writes().length + 1, covered: expectedLedger(s, base, LEDGER_FROM).covered });

      // Replays of the previous round's cycles race the new round's cycles: refused, or harmless.
      // Each replay is running before the cycles start (a new run of the same cycle ID would
      // otherwise be what `replay` reads); then all of them race for the ledger lock.
      const since = new Date();
      busy = true;
      const replays = previous.map((id) =>
        replay(id).then((r) =>
          log(
            `round ${round}: replay of ${id.split(':').slice(-2).join(':')}: ${r.code === 0 ? 'applied' : `refused — ${r.text.slice(0, 200)}`}`,
          ),
        ),
      );
      for (const id of previous) {
        const h = client.workflow.getHandle(`replay:${id}:postJournals`);
        for (let i = 0; i < 300; i++) {
          const d = await h.describe().catch(() => undefined);
          if (d && d.startTime >= since) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const specs: Array<[string, CycleKind]> = [
        [LEDGER_FROM, 'plan'],
        ['2026-10', 'full'],
        ...(opts.threeWriters ? ([['2026-10', 'plan']] as Array<[string, CycleKind]>) : []),
      ];
      const handles = await Promise.all(
        specs.map(([period, kind]) =>
          startCycle(client, config, period, kind, { heartbeatTimeoutMs: 10_000 }, taskQueue),
        ),
      );
      const outcomes = await Promise.all(
        handles.map((h) =>
          h.result().then(
            (r) => r,
            (e: Error) => e,
          ),
        ),
      );
      await Promise.all(replays);
      busy = false;
      undo();
      report.cycles += handles.length;
      log(
        `round ${round} (${mutation}): ${handles
          .map((h, i) => {
            const o = outcomes[i]!;
            return `${h.workflowId.split(':').slice(-2).join(':')} ${o instanceof Error ? `FAILED ${o.message}` : `${o.status} +${o.journals?.posted ?? 0} ~${o.journals?.updated ?? 0} =${o.journals?.unchanged ?? 0} -${o.journals?.retired ?? 0} frozen ${o.plan?.frozenScopes ?? 0}`}`;
          })
          .join('; ')}`,
      );
      for (const [i, h] of handles.entries()) {
        const o = outcomes[i]!;
        if (o instanceof Error || o.status !== 'completed' || (o.journals?.failed ?? 0) > 0)
          results.push({
            name: `round ${round}: ${h.workflowId} completed`,
            ok: false,
            detail:
              o instanceof Error
                ? `failed: ${o.message}${o.cause ? ` — ${(o.cause as Error).message}` : ''}`
                : `status ${o.status}, ${o.journals?.failed ?? 0} journals failed`,
          });
        if (
          changes.includes('subsidiary-null') &&
          !(o instanceof Error) &&
          (o.plan?.frozenScopes ?? 0) === 0 &&
          h.workflowId.endsWith(`${LEDGER_FROM}:plan`)
        )
          results.push({
            name: `round ${round}: the unmapped subsidiary froze scopes`,
            ok: false,
            detail: 'no frozen scope reported',
          });
      }
      previous = handles.map((h) => h.workflowId);
    }
    stopKills = true;
    results.unshift({
      name: `${report.cycles} cycles in ${opts.rounds} rounds completed with no journal refused`,
      ok: results.length === 0,
      detail: `${results.length} failed`,
    });

    // After the last round: the scope's latest writer may replay (nothing changes); everyone else is refused.
    const events = openStores({ dataDir, env });
    let lastWriter: string | undefined;
    try {
      const { ledgerLockWorkflowId } = await import('../common/ids');
      lastWriter = (
        await events.audit.queryEvents({
          scope: ledgerLockWorkflowId(base.netsuite.accountId, base.anaplan.workspaceId, base.anaplan.modelId),
          kind: 'ledger_write',
        })
      ).at(-1)?.cycleId;
    } finally {
      await events.close();
    }
    const before = writes().length;
    const outcomes = await Promise.all(previous.map(async (id) => ({ id, ...(await replay(id)) })));
    const refusedOk = outcomes.every((o) =>
      o.id === lastWriter ? o.code === 0 : o.code !== 0 && /wrote to the same ledger/.test(o.text),
    );
    results.push({
      name: 'final replays: older writers refused (naming the newer cycle), the latest one harmless',
      ok: refusedOk && writes().length === before && outcomes.some((o) => o.code !== 0),
      detail: `${outcomes.map((o) => `${o.id.split(':').slice(-2).join(':')}: ${o.code === 0 ? 'applied' : 'refused'}`).join(', ')}; ${writes().length - before} writes`,
    });

    const all = writes();
    for (const x of all) report.writes[x.op]++;
    results.push(checkLedgerEqualsPlan(s, base, LEDGER_FROM));
    results.push(checkDeletes(base, all, coveredAt));
    const audit = openStores({ dataDir, env });
    try {
      results.push(
        checkWritesExplained(
          all,
          await audit.audit.queryRecords({ step: 'postJournals', recordKind: 'journal', limit: 1_000_000 }),
          report.kills.map((k) => k.at),
        ),
      );
    } finally {
      await audit.close();
    }
    results.push(...(await checkJournals(s, base)));
    results.push(checkNoOverlap(s, base.anaplan.modelId));
  } finally {
    stopKills = true;
    await killer.catch(() => undefined);
    await w.stop('SIGTERM').catch(() => undefined);
    restoreEnv();
    await connection.close();
    await s.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  report.ok = results.length > 0 && results.every((r) => r.ok);
  log(formatResults(results));
  log(
    `${report.ok ? 'PASS' : 'FAIL'}: ${results.filter((r) => r.ok).length}/${results.length} invariants hold after ${report.cycles} cycles, ${report.replays.refused + report.replays.applied} replays (${report.replays.refused} refused), ${report.kills.length} kills; writes ${JSON.stringify(report.writes)}`,
  );
  return report;
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      ledger: { type: 'boolean' },
      hosts: { type: 'string' },
      'outage-s': { type: 'string' },
      'outage-vendor': { type: 'string' },
      sabotage: { type: 'string' },
      rounds: { type: 'string' },
      cycles: { type: 'string' },
      kills: { type: 'string' },
      seed: { type: 'string' },
      'min-interval-ms': { type: 'string' },
      'max-interval-ms': { type: 'string' },
      'gl-lines': { type: 'string' },
    },
  });
  const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
  const exit = (p: Promise<{ ok: boolean }>) =>
    p.then(
      (r) => process.exit(r.ok ? 0 : 1),
      (err) => {
        console.error(`chaos failed: ${(err as Error).stack ?? err}`);
        process.exit(2);
      },
    );
  if (values.hosts !== undefined) {
    if (values.hosts !== '2') throw new Error(`--hosts: only 2 is supported (got ${values.hosts})`);
    const vendor = values['outage-vendor'] ?? HOSTS_CHAOS_DEFAULTS.outageVendor;
    if (vendor !== 'netsuite' && vendor !== 'anaplan')
      throw new Error(`--outage-vendor must be netsuite or anaplan (got ${vendor})`);
    const sabotage = values.sabotage;
    if (sabotage !== undefined && sabotage !== 'audit-not-shared' && sabotage !== 'duplicate-journal')
      throw new Error(`--sabotage must be audit-not-shared or duplicate-journal (got ${sabotage})`);
    void exit(
      runHostsChaosStandalone({
        cycles: num(values.cycles, HOSTS_CHAOS_DEFAULTS.cycles),
        kills: num(values.kills, HOSTS_CHAOS_DEFAULTS.kills),
        seed: num(values.seed, HOSTS_CHAOS_DEFAULTS.seed),
        glLines: num(values['gl-lines'], HOSTS_CHAOS_DEFAULTS.glLines),
        outageMs: num(values['outage-s'], HOSTS_CHAOS_DEFAULTS.outageMs / 1000) * 1000,
        outageVendor: vendor,
        sabotage,
        log: (l) => console.log(l),
      }),
    );
  } else if (values.ledger) {
    void exit(
      runLedgerChaos({
        rounds: num(values.rounds, LEDGER_CHAOS_DEFAULTS.rounds),
        kills: num(values.kills, LEDGER_CHAOS_DEFAULTS.kills),
        seed: num(values.seed, LEDGER_CHAOS_DEFAULTS.seed),
        minIntervalMs: num(values['min-interval-ms'], LEDGER_CHAOS_DEFAULTS.minIntervalMs),
        maxIntervalMs: num(values['max-interval-ms'], LEDGER_CHAOS_DEFAULTS.maxIntervalMs),
        glLines: num(values['gl-lines'], LEDGER_CHAOS_DEFAULTS.glLines),
        threeWriters: LEDGER_CHAOS_DEFAULTS.threeWriters,
        log: (l) => console.log(l),
      }),
    );
  } else {
    void exit(
      runChaos({
        cycles: num(values.cycles, CHAOS_DEFAULTS.cycles),
        kills: num(values.kills, CHAOS_DEFAULTS.kills),
        seed: num(values.seed, CHAOS_DEFAULTS.seed),
        minIntervalMs: num(values['min-interval-ms'], CHAOS_DEFAULTS.minIntervalMs),
        maxIntervalMs: num(values['max-interval-ms'], CHAOS_DEFAULTS.maxIntervalMs),
        glLines: num(values['gl-lines'], CHAOS_DEFAULTS.glLines),
        log: (l) => console.log(l),
      }),
    );
  }
}
