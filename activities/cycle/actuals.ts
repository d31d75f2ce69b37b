/**
 * `extractActuals` and `runActualsImport`.
 *
 * Extraction streams SuiteQL pages → mapped CSV rows into per-account part files in the artifact
 * store's part area (local `.data/work`, or S3 shared by every worker host), several accounts at a
 * time (the client caps in-flight requests under the account's governance limit). A finished part
 * is never redone: a retried attempt (worker crash, timeout), on this host or another, resumes
 * with the accounts not yet done. Parts are then concatenated into one content-addressed
 * artifact. Memory stays flat whatever the row count; history gets counts and hashes only.
 */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { activityInfo, cancellationSignal } from '@temporalio/activity';
import { beat } from './heartbeat';
import { parse } from 'csv-parse/sync';
import type { ConnectionConfig, DimensionName } from '../../common/config';
import type { ExtractResult, ImportResult, PeriodInfo } from '../../common/dto';
import { ACTUALS_HEADER, mapGlRow, type GlRow } from '../mapping/actuals';
import { AmountFormatError, parseCents, toCents } from '../mapping/amounts';
import { csvLine, readLines, restoreFormula } from '../mapping/csv';
import type { MemberMaps } from '../mapping/dimensions';
import type { AuditRecordInput } from '../store';
import { classify, getJson, nonRetryable, taskFailed, type CycleDeps } from './context';
import { accountsWithActivitySql, glActivitySql, glTotalSql } from './queries';
import { AccountingBookSettingError, bookSupport, glBookScope } from './books';
import { withRequestPriority } from '../http/limiter';

/** Read size when an artifact is split into lines (see ArtifactStore.openRead). */
const LINE_CHUNK_BYTES = 64 * 1024;

interface PartStats {
  rows: number;
  cents: number;
  quarantined: number;
  quarantinedCents: number;
  pages: number;
  /**
   * Whose part this is: the workflow run that wrote it and a hash of the query and mapping that made
   * it. A part is reused only by the same run with the same query (a retried attempt); a part left by
   * an earlier run of the same cycle ID (failed, cancelled, terminated) holds data NetSuite may have
   * changed since, so it is discarded. Parts written before these fields existed are discarded too.
   */
  runId?: string;
  queryHash?: string;
}

/** The part-file directory of a cycle: cycle IDs are hashed, so names carry nothing of the connection. */
export function cycleWorkDir(cycleId: string): string {
  return createHash('sha256').update(cycleId).digest('hex').slice(0, 24);
}

async function writeLine(stream: NodeJS.WritableStream, line: string | Uint8Array): Promise<void> {
  if (!stream.write(line)) await once(stream, 'drain');
}

async function closeStream(stream: NodeJS.WritableStream & { done(): Promise<void> }): Promise<void> {
  stream.end();
  await stream.done();
}

/** Runs `worker` over `items` with at most `limit` in flight, preserving nothing but completion. */
async function pool<T>(items: T[], limit: number, worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await worker(items[next++]!);
  });
  await Promise.all(runners);
}

/** A stats file that does not parse (torn by a foreign writer) counts as no part: it is redone. */
function parseStats(text: string): PartStats | undefined {
  try {
    return JSON.parse(text) as PartStats;
  } catch {
    return undefined;
  }
}

