/**
 * Reconciliation report (issue 16 item 4): what the workflow says about a cycle (result, status
 * query, times) joined with its audit rows, rendered as JSON or one self-contained HTML file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type { CycleSummary } from '../../common/dto';
import { statusQuery } from '../../common/messages';
import {
  buildReportData,
  type ReportArtifactSource,
  type ReportAuditSource,
  type ReportData,
  type ReportWorkflowInfo,
} from '../../activities/report/data';
import { renderReportHtml } from './html';

export { buildReportData, type ReportData } from '../../activities/report/data';
export { renderReportHtml } from './html';

/** The cycle as Temporal knows it; each part is optional (a pruned or unreachable workflow leaves the audit). */
export async function workflowInfo(client: Client, cycleId: string): Promise<ReportWorkflowInfo> {
  const handle = client.workflow.getHandle(cycleId);
  const info: ReportWorkflowInfo = {};
  const desc = await handle.describe();
  info.status = desc.status.name.toLowerCase();
  info.startTime = desc.startTime.toISOString();
  if (desc.closeTime) info.closeTime = desc.closeTime.toISOString();
  if (desc.status.name === 'COMPLETED') info.summary = (await handle.result()) as CycleSummary;
  else if (desc.status.name === 'FAILED')
    info.error = await handle.result().then(
      () => undefined,
      (e: { cause?: { message?: string }; message?: string }) => e.cause?.message ?? e.message,
    );
  // The status query needs a worker; without one the report takes step times from the audit rows.
  const status = await Promise.race([
    handle.query(statusQuery),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000).unref()),
  ]).catch(() => undefined);
  if (status) {
    info.steps = status.steps;
    info.warnings = status.warnings;
    if (!info.error && status.lastError && info.status !== 'completed') info.error = status.lastError;
  }
  return info;
}

export async function writeReport(opts: {
  cycleId: string;
  audit: ReportAuditSource;
  artifacts?: ReportArtifactSource;
  workflow?: ReportWorkflowInfo;
  out: string;
}): Promise<{ file: string; data: ReportData }> {
  const data = await buildReportData(opts);
  const file = path.resolve(opts.out);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, renderReportHtml(data));
  fs.renameSync(`${file}.tmp`, file);
  return { file, data };
}

/** `report-<cycle id made file-safe>.html` */
export function defaultReportFile(cycleId: string, dir = '.'): string {
  return path.join(dir, `report-${cycleId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 150)}.html`);
}
