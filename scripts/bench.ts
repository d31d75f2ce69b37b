/**
 * `npm run bench [-- --scenario actuals --rows 100000]`: planning cycles on a Temporal dev server
 * against both sandboxes with realistic settings, one JSON line per scenario:
 *   scenario, rows, wall_s, bound_s, ratio, peak_rss_mb, history_events, history_bytes,
 *   calls_netsuite, calls_anaplan, throttled
 *
 * The worker runs as its own process, as production runs it: the compiled worker
 * (`node dist/worker/main.js`, built by `npm run build` at the bench's start) with the prebuilt
 * workflow bundle; `--worker source` runs `node --import tsx worker/main.ts` instead (webpack bundles
 * the workflows at start, and VmHWM keeps that peak). Peak RSS is the worker's alone: the kernel's
 * high-water mark (/proc/<pid>/status VmHWM), one fresh worker per scenario, with the worker image's
 * NODE_OPTIONS (its heap limit, read from the Dockerfile) unless `--worker-node-options` says
 * otherwise, and the image's MALLOC_ARENA_MAX unless the bench's environment sets one. History is
 * the cycle workflow's (fetchHistory, protobuf-encoded size).
 *
 * Settings (SETTINGS below): NetSuite SuiteQL page latency L_page, record-API latency L_rec,
 * concurrency limit C = 5 (sandbox and connector); Anaplan request latency L_req, 600 requests/min,
 * task duration d + r·msPerRow for a task over r rows, first poll after poll₀.
 *
 * bound_s — the lower bound those settings impose on one cycle, computed from the same settings
 * and the data (not from the run):
 *   bound_s = ⌈P / C⌉·L_page                 every SuiteQL page the data needs (1,000 rows a page),
 *                                              at the concurrency limit
 *           + ⌈3J / C⌉·L_rec                 journals written (plan write-back): read, write, read-back
 *           + Σ_tasks max(d + r·msPerRow, poll₀)   every Anaplan task on the model; tasks on one model
 *                                              never overlap, and none is seen done before the first poll;
 *                                              list imports only for lists that differ from NetSuite (alignTasks)
 *           + max(U·L_req, (U − 600)/10 s)   the minimum Anaplan requests U (auth, action lookups,
 *                                              chunk uploads/downloads, task start, one poll, result),
 *                                              serial, under the 600/min budget
 * For N cycles on M models at once: max(⌈ΣP / C⌉·L_page + ⌈3ΣJ / C⌉·L_rec, max over models of its
 * Σ_tasks, the longest cycle's own bound) — NetSuite is shared, each model serializes its own tasks.
 * A model's list imports count once in its Σ_tasks (one cycle brings the lists in line), and in
 * every cycle's own bound on that model (no cycle maps its data before the lists are in line,
 * whichever cycle imports them).
 * ratio = wall_s / bound_s. Calls are what the sandboxes counted (all REST calls incl. tokens and
 * 429s); `throttled` = NetSuite concurrency refusals + Anaplan budget refusals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { openClientConnection } from '../common/node/temporal-connection';
import { localTemporalSettings } from '../common/node/temporal-settings';
import { temporal } from '@temporalio/proto';
import { parseConfig, type ConnectionConfig, type ConnectionConfigInput } from '../common/config';
import { resolveDataConverter } from '../common/node/codec-config';
import type { CycleSummary } from '../common/dto';
import { cycleWorkflowId, type CycleKind } from '../common/ids';
import { DIMENSIONS } from '../common/config';
import { inheritedEnv } from '../common/node/env';
import { cycleActions } from '../activities/cycle/preflight';
import { netsuiteMember, splitForParentList } from '../activities/cycle/align';
import { ACCOUNTS_SQL, LIST_SQL } from '../activities/cycle/queries';
import { alignDimension, anaplanMembers, changedImportRows, type AnaplanItem } from '../activities/mapping/dimensions';
import { openStores } from '../activities/store';
import { startTemporal } from '../client/dev-server';
import { PROJECT_ROOT } from '../client/paths';
import { startSandboxes, type Sandboxes } from '../sandbox/embedded';
import { sandboxConnection } from '../client/sandbox-connection';
import { planningCycle } from '../workflows';
import { sdkComparisonScenario } from './bench-sdk';
import { writeTimeline } from './bench-timeline';
import { addAnaplanMembers, addGlActivity, addNetSuiteMembers, addPlanValues, type ExtraMembers } from './bench-data';

export const SETTINGS = {
  /** A SuiteQL page of 1,000 aggregated rows takes ~0.25–2 s on real accounts; the low end keeps the full set in 15 min. */
  pageLatencyMs: 250,
  /** Journal upsert (record API). */
  recordLatencyMs: 150,
  concurrency: 5,
  /** Anaplan Integration API round trip. */
  requestLatencyMs: 40,
  requestsPerMinute: 600,
  taskDurationMs: 500,
  /** 100,000 rows a second of import/export work. */
  msPerRow: 0.01,
  pollInitialMs: 1_000,
  pollMaxMs: 5_000,
  chunkSizeMb: 10,
};

const MASTER_KEY = Buffer.alloc(32, 5).toString('hex');
/**
 * `--worker-node-options`: NODE_OPTIONS of the worker process (e.g. a heap limit, to see what RSS it
 * needs); by default the worker image's own (`productionNodeOptions`).
 */
let workerNodeOptions: string | undefined;
/** `--timeline FILE`: every cycle's activities and lock waits (scripts/bench-timeline.ts), JSON lines. */
let timelineFile: string | undefined;

/**
 * NODE_OPTIONS the worker image sets (the Dockerfile's ENV), so the bench's worker runs with
 * production's heap limit: V8 times its full collections from that limit, so the peak RSS of the
 * same work differs with it (plan-100k: 330 MB without, 279 MB with the image's 512 MB).
 */
