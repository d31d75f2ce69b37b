/**
 * The two-host chaos run (issue 14 item 4; `npm run chaos -- --hosts 2`, small in
 * test/e2e/chaos-hosts.test.ts). Two worker processes — host A and host B — share nothing but
 * Temporal, the S3 artifact store and the PostgreSQL audit trail: each has its own data directory
 * and its own vault file holding the same credentials (an operator copies the vault, as with any
 * secret store per host). Planning cycles on two Anaplan models run on one task queue while:
 *
 * - kills are aimed at phases, found from the sandboxes' request counters (a SuiteQL page, an
 *   Anaplan chunk PUT, a journal POST/PATCH arriving) and the cycles' pending activities (which
 *   host's identity runs the step): the host running that activity is SIGKILLed mid-extraction,
 *   mid-upload or mid-posting; it is restarted at once or left down (the survivor carries on);
 * - optionally the Temporal dev server (its own, on a persistent SQLite file) is SIGKILLed
 *   mid-cycle and restarted on the same file and port;
 * - optionally a vendor sandbox stops listening mid-step for `outageMs` (state kept) and comes
 *   back on the same port: the step's retries must outlast it.
 *
 * Afterwards (scripts/chaos-invariants.ts, against the sandboxes and PostgreSQL, never the
 * workflows' reports): every cycle completed, actuals tie out per combination, each planned journal
 * exactly once, no two Anaplan tasks overlapped, the audit trail in PostgreSQL holds every imported
 * row and every journal on the ledger, and `ml-connector replay --step postJournals` of each full
 * cycle succeeds from host A alone and from host B alone without writing to the ledger.
 */
import type { ChildProcess } from 'node:child_process';
import { replayJournalsArgs, spawnCli, workerArgs } from './cli-process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { openClientConnection } from '../common/node/temporal-connection';
import { parseConfig, type ConnectionConfig } from '../common/config';
import { resolveDataConverter } from '../common/node/codec-config';
import type { CycleSummary } from '../common/dto';
import { cycleWorkflowId, type CycleKind } from '../common/ids';
import { inheritedEnv } from '../common/node/env';
import { openStores } from '../activities/store';
import { openAuditStore } from '../activities/store/audit-config';
import { PgAuditStore } from '../activities/store/audit-pg';
import { freePort, startTemporal, type TemporalServer } from '../client/dev-server';
import { startAnaplanSandbox } from '../sandbox/anaplan';
import { startSandboxes, type Sandboxes } from '../sandbox/embedded';
import { sandboxConnection } from '../client/sandbox-connection';
import { planningCycle } from '../workflows';
import {
  checkCompleted,
  checkModels,
  formatResults,
  planJournalPrefix,
  recordLedgerWrites,
  type InvariantResult,
} from './chaos-invariants';
import { rng } from '../sandbox/demo-company';
import { loadJournal, saveJournal } from '../sandbox/netsuite/journal-store';

export type KillPhase = 'extraction' | 'upload' | 'posting';
export const KILL_PHASES: KillPhase[] = ['extraction', 'upload', 'posting'];
type HostName = 'A' | 'B';

export interface HostsChaosOptions {
  /** Cycle i runs on model i % 2 for the month ⌊i/2⌋ before 2026-10 (`full` for 2026-10, else `actuals`). */
  cycles: number;
  /** Kills aimed at phases, spread evenly over the three. */
  kills: number;
  seed: number;
  glLines: number;
  /** The shared stores: S3 artifact settings (ML_CONNECTOR_ARTIFACTS=s3://…, AWS_*) and the audit trail's postgres:// URL. */
  artifactsEnv: NodeJS.ProcessEnv;
  auditDb: string;
  /**
   * `shared`: the server at TEMPORAL_ADDRESS (npm test's one dev server; cannot be restarted here).
   * `own`: a dev server on a persistent SQLite file, SIGKILLed once mid-cycle and restarted on the same file and port.
   */
  temporal: 'shared' | 'own';
  /** A vendor sandbox down mid-step for this long (0: no outage). */
  outageMs: number;
  outageVendor: 'netsuite' | 'anaplan';
  /**
   * Deliberately broken set-ups, to show the checks fire (never in a passing run):
   * `audit-not-shared` gives host B a local SQLite audit file; `duplicate-journal` copies one
   * posted journal under its externalId in the NetSuite sandbox before the checks.
   */
  sabotage?: 'audit-not-shared' | 'duplicate-journal';
  log: (line: string) => void;
}

export const HOSTS_CHAOS_DEFAULTS = {
  cycles: 6,
  kills: 9,
  seed: 1,
  glLines: 6_000,
  outageMs: 120_000,
  outageVendor: 'netsuite' as const,
};

