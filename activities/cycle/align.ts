/**
 * `alignDimensions` (runs under the model lock): the chart of accounts and the four dimension lists
 * are read from NetSuite, compared with the Anaplan lists, and — for lists the connector owns —
 * loaded through their list import actions (Code,Name,Parent; parents first — into the parent list
 * first for a composite hierarchy, `dimensions.<name>.parentList`). The result is a
 * member map artifact every later step uses, so each actual and plan value lands on a member that
 * exists on both sides; members that do not map are reported, and rows using them are quarantined.
 */
import { cancellationSignal } from '@temporalio/activity';
import { beat } from './heartbeat';
import { parse } from 'csv-parse/sync';
import { DIMENSIONS, type ConnectionConfig, type DimensionName } from '../../common/config';
import type { AlignResult, DimensionCounts } from '../../common/dto';
import {
  alignDimension,
  anaplanMembers,
  changedImportRows,
  memberMap,
  type AlignmentResult,
  type MemberMaps,
  type NetSuiteMember,
} from '../mapping/dimensions';
import { csvLine, restoreFormula } from '../mapping/csv';
import type { AuditRecordInput } from '../store';
import { classify, nonRetryable, putJson, taskFailed, type CycleDeps } from './context';
import { ACCOUNTS_SQL, ACCOUNTS_SQL_WITHOUT_SUMMARY, LIST_SQL } from './queries';
import type { NetSuitePort, SuiteQlRow } from './ports';

const bool = (v: string | null | undefined) => v === 'T' || v === 'true';

type ImportRow = AlignmentResult['importRows'][number];

/**
 * Rows for a composite hierarchy (docs/anaplan.md §16): members that are parents — named as a Parent, or
 * summary records in NetSuite — go to the parent list (one level: their own Parent is left empty),
 * the rest to the list itself with Parent = the parent's code. Without a parent list, every row
 * stays in the list (same-list parents, or none for a flat list).
 */
export function splitForParentList(
  result: AlignmentResult,
  members: NetSuiteMember[],
  parentList: string | undefined,
): { parents: ImportRow[]; children: ImportRow[] } {
  if (!parentList) return { parents: [], children: result.importRows };
  const summary = new Set(members.filter((m) => m.issummary).map((m) => m.id));
  const parentCodes = new Set(result.importRows.map((r) => r.parent).filter(Boolean));
  for (const o of result.outcomes) if (o.code && summary.has(o.id)) parentCodes.add(o.code);
  return {
    parents: result.importRows.filter((r) => parentCodes.has(r.code)).map((r) => ({ ...r, parent: '' })),
    children: result.importRows.filter((r) => !parentCodes.has(r.code)),
  };
}

/** Connections (ports) whose SuiteQL refused `account.issummary`: asked once, then read without it. */
const withoutSummary = new WeakSet<NetSuitePort>();

/**
 * The chart of accounts, with `issummary` where the account has it. A 400 on the first page is
 * SuiteQL's answer to an unknown field (FIDELITY N25): the read is repeated without the column, and
 * the connection remembers it. Without it, summary accounts are recognised only as parents of other
 * accounts (splitForParentList), which is what a composite hierarchy needs them for.
 */
export async function* accountRows(netsuite: NetSuitePort): AsyncIterable<SuiteQlRow[]> {
  if (!withoutSummary.has(netsuite)) {
    let first = true;
    try {
      for await (const page of netsuite.query(ACCOUNTS_SQL)) {
        first = false;
        yield page;
      }
      return;
    } catch (err) {
      if (!first || (err as { status?: number }).status !== 400) throw err;
      withoutSummary.add(netsuite);
    }
  }
  yield* netsuite.query(ACCOUNTS_SQL_WITHOUT_SUMMARY);
}

/** A member as alignment sees it, from a row of the list or chart-of-accounts query (queries.ts). */
export function netsuiteMember(r: SuiteQlRow): NetSuiteMember {
  return {
    id: String(r.id),
    number: r.acctnumber ?? undefined,
    name: String(r.name ?? r.id),
    parent: r.parent ? String(r.parent) : null,
    isinactive: bool(r.isinactive),
    type: r.accttype ?? undefined,
    issummary: bool(r.issummary),
  };
}

