/**
 * `ml-connector codec-server` (issue 6 item 3): serves /encode and /decode with the same keys as the
 * worker (resolveCodecKeys), so engineers who hold the key can read encrypted histories in the
 * Temporal UI. Never creates a key: a codec server with a fresh key could decode nothing. Its
 * safety rules (token off loopback, Host check, CORS, TLS) are in client/codec-server.ts.
 */
import * as fs from 'node:fs';
import { resolveCodecKeys } from '../../common/node/codec-config';
import {
  CodecServerConfigError,
  DEFAULT_CODEC_PORT,
  DEFAULT_UI_ORIGIN,
  checkCodecServerOptions,
  startCodecServer,
  type CodecServer,
  type CodecServerOptions,
} from '../codec-server';
import { UsageError, type Command, type CommandContext } from '../command';
import { dataPaths, variableNamedByOption, type Env } from '../../common/node/env';

export interface CodecServerDeps {
  env?: Env;
  /** Resolves when the server should stop; default SIGINT/SIGTERM. */
  until?: (server: CodecServer) => Promise<void>;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function run(ctx: CommandContext, deps: CodecServerDeps): Promise<number> {
  const env = deps.env;
  const port = Number(ctx.values.port ?? DEFAULT_CODEC_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0–65535');
  let bearerToken: string | undefined;
  const tokenEnv = ctx.values['token-env'];
  if (typeof tokenEnv === 'string') {
    bearerToken = variableNamedByOption(env, tokenEnv);
    if (!bearerToken) throw new UsageError(`--token-env ${tokenEnv}: that environment variable is empty`);
  }
  const origins = (ctx.values['cors-origin'] as string[] | undefined) ?? [DEFAULT_UI_ORIGIN];
  const paths = dataPaths(env);
  const { keys, source, keyFile } = resolveCodecKeys({ dataDir: paths.dataDir, env, createIfMissing: false });
  if (!keys) {
    ctx.err(
      `no payload codec keys: set ML_CONNECTOR_CODEC_KEYS, ML_CONNECTOR_CODEC_KEY_FILE, or run the embedded default once to create ${paths.codecKeyFile}`,
    );
    return 1;
  }
  const host = typeof ctx.values.host === 'string' ? ctx.values.host : '127.0.0.1';
  const certFile = ctx.values['tls-cert'];
  const keyFileTls = ctx.values['tls-key'];
  if ((typeof certFile === 'string') !== (typeof keyFileTls === 'string'))
    throw new UsageError('--tls-cert and --tls-key go together');
  const readPem = (option: string, file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--${option}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const options: CodecServerOptions = {
    port,
    host,
    keys,
    bearerToken,
    corsOrigins: origins,
    log: ctx.out,
    corsCredentials: ctx.values['cors-no-credentials'] !== true,
    allowedHosts: (ctx.values['allowed-host'] as string[] | undefined) ?? [],
    tls:
      typeof certFile === 'string' && typeof keyFileTls === 'string'
        ? { certPem: readPem('tls-cert', certFile), keyPem: readPem('tls-key', keyFileTls) }
        : undefined,
  };
  let server: CodecServer;
  try {
    checkCodecServerOptions(options); // refused before the port is opened
    server = await startCodecServer(options);
  } catch (e) {
    if (!(e instanceof CodecServerConfigError)) throw e;
    ctx.err(`✖ ${e.message}`);
    return 1;
  }
  ctx.out(
    `codec server on ${server.url} (keys from ${source === 'env' ? 'ML_CONNECTOR_CODEC_KEYS' : keyFile}; active key ${keys.activeKeyId}; CORS ${origins.join(', ')}${bearerToken ? '; bearer token required' : '; /encode disabled without a token'})`,
  );
  ctx.out(
    `Temporal UI: "Configure data encoder" → ${server.url}; dev server: temporal server start-dev --ui-codec-endpoint ${server.url}`,
  );
  try {
    await (deps.until ?? untilSignal)(server);
  } finally {
    await server.close();
  }
  return 0;
}

export function createCodecServerCommand(deps: CodecServerDeps = {}): Command {
  return {
    name: 'codec-server',
    summary: 'Serve /encode and /decode for the Temporal UI',
    usage:
      'ml-connector codec-server [--port 8888] [--host 127.0.0.1] [--token-env NAME] [--cors-origin URL]... [--allowed-host NAME]... [--tls-cert F --tls-key F]',
    options: {
      port: { type: 'string', description: 'Listen port', default: String(DEFAULT_CODEC_PORT) },
      host: { type: 'string', description: 'Listen address', default: '127.0.0.1' },
      'token-env': {
        type: 'string',
        description: 'Require `Authorization: Bearer <token>`, token read from this env variable',
      },
      'cors-origin': {
        type: 'string',
        multiple: true,
        description: `Origin of the Temporal UI (repeatable; default ${DEFAULT_UI_ORIGIN}; "*" only with --cors-no-credentials)`,
      },
      'cors-no-credentials': { type: 'boolean', description: 'Do not allow cross-origin credentials (cookies)' },
      'allowed-host': {
        type: 'string',
        multiple: true,
        description:
          'Host name clients use to reach the server (repeatable; the bind address and, on loopback, localhost are always allowed)',
      },
      'tls-cert': { type: 'string', description: 'Serve https: certificate chain (PEM file)' },
      'tls-key': { type: 'string', description: 'Serve https: private key (PEM file)' },
    },
    run: (ctx) => run(ctx, deps),
  };
}

export const codecServerCommand = createCodecServerCommand();