export interface HostsKill {
  n: number;
  at_s: number;
  phase: KillPhase;
  host: HostName;
  pid: number;
  cycle: string;
  activity: string;
  /** Request counts that placed the kill in its phase (arrivals since the previous look). */
  evidence: string;
  restart: 'at once' | 'left down';
}

export interface HostsChaosReport {
  kills: HostsKill[];
  /** Host restarts that were not a kill's own (a host left down brought back before the next kill). */
  revived: number;
  temporalRestart?: { at_s: number; down_s: number; running: number };
  outage?: { vendor: string; at_s: number; down_s: number; step: string; running: number };
  replays: Array<{ cycle: string; host: HostName; code: number; ranOn: string; ledgerWrites: number }>;
  wall_s: number;
  results: InvariantResult[];
  ok: boolean;
}

const MASTER_KEY = Buffer.alloc(32, 5).toString('hex');
/** A host "left down" stays down this long: past the 10 s heartbeat timeout, so its activity is retried on the survivor. */
const LEFT_DOWN_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function monthsBefore(period: string, n: number): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 - n, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** One host: a `ml-connector worker` process with its own data directory; SIGKILL and restart it at will. */
class Host {
  private child?: ChildProcess;
  private tail = '';
  /** Every worker process this host ran (worker identities name the pid). */
  readonly pids: number[] = [];
  /** Exits nobody asked for (e.g. the worker gave up while Temporal was down). */
  unexpectedExits: string[] = [];
  private expectingExit = false;
  /** Called when the worker exits on its own (a supervisor restarts it, as systemd or Kubernetes would). */
  onUnexpectedExit?: (reason: string) => void;
  constructor(
    readonly name: HostName,
    readonly dataDir: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly configFile: string,
    private readonly taskQueue: string,
  ) {}

  get pid(): number | undefined {
    return this.up ? this.child?.pid : undefined;
  }
  /** Running and polling the task queue (a worker that is still starting does not count). */
  get up(): boolean {
    return this.alive && this.polling;
  }
  private get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }
  private polling = false;

  async start(): Promise<void> {
    const child = spawnCli(workerArgs(this.configFile, this.taskQueue), this.env);
    this.child = child;
    this.pids.push(child.pid!);
    this.expectingExit = false;
    let ready = false;
    this.polling = false;
    child.stderr!.on('data', (d: Buffer) => (this.tail = (this.tail + d.toString()).slice(-3000)));
    child.once('exit', (code, sig) => {
      // A worker that never polled is start()'s failure to report, not the supervisor's.
      if (this.expectingExit || !ready) return;
      const reason = `host ${this.name} worker ${child.pid} exited (${code ?? sig}): ${this.tail.slice(-400)}`;
      this.unexpectedExits.push(reason);
      this.onUnexpectedExit?.(reason);
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('polling')) {
          ready = true;
          this.polling = true;
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code, sig) =>
        reject(new Error(`host ${this.name} worker exited (${code ?? sig}) before polling: ${this.tail.slice(-1500)}`)),
      );
    });
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    const c = this.child;
    if (!c || !this.alive) return;
    this.expectingExit = true;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  }
}

/** Request counts per phase (uploads per model: each model has its own Anaplan sandbox). */
interface PhaseCounts {
  extraction: number;
  upload: number[];
  posting: number;
}

function phaseCounters(netsuite: Sandboxes['netsuite'], anaplans: Array<Sandboxes['anaplan']>): PhaseCounts {
  const ns = netsuite.sandbox.stats.kit.snapshot().requests;
  const sum = (reqs: Record<string, number>, f: (route: string) => boolean) =>
    Object.entries(reqs).reduce((a, [r, n]) => a + (f(r) ? n : 0), 0);
  return {
    extraction: sum(ns, (r) => r === 'POST /services/rest/query/v1/suiteql'),
    // A file of one chunk goes up in one `PUT …/files/{id}`, larger ones as `PUT …/files/{id}/chunks/{n}`.
    upload: anaplans.map((ap) =>
      sum(
        ap.state.stats.snapshot().requests,
        (r) => r.startsWith('PUT ') && /\/files\/[^/]+(\/chunks\/[^/]+)?$/.test(r),
      ),
    ),
    posting: sum(ns, (r) => /^(POST|PATCH|PUT) \/services\/rest\/record\/v1\/journalentry/.test(r)),
  };
}

