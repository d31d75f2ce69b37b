#!/usr/bin/env node
// From a source checkout (tsx installed with the dev dependencies) it runs the TypeScript CLI, so no
// build step is needed; in the production image (no tsx, no .ts sources) it runs the compiled CLI.
const path = require('node:path');
const fs = require('node:fs');

function resolvable(id) {
  try {
    require.resolve(id);
    return true;
  } catch {
    return false;
  }
}

function entry() {
  const source = path.join(__dirname, '..', 'client', 'cli.ts');
  if (fs.existsSync(source) && resolvable('tsx/cjs')) {
    require('tsx/cjs');
    return require(source);
  }
  return require(path.join(__dirname, '..', 'dist', 'client', 'cli.js'));
}

const cli = entry();
cli.ignoreRetriesOnClosedChannel();
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
