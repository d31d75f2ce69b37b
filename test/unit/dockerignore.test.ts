/**
 * The worker image is built from code only (issue 13 item 7): `.dockerignore` keeps local data,
 * key material, tests and benchmarks out of the build context (Dockerfile: `COPY . .`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../client/paths';

test('.dockerignore excludes .data, vault and key files, configs, tests and benchmarks, and keeps what the build needs', () => {
  const lines = fs
    .readFileSync(path.join(PROJECT_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const entry of [
    '.data',
    '**/.data',
    '*.vault',
    '*.key',
    '*.pem',
    '.env',
    '/ml-connector.config.json',
    'test',
    'bench',
    'node_modules',
    '.git',
  ]) {
    assert.ok(lines.includes(entry), `${entry} is ignored`);
  }
  assert.ok(!lines.some((l) => l.startsWith('!')), 'nothing is re-included');
  // What the build needs stays in: the CLI, the worker, the code they import, and scripts/ (the build
  // stage bundles the workflows with scripts/build-workflow-bundle.ts; dist/scripts is not shipped).
  for (const needed of [
    'client',
    'worker',
    'activities',
    'workflows',
    'common',
    'sandbox',
    'scripts',
    'bin',
    'package.json',
  ])
    assert.ok(!lines.includes(needed), `${needed} is kept`);
});