async function readMembers(deps: CycleDeps, config: ConnectionConfig, dim: DimensionName): Promise<NetSuiteMember[]> {
  const { netsuite } = await deps.ports(config);
  const out: NetSuiteMember[] = [];
  for await (const page of dim === 'accounts' ? accountRows(netsuite) : netsuite.query(LIST_SQL[dim])) {
    for (const r of page) out.push(netsuiteMember(r));
  }
  return out;
}

export function makeAlign(deps: CycleDeps) {
  return async function alignDimensions(input: { config: ConnectionConfig; cycleId: string }): Promise<AlignResult> {
    const { config, cycleId } = input;
    const { anaplan } = await deps.ports(config);
    const maps = {} as MemberMaps;
    const counts = {} as Record<DimensionName, DimensionCounts>;
    const quarantine: Array<{
      dimension: DimensionName;
      id: string;
      name: string;
      code: string | null;
      reason: string;
    }> = [];
    const taskIds: string[] = [];
    /**
     * A dimension's outcome: its member map less what Anaplan refused, its quarantine, counts and
     * audit rows. Mostly CPU and audit writes (tens of thousands of members at scale), so it runs
     * while the next dimension's list import task runs on the server (`onStarted`) rather than
     * between the two imports, where the model lock would wait for it.
     */
    const settle = async (
      dim: DimensionName,
      members: NetSuiteMember[],
      result: AlignmentResult,
      dumps: string[],
      imported: number,
      rejected: number,
    ): Promise<void> => {
      const rule = config.dimensions[dim];
      const rejectedCodes = new Map<string, string>();
      for (const dump of dumps)
        for (const row of parse(dump, { columns: true, skip_empty_lines: true, bom: true }) as Array<
          Record<string, string>
        >) {
          if (row.Code) rejectedCodes.set(restoreFormula(row.Code), row._Error_1_ ?? 'rejected by the list import');
        }
      const map = memberMap(result);
      for (const [code, reason] of rejectedCodes) {
        const id = map.fromCode[code];
        if (id === undefined) continue;
        delete map.toCode[id];
        delete map.fromCode[code];
        map.unmapped[id] = `Anaplan refused ${code}: ${reason}`;
      }
      maps[dim] = map;
      const byId = new Map(members.map((m) => [m.id, m]));
      // One lookup table, not a scan per unmapped member (tens of thousands of members at scale).
      const outcomeById = new Map(result.outcomes.map((o) => [o.id, o]));
      for (const [id, reason] of Object.entries(map.unmapped))
        quarantine.push({
          dimension: dim,
          id,
          name: byId.get(id)?.name ?? id,
          code: outcomeById.get(id)?.code ?? null,
          reason,
        });
      counts[dim] = {
        members: members.length,
        mapped: Object.keys(map.toCode).length,
        unmapped: Object.keys(map.unmapped).length,
        outOfScope: map.outOfScope.length,
        imported,
        rejected,
      };
      const audit: AuditRecordInput[] = result.outcomes.map((o) => ({
        cycleId,
        step: 'alignDimensions',
        recordKind: 'list_member',
        sourceRef: `${dim}:${o.id}`,
        targetRef: o.code ? `${rule.list}:${o.code}` : null,
        outcome: map.toCode[o.id] ? 'accepted' : map.unmapped[o.id] ? 'quarantined' : 'accepted',
        reason: map.unmapped[o.id] ?? (o.status === 'out-of-scope' ? o.reason : null),
      }));
      await deps.audit.appendRecords(audit);
    };
    /** Settles waiting for a window (a dimension without an import waits for the next task too), and those started. */
    const deferred: Array<() => Promise<void>> = [];
    const settling: Array<Promise<void>> = [];
    const settleDeferred = () => {
      for (const run of deferred.splice(0)) {
        // setImmediate: after the caller's synchronous continuation (the poll's timer is armed by then).
        const p = new Promise<void>((resolve) => setImmediate(resolve)).then(run);
        // Observed below (Promise.all / allSettled); until then a failure must not count as unhandled.
        p.catch(() => undefined);
        settling.push(p);
      }
    };
    try {
      for (const dim of DIMENSIONS) {
        const rule = config.dimensions[dim];
        if (rule.parentImportAction && !rule.parentList)
          throw nonRetryable(
            `dimensions.${dim}.parentImportAction needs dimensions.${dim}.parentList (the list it loads)`,
          );
      }
      // Every dimension's reads at once, not one after another: each NetSuite read is at least one
      // SuiteQL page (the connection's limiter caps how many run together), each Anaplan read a
      // round trip — and this activity holds the model lock meanwhile.
      const read = (dim: DimensionName) =>
        Promise.all([
          readMembers(deps, config, dim),
          anaplan.listItems(config.dimensions[dim].list),
          config.dimensions[dim].parentList ? anaplan.listItems(config.dimensions[dim].parentList!) : [],
        ]);
      const reads = DIMENSIONS.map((dim) => read(dim));
      // A failed read fails the activity; the others are awaited here only so none is left unobserved.
      for (const r of reads) r.catch(() => undefined);
      for (const [k, dim] of DIMENSIONS.entries()) {
        beat({ dimension: dim });
        const rule = config.dimensions[dim];
        const [members, listItems, parentItems] = await reads[k]!;
        // Members of a composite hierarchy's parent list count as existing too (they are its parents).
        // Codes come back as imported, i.e. formula-guarded (csvLine): compare them as NetSuite knows them.
        const { list: inList, parentList: inParentList } = anaplanMembers(listItems, parentItems);
        const existing = new Set([...inList.keys(), ...inParentList.keys()]);
        const result = alignDimension(
          dim,
          members,
          {
            sync: rule.sync,
            overrides: rule.overrides,
            accountTypes: dim === 'accounts' ? config.dimensions.accounts.accountTypes : undefined,
          },
          existing,
        );
        let imported = 0;
        let rejected = 0;
        const dumps: string[] = [];
        const load = async (action: string, rows: ImportRow[]) => {
          const w = deps.artifacts.writeStream();
          w.write(csvLine(['Code', 'Name', 'Parent']));
          for (const r of rows) w.write(csvLine([r.code, r.name, r.parent]));
          w.end();
          const ref = await w.done();
          const outcome = await deps.artifacts.withLocalFile(ref.hash, (file) =>
            anaplan.runImport(
              action,
              { path: file, bytes: ref.bytes },
              {
                signal: cancellationSignal(),
                onProgress: (p) => beat({ dimension: dim, ...p }),
                onStarted: settleDeferred,
              },
            ),
          );
          taskIds.push(outcome.taskId);
          if (!outcome.successful) throw taskFailed(action, outcome);
          imported += outcome.rowsImported;
          rejected += outcome.rowsRejected;
          if (outcome.dumpCsv) dumps.push(outcome.dumpCsv);
        };
        if (rule.sync && result.importRows.length > 0) {
          // Composite hierarchy: the parent list first, so every Parent the list names exists there.
          // Only rows that change the list go up: a list already in line is not imported at all.
          const { parents, children } = splitForParentList(result, members, rule.parentList);
          const newParents = changedImportRows(parents, inParentList);
          const newChildren = changedImportRows(children, inList);
          if (rule.parentImportAction && newParents.length > 0) await load(rule.parentImportAction, newParents);
          if (rule.importAction && newChildren.length > 0) await load(rule.importAction, newChildren);
        }
        deferred.push(() => settle(dim, members, result, dumps, imported, rejected));
      }
      settleDeferred();
      await Promise.all(settling);
    } catch (err) {
      // Nothing is left running unobserved: a settle in flight finishes (or fails) before the activity does.
      await Promise.allSettled(settling);
      throw classify(err);
    }
    const memberMapsHash = await putJson(deps.artifacts, maps);
    const quarantineHash = quarantine.length ? await putJson(deps.artifacts, quarantine) : null;
    deps.log?.('dimensions aligned', { unmapped: quarantine.length });
    return { memberMapsHash, quarantineHash, dimensions: counts, anaplanTaskIds: taskIds };
  };
}
