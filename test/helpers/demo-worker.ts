/**
 * Workers for the tests that run the demo workflow (test/fixtures/demo-workflows): the production
 * workflows plus `connectorDemo`, and the production activities plus `demoStep`.
 */
import { createActivities } from '../../activities';
import { demoActivities } from '../fixtures/demo-workflows/activities';

export { connectorDemo } from '../fixtures/demo-workflows/demo';

export const DEMO_WORKFLOWS_PATH = require.resolve('../fixtures/demo-workflows');

export function demoWorkerOptions(): { workflowsPath: string; activities: object } {
  return { workflowsPath: DEMO_WORKFLOWS_PATH, activities: { ...createActivities(), ...demoActivities } };
}