/** What arrived between two looks: a phase (and for uploads the model) with its count. */
function arrivals(before: PhaseCounts, now: PhaseCounts): Array<{ phase: KillPhase; model?: number; n: number }> {
  const out: Array<{ phase: KillPhase; model?: number; n: number }> = [];
  if (now.extraction > before.extraction) out.push({ phase: 'extraction', n: now.extraction - before.extraction });
  now.upload.forEach((u, m) => {
    if (u > before.upload[m]!) out.push({ phase: 'upload', model: m, n: u - before.upload[m]! });
  });
  if (now.posting > before.posting) out.push({ phase: 'posting', n: now.posting - before.posting });
  return out;
}

const PHASE_ACTIVITY: Record<KillPhase, string> = {
  extraction: 'extractActuals',
  upload: 'extractActuals',
  posting: 'postJournals',
};

export async function runHostsChaos(opts: HostsChaosOptions): Promise<HostsChaosReport> {
  const log = opts.log;
  const random = rng(opts.seed);
  const t0 = performance.now();
  const at = () => Math.round((performance.now() - t0) / 100) / 10;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-hosts-chaos-'));
  const temporalDb = path.join(root, 'temporal', 'dev-server.sqlite');
  const temporalPort = opts.temporal === 'own' ? await freePort() : 0;
  const startServer = () =>
    opts.temporal === 'own'
      ? startTemporal({
          forceStart: true,
          dbFile: temporalDb,
          port: temporalPort,
          uiPort: false,
          startTimeoutMs: 120_000,
        })
      : startTemporal({ uiPort: false, startTimeoutMs: 120_000 });
  let server: TemporalServer = await startServer();
  if (opts.temporal === 'shared' && server.owned)
    log('TEMPORAL_ADDRESS is not set: started a dev server for this run (it is not restarted)');

  const report: HostsChaosReport = { kills: [], revived: 0, replays: [], wall_s: 0, results: [], ok: false };
  const results = report.results;
  const dirs = { A: path.join(root, 'host-a'), B: path.join(root, 'host-b') };
  for (const d of Object.values(dirs)) fs.mkdirSync(d);
  const shared = inheritedEnv({
    ...opts.artifactsEnv,
    ML_CONNECTOR_AUDIT_DB: opts.auditDb,
    ML_CONNECTOR_MASTER_KEY: MASTER_KEY,
    TEMPORAL_ADDRESS: server.address,
  });
  const hostEnv = (h: HostName): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...shared, ML_CONNECTOR_DATA_DIR: dirs[h] };
    if (h === 'B' && opts.sabotage === 'audit-not-shared') delete env.ML_CONNECTOR_AUDIT_DB;
    return env;
  };

  const migrator = new PgAuditStore({ url: opts.auditDb });
  try {
    await migrator.migrate();
  } finally {
    await migrator.close();
  }
  const a = await startSandboxes({ netsuite: { glLines: opts.glLines }, seed: 5_000 + opts.seed });
  const bAnaplan = await startAnaplanSandbox({ seed: 5_043 + opts.seed });
  const models: Sandboxes[] = [a, { netsuite: a.netsuite, anaplan: bAnaplan, close: () => bAnaplan.close() }];
  // Host A provisions the credentials; host B gets a copy of the vault file (same master key).
  const storesA = openStores({ dataDir: dirs.A, env: hostEnv('A') });
  const configs: ConnectionConfig[] = models.map((s, i) => {
    const input = sandboxConnection(s, storesA.vault, `hosts${i}`);
    // Three SuiteQL queries at a time: extraction lasts long enough to be hit by a kill and an outage.
    return parseConfig({ ...input, netsuite: { ...input.netsuite!, concurrency: 3 } });
  });
  await storesA.close();
  fs.copyFileSync(path.join(dirs.A, 'credentials.vault'), path.join(dirs.B, 'credentials.vault'));
  const configFile = path.join(root, 'connection.json');
  fs.writeFileSync(configFile, JSON.stringify(configs[0], null, 2));
  // Each phase slowed down so an arrival seen by the poller is still in flight when the kill lands.
  a.netsuite.sandbox.faults.add({
    kind: 'latency',
    latencyMs: 150,
    rate: 1,
    route: 'POST /services/rest/query/v1/suiteql',
  });
  a.netsuite.sandbox.faults.add({
    kind: 'latency',
    latencyMs: 400,
    rate: 1,
    route: 'POST /services/rest/record/v1/journalentry',
  });
  for (const ap of [a.anaplan, bAnaplan])
    ap.state.faults.add({ match: { method: 'PUT', route: '/files/' }, latency: 1_500 });
  // One NetSuite for both models: one write timeline for the connector's prefix covers both (the
  // sandbox's triggers are per connection, so a second recorder with another prefix would not be added).
  const ledgerWrites = recordLedgerWrites(a, `${configs[0]!.journals.externalIdPrefix}-`);
  const writesNow = () => ledgerWrites().length;

  const taskQueue = `hosts-chaos-${process.pid}-${Date.now().toString(36)}`;
  const hosts: Record<HostName, Host> = {
    A: new Host('A', dirs.A, hostEnv('A'), configFile, taskQueue),
    B: new Host('B', dirs.B, hostEnv('B'), configFile, taskQueue),
  };
  const connection = await openClientConnection(server.settings);
  const client = () =>
    new Client({
      connection,
      namespace: server.namespace,
      dataConverter: resolveDataConverter({ dataDir: dirs.A, env: shared }),
    });
  try {
    await Promise.all([hosts.A.start(), hosts.B.start()]);
    log(
      `hosts up: A pid ${hosts.A.pid} (${dirs.A}), B pid ${hosts.B.pid} (${dirs.B}); Temporal ${server.address}${opts.temporal === 'own' ? ` on ${temporalDb}` : ' (shared)'}, artifacts ${opts.artifactsEnv.ML_CONNECTOR_ARTIFACTS}, audit PostgreSQL`,
    );
    const runs = Array.from({ length: opts.cycles }, (_, i) => {
      const period = monthsBefore('2026-10', Math.floor(i / 2));
      return { model: i % 2, period, kind: (period === '2026-10' ? 'full' : 'actuals') as CycleKind };
    });
    const ids = runs.map((r) =>
      cycleWorkflowId(configs[r.model]!.anaplan.workspaceId, configs[r.model]!.anaplan.modelId, r.period, r.kind),
    );
    await Promise.all(
      runs.map((r, i) =>
        client().workflow.start(planningCycle, {
          taskQueue,
          workflowId: ids[i]!,
          // A killed host's activity is retried on the survivor after the heartbeat timeout: short, so chaos stays quick.
          args: [
            { config: configs[r.model]!, period: r.period, kind: r.kind, options: { heartbeatTimeoutMs: 10_000 } },
          ],
        }),
      ),
    );
    log(`started ${runs.length} cycles on 2 models: ${runs.map((r) => `${r.model}:${r.period}:${r.kind}`).join(', ')}`);

    // Results are awaited through Temporal restarts: a lost connection is retried, a failed cycle is an outcome.
    const outcomes: Array<CycleSummary | Error | undefined> = runs.map(() => undefined);
    const waitResult = async (i: number) => {
      for (;;) {
        try {
          outcomes[i] = await (client().workflow.getHandle(ids[i]!) as WorkflowHandle<typeof planningCycle>).result();
          return;
        } catch (err) {
          if (err instanceof WorkflowFailedError) {
            outcomes[i] = err;
            return;
          }
          await sleep(1_000);
        }
      }
    };
    const done = Promise.all(runs.map((_, i) => waitResult(i)));
    let finished = false;
    void done.then(() => (finished = true));
    const running = () => outcomes.filter((o) => o === undefined).length;

    const quota = Math.ceil(opts.kills / KILL_PHASES.length);
    const hits: Record<KillPhase, number> = { extraction: 0, upload: 0, posting: 0 };
    const counters = () => phaseCounters(a.netsuite, [a.anaplan, bAnaplan]);
    let last = counters();
    let lastKillAt = 0;
    let leftDownYet = false;
    const starts: Array<Promise<void>> = [];
    for (const h of Object.values(hosts)) {
      h.onUnexpectedExit = (reason) => {
        log(`${reason.slice(0, 300)} — supervisor restarts it`);
        starts.push(
          (async () => {
            for (let i = 1; i <= 20; i++) {
              await sleep(2_000);
              try {
                await h.start();
                log(`host ${h.name} back (pid ${h.pid}) at ${at()}s`);
                return;
              } catch (e) {
                log(`host ${h.name} restart ${i} failed: ${(e as Error).message.slice(0, 200)}`);
              }
            }
          })(),
        );
      };
    }
    let restartedTemporal = false;
    let outageDone = opts.outageMs <= 0;
    while (!finished) {
      await Promise.race([sleep(100), done]);
      if (finished) break;
      const now = counters();
      const seen = arrivals(last, now);
      const arrived = [...new Set(seen.map((x) => x.phase))];
      const evidence = seen
        .map(
          (x) =>
            `${x.phase === 'extraction' ? 'SuiteQL' : x.phase === 'upload' ? `model ${x.model} file PUT` : 'journal write'} +${x.n}`,
        )
        .join(', ');
      last = now;
      if (arrived.length === 0) continue;

      // The Temporal dev server dies mid-cycle (after the first kill, so both kinds of failure mix).
      if (
        opts.temporal === 'own' &&
        !restartedTemporal &&
        report.kills.length >= 1 &&
        performance.now() - lastKillAt > 3_000
      ) {
        restartedTemporal = true;
        const killedAt = at();
        const pid = server.pid!;
        process.kill(pid, 'SIGKILL');
        while (isAlive(pid)) await sleep(50);
        log(
          `Temporal dev server ${pid} SIGKILLed at ${killedAt}s (${running()} cycles running, ${evidence}); restarting on ${temporalDb}`,
        );
        // The client connection is kept: its channel reconnects to the same address (closing it
        // under the SDK's pending gRPC retries throws 'Channel has been shut down' from a timer).
        server = await startServer();
        report.temporalRestart = {
          at_s: killedAt,
          down_s: Math.round((at() - killedAt) * 10) / 10,
          running: running(),
        };
        log(
          `Temporal dev server back after ${report.temporalRestart.down_s}s (pid ${server.pid}, same file and port ${temporalPort})`,
        );
        continue;
      }

      // A vendor outage mid-step (extraction for NetSuite, upload for Anaplan), once.
      const outagePhase: KillPhase = opts.outageVendor === 'netsuite' ? 'extraction' : 'upload';
      if (
        !outageDone &&
        arrived.includes(outagePhase) &&
        report.kills.length >= 1 &&
        (opts.temporal === 'shared' || restartedTemporal)
      ) {
        outageDone = true;
        const listeners =
          opts.outageVendor === 'netsuite' ? [a.netsuite.sandbox.listener!] : [a.anaplan.listener, bAnaplan.listener];
        const downAt = at();
        const r = running();
        await Promise.all(listeners.map((l) => l.down()));
        log(
          `${opts.outageVendor} sandbox down at ${downAt}s mid-${outagePhase} (${r} cycles running) for ${opts.outageMs / 1000}s`,
        );
        await Promise.race([sleep(opts.outageMs), done]);
        await Promise.all(listeners.map((l) => l.up()));
        report.outage = {
          vendor: opts.outageVendor,
          at_s: downAt,
          down_s: Math.round((at() - downAt) * 10) / 10,
          step: outagePhase,
          running: r,
        };
        log(
          `${opts.outageVendor} sandbox back on the same port after ${report.outage.down_s}s (${running()} cycles still running)`,
        );
        last = counters();
        continue;
      }

      const missed = (why: string) => {
        // Uploads and postings are short: say why one went by without a kill.
        for (const x of seen)
          if (x.phase !== 'extraction' && hits[x.phase] < quota && report.kills.length < opts.kills && why)
            log(`(${x.phase} arrival at ${at()}s not hit: ${why})`);
      };
      if (report.kills.length >= opts.kills) continue;
      if (performance.now() - lastKillAt < 1_500) {
        missed('within 1.5 s of the previous kill');
        continue;
      }
      // An upload outranks extraction (they overlap: the file is uploaded while it is extracted).
      const rank = (p: KillPhase) => hits[p] * 10 + (p === 'upload' ? 0 : p === 'posting' ? 1 : 2);
      const wanted = seen.filter((x) => hits[x.phase] < quota).sort((x, y) => rank(x.phase) - rank(y.phase));
      if (wanted.length === 0) continue;
      // Which host runs the phase's activity right now (the activity's last worker identity).
      const target = await findTarget(
        client(),
        ids,
        runs.map((r) => r.model),
        outcomes,
        wanted,
        hosts,
      );
      if (!target) {
        // e.g. the dimension imports' file PUTs of alignDimensions: not a cycle upload, not logged.
        missed('');
        continue;
      }
      const other = hosts[target.host === 'A' ? 'B' : 'A'];
      if (!other.up) {
        // Never kill the last host: the one left down is still down (or starting).
        missed(`host ${other.name} is down, host ${target.host} is the only one left`);
        continue;
      }
      const victim = hosts[target.host];
      const pid = victim.pid!;
      await victim.stop('SIGKILL');
      hits[target.phase]++;
      // Until every phase has had its kill the host comes back at once (with one host down no kill
      // may land, and a short run would miss a phase); the first kill after that leaves its host
      // down so the survivor finishes alone, later ones toss a coin.
      const covered = KILL_PHASES.every((p) => hits[p] > 0);
      const restart = !covered ? 'at once' : !leftDownYet || random() < 0.5 ? 'left down' : 'at once';
      if (restart === 'left down') leftDownYet = true;
      const k: HostsKill = {
        n: report.kills.length + 1,
        at_s: at(),
        phase: target.phase,
        host: target.host,
        pid,
        cycle: target.cycle,
        activity: target.activity,
        evidence,
        restart,
      };
      report.kills.push(k);
      lastKillAt = performance.now();
      log(
        `kill ${k.n}/${opts.kills}: SIGKILL host ${k.host} (pid ${pid}) at ${k.at_s}s mid-${k.phase} — ${k.activity} of ${k.cycle.split(':').slice(-2).join(':')} (${evidence}); ${restart === 'at once' ? 'restarting it' : `left down for ${LEFT_DOWN_MS / 1000}s, host ${other.name} carries on`}`,
      );
      // Restarts run beside the poller (a worker takes seconds to start), so the next phase is not missed.
      const restarting = (restart === 'at once' ? Promise.resolve() : sleep(LEFT_DOWN_MS).then(() => undefined))
        .then(() => victim.start())
        .then(
          () => {
            if (restart === 'left down') report.revived++;
            log(`host ${victim.name} back (pid ${victim.pid}) at ${at()}s`);
          },
          (e: Error) => log(`host ${victim.name} failed to restart: ${e.message}`),
        );
      starts.push(restarting);
    }
    await done;
    await Promise.all(starts);
    log(
      `all cycles ended after ${at()}s, ${report.kills.length} kills (${KILL_PHASES.map((p) => `${p} ${hits[p]}`).join(', ')})`,
    );
    for (const h of Object.values(hosts)) for (const e of h.unexpectedExits) log(`note: ${e}`);

    // ——— invariants ———
    results.push(...checkCompleted(runs, outcomes));
    // Asked for fewer kills than phases (e.g. 0 in a sabotage check), no phase is owed one.
    if (opts.kills >= KILL_PHASES.length)
      results.push({
        name: 'kills hit every phase (extraction, upload, posting)',
        ok: KILL_PHASES.every((p) => hits[p] > 0),
        detail: `${KILL_PHASES.map((p) => `${p} ${hits[p]}`).join(', ')}; ${report.kills.filter((k) => k.restart === 'left down').length} hosts left down, ${report.revived} brought back later`,
      });
    if (opts.temporal === 'own')
      results.push({
        name: 'Temporal dev server killed and restarted mid-cycle (same SQLite file and port)',
        ok: !!report.temporalRestart && report.temporalRestart.running > 0,
        detail: report.temporalRestart
          ? `at ${report.temporalRestart.at_s}s, back after ${report.temporalRestart.down_s}s, ${report.temporalRestart.running} cycles running`
          : 'never happened',
      });
    if (opts.outageMs > 0)
      results.push({
        name: `${opts.outageVendor} sandbox down ${opts.outageMs / 1000}s mid-step, cycles waited`,
        ok: !!report.outage && report.outage.running > 0,
        detail: report.outage
          ? `at ${report.outage.at_s}s mid-${report.outage.step}, down ${report.outage.down_s}s, ${report.outage.running} cycles running`
          : 'never happened',
      });

    if (opts.sabotage === 'duplicate-journal') injectDuplicateJournal(a, planJournalPrefix(configs[0]!), log);
    results.push(...(await checkModels(models, configs, runs, outcomes)));
    results.push(
      ...(await checkAuditComplete(
        opts.auditDb,
        runs.map((r, i) => ({ id: ids[i]!, model: r.model, outcome: outcomes[i] })),
        models,
        configs,
      )),
    );

    // ——— replay from either host: each alone on the task queue, so the replay's activity runs there ———
    const fulls = runs
      .map((r, i) => ({ r, id: ids[i]! }))
      .filter((x) => x.r.kind === 'full' && !(outcomes[runs.indexOf(x.r)] instanceof Error));
    for (const h of ['A', 'B'] as HostName[]) {
      const other = hosts[h === 'A' ? 'B' : 'A'];
      await other.stop('SIGTERM');
      if (!hosts[h].up) await hosts[h].start();
      for (const f of fulls) {
        const before = writesNow();
        const r = await replayFrom(hosts[h], f.id, taskQueue);
        const ranOn = await replayIdentity(client(), `replay:${f.id}:postJournals`);
        report.replays.push({ cycle: f.id, host: h, code: r.code, ranOn, ledgerWrites: writesNow() - before });
        log(
          `replay --step postJournals of ${f.id.split(':').slice(-2).join(':')} (model ${f.r.model}) from host ${h}: exit ${r.code}, activity on ${ranOn} (host ${hostOfIdentity(ranOn, hosts) ?? '?'}), ${writesNow() - before} ledger writes${r.code ? ` — ${r.text.slice(-300)}` : ''}`,
        );
      }
    }
    const replayOk =
      report.replays.length === 2 * fulls.length &&
      report.replays.every((x) => x.code === 0 && x.ledgerWrites === 0 && hostOfIdentity(x.ranOn, hosts) === x.host);
    results.push({
      name: 'replay --step postJournals works from either host and changes nothing on the ledger',
      ok: fulls.length > 0 && replayOk,
      detail:
        report.replays
          .map(
            (x) =>
              `${x.cycle.split(':').slice(-2).join(':')}@${x.host}: exit ${x.code}, ran on ${x.ranOn}, ${x.ledgerWrites} writes`,
          )
          .join('; ') || 'no full cycle completed',
    });
  } finally {
    for (const h of Object.values(hosts)) await h.stop('SIGTERM').catch(() => undefined);
    await connection.close().catch(() => undefined);
    await bAnaplan.close();
    await a.close();
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
  report.wall_s = at();
  report.ok = results.length > 0 && results.every((r) => r.ok);
  log(formatResults(results));
  log(
    `${report.ok ? 'PASS' : 'FAIL'}: ${results.filter((r) => r.ok).length}/${results.length} invariants hold after ${report.kills.length} kills on 2 hosts in ${report.wall_s}s`,
  );
  return report;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `ml-connector-worker@<pid>` (worker/create-worker.ts) → the host that ran that process. */
function hostOfIdentity(identity: string, hosts: Record<HostName, Host>): HostName | undefined {
  const pid = Number(identity.split('@').at(-1));
  return (Object.values(hosts) as Host[]).find((h) => h.pids.includes(pid))?.name;
}

interface KillTarget {
  phase: KillPhase;
  host: HostName;
  cycle: string;
  activity: string;
}

/**
 * The cycle activity of a wanted phase that a live host has started (Temporal's pending
 * activities name the worker identity): that host is the one to kill. An upload is placed on the
 * model whose Anaplan sandbox received the chunk; extraction and posting share one NetSuite.
 */
async function findTarget(
  client: Client,
  ids: string[],
  models: number[],
  outcomes: unknown[],
  wanted: Array<{ phase: KillPhase; model?: number }>,
  hosts: Record<HostName, Host>,
): Promise<KillTarget | undefined> {
  for (const w of wanted) {
    for (const [i, id] of ids.entries()) {
      if (outcomes[i] !== undefined || (w.model !== undefined && models[i] !== w.model)) continue;
      const desc = await client.workflow
        .getHandle(id)
        .describe()
        .catch(() => undefined);
      for (const p of desc?.raw.pendingActivities ?? []) {
        // PENDING_ACTIVITY_STATE_STARTED = 2: a worker holds it now (not a retry waiting for its backoff).
        if (p.activityType?.name !== PHASE_ACTIVITY[w.phase] || Number(p.state) !== 2 || !p.lastWorkerIdentity)
          continue;
        const host = hostOfIdentity(p.lastWorkerIdentity, hosts);
        if (host && hosts[host].pid === Number(p.lastWorkerIdentity.split('@').at(-1)))
          return { phase: w.phase, host, cycle: id, activity: p.activityType.name };
      }
    }
  }
  return undefined;
}

/** Sabotage: one posted journal copied under a second externalId of the same model (a journal posted twice). */
function injectDuplicateJournal(s: Sandboxes, prefix: string, log: (line: string) => void): void {
  const state = s.netsuite.state;
  const row = state.db
    .prepare(`SELECT id, externalid FROM "transaction" WHERE externalid LIKE ? ORDER BY id LIMIT 1`)
    .get(`${prefix}%`) as { id: number; externalid: string } | undefined;
  if (!row) throw new Error(`sabotage: no journal with prefix ${prefix} to duplicate`);
  const j = loadJournal(state, row.id)!;
  const id = saveJournal(state, { ...j, externalId: `${row.externalid}-dup` });
  log(`sabotage: journal ${row.externalid} posted a second time as ${row.externalid}-dup (internal id ${id})`);
}

/**
 * The audit trail in PostgreSQL is complete: each completed cycle has an accepted row for every
 * imported actuals row (distinct source rows = the rows Anaplan imported), and every connector
 * journal on the ledger has an accepted postJournals row naming its externalId and internal ID.
 */
async function checkAuditComplete(
  auditDb: string,
  cycles: Array<{ id: string; model: number; outcome: CycleSummary | Error | undefined }>,
  models: Sandboxes[],
  configs: ConnectionConfig[],
): Promise<InvariantResult[]> {
  const audit = openAuditStore(auditDb, { readonly: true });
  const out: InvariantResult[] = [];
  try {
    const missing: string[] = [];
    let rows = 0;
    let repeated = 0;
    for (const c of cycles) {
      const o = c.outcome;
      if (!o || o instanceof Error || !o.import) continue;
      const recs = await audit.queryRecords({
        cycleId: c.id,
        step: 'importActuals',
        recordKind: 'actual',
        outcome: 'accepted',
        limit: 10_000_000,
      });
      const distinct = new Set(recs.map((r) => r.sourceRef ?? `#${r.id}`)).size;
      rows += distinct;
      repeated += recs.length - distinct;
      if (distinct !== o.import.rowsImported)
        missing.push(
          `${c.id.split(':').slice(-2).join(':')}: ${distinct} audited of ${o.import.rowsImported} imported`,
        );
    }
    out.push({
      name: 'audit trail (PostgreSQL): every imported actuals row of every cycle',
      ok: missing.length === 0 && rows > 0,
      detail: missing.length
        ? missing.join('; ')
        : `${rows} rows audited${repeated ? ` (${repeated} written again by a retried attempt)` : ''}`,
    });

    const unaudited: string[] = [];
    let journals = 0;
    for (const m of [0, 1]) {
      const ledger = models[m]!.netsuite.state.db.prepare(
        `SELECT id, externalid FROM "transaction" WHERE externalid LIKE ?`,
      ).all(`${planJournalPrefix(configs[m]!)}%`) as Array<{ id: number; externalid: string }>;
      const cycleIds = cycles.filter((c) => c.model === m).map((c) => c.id);
      const recs = (
        await Promise.all(
          cycleIds.map((id) =>
            audit.queryRecords({
              cycleId: id,
              step: 'postJournals',
              recordKind: 'journal',
              outcome: 'accepted',
              limit: 1_000_000,
            }),
          ),
        )
      ).flat();
      const byExt = new Map<string, Set<string | null>>();
      for (const r of recs)
        if (r.targetRef) byExt.set(r.targetRef, (byExt.get(r.targetRef) ?? new Set()).add(r.targetInternalId));
      for (const j of ledger) {
        journals++;
        if (!byExt.get(j.externalid)?.has(String(j.id))) unaudited.push(`${j.externalid} (internal ${j.id})`);
      }
    }
    out.push({
      name: 'audit trail (PostgreSQL): every journal on the ledger has its accepted row',
      ok: unaudited.length === 0 && journals > 0,
      detail: unaudited.length
        ? `${unaudited.length} of ${journals} without, first: ${unaudited.slice(0, 3).join(', ')}`
        : `${journals} journals, each audited with its internal ID`,
    });
  } finally {
    await audit.close();
  }
  return out;
}

/** `ml-connector replay --step postJournals` as a separate process with the host's settings. */
async function replayFrom(host: Host, cycleId: string, taskQueue: string): Promise<{ code: number; text: string }> {
  const child = spawnCli(replayJournalsArgs(cycleId, taskQueue), host.env);
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
  return { code, text };
}

/** The worker identity that ran the replay workflow's activity (from its history). */
async function replayIdentity(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const ids = (history.events ?? [])
    .map((e) => e.activityTaskStartedEventAttributes?.identity)
    .filter((x): x is string => !!x);
  return [...new Set(ids)].join(',') || 'no activity';
}

/**
 * `npm run chaos -- --hosts 2`: the large run on servers of its own — MinIO (scripts/ensure-minio.ts)
 * for the artifacts, a throw-away PostgreSQL cluster for the audit trail, and a Temporal dev server
 * on a persistent SQLite file that is killed and restarted mid-cycle.
 */
export async function runHostsChaosStandalone(
  opts: Omit<HostsChaosOptions, 'artifactsEnv' | 'auditDb' | 'temporal'>,
): Promise<HostsChaosReport> {
  const { resolveMinio } = await import('./ensure-minio');
  const { startS3Server } = await import('./s3-server');
  const { startPgServer } = await import('./pg-server');
  const { CreateBucketCommand, S3Client } = await import('@aws-sdk/client-s3');
  const pgLib = (await import('pg')).default;
  const s3 = await startS3Server(resolveMinio({ log: opts.log }).path, { log: opts.log, startTimeoutMs: 120_000 });
  try {
    const pgServer = await startPgServer({ log: opts.log, startTimeoutMs: 120_000 });
    try {
      const bucket = 'mlc-hosts-chaos';
      const client = new S3Client({
        endpoint: s3.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      });
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      client.destroy();
      const admin = new pgLib.Client({ connectionString: pgServer.url });
      await admin.connect();
      await admin.query('CREATE DATABASE mlc_hosts_chaos');
      await admin.end();
      const auditDb = new URL(pgServer.url);
      auditDb.pathname = '/mlc_hosts_chaos';
      const artifactsEnv = {
        ML_CONNECTOR_ARTIFACTS: `s3://${bucket}/chaos`,
        AWS_ENDPOINT_URL: s3.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      };
      return await runHostsChaos({ ...opts, artifactsEnv, auditDb: auditDb.toString(), temporal: 'own' });
    } finally {
      await pgServer.stop();
    }
  } finally {
    await s3.stop();
  }
}