export function makeActuals(deps: CycleDeps) {
  type ExtractInput = {
    config: ConnectionConfig;
    cycleId: string;
    periodInfo: PeriodInfo;
    anaplanPeriodCode: string;
    memberMapsHash: string;
    uploadTo?: string;
    /**
     * Priority of its NetSuite requests where cycles share the account's limiter (default 0): the
     * workflow gives the steps its cycle still runs after this one, so the longer chain goes first.
     */
    priority?: number;
  };
  function extractActuals(input: ExtractInput): Promise<ExtractResult> {
    return withRequestPriority(input.priority ?? 0, () => extract(input));
  }
  async function extract(input: ExtractInput): Promise<ExtractResult> {
    const { config, cycleId, periodInfo } = input;
    const { netsuite, anaplan } = await deps.ports(config);
    const maps = await getJson<MemberMaps>(deps.artifacts, input.memberMapsHash);
    const parts = deps.artifacts.parts;
    const parent = cycleWorkDir(cycleId);
    const step = `actuals-${input.memberMapsHash.slice(0, 12)}`;
    const dir = `${parent}/${step}`;
    const info = activityInfo();
    const runId = info.workflowExecution?.runId ?? `activity:${info.activityId}`;
    // Leftovers of this cycle ID under another member map belong to an earlier run: never reused.
    for (const d of await parts.list(parent))
      if (d.startsWith('actuals-') && d !== step) await parts.removeTree(`${parent}/${d}`);
    const unassigned: Partial<Record<DimensionName, string>> = {};
    for (const [dim, d] of Object.entries(config.dimensions))
      if (d.unassigned) unassigned[dim as DimensionName] = d.unassigned;
    const ctx = { maps, unassigned, periodCode: input.anaplanPeriodCode };
    const signal = cancellationSignal();

    // The import file is assembled as partitions finish (in that order), into the artifact and — with
    // `uploadTo` — into the import's data source at the same time, so the upload runs alongside the
    // extraction instead of after it. The caller holds the file's lock (the workflow's file lock).
    const csvOut = deps.artifacts.writeStream();
    const qOut = deps.artifacts.writeStream();
    const upload = input.uploadTo ? new PassThrough({ highWaterMark: 1 << 20 }) : undefined;
    let uploaded: Promise<{ chunks: number; bytes: number } | undefined> | undefined;
    let uploadFailed: unknown;
    if (upload) {
      // A failed upload ends the extraction: a write waiting on 'drain' is woken by the error.
      upload.on('error', () => undefined);
      // A streamed upload the server would not close (`/complete` refused and the re-posted count
      // restarted it, docs/anaplan.md §16) is not a failed extraction: the import then uploads the
      // artifact from disk with its exact chunk count, which needs no `/complete`.
      uploaded = anaplan
        .uploadImportFile(input.uploadTo!, upload, { signal, onChunk: (chunk) => beat({ uploadedChunks: chunk }) })
        .catch((e: unknown) => {
          if ((e as { code?: string }).code !== 'upload-not-closed') throw e;
          deps.log?.('streamed upload not closed; the import uploads the artifact instead', {
            importAction: input.uploadTo,
          });
          return undefined;
        });
      uploaded.catch((e: unknown) => {
        uploadFailed = e;
        upload.destroy(e instanceof Error ? e : new Error(String(e)));
      });
    }
    const emit = async (chunk: string | Buffer) => {
      if (uploadFailed) throw uploadFailed;
      await writeLine(csvOut, chunk);
      if (upload) await writeLine(upload, chunk);
    };
    // One part at a time, whole, in the order parts finish.
    let appending: Promise<void> = emit(csvLine([...ACTUALS_HEADER]));
    appending.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    const appendPart = (base: string, s: PartStats) => {
      appending = appending.then(async () => {
        for await (const chunk of await parts.openRead(`${base}.csv`)) await emit(chunk as Buffer);
        if (s.quarantined > 0)
          for await (const chunk of await parts.openRead(`${base}.q`)) await writeLine(qOut, chunk as Buffer);
      });
      appending.catch(() => undefined);
      return appending;
    };

    try {
      // Single-book accounts have no accountingbook to filter on (docs/netsuite.md §12): detected once per connection.
      const book = glBookScope(await bookSupport(netsuite, config.netsuite.multiBook), config);
      const accounts: string[] = [];
      for await (const page of netsuite.query(accountsWithActivitySql(periodInfo.id, book), { signal }))
        for (const r of page) accounts.push(String(r.account_id));
      const outOfScope = new Set(maps.accounts.outOfScope);
      const partitions = accounts.filter((a) => !outOfScope.has(a));
      // NetSuite's own total over the same accounts, for the tie-out: asked for now, beside the
      // partitions (it takes a slot of the connection's limiter like any page), not as one more
      // round trip after the last partition.
      const netsuiteTotal = (async () => {
        let cents = 0;
        if (!partitions.length) return cents;
        for await (const page of netsuite.query(glTotalSql(periodInfo.id, partitions, book), { signal })) {
          // SUM over no lines is NULL, and SuiteQL omits null columns (§3.2).
          const net = page[0]?.net;
          if (net !== null && net !== undefined && net !== '')
            cents += toCents(net, `NetSuite's GL total of period ${periodInfo.id}`);
        }
        return cents;
      })();
      // Awaited after the partitions; a failure before then must not count as unhandled.
      netsuiteTotal.catch(() => undefined);
      const total: PartStats = { rows: 0, cents: 0, quarantined: 0, quarantinedCents: 0, pages: 0 };
      let done = 0;
      let reused = 0;
      await pool(partitions, config.netsuite.concurrency, async (accountId) => {
        const base = `${dir}/part-${accountId}`;
        const statsFile = `${base}.json`;
        // A part finished by an earlier attempt of this run, with this query, is read back; anything
        // else there is discarded and the part extracted now.
        const sql = glActivitySql(periodInfo.id, accountId, book);
        const queryHash = createHash('sha256')
          .update(JSON.stringify([sql, input.memberMapsHash, ctx.periodCode, unassigned]))
          .digest('hex')
          .slice(0, 32);
        const text = await parts.readText(statsFile);
        let s = text === undefined ? undefined : parseStats(text);
        if (text !== undefined && (!s || s.runId !== runId || s.queryHash !== queryHash)) {
          await parts.remove([statsFile, `${base}.csv`, `${base}.q`]);
          s = undefined;
        }
        if (!s) {
          // Each file appears whole under its name once closed (temp file + rename, or a completed upload).
          const csv = parts.writeStream(`${base}.csv`);
          const quarantine = parts.writeStream(`${base}.q`);
          const stats: PartStats = {
            rows: 0,
            cents: 0,
            quarantined: 0,
            quarantinedCents: 0,
            pages: 0,
            runId,
            queryHash,
          };
          try {
            let row = 0;
            for await (const page of netsuite.query(sql, { signal })) {
              stats.pages++;
              for (const r of page) {
                row++;
                const out = mapGlRow(r as unknown as GlRow, ctx);
                if (out.kind === 'row') {
                  stats.rows++;
                  stats.cents += out.cents;
                  await writeLine(csv, csvLine(out.cells));
                } else if (out.kind === 'quarantine') {
                  stats.quarantined++;
                  const cents = parseCents(r.net);
                  if (cents !== null && !Number.isNaN(cents)) stats.quarantinedCents += cents;
                  await writeLine(
                    quarantine,
                    JSON.stringify({
                      source: `gl:${periodInfo.id}:${accountId}#${row}`,
                      dimension: out.dimension,
                      reason: out.reason,
                      row: r,
                    }) + '\n',
                  );
                }
              }
              beat({ partitionsDone: done, accountId });
            }
            await Promise.all([closeStream(csv), closeStream(quarantine)]);
          } catch (err) {
            // An unfinished part never appears under its name: drop the temp file or abort the upload.
            csv.destroy();
            quarantine.destroy();
            throw err;
          }
          // The stats file marks the part finished: written last, atomically.
          await parts.writeText(statsFile, JSON.stringify(stats));
          s = stats;
        } else reused++;
        total.rows += s.rows;
        total.cents += s.cents;
        total.quarantined += s.quarantined;
        total.quarantinedCents += s.quarantinedCents;
        total.pages += s.pages;
        await appendPart(base, s);
        done++;
        beat({ partitionsDone: done, of: partitions.length });
      });
      await appending;
      csvOut.end();
      qOut.end();
      upload?.end();
      const [csvRef, qRef, up] = await Promise.all([csvOut.done(), qOut.done(), uploaded]);
      // One audit row per quarantined record, pointing at the quarantine report that holds it.
      if (total.quarantined > 0) {
        const report = await deps.artifacts.openRead(qRef.hash, { chunkBytes: LINE_CHUNK_BYTES });
        await deps.audit.appendRecordsAsync(
          (async function* (): AsyncGenerator<AuditRecordInput> {
            for await (const line of readLines(report)) {
              if (!line) continue;
              const q = JSON.parse(line) as {
                source: string;
                reason: string;
                row: { account_id?: string | null; net?: string | null };
              };
              yield {
                cycleId,
                step: 'importActuals',
                recordKind: 'actual',
                sourceRef: q.source,
                artifactHash: qRef.hash,
                outcome: 'quarantined',
                reason: q.reason,
                account: q.row.account_id ?? null,
                amount: q.row.net ?? null,
              };
            }
          })(),
        );
      }

      const netsuiteCents = await netsuiteTotal;
      await parts.removeTree(dir);
      // `reusedParts`: parts an earlier attempt finished (on this host or another), read back instead of queried.
      deps.log?.('actuals extracted', {
        rows: total.rows,
        quarantined: total.quarantined,
        partitions: partitions.length,
        reusedParts: reused,
      });
      return {
        csvHash: csvRef.hash,
        rows: total.rows,
        quarantined: total.quarantined,
        outOfScope: accounts.length - partitions.length,
        quarantineHash: total.quarantined ? qRef.hash : null,
        csvCents: total.cents,
        quarantinedCents: total.quarantinedCents,
        netsuiteCents,
        pages: total.pages,
        ...(up ? { uploadedChunks: up.chunks } : {}),
      };
    } catch (err) {
      upload?.destroy();
      csvOut.destroy();
      qOut.destroy();
      if (err instanceof AccountingBookSettingError || err instanceof AmountFormatError)
        throw nonRetryable(err.message);
      throw classify(uploadFailed ?? err);
    }
  }

  async function runActualsImport(input: {
    config: ConnectionConfig;
    cycleId: string;
    csvHash: string;
    rows: number;
    uploaded?: { chunks: number };
  }): Promise<ImportResult> {
    const { config, cycleId, csvHash } = input;
    const { anaplan } = await deps.ports(config);
    const stat = await deps.artifacts.stat(csvHash);
    if (!stat) throw new Error(`artifact ${csvHash} is missing from the artifact store`);
    let outcome;
    try {
      outcome = await deps.artifacts.withLocalFile(csvHash, (file) =>
        anaplan.runImport(
          config.actions.importActuals,
          { path: file, bytes: stat.bytes },
          { signal: cancellationSignal(), uploaded: input.uploaded, onProgress: (p) => beat(p) },
        ),
      );
    } catch (err) {
      throw classify(err);
    }
    // A task that ran and reported failure applied nothing: retry the activity (upload + import write
    // values, so a repeat is idempotent) rather than report a completed cycle without its actuals.
    if (!outcome.successful) throw taskFailed(config.actions.importActuals, outcome);
    // Rejected rows, by file line (header is line 1), from the failure dump.
    const rejected = new Map<number, string>();
    let rejectedCents = 0;
    let dumpHash: string | null = null;
    if (outcome.dumpCsv) {
      dumpHash = (await deps.artifacts.put(outcome.dumpCsv)).hash;
      for (const row of parse(outcome.dumpCsv, {
        columns: true,
        skip_empty_lines: true,
        bom: true,
        relax_column_count: true,
      }) as Array<Record<string, string>>) {
        const line = Number(row._Line_);
        rejected.set(line, row._Error_1_ ?? 'rejected');
        const c = parseCents(row.Amount);
        if (c !== null && !Number.isNaN(c)) rejectedCents += c;
      }
    }
    // One audit row per record moved, streamed from the artifact (flat memory).
    const lines = await deps.artifacts.openRead(csvHash, { chunkBytes: LINE_CHUNK_BYTES });
    const taskId = outcome.taskId;
    await deps.audit.appendRecordsAsync(
      (async function* (): AsyncGenerator<AuditRecordInput> {
        let line = 0;
        for await (const text of readLines(lines)) {
          line++;
          if (line === 1 || !text) continue;
          const cells = text.split(',');
          const reason = rejected.get(line);
          yield {
            cycleId,
            step: 'importActuals',
            recordKind: 'actual',
            sourceRef: `csv#${line}`,
            artifactHash: csvHash,
            targetRef: taskId,
            outcome: reason ? 'rejected' : 'accepted',
            reason: reason ?? null,
            account: cells[0] === undefined ? null : restoreFormula(cells[0]),
            amount: cells.at(-1) ?? null,
          };
        }
      })(),
    );
    return {
      taskId: outcome.taskId,
      fileBytes: stat.bytes,
      chunks: outcome.chunks,
      rowsImported: outcome.rowsImported,
      rowsRejected: outcome.rowsRejected,
      dumpHash,
      rejectedCents,
      successful: outcome.successful,
    };
  }

  return { extractActuals, runActualsImport };
}
