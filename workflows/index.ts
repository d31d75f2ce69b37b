// Every export here is a workflow type registered on the `ml-connector` task queue.
export { backfill } from './backfill';
export { closeWatch } from './close-watch';
export { modelLock } from './model-lock';
export { planningCycle } from './planning-cycle';
export { replayStep } from './replay';
export { scheduledCycle } from './scheduled-cycle';