function productionNodeOptions(): string {
  const v = imageEnv('NODE_OPTIONS');
  if (v === undefined) throw new Error('Dockerfile sets no NODE_OPTIONS: give --worker-node-options');
  return v;
}
/**
 * MALLOC_ARENA_MAX the worker image sets (the Dockerfile's ENV), unless the bench's own environment
 * sets it (e.g. to compare another value): glibc's arena count changes the native side's RSS.
 */
function productionMallocArenas(): string | undefined {
  return imageEnv('MALLOC_ARENA_MAX');
}
/** A variable the Dockerfile's ENV sets (`NAME=value` or `NAME="value with spaces"`). */
function imageEnv(name: string): string | undefined {
  const m = new RegExp(`\\b${name}=(?:"([^"]*)"|(\\S+))`).exec(
    fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8'),
  );
  return m ? (m[1] ?? m[2])! : undefined;
}
/** `--worker compiled|source`: which worker the bench runs (see the header). */
let workerKind: 'compiled' | 'source' = 'compiled';

/** The worker process's node arguments for `workerKind`. */
function workerArgs(): string[] {
  return workerKind === 'compiled'
    ? [path.join(PROJECT_ROOT, 'dist', 'worker', 'main.js')]
    : ['--import', 'tsx', path.join(PROJECT_ROOT, 'worker', 'main.ts')];
}

