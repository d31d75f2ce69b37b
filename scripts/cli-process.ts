/**
 * The CLI as a separate process, run from source (tsx): how the chaos runs and the multi-host tests
 * start workers and replays, so a process can be SIGKILLed without taking the caller down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../client/paths';

/** `ml-connector <args>` in a child process with its own environment; stdout and stderr piped. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'client', 'cli.ts'), ...args], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `ml-connector worker` on a task queue with a connection config (no codec keys in tests and chaos runs). */
export function workerArgs(configFile: string, taskQueue: string): string[] {
  return ['worker', '--config', configFile, '--task-queue', taskQueue, '--insecure-plaintext-payloads'];
}

/** `ml-connector replay --step postJournals` of a cycle, JSON output. */
export function replayJournalsArgs(cycleId: string, taskQueue: string): string[] {
  return [
    'replay',
    '--cycle',
    cycleId,
    '--step',
    'postJournals',
    '--task-queue',
    taskQueue,
    '--json',
    '--insecure-plaintext-payloads',
  ];
}
