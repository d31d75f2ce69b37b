#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx registers the loader), so no build step is needed.
require('tsx/cjs');
require('../client/cli.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
