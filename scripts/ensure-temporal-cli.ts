/** Resolves (and if needed obtains) the Temporal CLI, printing where it came from. Used by .ci/run. */
import { cliVersion, resolveTemporalCli } from '../client/temporal-cli';

const cli = resolveTemporalCli({ log: (l) => console.log(l) });
if (cli.kind === 'path') console.log(`temporal CLI: ${cli.path} (${cli.source}) — ${cliVersion(cli.path)}`);
else
  console.log(
    `temporal CLI: not found locally; the dev server helper will use the SDK download.\n${cli.tried.join('\n')}`,
  );
