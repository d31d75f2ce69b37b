/**
 * `alignDimensions` (runs under the model lock): the chart of accounts and the four dimension lists
 * are read from NetSuite, compared with the Anaplan lists, and — for lists the connector owns —
 * loaded through their list import actions (Code,Name,Parent; parents first). The result is a
 * member map artifact every later step uses, so each actual and plan value lands on a member that
 * exists on both sides; members that do not map are reported, and rows using them are quarantined.
 */
import { cancellationSignal } from '@temporalio/activity';
import { beat } from './heartbeat';
import { parse } from 'csv-parse/sync';
import { DIMENSIONS, type ConnectionConfig, type DimensionName } from '../../common/config';
import type { AlignResult, DimensionCounts } from '../../common/dto';
import { alignDimension, memberMap, type MemberMaps, type NetSuiteMember } from '../mapping/dimensions';
import { csvLine } from '../mapping/csv';
import type { AuditRecordInput } from '../store';
import { classify, putJson, taskFailed, type CycleDeps } from './context';
import { ACCOUNTS_SQL, LIST_SQL } from './queries';

const bool = (v: string | null | undefined) => v === 'T' || v === 'true';

async function readMembers(deps: CycleDeps, config: ConnectionConfig, dim: DimensionName): Promise<NetSuiteMember[]> {
  const { netsuite } = await deps.ports(config);
  const out: NetSuiteMember[] = [];
  for await (const page of netsuite.query(dim === 'accounts' ? ACCOUNTS_SQL : LIST_SQL[dim])) {
    for (const r of page) {
      out.push({
        id: String(r.id),
        number: r.acctnumber ?? undefined,
        name: String(r.name ?? r.id),
        parent: r.parent ? String(r.parent) : null,
        isinactive: bool(r.isinactive),
        type: r.accttype ?? undefined,
        issummary: bool(r.issummary),
      });
    }
  }
  return out;
}

export function makeAlign(deps: CycleDeps) {
  return async function alignDimensions(input: { config: ConnectionConfig; cycleId: string }): Promise<AlignResult> {
    const { config, cycleId } = input;
    const { anaplan } = await deps.ports(config);
    const maps = {} as MemberMaps;
    const counts = {} as Record<DimensionName, DimensionCounts>;
    const quarantine: Array<{ dimension: DimensionName; id: string; name: string; code: string | null; reason: string }> = [];
    const taskIds: string[] = [];
    try {
      for (const dim of DIMENSIONS) {
        beat({ dimension: dim });
        const rule = config.dimensions[dim];
        const members = await readMembers(deps, config, dim);
        const existing = new Set((await anaplan.listItems(rule.list)).map((i) => i.code));
        const result = alignDimension(dim, members, { sync: rule.sync, overrides: rule.overrides, accountTypes: dim === 'accounts' ? config.dimensions.accounts.accountTypes : undefined }, existing);
        let imported = 0;
        let rejected = 0;
        const rejectedCodes = new Map<string, string>();
        if (rule.sync && rule.importAction && result.importRows.length > 0) {
          const w = deps.artifacts.writeStream();
          w.write(csvLine(['Code', 'Name', 'Parent']));
          for (const r of result.importRows) w.write(csvLine([r.code, r.name, r.parent]));
          w.end();
          const ref = await w.done();
          const outcome = await deps.artifacts.withLocalFile(ref.hash, (file) => anaplan.runImport(rule.importAction!, { path: file, bytes: ref.bytes }, { signal: cancellationSignal(), onProgress: (p) => beat({ dimension: dim, ...p }) }));
          taskIds.push(outcome.taskId);
          if (!outcome.successful) throw taskFailed(rule.importAction, outcome);
          imported = outcome.rowsImported;
          rejected = outcome.rowsRejected;
          if (outcome.dumpCsv) {
            for (const row of parse(outcome.dumpCsv, { columns: true, skip_empty_lines: true, bom: true }) as Array<Record<string, string>>) {
              if (row.Code) rejectedCodes.set(row.Code, row._Error_1_ ?? 'rejected by the list import');
            }
          }
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
        for (const [id, reason] of Object.entries(map.unmapped)) quarantine.push({ dimension: dim, id, name: byId.get(id)?.name ?? id, code: outcomeById.get(id)?.code ?? null, reason });
        counts[dim] = { members: members.length, mapped: Object.keys(map.toCode).length, unmapped: Object.keys(map.unmapped).length, outOfScope: map.outOfScope.length, imported, rejected };
        const audit: AuditRecordInput[] = result.outcomes.map((o) => ({
          cycleId,
          step: 'alignDimensions',
          recordKind: 'list_member',
          sourceRef: `${dim}:${o.id}`,
          targetRef: o.code ? `${rule.list}:${o.code}` : null,
          outcome: map.toCode[o.id] ? 'accepted' : map.unmapped[o.id] ? 'quarantined' : 'accepted',
          reason: map.unmapped[o.id] ?? (o.status === 'out-of-scope' ? o.reason : null),
        }));
        deps.audit.appendRecords(audit);
      }
    } catch (err) {
      throw classify(err);
    }
    const memberMapsHash = await putJson(deps.artifacts, maps);
    const quarantineHash = quarantine.length ? await putJson(deps.artifacts, quarantine) : null;
    deps.log?.('dimensions aligned', { unmapped: quarantine.length });
    return { memberMapsHash, quarantineHash, dimensions: counts, anaplanTaskIds: taskIds };
  };
}