/** `npm run build` once before the scenarios, so the compiled worker and its bundle are the sources' own (never stale). */
async function buildCompiledWorker(): Promise<void> {
  const child = spawn('npm', ['run', 'build'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`npm run build failed (${code}): ${err}`);
  if (!fs.existsSync(path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js')))
    throw new Error('npm run build left no dist/workflow-bundle.js');
}
const PERIOD = '2026-10';

interface Measured {
  scenario: string;
  rows: number;
  wall_s: number;
  bound_s: number;
  ratio: number;
  peak_rss_mb: number;
  history_events: number;
  history_bytes: number;
  calls_netsuite: number;
  calls_anaplan: number;
  throttled: number;
  /** Fewest calls the cycles' work allows (see `minimumCalls`); `calls_*_excess_pct` = how far above it. */
  calls_netsuite_min: number;
  calls_anaplan_min: number;
  calls_netsuite_excess_pct: number;
  calls_anaplan_excess_pct: number;
  /** Anaplan requests by purpose, from the sandbox's per-route counts. */
  anaplan_calls: Record<AnaplanPurpose, number>;
  /** Extra facts (not part of the contract line's required keys). */
  note?: string;
  /** Seconds per activity type, from the largest cycle's history. */
  steps_s?: Record<string, number>;
  /** CPU seconds during the cycles: sandboxes (bench process) and worker. */
  cpu_s?: { sandboxes: number; worker: number };
  /** With `--timeline`: per activity and lock over all cycles (scripts/bench-timeline.ts). */
  timeline_s?: Record<string, { n: number; wait_s: number; run_s: number }>;
}

interface Env {
  /** The last `runCycles` call: what ran, and what each cycle reported. */
  last?: { runs: Array<{ model: number; kind: CycleKind }>; summaries: CycleSummary[] };
  models: Sandboxes[];
  configs: ConnectionConfig[];
  dataDir: string;
  taskQueue: string;
  worker: ChildProcess;
  client: Client;
  close(): Promise<void>;
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${url} → ${res.status} ${await res.text()}`);
}

/** Sandboxes for `models` Anaplan models (one NetSuite account shared), data set up by `prepare`. */
async function environment(
  address: string,
  models: number,
  prepare: (s: Sandboxes) => void | Promise<void>,
): Promise<Env> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-bench-'));
  const env = inheritedEnv({ ML_CONNECTOR_MASTER_KEY: MASTER_KEY, ML_CONNECTOR_DATA_DIR: dataDir });
  const first = await startSandboxes({
    netsuite: {
      glLines: 2_000,
      pageLatencyMs: SETTINGS.pageLatencyMs,
      concurrencyLimit: SETTINGS.concurrency,
      dbPath: path.join(dataDir, 'netsuite.db'),
    },
    anaplan: {
      requestsPerMinute: SETTINGS.requestsPerMinute,
      taskDurationMs: SETTINGS.taskDurationMs,
      msPerRow: SETTINGS.msPerRow,
    },
  });
  const all: Sandboxes[] = [first];
  for (let i = 1; i < models; i++) {
    // Other models: their own Anaplan tenant (different seed → different workspace/model IDs), same NetSuite.
    const { startAnaplanSandbox } = await import('../sandbox/anaplan');
    const anaplan = await startAnaplanSandbox({
      seed: 42 + i,
      requestsPerMinute: SETTINGS.requestsPerMinute,
      taskDurationMs: SETTINGS.taskDurationMs,
      msPerRow: SETTINGS.msPerRow,
    });
    all.push({ netsuite: first.netsuite, anaplan, close: () => anaplan.close() });
  }
  for (const s of all) await prepare(s === first ? s : { ...s, netsuite: first.netsuite });
  await post(`${first.netsuite.url}/__sandbox/faults`, {
    kind: 'latency',
    latencyMs: SETTINGS.recordLatencyMs,
    rate: 1,
    route: '/services/rest/record',
  });
  for (const s of all) await post(`${s.anaplan.url}/__sandbox/faults`, { latency: SETTINGS.requestLatencyMs, rate: 1 });

  const stores = openStores({ dataDir, env });
  const configs = all.map((s, i) => {
    const input: ConnectionConfigInput = sandboxConnection(s, stores.vault, `bench${i}`);
    input.anaplan = {
      ...input.anaplan!,
      pollInitialMs: SETTINGS.pollInitialMs,
      pollMaxMs: SETTINGS.pollMaxMs,
      requestsPerMinute: SETTINGS.requestsPerMinute,
      chunkSizeMb: SETTINGS.chunkSizeMb,
    };
    // The benchmark's departments are generated: let the connector sync them like the other lists.
    input.dimensions = {
      ...input.dimensions!,
      departments: { list: 'Departments', sync: true, importAction: 'Import Departments' },
    };
    return parseConfig(input);
  });
  await stores.close();

  const taskQueue = `bench-${process.pid}-${Date.now().toString(36)}`;
  const worker = spawn(process.execPath, workerArgs(), {
    cwd: PROJECT_ROOT,
    env: {
      ...env,
      TEMPORAL_ADDRESS: address,
      ML_CONNECTOR_TASK_QUEUE: taskQueue,
      ML_CONNECTOR_INSECURE_PLAINTEXT_PAYLOADS: 'true',
      NODE_OPTIONS: workerNodeOptions ?? productionNodeOptions(),
      MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? productionMallocArenas(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  worker.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      if (d.toString().includes('polling task queue')) resolve();
    };
    worker.stdout!.on('data', onData);
    worker.once('exit', (code) => reject(new Error(`worker exited (${code}) before polling: ${err}`)));
  });
  worker.stdout!.resume();
  const connection = await openClientConnection(localTemporalSettings(address));
  const client = new Client({ connection, dataConverter: resolveDataConverter({ dataDir, env }) });
  for (const s of all) await resetStats(s);
  return {
    models: all,
    configs,
    dataDir,
    taskQueue,
    worker,
    client,
    async close() {
      // The next scenario reuses the model IDs (same seeds) on this server: a lock run left on this
      // scenario's task queue would wait there for a worker that is gone.
      for (const c of configs) {
        const lock = client.workflow.getHandle(`anaplan-model:${c.anaplan.workspaceId}:${c.anaplan.modelId}`);
        if ((await lock.describe().catch(() => undefined))?.status.name === 'RUNNING')
          await lock.terminate('benchmark scenario finished').catch(() => undefined);
      }
      worker.kill('SIGTERM');
      await new Promise((r) => (worker.exitCode !== null ? r(undefined) : worker.once('exit', r)));
      await connection.close();
      for (const s of all.slice(1)) await s.close();
      await first.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function resetStats(s: Sandboxes): Promise<void> {
  await post(`${s.netsuite.url}/__sandbox/stats/reset`, {});
  const b = s.anaplan.state.budget as { admitted: number; limited: number };
  b.admitted = 0;
  b.limited = 0;
}

/** CPU seconds (user + system) a live process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** VmHWM of a live process: the kernel's peak resident set. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function historyOf(h: WorkflowHandle): Promise<{ events: number; bytes: number; steps: Record<string, number> }> {
  const history = await h.fetchHistory();
  // Seconds from schedule to completion of each activity type (summed over its runs): where the wall time went.
  const scheduled = new Map<string, { type: string; at: number }>();
  const steps: Record<string, number> = {};
  const ms = (e: temporal.api.history.v1.IHistoryEvent) =>
    Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
  for (const e of history.events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a) scheduled.set(String(e.eventId), { type: a.activityType?.name ?? '?', at: ms(e) });
    const done =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes;
    if (done) {
      const s = scheduled.get(String(done.scheduledEventId));
      if (s) steps[s.type] = Math.round(((steps[s.type] ?? 0) + (ms(e) - s.at) / 1000) * 10) / 10;
    }
  }
  return {
    events: history.events?.length ?? 0,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    steps,
  };
}

type AnaplanPurpose = 'auth' | 'structure' | 'upload' | 'task' | 'poll' | 'download';

/** Purpose of one sandbox route key (`METHOD /route/:pattern`). */
function purposeOf(key: string): AnaplanPurpose {
  const [method, route = ''] = key.split(' ');
  if (route.startsWith('/token/') || route.startsWith('/oauth/')) return 'auth';
  if (method === 'POST' && route.endsWith('/tasks')) return 'task';
  if (method === 'GET' && route.endsWith('/tasks/:taskId')) return 'poll';
  if (/\/files\/:fileId(\/chunks\/:chunkId|\/complete)?$/.test(route) && method !== 'GET') return 'upload';
  if (method === 'GET' && (/\/chunks(\/:chunkId)?$/.test(route) || /\/dumps?(\/|$)/.test(route))) return 'download';
  return 'structure';
}

function anaplanCalls(env: Env): Record<AnaplanPurpose, number> {
  const out: Record<AnaplanPurpose, number> = { auth: 0, structure: 0, upload: 0, task: 0, poll: 0, download: 0 };
  for (const s of env.models) for (const [key, n] of s.anaplan.state.requests) out[purposeOf(key)] += n;
  return out;
}

/**
 * The fewest calls the cycles' work allows, from what each cycle had to do (its summary) and the
 * connector's settings — not from how many calls it made:
 *   NetSuite: 1 token and 1 Multi-Book probe per connection + P SuiteQL pages + one upsert per journal posted or updated
 *   (+ one delete per stale journal retired).
 *   Anaplan, per model: 1 token (reused for the session); per cycle the action definitions it
 *   checks (1 import list, 1 export list when it runs the export, 1 metadata read per action it
 *   runs) and one member read per dimension (two for a composite hierarchy: its parent list too); the model's list catalogue once per session; per task
 *   the cycle needed (a list import with new members, the actuals import, the plan export) one start
 *   and the fewest polls that can see it finish: one if it ran no longer than the first poll delay
 *   poll₀ or its action already ran in the session (its expected end is known), else two (one that
 *   finds it running — no poll may come sooner than poll₀ — and one that finds it done); uploads by file size (one PUT for a file within one chunk — every list file
 *   here — else chunks + start + complete); downloads as made (export and dump chunks are cut by the
 *   server). So the excess is extra polls, tokens, uploads and repeated structure reads.
 */
function minimumCalls(
  env: Env,
  pages: number,
): { netsuite: number; anaplan: number; anaplanTasksStarted: number; anaplanTasksNeeded: number } {
  const { runs, summaries } = env.last!;
  // Per planned journal one read of the ledger; a written one also its write and the read-back that verifies it.
  const journals = summaries.reduce(
    (a, x) =>
      a +
      (x.journals
        ? 3 * (x.journals.posted + x.journals.updated) + x.journals.unchanged + (x.journals.retired ?? 0)
        : 0),
    0,
  );
  const by = anaplanCalls(env);
  let anaplan = by.download;
  let tasksNeeded = 0;
  const seen = new Set<number>();
  for (const [i, r] of runs.entries()) {
    const sum = summaries[i]!;
    if (!seen.has(r.model)) anaplan += 2; // token + list catalogue, once per model and session
    seen.add(r.model);
    // Member reads: one per dimension, plus its parent list's for a composite hierarchy (align.ts).
    const config = env.configs[r.model]!;
    const parentLists = DIMENSIONS.filter((d) => config.dimensions[d].parentList).length;
    anaplan +=
      1 + (r.kind !== 'actuals' ? 1 : 0) + cycleActions(config, r.kind).length + DIMENSIONS.length + parentLists;
    const tasks = (sum.align?.anaplanTaskIds.length ?? 0) + (sum.import ? 1 : 0) + (sum.export ? 1 : 0);
    tasksNeeded += tasks;
    anaplan += tasks; // starts
    // Uploads: a list file is far below one chunk (one PUT); the actuals file by its size.
    const chunk = SETTINGS.chunkSizeMb * 1024 * 1024;
    anaplan += sum.align?.anaplanTaskIds.length ?? 0;
    if (sum.import) anaplan += sum.import.fileBytes <= chunk ? 1 : Math.ceil(sum.import.fileBytes / chunk) + 2;
  }
  // Polls, from how long each task ran (the sandbox's timeline of every model). An action that
  // already ran in the session needs one: the client polls it first at its expected end (tasks.ts).
  for (const s of env.models) {
    const ran = new Set<string>();
    for (const e of s.anaplan.state.timelineFor(s.anaplan.state.model.id)) {
      anaplan += ran.has(e.actionId) || (e.endedAt ?? Infinity) - e.startedAt <= SETTINGS.pollInitialMs ? 1 : 2;
      ran.add(e.actionId);
    }
  }
  // Per connection: its token and its Multi-Book probe (activities/cycle/books.ts, cached per connection).
  return {
    netsuite: 2 * seen.size + pages + journals,
    anaplan,
    anaplanTasksStarted: by.task,
    anaplanTasksNeeded: tasksNeeded,
  };
}

async function calls(env: Env): Promise<{ netsuite: number; anaplan: number; throttled: number }> {
  const ns = (await (await fetch(`${env.models[0]!.netsuite.url}/__sandbox/stats`)).json()) as {
    requests: Record<string, Record<string, number>>;
    rejectedOverLimit: number;
  };
  let netsuite = 0;
  for (const byStatus of Object.values(ns.requests)) for (const n of Object.values(byStatus)) netsuite += n;
  let anaplan = 0;
  let limited = 0;
  for (const s of env.models) {
    // Every request that reached the sandbox (auth included; the budget's 429s are counted there too).
    const b = s.anaplan.state.budget as { limited: number };
    for (const n of s.anaplan.state.requests.values()) anaplan += n;
    limited += b.limited;
  }
  return { netsuite, anaplan, throttled: ns.rejectedOverLimit + limited };
}

async function runCycles(
  env: Env,
  runs: Array<{ model: number; period: string; kind: CycleKind }>,
): Promise<{
  wall: number;
  summaries: CycleSummary[];
  history: { events: number; bytes: number; steps: Record<string, number> };
}> {
  // The list imports each model needs, from the data as it is before any cycle aligns it.
  for (const m of new Set(runs.map((r) => r.model)))
    listImportsBefore.set(env.models[m]!.anaplan, listImportsNeeded(env.models[m]!, env.configs[m]!));
  const t0 = performance.now();
  const epoch0 = Date.now();
  const cpu0 = { bench: process.cpuUsage(), worker: cpuSeconds(env.worker.pid!) };
  const handles = await Promise.all(
    runs.map((r) => {
      const config = env.configs[r.model]!;
      return env.client.workflow.start(planningCycle, {
        taskQueue: env.taskQueue,
        workflowId: cycleWorkflowId(config.anaplan.workspaceId, config.anaplan.modelId, r.period, r.kind),
        args: [{ config, period: r.period, kind: r.kind }],
      });
    }),
  );
  const summaries = await Promise.all(handles.map((h) => h.result()));
  env.last = { runs, summaries };
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0.bench);
  // The sandboxes run in this process: their CPU competes with the worker on a small machine.
  cpu.sandboxes = Math.round((used.user + used.system) / 1e5) / 10;
  cpu.worker = Math.round((cpuSeconds(env.worker.pid!) - cpu0.worker) * 10) / 10;
  if (timelineFile) timeline = await writeTimeline(timelineFile, handles, epoch0);
  let history: { events: number; bytes: number; steps: Record<string, number> } = { events: 0, bytes: 0, steps: {} };
  for (const h of handles) {
    const x = await historyOf(h);
    if (x.bytes > history.bytes) history = x;
  }
  return { wall, summaries, history };
}

// ---------------------------------------------------------------------------------------------- bound

/** Σ ⌈rows/1000⌉ over the queries a cycle must run (data read from the NetSuite sandbox's tables). */
function suiteqlPages(s: Sandboxes, periods: string[], withActuals: boolean, withPlan = !withActuals): number {
  const db = s.netsuite.state.db;
  const pages = (n: number) => Math.max(1, Math.ceil(n / 1000));
  const count = (sql: string, ...p: unknown[]) => (db.prepare(sql).get(...p) as { n: number }).n;
  let P = 1; // posting periods
  P += pages(count('SELECT COUNT(*) AS n FROM account'));
  for (const t of ['subsidiary', 'department', 'classification', 'location'])
    P += pages(count(`SELECT COUNT(*) AS n FROM ${t}`));
  if (withPlan) P += 2; // offset account lookup, the model's plan journals already in the ledger
  if (!withActuals) return P;
  for (const period of periods) {
    const [y, m] = period.split('-');
    const name = `${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][Number(m) - 1]} ${y}`;
    const pid = (db.prepare('SELECT id FROM accountingperiod WHERE periodname = ?').get(name) as { id: number }).id;
    const perAccount = db
      .prepare(
        `SELECT tal.account AS a, COUNT(DISTINCT tl.subsidiary || '|' || IFNULL(tl.department,'') || '|' || IFNULL(tl.class,'') || '|' || IFNULL(tl.location,'')) AS n
         FROM transactionaccountingline tal JOIN "transaction" t ON t.id = tal."transaction" JOIN transactionline tl ON tl."transaction" = tal."transaction" AND tl.id = tal.transactionline
         JOIN account a ON a.id = tal.account
         WHERE tal.posting = 'T' AND t.postingperiod = ? AND a.accttype IN ('Income','COGS','Expense','OthIncome','OthExpense') GROUP BY tal.account`,
      )
      .all(pid) as Array<{ a: number; n: number }>;
    P += pages(perAccount.length) + 1; // accounts with activity, tie-out total
    for (const r of perAccount) P += pages(r.n);
  }
  return P;
}

interface TaskSpec {
  rows: number;
}
const taskSeconds = (tasks: TaskSpec[]) =>
  tasks.reduce(
    (s, t) => s + Math.max(SETTINGS.taskDurationMs + t.rows * SETTINGS.msPerRow, SETTINGS.pollInitialMs),
    0,
  ) / 1000;
const requestSeconds = (u: number) =>
  Math.max(
    (u * SETTINGS.requestLatencyMs) / 1000,
    (u - SETTINGS.requestsPerMinute) / (SETTINGS.requestsPerMinute / 60),
  );

/**
 * List import tasks of one alignment: one per synced list whose Anaplan items differ from what
 * NetSuite says (a member missing, or its name or parent different), over the rows that differ, and
 * for a composite hierarchy (Accounts under Account Groups) the parent list's import first. An import
 * of rows the list already holds changes nothing, so it is not part of the minimum (the connector
 * skips it since session 5; before, every cycle loaded every synced list). Taken from the sandboxes'
 * data before the cycles run (`runCycles`, `listImportsNeeded`): a later cycle on the same model
 * finds the lists in line and needs none.
 */
function alignTasks(s: Sandboxes): TaskSpec[] {
  return listImportsBefore.get(s.anaplan) ?? [];
}
const listImportsBefore = new WeakMap<Sandboxes['anaplan'], TaskSpec[]>();

/** The list imports the data needs (see `alignTasks`), by the connector's own alignment rules. */
function listImportsNeeded(s: Sandboxes, config: ConnectionConfig): TaskSpec[] {
  const db = s.netsuite.state.db;
  const items = (name: string | undefined): AnaplanItem[] => {
    const list = name ? s.anaplan.state.model.lists.get(name) : undefined;
    return (list?.items ?? []).map((i) => {
      const parent = list!.parentOf(i);
      return { id: i.id, code: i.code, name: i.name, ...(parent ? { parentId: parent.id } : {}) };
    });
  };
  const out: TaskSpec[] = [];
  for (const dim of DIMENSIONS) {
    const rule = config.dimensions[dim];
    if (!rule.sync) continue;
    const rows = db.prepare(dim === 'accounts' ? ACCOUNTS_SQL : LIST_SQL[dim]).all() as Array<Record<string, unknown>>;
    // As SuiteQL answers them (every value a string), then read as the connector reads them.
    const members = rows.map((r) =>
      netsuiteMember(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v == null ? null : String(v)]))),
    );
    const { list, parentList } = anaplanMembers(items(rule.list), items(rule.parentList));
    const result = alignDimension(
      dim,
      members,
      {
        sync: true,
        overrides: rule.overrides,
        accountTypes: dim === 'accounts' ? config.dimensions.accounts.accountTypes : undefined,
      },
      new Set([...list.keys(), ...parentList.keys()]),
    );
    const { parents, children } = splitForParentList(result, members, rule.parentList);
    const p = changedImportRows(parents, parentList).length;
    const c = changedImportRows(children, list).length;
    if (rule.parentImportAction && p > 0) out.push({ rows: p });
    if (rule.importAction && c > 0) out.push({ rows: c });
  }
  return out;
}

/** Minimum Anaplan requests of one import or export: action list, chunk transfers, task start, one poll, result/dump. */
const ANAPLAN_FIXED_PER_TASK = 4;
const CSV_BYTES_PER_ROW = 60;

// ---------------------------------------------------------------------------------------------- scenarios

function line(m: Measured | Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(m) + '\n');
}

async function actualsScenario(address: string, rowsTarget: number): Promise<Measured> {
  // Combination space ≥ 10× the rows, so two-line journals give ≈ one result row per line.
  const extra: ExtraMembers =
    rowsTarget >= 500_000
      ? { accounts: 900, departments: 200, classes: 100, locations: 100 }
      : { accounts: 300, departments: 100, classes: 60, locations: 60 };
  let rowsWritten = 0;
  const env = await environment(address, 1, (s) => {
    addNetSuiteMembers(s, extra);
    rowsWritten = addGlActivity(s, extra, 'Oct 2026', Math.round(rowsTarget * 1.02));
  });
  try {
    const s = env.models[0]!;
    const { wall, summaries, history } = await runCycles(env, [{ model: 0, period: PERIOD, kind: 'actuals' }]);
    const sum = summaries[0]!;
    const rows = sum.extract!.rows + sum.extract!.quarantined;
    const P = suiteqlPages(s, [PERIOD], true);
    const importRows = sum.extract!.rows;
    const tasks = [...alignTasks(s), { rows: importRows }];
    const chunks = Math.max(1, Math.ceil((importRows * CSV_BYTES_PER_ROW) / (SETTINGS.chunkSizeMb * 1024 * 1024)));
    const U = 1 + tasks.length * ANAPLAN_FIXED_PER_TASK + tasks.length + chunks;
    const bound =
      Math.ceil(P / SETTINGS.concurrency) * (SETTINGS.pageLatencyMs / 1000) + taskSeconds(tasks) + requestSeconds(U);
    const c = await calls(env);
    return finish(
      `actuals-${label(rowsTarget)}`,
      rows,
      wall,
      bound,
      env,
      history,
      c,
      `generated ${rowsWritten} combinations; imported ${sum.import!.rowsImported}, tie-out balanced ${sum.tieOut!.balanced}; SuiteQL pages needed ${P}`,
      P,
    );
  } finally {
    await env.close();
  }
}

async function planScenario(address: string, valuesTarget: number): Promise<Measured> {
  // Approved values on bench accounts × departments × 3 subsidiaries × (Nov 26, Dec 26) × 2 versions.
  const departments = valuesTarget >= 50_000 ? 100 : 20;
  const accounts = Math.max(1, Math.round(valuesTarget / (departments * 3 * 2 * 2)));
  let planned = 0;
  const env = await environment(address, 1, (s) => {
    addNetSuiteMembers(s, { accounts, departments, classes: 0, locations: 0 });
    addAnaplanMembers(s, { accounts, departments });
    planned = addPlanValues(s, { accounts, departments }, ['Nov 26', 'Dec 26']);
  });
  try {
    const s = env.models[0]!;
    const { wall, summaries, history } = await runCycles(env, [{ model: 0, period: PERIOD, kind: 'plan' }]);
    const sum = summaries[0]!;
    const P = suiteqlPages(s, [], false);
    const J = sum.plan!.journals;
    const tasks = [...alignTasks(s), { rows: sum.export!.rows }];
    const chunks = Math.max(1, Math.ceil(sum.export!.bytes / (10 * 1024 * 1024)));
    const U = 1 + tasks.length * ANAPLAN_FIXED_PER_TASK + tasks.length + chunks;
    const bound =
      Math.ceil(P / SETTINGS.concurrency) * (SETTINGS.pageLatencyMs / 1000) +
      Math.ceil((3 * J) / SETTINGS.concurrency) * (SETTINGS.recordLatencyMs / 1000) +
      taskSeconds(tasks) +
      requestSeconds(U);
    const c = await calls(env);
    return finish(
      `plan-${label(valuesTarget)}`,
      sum.plan!.values,
      wall,
      bound,
      env,
      history,
      c,
      `generated ${planned} bench values; exported ${sum.export!.rows} rows; ${J} journals posted ${sum.journals!.posted}, quarantined ${sum.plan!.quarantined}`,
      P,
    );
  } finally {
    await env.close();
  }
}

async function dimensionScenario(address: string, membersTarget: number): Promise<Measured> {
  // Members split over the four generated lists (accounts get half); the Anaplan sandbox's list
  // capacities refuse what does not fit (reported as rejected by the list import, quarantined).
  const extra: ExtraMembers = {
    accounts: Math.round(membersTarget / 2),
    departments: Math.round(membersTarget / 6),
    classes: Math.round(membersTarget / 6),
    locations: membersTarget - Math.round(membersTarget / 2) - 2 * Math.round(membersTarget / 6),
  };
  const env = await environment(address, 1, (s) => addNetSuiteMembers(s, extra));
  try {
    const s = env.models[0]!;
    const { wall, summaries, history } = await runCycles(env, [{ model: 0, period: PERIOD, kind: 'actuals' }]);
    const sum = summaries[0]!;
    const d = Object.values(sum.align!.dimensions);
    const members = d.reduce((a, x) => a + x.members, 0);
    const P = suiteqlPages(s, [PERIOD], true);
    const tasks = [...alignTasks(s), { rows: sum.extract!.rows }];
    const U = 1 + tasks.length * (ANAPLAN_FIXED_PER_TASK + 2);
    const bound =
      Math.ceil(P / SETTINGS.concurrency) * (SETTINGS.pageLatencyMs / 1000) + taskSeconds(tasks) + requestSeconds(U);
    const c = await calls(env);
    return finish(
      `dimensions-${label(membersTarget)}`,
      members,
      wall,
      bound,
      env,
      history,
      c,
      `imported ${d.reduce((a, x) => a + x.imported, 0)}, rejected by list capacity ${d.reduce((a, x) => a + x.rejected, 0)}, unmapped ${d.reduce((a, x) => a + x.unmapped, 0)}`,
      P,
    );
  } finally {
    await env.close();
  }
}

async function concurrentScenario(address: string, cycles: number, models: number): Promise<Measured> {
  const env = await environment(address, models, () => undefined);
  try {
    const periods = ['2026-09', '2026-10'];
    const runs = Array.from({ length: cycles }, (_, i) => ({
      model: i % models,
      period: periods[Math.floor(i / models) % periods.length]!,
      kind: (periods[Math.floor(i / models) % periods.length] === PERIOD ? 'full' : 'actuals') as CycleKind,
    }));
    const { wall, summaries, history } = await runCycles(env, runs);
    const s = env.models[0]!;
    let P = 0;
    const perModel = new Map<number, number>();
    // The longest cycle's own single-cycle bound (its steps run one after another).
    let cycleBound = 0;
    for (const [i, r] of runs.entries()) {
      const Pi = suiteqlPages(s, [r.period], true, r.kind === 'full');
      P += Pi;
      const sum = summaries[i]!;
      // The model's list imports run once (later cycles on it find the lists in line), so the
      // model's task sum counts them once; but every cycle on the model maps its data only once
      // the lists are in line, whoever imports them, so each cycle's own chain counts them.
      const own = [{ rows: sum.extract!.rows }, ...(sum.export ? [{ rows: sum.export.rows }] : [])];
      const lists = alignTasks(env.models[r.model]!);
      const tasks = [...lists, ...own];
      perModel.set(r.model, (perModel.get(r.model) ?? 0) + taskSeconds(perModel.has(r.model) ? own : tasks));
      cycleBound = Math.max(
        cycleBound,
        Math.ceil(Pi / SETTINGS.concurrency) * (SETTINGS.pageLatencyMs / 1000) +
          Math.ceil((3 * (sum.plan?.journals ?? 0)) / SETTINGS.concurrency) * (SETTINGS.recordLatencyMs / 1000) +
          taskSeconds(tasks) +
          requestSeconds(1 + tasks.length * (ANAPLAN_FIXED_PER_TASK + 1) + 1),
      );
    }
    // NetSuite is shared: the SuiteQL pages and the journal writes (read, write, read-back) of every
    // cycle go through its one concurrency limit, as plan-10k's bound counts them for one cycle.
    const J = summaries.reduce((a, x) => a + (x.plan?.journals ?? 0), 0);
    const netsuiteFloor =
      Math.ceil(P / SETTINGS.concurrency) * (SETTINGS.pageLatencyMs / 1000) +
      Math.ceil((3 * J) / SETTINGS.concurrency) * (SETTINGS.recordLatencyMs / 1000);
    // No run is shorter than NetSuite's share, any model's serialized tasks, or its longest cycle alone.
    const bound = Math.max(netsuiteFloor, ...perModel.values(), cycleBound);
    const c = await calls(env);
    const rows = summaries.reduce((a, x) => a + (x.extract?.rows ?? 0) + (x.extract?.quarantined ?? 0), 0);
    return finish(
      `concurrent-${cycles}x${models}`,
      rows,
      wall,
      bound,
      env,
      history,
      c,
      `all ${summaries.filter((x) => x.status === 'completed').length}/${cycles} completed; history = largest cycle; SuiteQL pages ${P}, journals ${J}: NetSuite ${round(netsuiteFloor)} s, busiest model's tasks ${round(Math.max(...perModel.values()))} s, longest cycle alone ${round(cycleBound)} s`,
      P,
    );
  } finally {
    await env.close();
  }
}

