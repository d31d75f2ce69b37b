// Lint rules that protect Temporal determinism (workflows/ may not touch Node or wall-clock APIs)
// and async correctness everywhere (no floating promises).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', 'bin/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // The sandboxes are a separate product: production code (everything the worker image runs) does not
    // import them; the CLI's `sandbox` and demo commands under client/ may.
    files: ['activities/**/*.ts', 'common/**/*.ts', 'worker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/sandbox', '**/sandbox/**'], message: 'Production code never imports the sandboxes.' },
          ],
        },
      ],
    },
  },
  {
    // Layers: activities and common are used by the worker and the CLI alike, so they never reach up into
    // client/; the worker is started by the CLI, never the other way round (settings: common/node/env.ts).
    files: ['activities/**/*.ts', 'common/**/*.ts', 'worker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/sandbox', '**/sandbox/**'], message: 'Production code never imports the sandboxes.' },
            {
              group: ['../client', '../client/**', '../../client', '../../client/**', '../../../client/**'],
              message: 'activities/, common/ and worker/ do not import the CLI (client/).',
            },
          ],
        },
      ],
    },
  },
  {
    // common/ itself (not common/node/) is what workflow code may import: no Node builtins there, so the
    // workflow bundle never pulls one in by way of a shared module.
    files: ['common/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'common/ is bundled into workflow code: Node-only modules go to common/node/.',
          })),
          patterns: [
            { group: ['**/sandbox', '**/sandbox/**'], message: 'Production code never imports the sandboxes.' },
            {
              group: ['../client', '../client/**'],
              message: 'activities/, common/ and worker/ do not import the CLI (client/).',
            },
          ],
        },
      ],
    },
  },
  {
    // The sandboxes stand in for NetSuite and Anaplan: they speak the wire protocols and know nothing of the
    // connector, so a connector bug cannot hide in shared code. Pointing the connector at them is the CLI's
    // part (client/sandbox-connection.ts). Types only, if ever needed.
    files: ['sandbox/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/activities',
                '**/activities/**',
                '**/client',
                '**/client/**',
                '**/worker',
                '**/worker/**',
                '**/workflows',
                '**/workflows/**',
                '**/common',
                '**/common/**',
              ],
              allowTypeImports: true,
              message:
                'The sandboxes import no connector code (only types); connector wiring for them lives in client/sandbox-connection.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node builtins, no I/O libraries,
    // and only type imports from activities (docs/temporal.md §2.1).
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Node builtins are not allowed in workflow code.' })),
          patterns: [
            {
              group: [
                'undici',
                'better-sqlite3',
                'jose',
                'csv-*',
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/activity',
              ],
              message: 'I/O libraries belong in activities.',
            },
            {
              group: ['../activities', '../activities/*', '../activities/**'],
              allowTypeImports: true,
              message: 'Import only types from activities.',
            },
            { group: ['**/sandbox', '**/sandbox/**'], message: 'Production code never imports the sandboxes.' },
            {
              group: ['**/common/node', '**/common/node/**'],
              message:
                'common/node/ is Node-only (codec, settings, Temporal connection): workflows get settings in their input or from activities.',
            },
            {
              group: ['**/common/config'],
              allowTypeImports: true,
              message:
                'Import only types from common/config: its validation uses node:crypto (common/node/version-slug.ts).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'fetch', message: 'Workflows do no I/O; call an activity.' },
        { name: 'process', message: 'No process access in workflows.' },
        { name: 'require', message: 'Use import.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'crypto', property: 'randomUUID', message: 'Use uuid4() from @temporalio/workflow.' },
        { object: 'performance', property: 'now', message: 'Non-deterministic.' },
      ],
    },
  },
);
