/**
 * `ml-connector codec-server` (issue 6 item 3): serves /encode and /decode with the same keys as the
 * worker (resolveCodecKeys), so engineers who hold the key can read encrypted histories in the
 * Temporal UI. Never creates a key: a codec server with a fresh key could decode nothing.
 */
import * as path from 'node:path';
import { resolveCodecKeys } from '../../common/codec-config';
import { DEFAULT_CODEC_PORT, DEFAULT_UI_ORIGIN, startCodecServer, type CodecServer } from '../codec-server';
import { UsageError, type Command, type CommandContext } from '../command';
import { dataDir } from '../paths';

export interface CodecServerDeps {
  env?: NodeJS.ProcessEnv;
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
  const env = deps.env ?? process.env;
  const port = Number(ctx.values.port ?? DEFAULT_CODEC_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0–65535');
  let bearerToken: string | undefined;
  const tokenEnv = ctx.values['token-env'];
  if (typeof tokenEnv === 'string') {
    bearerToken = env[tokenEnv];
    if (!bearerToken) throw new UsageError(`--token-env ${tokenEnv}: that environment variable is empty`);
  }
  const origins = (ctx.values['cors-origin'] as string[] | undefined) ?? [DEFAULT_UI_ORIGIN];
  const dir = env.ML_CONNECTOR_DATA_DIR ? path.resolve(env.ML_CONNECTOR_DATA_DIR) : dataDir();
  const { keys, source, keyFile } = resolveCodecKeys({ dataDir: dir, env, createIfMissing: false });
  if (!keys) {
    ctx.err(`no payload codec keys: set ML_CONNECTOR_CODEC_KEYS, ML_CONNECTOR_CODEC_KEY_FILE, or run the embedded default once to create ${path.join(dir, 'codec.key')}`);
    return 1;
  }
  const host = typeof ctx.values.host === 'string' ? ctx.values.host : '127.0.0.1';
  if (!bearerToken && host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    ctx.err(`⚠ codec server on ${host} without --token-env: anyone who reaches it can decrypt payloads`);
  }
  const server = await startCodecServer({ port, host, keys, bearerToken, corsOrigins: origins, log: ctx.out });
  ctx.out(`codec server on ${server.url} (keys from ${source === 'env' ? 'ML_CONNECTOR_CODEC_KEYS' : keyFile}; active key ${keys.activeKeyId}; CORS ${origins.join(', ')}${bearerToken ? '; bearer token required' : ''})`);
  ctx.out(`Temporal UI: "Configure data encoder" → ${server.url}; dev server: temporal server start-dev --ui-codec-endpoint ${server.url}`);
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
    usage: 'ml-connector codec-server [--port 8888] [--host 127.0.0.1] [--token-env NAME] [--cors-origin URL]...',
    options: {
      port: { type: 'string', description: 'Listen port', default: String(DEFAULT_CODEC_PORT) },
      host: { type: 'string', description: 'Listen address', default: '127.0.0.1' },
      'token-env': { type: 'string', description: 'Require `Authorization: Bearer <token>`, token read from this env variable' },
      'cors-origin': { type: 'string', multiple: true, description: `Origin of the Temporal UI (repeatable; default ${DEFAULT_UI_ORIGIN})` },
    },
    run: (ctx) => run(ctx, deps),
  };
}

export const codecServerCommand = createCodecServerCommand();
