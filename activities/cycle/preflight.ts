/**
 * `preflight`: reads what the cycle depends on before it moves anything. NetSuite periods (is the
 * cycle's period there, is it closed), the Anaplan import/export definitions (do the configured
 * actions exist, with the columns the connector writes and reads), and the certificate's expiry.
 * A missing action, a missing column or an expired certificate fails fast and non-retryably, with
 * a message that names what to fix.
 */
import { createHash } from 'node:crypto';
import { anaplanPeriodCode, type ConnectionConfig } from '../../common/config';
import type { PeriodInfo, PreflightResult } from '../../common/dto';
import type { CycleKind } from '../../common/ids';
import { classify, nonRetryable, type CycleDeps } from './context';
import { PERIODS_SQL } from './queries';
import { AccountingBookSettingError, bookSupport, glBookScope } from './books';
import { journalApprovalMode } from './approval-mode';
import { approvalSettingConflict, type ApprovalModeReading } from '../netsuite/approval-mode';
import { neededActions } from './anaplan-actions';

const CERT_WARN_DAYS = 30;

export async function readPeriods(deps: Pick<CycleDeps, 'ports'>, config: ConnectionConfig): Promise<PeriodInfo[]> {
  const ports = await deps.ports(config);
  const out: PeriodInfo[] = [];
  for await (const page of ports.netsuite.query(PERIODS_SQL)) {
    for (const r of page) {
      const start = r.startdate ?? '';
      if (!/^\d{4}-\d{2}-\d{2}$/.test(start)) continue;
      out.push({
        period: start.slice(0, 7),
        id: String(r.id),
        name: String(r.periodname),
        startDate: start,
        endDate: String(r.enddate),
        closed: r.closed === 'T' || r.closed === 'true',
        locked: r.alllocked === 'T' || r.alllocked === 'true',
      });
    }
  }
  return out;
}

/** The Anaplan actions a cycle of `kind` runs (list imports of synced dimensions included). */
export function cycleActions(config: ConnectionConfig, kind: CycleKind) {
  return neededActions(config).filter(
    (n) =>
      !(kind === 'plan' && n.where === 'actions.importActuals') &&
      !(kind === 'actuals' && n.where === 'actions.exportPlan'),
  );
}

export function makePreflight(deps: CycleDeps) {
  return async function preflight(input: {
    config: ConnectionConfig;
    period: string;
    kind: CycleKind;
  }): Promise<PreflightResult> {
    const { config, period, kind } = input;
    const ports = await deps.ports(config);
    const warnings: string[] = [];
    const expires = ports.netsuite.certificateExpiresAt?.();
    if (expires) {
      const days = Math.floor((expires.getTime() - Date.now()) / 86_400_000);
      if (expires.getTime() <= Date.now())
        throw nonRetryable(
          `NetSuite certificate of connection ${config.name} expired on ${expires.toISOString().slice(0, 10)}: upload a new certificate to the M2M mapping and store it with \`ml-connector credentials set\``,
        );
      if (days <= CERT_WARN_DAYS)
        warnings.push(
          `NetSuite certificate of connection ${config.name} expires in ${days} days (${expires.toISOString().slice(0, 10)})`,
        );
    }
    // The actions this kind of cycle runs; their columns are read (and checked) now, before anything moves.
    const needed = cycleActions(config, kind);
    const named = (k: 'import' | 'export') => needed.filter((n) => n.kind === k).map((n) => n.name);

    let periods: PeriodInfo[];
    let actions: Awaited<ReturnType<typeof ports.anaplan.describeActions>>;
    let books: Awaited<ReturnType<typeof bookSupport>>;
    // Only cycles that post journals need the approval mode (issue 12 item 4).
    let approval: ApprovalModeReading | undefined;
    try {
      [periods, actions, books, approval] = await Promise.all([
        readPeriods(deps, config),
        ports.anaplan.describeActions({ imports: named('import'), exports: named('export') }),
        bookSupport(ports.netsuite, config.netsuite.multiBook),
        kind === 'actuals' ? undefined : journalApprovalMode(ports.netsuite),
      ]);
    } catch (err) {
      throw classify(err);
    }
    // A configured book on an account without Multi-Book is refused now, before anything moves.
    try {
      glBookScope(books, config);
    } catch (err) {
      if (err instanceof AccountingBookSettingError) throw nonRetryable(err.message);
      throw classify(err);
    }
    // The other mode's approval field is refused or ignored by NetSuite: refused here, before anything moves.
    const conflict = approval && approvalSettingConflict(approval, config);
    if (conflict) throw nonRetryable(conflict);
    if (approval && !approval.mode)
      warnings.push(
        `NetSuite journal approval mode not known (${approval.detail}): journals.approvalRouting ${config.journals.approvalRouting} is used as configured`,
      );
    const info = periods.find((p) => p.period === period);
    if (!info)
      throw nonRetryable(
        `period ${period} is not a NetSuite posting period (known: ${periods[0]?.period ?? '—'} … ${periods.at(-1)?.period ?? '—'})`,
      );
    if (kind !== 'plan' && !info.closed)
      warnings.push(`period ${period} (${info.name}) is still open in NetSuite: actuals may change after this import`);

    const definition = (n: (typeof needed)[number]) =>
      actions[`${n.kind}s`].find((a) => a.name === n.name || a.id === n.name);
    const missing = needed.filter((n) => !definition(n));
    if (missing.length) {
      throw nonRetryable(
        `Anaplan model ${config.anaplan.modelId} lacks ${missing.map((n) => `${n.kind} action "${n.name}" (${n.where})`).join(', ')}`,
      );
    }
    const wrongColumns = needed.flatMap((n) => {
      const has = definition(n)?.columns;
      const lacks = has?.length ? n.columns.filter((c) => !has.includes(c)) : [];
      return lacks.length
        ? [`${n.kind} action "${n.name}" (${n.where}) lacks column(s) ${lacks.join(', ')} (it has ${has!.join(', ')})`]
        : [];
    });
    if (wrongColumns.length) {
      throw nonRetryable(
        `Anaplan model ${config.anaplan.modelId}: ${wrongColumns.join('; ')}; map these columns in the action's definition`,
      );
    }
    const definitionHash = createHash('sha256')
      .update(JSON.stringify(needed.map(definition)))
      .digest('hex');
    const journalApproval = approval && { mode: approval.mode ?? ('unknown' as const), detail: approval.detail };
    deps.log?.('preflight done', {
      period,
      warnings: warnings.length,
      multiBook: books.multiBook,
      journalApproval: journalApproval?.mode,
    });
    return {
      periodInfo: info,
      anaplanPeriodCode: anaplanPeriodCode(config, period),
      periods,
      definitionHash,
      warnings,
      certificateExpiresAt: expires?.toISOString(),
      ...(journalApproval ? { journalApproval } : {}),
    };
  };
}
