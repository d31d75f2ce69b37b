/**
 * Tasks and the model lock. Imports, exports and processes take the model exclusively for their run
 * time; a task started while another runs waits as NOT_STARTED ("Anaplan will queue this task",
 * docs/anaplan.md §8) and starts when the lock frees. Every run is recorded in a per-model timeline
 * (start/end) so tests can prove no two tasks ever overlapped.
 * States: NOT_STARTED → IN_PROGRESS → COMPLETE, or → CANCELLING → CANCELLED (docs/anaplan.md §7.2).
 */
import { sleep } from '../kit/sleep';
import { executeExport, executeImport, type EngineEnv, type Execution, type TaskResult } from './engine';
import { taskId as newTaskId } from './ids';
import type { SandboxState } from './state';

export type TaskType = 'imports' | 'exports' | 'processes';
export type TaskState = 'NOT_STARTED' | 'IN_PROGRESS' | 'COMPLETE' | 'CANCELLING' | 'CANCELLED';

export interface SandboxTask {
  taskId: string;
  modelId: string;
  type: TaskType;
  actionId: string;
  actionName: string;
  userId: string;
  state: TaskState;
  creationTime: number;
  progress: number;
  currentStep: string;
  result?: TaskResult;
  cancelRequested: boolean;
  cancelledBy?: string;
  mappingParameters?: Array<{ entityType: string; entityName: string }>;
  /** Dumps written by this task, by import id (processes may hold several). */
  dumps: Map<string, true>;
  rows: number;
}

export interface TimelineEntry {
  taskId: string;
  type: TaskType;
  actionId: string;
  actionName: string;
  startedAt: number;
  endedAt?: number;
  state: TaskState;
}

/** `currentStep` texts: as published (docs/anaplan.md §7.2, §16) and an alternate wording for the switch. */
const STEP_TEXTS = {
  waiting: ['Waiting ...', 'Queued'],
  processing: ['Processing ...', 'Running'],
  cancelled: ['Cancelled.', 'Cancelled'],
  failed: ['Failed.', 'Failed'],
  complete: ['Complete.', 'Completed'],
} as const;

