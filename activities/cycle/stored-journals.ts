/**
 * The planned-journals artifact preparePlan writes and postJournals / diffJournals read, as JSON
 * Lines: a header line (period, NetSuite periods, journals to retire, journal count), then one
 * planned journal per line, in posting order. Written journal by journal and read back one batch at a
 * time, so neither side holds the whole plan (a 100k-value plan is ~10 MB of JSON, several times
 * that as objects) — worker memory stays flat as plans grow (issue 15).
 *
 * Artifacts written before this format (one JSON object with a `journals` array) are still read:
 * an in-flight cycle or a later `ml-connector replay` may point at one.
 */
import { once } from 'node:events';
import { readLines } from '../mapping/csv';
import type { PlannedJournal } from '../mapping/journals';
import type { ArtifactStore } from '../store';

/** First line's `format`: tells the line format from the older single-object artifact. */
export const STORED_JOURNALS_FORMAT = 'ml-connector.journals.jsonl.v2';

export interface StoredJournals {
  period: string;
  journals: PlannedJournal[];
  /** NetSuite period internal ID and end date per YYYY-MM. */
  periods: Record<string, { id: string; endDate: string }>;
  /**
   * Plan journals already in NetSuite that this plan no longer needs: same model, a version and open
   * period the export covers, but no planned journal with that external ID (a plan that shrank to
   * fewer parts, or a subsidiary with no approved values left), outside frozen scopes (plan-scopes.ts,
   * README "What is retired when"). Posted first, then deleted.
   */
  retire?: Array<{ externalId: string; period: string }>;
}

export type StoredJournalsHeader = Omit<StoredJournals, 'journals'> & { count: number };

/** The artifact's content does not match its header (a bug, or an artifact that is not ours). */
export class StoredJournalsFormatError extends Error {
  constructor(
    readonly hash: string,
    detail: string,
  ) {
    super(`planned-journals artifact ${hash}: ${detail}`);
    this.name = 'StoredJournalsFormatError';
  }
}

/**
 * Writes the header and `journals` (an iterable, so the caller can produce them one by one) and
 * returns the artifact's hash. `header.count` must be the number of journals the iterable yields.
 */
export async function writeStoredJournals(
  artifacts: ArtifactStore,
  header: StoredJournalsHeader,
  journals: Iterable<PlannedJournal>,
): Promise<string> {
  const w = artifacts.writeStream();
  const write = async (value: unknown) => {
    if (!w.write(JSON.stringify(value) + '\n')) await once(w, 'drain');
  };
  await write({ format: STORED_JOURNALS_FORMAT, ...header });
  let n = 0;
  for (const j of journals) {
    await write(j);
    n++;
  }
  if (n !== header.count) {
    w.destroy();
    throw new StoredJournalsFormatError('(unwritten)', `header says ${header.count} journals, ${n} were produced`);
  }
  w.end();
  return (await w.done()).hash;
}

/**
 * The header and the journals with index in [from, to) (all by default): `journals[i - first]` is
 * journal i. The whole artifact is read (its hash is checked at the end), but only the batch's
 * lines are parsed and kept.
 */
export async function readStoredJournals(
  artifacts: ArtifactStore,
  hash: string,
  from = 0,
  to = Number.POSITIVE_INFINITY,
): Promise<StoredJournals & { count: number; first: number }> {
  // Pulled line by line (readLines), so a slow consumer never queues the file's lines in memory.
  const lines = readLines(await artifacts.openRead(hash, { chunkBytes: 64 * 1024 }));
  let header: (StoredJournalsHeader & { format?: string }) | undefined;
  const journals: PlannedJournal[] = [];
  let i = 0;
  for await (const line of lines) {
    if (header === undefined) {
      const first = JSON.parse(line) as (StoredJournalsHeader & { format?: string }) | StoredJournals;
      if (!('format' in first) || first.format !== STORED_JOURNALS_FORMAT) {
        // The single-object artifact of earlier versions (the whole file is this one line).
        const old = first as StoredJournals;
        const { journals: all, ...rest } = old;
        return {
          ...rest,
          journals: all.slice(from, to),
          count: all.length,
          first: Math.min(from, all.length),
        };
      }
      header = first;
      continue;
    }
    if (line === '') continue;
    if (i >= from && i < to) journals.push(JSON.parse(line) as PlannedJournal);
    i++;
  }
  if (header === undefined) throw new StoredJournalsFormatError(hash, 'empty');
  if (i !== header.count)
    throw new StoredJournalsFormatError(hash, `header says ${header.count} journals, the file holds ${i}`);
  const { format: _format, count, ...rest } = header;
  return { ...rest, count, journals, first: Math.min(from, count) };
}
