/**
 * `scheduledCycle`: what a close-calendar Temporal Schedule starts. The schedule fires on the
 * weekdays where business day N can fall (common/close-calendar.ts); this keeps the one that is
 * business day N in the configured time zone and runs the cycle for the month that just closed as
 * a child with the usual cycle ID, so a cycle already running for that period is not started twice.
 */
import { ApplicationFailure, executeChild, log, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { businessDayOfMonth, localDate, previousMonth } from '../common/close-calendar';
import type { ConnectionConfig } from '../common/config';
import type { CycleSummary } from '../common/dto';
import { cycleWorkflowId, type CycleKind } from '../common/ids';
import { planningCycle } from './planning-cycle';

export interface ScheduledCycleInput {
  config: ConnectionConfig;
  kind: CycleKind;
  businessDay: number;
  timezone: string;
  /** Non-business days (YYYY-MM-DD); absent in schedules created before holidays were configurable. */
  holidays?: string[];
  /** Weekend weekdays (`schedule.weekend`); absent in schedules created before it was configurable: Saturday and Sunday. */
  weekend?: string[];
}

export type ScheduledCycleResult =
  | { ran: false; reason: string }
  | { ran: true; period: string; summary: CycleSummary };

export async function scheduledCycle(input: ScheduledCycleInput): Promise<ScheduledCycleResult> {
  const today = localDate(new Date(), input.timezone);
  const bd = businessDayOfMonth(today, new Set(input.holidays ?? []), input.weekend);
  const date = `${today.year}-${String(today.month).padStart(2, '0')}-${String(today.day).padStart(2, '0')}`;
  if (bd !== input.businessDay) {
    return {
      ran: false,
      reason: `${date} is business day ${bd || '— (weekend or holiday)'} in ${input.timezone}; the cycle runs on business day ${input.businessDay}`,
    };
  }
  const period = previousMonth(today);
  try {
    const summary = await executeChild(planningCycle, {
      workflowId: cycleWorkflowId(input.config.anaplan.workspaceId, input.config.anaplan.modelId, period, input.kind),
      taskQueue: workflowInfo().taskQueue,
      args: [{ config: input.config, period, kind: input.kind }],
    });
    return { ran: true, period, summary };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      log.warn('cycle already running; not started twice', { period });
      return { ran: false, reason: `cycle for ${period} is already running` };
    }
    throw ApplicationFailure.fromError(err);
  }
}