function label(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}m` : n >= 1_000 ? `${n / 1_000}k` : String(n);
}

function finish(
  scenario: string,
  rows: number,
  wall: number,
  bound: number,
  env: Env,
  history: { events: number; bytes: number; steps: Record<string, number> },
  c: { netsuite: number; anaplan: number; throttled: number },
  note: string,
  pages: number,
): Measured {
  const min = minimumCalls(env, pages);
  const excess = (calls: number, minimum: number) => round(((calls - minimum) / minimum) * 100);
  if (min.anaplanTasksStarted !== min.anaplanTasksNeeded)
    note += `; Anaplan tasks started ${min.anaplanTasksStarted}, needed ${min.anaplanTasksNeeded}`;
  return {
    scenario,
    rows,
    wall_s: round(wall),
    bound_s: round(bound),
    ratio: round(wall / bound),
    peak_rss_mb: peakRssMb(env.worker.pid!),
    history_events: history.events,
    history_bytes: history.bytes,
    calls_netsuite: c.netsuite,
    calls_anaplan: c.anaplan,
    throttled: c.throttled,
    calls_netsuite_min: min.netsuite,
    calls_anaplan_min: min.anaplan,
    calls_netsuite_excess_pct: excess(c.netsuite, min.netsuite),
    calls_anaplan_excess_pct: excess(c.anaplan, min.anaplan),
    anaplan_calls: anaplanCalls(env),
    note,
    steps_s: history.steps,
    cpu_s: { ...cpu },
    ...(timeline ? { timeline_s: timeline } : {}),
  };
}
const round = (x: number) => Math.round(x * 100) / 100;
/** CPU seconds of the last runCycles: the sandboxes (this process) and the worker. */
const cpu = { sandboxes: 0, worker: 0 };
/** With `--timeline`: per activity (and lock) of all cycles, count, seconds queued/waiting and seconds running. */
let timeline: Record<string, { n: number; wait_s: number; run_s: number }> | undefined;

const SCENARIOS: Array<{
  name: string;
  rows: number;
  run: (address: string, rows: number) => Promise<Measured | Record<string, unknown>>;
}> = [
  { name: 'actuals', rows: 10_000, run: actualsScenario },
  { name: 'actuals', rows: 100_000, run: actualsScenario },
  { name: 'actuals', rows: 1_000_000, run: actualsScenario },
  { name: 'plan', rows: 10_000, run: planScenario },
  { name: 'plan', rows: 100_000, run: planScenario },
  { name: 'dimensions', rows: 50_000, run: dimensionScenario },
  // `rows` = cycles; two cycles a model (5 models for the full set's 10 cycles).
  { name: 'concurrent', rows: 10, run: (a, n) => concurrentScenario(a, n, Math.max(1, Math.ceil(n / 2))) },
  // `rows` = models, two cycles on each (actuals for Sep, full for Oct), all at once: how wall time
  // and worker RSS grow per model (5 models is concurrent-10).
  { name: 'models', rows: 1, run: (a, n) => concurrentScenario(a, 2 * n, n) },
  { name: 'models', rows: 20, run: (a, n) => concurrentScenario(a, 2 * n, n) },
  {
    name: 'anaplan-sdk',
    rows: 1_000_000,
    run: (_a, n) =>
      sdkComparisonScenario(n, {
        requestLatencyMs: SETTINGS.requestLatencyMs,
        requestsPerMinute: SETTINGS.requestsPerMinute,
        runs: 2,
      }),
  },
];

/** `--quick`: every scenario kind once at its smallest useful size (checks the bench end to end, not a result). */
const QUICK: Record<string, number> = {
  actuals: 10_000,
  plan: 10_000,
  dimensions: 5_000,
  concurrent: 4,
  models: 1,
  'anaplan-sdk': 100_000,
};

/** min / median / max of each numeric figure over the repeats of one scenario (nested objects by key path, arrays by index). */
export function spread(
  lines: Array<Record<string, unknown>>,
): Record<string, { min: number; median: number; max: number }> {
  const values = new Map<string, number[]>();
  const visit = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number' && Number.isFinite(v)) values.set(prefix + k, [...(values.get(prefix + k) ?? []), v]);
      // Objects by key path; arrays (e.g. the seconds of each round) by index.
      else if (v && typeof v === 'object')
        visit(
          Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [String(i), x])) : (v as Record<string, unknown>),
          `${prefix}${k}.`,
        );
    }
  };
  for (const l of lines) visit(l, '');
  const out: Record<string, { min: number; median: number; max: number }> = {};
  for (const [k, xs] of values) {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    out[k] = {
      min: sorted[0]!,
      median: sorted.length % 2 ? sorted[mid]! : round((sorted[mid - 1]! + sorted[mid]!) / 2),
      max: sorted[sorted.length - 1]!,
    };
  }
  return out;
}

const USAGE = `npm run bench [-- options]   one JSON line per scenario (see bench/results.md)
  --scenario NAME         one of: ${[...new Set(SCENARIOS.map((s) => s.name))].join(', ')} (default: the full set)
  --rows N                size for that scenario (rows; cycles for concurrent; models for models)
  --quick                 the small size of each scenario
  --repeat N              run each scenario N times, then a line with min/median/max of every figure
  --worker compiled|source  the worker the bench runs (default compiled, as the image runs it)
  --worker-node-options S NODE_OPTIONS of the worker (default: the Dockerfile's)
  --timeline FILE         every cycle's activities and lock waits, JSON lines`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      rows: { type: 'string' },
      'worker-node-options': { type: 'string' },
      worker: { type: 'string', default: 'compiled' },
      quick: { type: 'boolean' },
      repeat: { type: 'string' },
      timeline: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  workerNodeOptions = values['worker-node-options'];
  timelineFile = values.timeline;
  if (values.worker !== 'compiled' && values.worker !== 'source') {
    console.error(`--worker must be compiled or source, got ${values.worker}`);
    return 2;
  }
  workerKind = values.worker;
  const rows = values.rows === undefined ? undefined : Number(values.rows);
  const repeat = values.repeat === undefined ? 1 : Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) {
    console.error(`--repeat must be a positive integer, got ${values.repeat}`);
    return 2;
  }
  let todo = SCENARIOS.filter(
    (s) =>
      (!values.scenario || s.name === values.scenario) &&
      (rows === undefined || s.rows === rows || values.scenario !== undefined),
  );
  if (values.quick) todo = [...new Map(todo.map((s) => [s.name, { ...s, rows: QUICK[s.name] ?? s.rows }])).values()];
  if (rows !== undefined && values.scenario) todo = todo.slice(0, 1).map((s) => ({ ...s, rows }));
  if (todo.length === 0) {
    console.error(`no scenario matches (scenarios: ${[...new Set(SCENARIOS.map((s) => s.name))].join(', ')})`);
    return 2;
  }
  const needsTemporal = todo.some((s) => s.name !== 'anaplan-sdk');
  if (needsTemporal && workerKind === 'compiled') await buildCompiledWorker();
  const server = needsTemporal ? await startTemporal({ uiPort: false, startTimeoutMs: 120_000 }) : undefined;
  let failed = 0;
  try {
    for (const s of todo) {
      const name = `${s.name}-${label(s.rows)}`;
      const runs: Array<Record<string, unknown>> = [];
      for (let i = 1; i <= repeat; i++) {
        try {
          const m = (await s.run(server?.address ?? '', s.rows)) as Record<string, unknown>;
          runs.push(m);
          line(repeat > 1 ? { ...m, run: i } : m);
        } catch (err) {
          failed++;
          process.stdout.write(
            JSON.stringify({ scenario: name, ...(repeat > 1 ? { run: i } : {}), error: (err as Error).message }) + '\n',
          );
        }
      }
      // The spread of every figure: one line per scenario after its repeats.
      if (repeat > 1 && runs.length > 0)
        process.stdout.write(JSON.stringify({ scenario: name, repeats: runs.length, spread: spread(runs) }) + '\n');
    }
  } finally {
    await server?.stop();
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`bench failed: ${(err as Error).stack ?? err}`);
      process.exit(1);
    },
  );
}
