/**
 * `ml-connector report --cycle ID [--out report.html] [--json]`: the reconciliation report of one
 * cycle (issue 16 item 4) from its audit rows, artifacts and, when Temporal answers, its result.
 */
import { openAuditStore } from '../../activities/store';
import { openArtifactStore } from '../../activities/store/artifacts-config';
import { UsageError, type Command } from '../command';
import { cliDataConverter } from '../codec';
import type { Env } from '../../common/node/env';
import { buildReportData, defaultReportFile, workflowInfo, writeReport } from '../report';
import type { ReportWorkflowInfo } from '../../activities/report/data';
import { connectClient } from '../temporal';
import { auditDbFile, auditDbMissing } from './audit';

export function createReportCommand(
  deps: { env?: Env; workflowInfo?: (cycleId: string) => Promise<ReportWorkflowInfo> } = {},
): Command {
  return {
    name: 'report',
    summary: 'Reconciliation report of a cycle (HTML or JSON)',
    usage: 'ml-connector report --cycle ID [--out report.html] [--json] [--no-temporal]',
    options: {
      cycle: { type: 'string', description: 'Cycle (workflow) ID' },
      out: { type: 'string', description: 'HTML file to write (default report-<cycle>.html)' },
      json: { type: 'boolean', description: 'Print the figures as JSON instead of writing HTML' },
      'no-temporal': { type: 'boolean', description: 'Audit trail only: do not ask Temporal for the result' },
    },
    async run(ctx) {
      const env = deps.env;
      const cycleId = ctx.values.cycle;
      if (typeof cycleId !== 'string' || !cycleId) throw new UsageError('--cycle is required');
      const file = auditDbFile(env);
      if (auditDbMissing(file)) {
        ctx.err(`no audit database at ${file} (set ML_CONNECTOR_DATA_DIR or ML_CONNECTOR_AUDIT_DB)`);
        return 1;
      }
      let workflow: ReportWorkflowInfo | undefined;
      if (ctx.values['no-temporal'] !== true) {
        try {
          if (deps.workflowInfo) workflow = await deps.workflowInfo(cycleId);
          else {
            const { client, close } = await connectClient(undefined, cliDataConverter());
            try {
              workflow = await workflowInfo(client, cycleId);
            } finally {
              await close();
            }
          }
        } catch (err) {
          ctx.err(
            `⚠ cycle ${cycleId} not read from Temporal (${(err as Error).message}); the report uses the audit trail only`,
          );
        }
      }
      const artifacts = openArtifactStore(env);
      const audit = openAuditStore(file, { readonly: true });
      try {
        if (ctx.values.json === true) {
          ctx.out(JSON.stringify(await buildReportData({ cycleId, audit, artifacts, workflow }), null, 2));
          return 0;
        }
        const { file: out, data } = await writeReport({
          cycleId,
          audit,
          artifacts,
          workflow,
          out: typeof ctx.values.out === 'string' ? ctx.values.out : defaultReportFile(cycleId),
        });
        if (data.auditRows === 0) ctx.err(`⚠ no audit rows for cycle ${cycleId}: is the ID right?`);
        ctx.out(out);
        return 0;
      } finally {
        await audit.close();
      }
    },
  };
}

export const reportCommand = createReportCommand();