export class TaskScheduler {
  private readonly queues = new Map<string, SandboxTask[]>();
  private readonly running = new Map<string, SandboxTask>();
  /** Promise of the task currently running per model (awaited by close()). */
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly state: SandboxState) {}

  start(
    type: TaskType,
    actionId: string,
    actionName: string,
    userId: string,
    mappingParameters?: SandboxTask['mappingParameters'],
  ): SandboxTask {
    const task: SandboxTask = {
      taskId: newTaskId(),
      modelId: this.state.model.id,
      type,
      actionId,
      actionName,
      userId,
      state: 'NOT_STARTED',
      creationTime: this.state.now(),
      progress: 0,
      currentStep: this.step('waiting'),
      cancelRequested: false,
      mappingParameters,
      dumps: new Map(),
      rows: 0,
    };
    this.state.tasks.set(task.taskId, task);
    const q = this.queues.get(task.modelId) ?? [];
    q.push(task);
    this.queues.set(task.modelId, q);
    this.pump(task.modelId);
    return task;
  }

  /** DELETE on a task: a queued task is cancelled at once; a running one rolls back at its next step. */
  cancel(task: SandboxTask, userId: string): void {
    if (task.state === 'COMPLETE' || task.state === 'CANCELLED') return;
    task.cancelRequested = true;
    task.cancelledBy = userId;
    if (task.state === 'NOT_STARTED') {
      const q = this.queues.get(task.modelId) ?? [];
      this.queues.set(
        task.modelId,
        q.filter((t) => t !== task),
      );
      task.state = 'CANCELLED';
      task.currentStep = this.step('cancelled');
    } else task.state = 'CANCELLING';
  }

  /** `currentStep` text; `alternateStepTexts` plays other wordings (the real texts are UNCONFIRMED, docs/anaplan.md §15). */
  private step(key: keyof typeof STEP_TEXTS): string {
    return STEP_TEXTS[key][this.state.config.alternateStepTexts ? 1 : 0];
  }

  busy(modelId: string): SandboxTask | undefined {
    return this.running.get(modelId);
  }

  async drain(): Promise<void> {
    for (const q of this.queues.values()) for (const t of q) t.cancelRequested = true;
    for (const t of this.running.values()) t.cancelRequested = true;
    await Promise.allSettled([...this.inflight]);
  }

  private pump(modelId: string): void {
    if (this.running.has(modelId)) return;
    const q = this.queues.get(modelId) ?? [];
    const next = q.shift();
    if (!next) return;
    this.running.set(modelId, next);
    const p = this.run(next)
      .catch((err: unknown) => {
        next.state = 'COMPLETE';
        next.result = {
          successful: false,
          failureDumpAvailable: false,
          objectId: next.actionId,
          objectName: next.actionName,
          details: [
            {
              localMessageText: `Internal error: ${(err as Error).message}`,
              occurrences: 1,
              type: 'error',
              values: [],
            },
          ],
        };
      })
      .finally(() => {
        this.inflight.delete(p);
        this.running.delete(modelId);
        this.pump(modelId);
      });
    this.inflight.add(p);
  }

  private async run(task: SandboxTask): Promise<void> {
    const state = this.state;
    const epoch = state.epoch;
    const entry: TimelineEntry = {
      taskId: task.taskId,
      type: task.type,
      actionId: task.actionId,
      actionName: task.actionName,
      startedAt: Date.now(),
      state: 'IN_PROGRESS',
    };
    state.timelineFor(task.modelId).push(entry);
    task.state = 'IN_PROGRESS';
    task.currentStep = this.step('processing');
    const started = Date.now();
    const failNow = state.faults.takeTaskFailure();
    const actions = task.type === 'processes' ? state.model.processes.get(task.actionId)!.actionIds : [task.actionId];
    const executions: Array<{ id: string; exec: Execution }> = [];
    // An injected failure runs nothing, so it leaves the model untouched.
    for (let i = 0; i < actions.length && !task.cancelRequested && !failNow; i++) {
      const id = actions[i]!;
      const env: EngineEnv = {
        model: state.model,
        files: state.files,
        userId: task.userId,
        now: state.now(),
        dumpChunkBytes: state.config.dumpChunkBytes,
        moduleDetailType: state.config.moduleDetailType,
        exportChunkBytes: state.config.exportChunkBytes,
        mappingParameters: task.mappingParameters,
        // Progress is the elapsed share of the simulated run time; while the rows are still being
        // counted, that run time is extrapolated from the share read so far.
        progress: (share, rowsSoFar) => {
          if (share <= 0) return;
          const expected =
            (state.faults.taskDurationMs ?? state.config.taskDurationMs) +
            state.config.msPerRow * (task.rows + rowsSoFar / share);
          task.progress = Math.max(
            task.progress,
            Math.round(Math.min(0.99, (Date.now() - started) / expected) * 1000) / 1000,
          );
        },
      };
      const imp = state.model.imports.get(id);
      const exec = imp ? await executeImport(env, imp) : await executeExport(env, state.model.exports.get(id)!);
      executions.push({ id, exec });
      task.rows += exec.rows;
      if (!exec.result.successful) break;
      // Inside a process each action is applied before the next runs (a later import may need the
      // members an earlier one created); a cancel then stops the process between actions.
      if (task.type === 'processes' && !task.cancelRequested && epoch === state.epoch) await this.apply(task, id, exec);
    }
    // Hold the lock for the configured run time (fixed + per row), reporting progress meanwhile.
    const duration = (state.faults.taskDurationMs ?? state.config.taskDurationMs) + state.config.msPerRow * task.rows;
    while (!task.cancelRequested && Date.now() - started < duration) {
      await sleep(Math.min(25, duration - (Date.now() - started)));
      task.progress = Math.max(
        task.progress,
        Math.round(Math.min(0.99, (Date.now() - started) / duration) * 1000) / 1000,
      );
    }
    if (task.cancelRequested || epoch !== state.epoch) {
      task.state = 'CANCELLED';
      task.currentStep = this.step('cancelled');
    } else if (failNow === 'no-result') {
      // Seen on real tenants: the task ends "Failed." and carries no result at all (docs/anaplan.md §16).
      task.state = 'COMPLETE';
      task.currentStep = this.step('failed');
    } else if (failNow) {
      task.state = 'COMPLETE';
      task.currentStep = this.step('complete');
      task.result = {
        successful: false,
        failureDumpAvailable: false,
        objectId: task.actionId,
        objectName: task.actionName,
        details: [
          {
            localMessageText: 'The action failed (injected by the sandbox).',
            occurrences: 1,
            type: 'actionFailed',
            values: [],
          },
        ],
      };
    } else {
      if (task.type !== 'processes') for (const { id, exec } of executions) await this.apply(task, id, exec);
      task.state = 'COMPLETE';
      task.currentStep = this.step('complete');
      const results = executions.map((e) => e.exec.result);
      task.result =
        task.type === 'processes'
          ? {
              successful: results.length === actions.length && results.every((r) => r.successful),
              failureDumpAvailable: results.some((r) => r.failureDumpAvailable),
              objectId: task.actionId,
              objectName: task.actionName,
              nestedResults: results,
            }
          : results[0];
    }
    task.progress = 1;
    entry.endedAt = Date.now();
    entry.state = task.state;
  }

  private async apply(task: SandboxTask, id: string, exec: Execution): Promise<void> {
    const state = this.state;
    if (!exec.result.successful) return;
    exec.commit();
    if (exec.output) await state.files.setContent(state.files.get(id)!, task.userId, exec.output, state.now());
    if (exec.dump) {
      state.latestDump.set(`${task.userId}:${id}`, { taskId: task.taskId, chunks: exec.dump, createdAt: state.now() });
      task.dumps.set(id, true);
    } else if (state.model.imports.has(id)) {
      // A clean run of the import removes the user's previous dump (docs/anaplan.md §7.2).
      state.latestDump.delete(`${task.userId}:${id}`);
    }
  }

  /** Forgets queued tasks (reset); running ones were flagged for cancellation by the caller. */
  clearQueues(): void {
    for (const q of this.queues.values()) for (const t of q) t.cancelRequested = true;
    this.queues.clear();
  }
}
