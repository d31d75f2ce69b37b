/**
 * `ml-connector credentials set|list|pin|remove` (issue 6 item 1; host pins: issue 13 item 1;
 * `rotate-master-key`, `accept-rollback`: issue 13 item 8): the encrypted vault from the CLI.
 * Private keys and certificates are read from files; passwords and refresh tokens from the
 * environment or stdin, never from argv (argv is visible in `ps` and shell history).
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import {
  CredentialPinError,
  CredentialVault,
  openVaultAt,
  anaplanPins,
  certificateMessage,
  certificateStatus,
  describePins,
  netsuitePins,
  netsuiteSecretSchema,
  type AnaplanSecret,
  type CredentialMetadata,
  type CredentialInfo,
  type CredentialKind,
  type NetsuiteSecret,
} from '../../activities/store';
import { ANAPLAN_DEFAULT_URLS } from '../../activities/anaplan/client';
import { pollDeviceToken, startDeviceAuthorization } from '../../activities/anaplan/auth';
import { KeyMaterialError, assertOwnerOnly, generateKey, parseKeyMaterial } from '../../common/node/codec-keys';
import { UsageError, type Command, type CommandContext } from '../command';
import { credentialInput, dataPaths, keySettings, type Env } from '../../common/node/env';
import { formatTable } from './audit';

const ALGORITHMS = netsuiteSecretSchema.shape.algorithm.options;

export interface CredentialsDeps {
  env?: Env;
  /** Whole stdin as text (passwords, refresh tokens). */
  readStdin?: () => Promise<string>;
}

async function readAllStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('(reading the secret from stdin; end with Ctrl-D)\n');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The vault under the data directory, as openStores() lays it out. */
export function openVault(env: Env | undefined, onWarning: (m: string) => void): CredentialVault {
  return openVaultAt(dataPaths(env), env, { onWarning });
}

function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function need(ctx: CommandContext, name: string, why: string): string {
  const v = str(ctx, name);
  if (!v) throw new UsageError(`--${name} is required ${why}`);
  return v;
}
function readPemFile(ctx: CommandContext, option: string, why: string): string {
  const file = need(ctx, option, why);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--${option}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) throw new UsageError(`--${option}: ${file} is not a PEM file`);
  return text;
}

/** The key must belong to the certificate and suit the algorithm; messages name files, not contents. */
function checkKeyPair(privateKeyPem: string, certificatePem: string, algorithm?: string): void {
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    throw new UsageError('--private-key-file does not hold a readable private key (PKCS#8 or PKCS#1 PEM, unencrypted)');
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificatePem);
  } catch {
    throw new UsageError('--certificate-file does not hold a readable X.509 certificate');
  }
  const der = (k: ReturnType<typeof createPublicKey>) => k.export({ type: 'spki', format: 'der' });
  if (!der(createPublicKey(key)).equals(der(cert.publicKey))) {
    throw new UsageError('the private key does not belong to the certificate (public keys differ)');
  }
  if (algorithm) {
    const type = key.asymmetricKeyType;
    const ok = algorithm.startsWith('ES') ? type === 'ec' : type === 'rsa' || type === 'rsa-pss';
    if (!ok)
      throw new UsageError(
        `--algorithm ${algorithm} does not fit a ${type} key (RSA: PS256/PS384/PS512/RS256; EC: ES256/ES384/ES512)`,
      );
  }
}

async function secretFromEnvOrStdin(
  env: Env | undefined,
  variable: 'ANAPLAN_PASSWORD' | 'ANAPLAN_REFRESH_TOKEN',
  deps: CredentialsDeps,
  what: string,
): Promise<string> {
  const fromEnv = credentialInput(env, variable);
  if (fromEnv) return fromEnv;
  const text = (await (deps.readStdin ?? readAllStdin)()).replace(/\r?\n$/, '');
  if (!text) throw new UsageError(`no ${what}: set ${variable} or pipe it on stdin`);
  return text;
}

async function runSet(ctx: CommandContext, deps: CredentialsDeps, env: Env | undefined): Promise<number> {
  const name = need(ctx, 'name', 'for set');
  const kind = need(ctx, 'kind', '(netsuite or anaplan)');
  let info: CredentialInfo;
  if (kind === 'netsuite') {
    const why = 'for NetSuite credentials';
    const algorithm = str(ctx, 'algorithm') ?? 'PS256';
    if (!(ALGORITHMS as readonly string[]).includes(algorithm))
      throw new UsageError(`--algorithm must be one of ${ALGORITHMS.join(', ')}`);
    const secret: NetsuiteSecret = {
      accountId: need(ctx, 'account-id', why),
      clientId: need(ctx, 'client-id', why),
      certificateId: need(ctx, 'certificate-id', why),
      privateKeyPem: readPemFile(ctx, 'private-key-file', why),
      certificatePem: readPemFile(ctx, 'certificate-file', why),
      algorithm: algorithm as NetsuiteSecret['algorithm'],
    };
    checkKeyPair(secret.privateKeyPem, secret.certificatePem, algorithm);
    const pins = pinsFrom(ctx, 'netsuite', secret.accountId);
    info = openVault(env, ctx.err).set(name, 'netsuite', secret, {
      accountId: secret.accountId,
      certificateId: secret.certificateId,
      algorithm,
      ...pins,
    });
  } else if (kind === 'anaplan') {
    const auth = need(ctx, 'auth', 'for Anaplan credentials (basic, certificate or oauth)');
    const pins = pinsFrom(ctx, 'anaplan');
    if (ctx.values.device === true && auth !== 'oauth') throw new UsageError('--device applies to --auth oauth only');
    let secret: AnaplanSecret;
    let meta: Record<string, string> = {};
    if (auth === 'basic') {
      const username = need(ctx, 'username', 'for --auth basic');
      secret = {
        type: 'basic',
        username,
        password: await secretFromEnvOrStdin(env, 'ANAPLAN_PASSWORD', deps, 'password'),
      };
      meta = { username };
    } else if (auth === 'certificate') {
      const why = 'for --auth certificate';
      secret = {
        type: 'certificate',
        certificatePem: readPemFile(ctx, 'certificate-file', why),
        privateKeyPem: readPemFile(ctx, 'private-key-file', why),
      };
      checkKeyPair(secret.privateKeyPem, secret.certificatePem);
    } else if (auth === 'oauth') {
      const clientId = need(ctx, 'client-id', 'for --auth oauth');
      secret =
        ctx.values.device === true
          ? await deviceGrant(ctx, clientId, pins)
          : {
              type: 'oauth',
              clientId,
              refreshToken: await secretFromEnvOrStdin(env, 'ANAPLAN_REFRESH_TOKEN', deps, 'refresh token'),
            };
    } else {
      throw new UsageError('--auth must be basic, certificate or oauth');
    }
    info = openVault(env, ctx.err).set(name, 'anaplan', secret, { ...meta, ...pins });
  } else {
    throw new UsageError('--kind must be netsuite or anaplan');
  }
  ctx.out(`✔ stored ${info.kind} credentials "${info.name}" (${info.authType}), pinned to ${describePins(info)}`);
  const warn = certificateMessage(info);
  if (warn) ctx.err(`⚠ ${warn}`);
  return 0;
}

/**
 * The OAuth device grant (RFC 8628; docs/anaplan.md §2.7) run from the terminal: the person approves
 * in a browser, the connector polls, and the refresh token (with the first access token) goes straight
 * into the vault — it is never printed, typed or piped. The OAuth host is the one pinned for these
 * credentials, so the grant happens with the same host the refresh token will later be sent to.
 */
async function deviceGrant(ctx: CommandContext, clientId: string, pins: CredentialMetadata): Promise<AnaplanSecret> {
  if (ctx.values['device-timeout'] !== undefined && !/^\d+$/.test(String(ctx.values['device-timeout'])))
    throw new UsageError('--device-timeout must be a whole number of seconds');
  const pinned = pins['pin.oauthUrl'];
  const oauthUrl = typeof pinned === 'string' ? pinned : ANAPLAN_DEFAULT_URLS.oauthUrl;
  const http = { transport: {} };
  const device = await startDeviceAuthorization({ oauthUrl, clientId, http });
  const where = device.verification_uri_complete ?? device.verification_uri;
  ctx.err(
    `To let ml-connector use Anaplan as you, open ${where} and enter the code ${device.user_code} (valid ${Math.max(1, Math.round(device.expires_in / 60))} min). Waiting for approval…`,
  );
  const limitMs = Math.min(device.expires_in * 1000, Number(ctx.values['device-timeout'] ?? Infinity) * 1000);
  const tokens = await pollDeviceToken({
    oauthUrl,
    clientId,
    device,
    http,
    signal: AbortSignal.timeout(Math.min(limitMs, 2 ** 31 - 1)),
  }).catch((e: unknown) => {
    if (e instanceof DOMException && e.name === 'TimeoutError')
      throw new UsageError(`the device code ${device.user_code} was not approved in time; run the command again`);
    throw e;
  });
  ctx.err('✔ approved');
  return {
    type: 'oauth',
    clientId,
    refreshToken: tokens.refreshToken,
    accessToken: tokens.accessToken,
    accessTokenExpiresAt: Math.floor(tokens.expiresAt),
  };
}

function runList(ctx: CommandContext, env: Env | undefined): number {
  const vault = openVaultIfExists(env, ctx);
  const items = vault ? vault.list() : [];
  const now = new Date();
  if (ctx.values.json === true) {
    ctx.out(
      JSON.stringify(
        items.map((i) => ({ ...i, pinnedTo: describePins(i), certificate: certificateStatus(i, now) })),
        null,
        2,
      ),
    );
    return 0;
  }
  if (items.length === 0) {
    ctx.out('no credentials stored');
    return 0;
  }
  ctx.out(
    formatTable(
      ['NAME', 'KIND', 'AUTH', 'CERTIFICATE EXPIRES', 'UPDATED', 'PINNED TO', 'DETAILS'],
      items.map((i) => {
        const s = certificateStatus(i, now);
        const cert =
          s.state === 'none'
            ? '—'
            : `${s.expiresAt!.slice(0, 10)}${s.state === 'expired' ? ' ✖ EXPIRED' : s.state === 'expiring' ? ` ⚠ ${s.daysLeft} days` : ''}`;
        const details = Object.entries(i.metadata)
          .filter(([k]) => !k.startsWith('pin.'))
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ');
        return [i.name, i.kind, i.authType, cert, i.updatedAt.slice(0, 19) + 'Z', describePins(i), details];
      }),
    ),
  );
  for (const i of items) {
    const m = certificateMessage(i, now);
    if (m) ctx.err(`⚠ ${m}`);
  }
  return 0;
}

/** list/remove/ping never create a key file: with no vault there is nothing to open. */
export function openVaultIfExists(env: Env | undefined, ctx: Pick<CommandContext, 'err'>): CredentialVault | undefined {
  return fs.existsSync(dataPaths(env).vaultFile) ? openVault(env, ctx.err) : undefined;
}

/**
 * Re-pins stored credentials to other hosts without re-entering the secret (e.g. entries stored
 * before pinning, or a Company URLs base URL). Taking the master key, like `set`, is what allows it.
 */
function runPin(ctx: CommandContext, env: Env | undefined): number {
  const name = need(ctx, 'name', 'for pin');
  const kind = need(ctx, 'kind', '(netsuite or anaplan)');
  if (kind !== 'netsuite' && kind !== 'anaplan') throw new UsageError('--kind must be netsuite or anaplan');
  const vault = openVaultIfExists(env, ctx);
  if (!vault?.info(name, kind)) {
    ctx.err(`no ${kind} credentials named "${name}"`);
    return 1;
  }
  const pins =
    kind === 'netsuite' ? pinsFrom(ctx, 'netsuite', vault.get(name, 'netsuite').accountId) : pinsFrom(ctx, 'anaplan');
  const info = vault.update(name, kind, {}, pins);
  ctx.out(`✔ ${kind} credentials "${name}" pinned to ${describePins(info)}`);
  return 0;
}

/** Host pins from --base-url (NetSuite) or --auth-url/--oauth-url/--api-url (Anaplan); production hosts by default. */
function pinsFrom(ctx: CommandContext, kind: CredentialKind, accountId?: string): CredentialMetadata {
  const other = kind === 'netsuite' ? ['auth-url', 'oauth-url', 'api-url'] : ['base-url'];
  for (const o of other) if (str(ctx, o)) throw new UsageError(`--${o} does not apply to ${kind} credentials`);
  try {
    if (kind === 'netsuite') return netsuitePins(accountId!, str(ctx, 'base-url'));
    return anaplanPins({ authUrl: str(ctx, 'auth-url'), oauthUrl: str(ctx, 'oauth-url'), apiUrl: str(ctx, 'api-url') });
  } catch (e) {
    if (e instanceof CredentialPinError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * The new master key: `--new-key-file F` (owner-only), else ML_CONNECTOR_NEW_MASTER_KEY, else — only
 * when the current key lives in a key file — a fresh random key. With a key file (the embedded
 * default `.data/master.key` included) the new key replaces it, so `npm start` and every process on
 * this host keep working; with ML_CONNECTOR_MASTER_KEY the operator moves the new key into the
 * secret manager, and workers still holding the old key get a clear "re-keyed" refusal.
 */
function newMasterKey(ctx: CommandContext, env: Env | undefined, fromKeyFile: boolean): Buffer {
  const file = str(ctx, 'new-key-file');
  try {
    if (file) {
      if (!fs.existsSync(file)) throw new UsageError(`--new-key-file: ${file} does not exist`);
      assertOwnerOnly(file);
      return parseKeyMaterial(fs.readFileSync(file, 'utf8'), `--new-key-file ${file}`);
    }
    const inline = keySettings(env).newMasterKey;
    if (inline !== undefined) return parseKeyMaterial(inline, 'ML_CONNECTOR_NEW_MASTER_KEY');
  } catch (e) {
    if (e instanceof KeyMaterialError) throw new UsageError(e.message);
    throw e;
  }
  if (!fromKeyFile) {
    throw new UsageError(
      'the vault key comes from ML_CONNECTOR_MASTER_KEY: give the new key with --new-key-file F (mode 0600) or ML_CONNECTOR_NEW_MASTER_KEY',
    );
  }
  return generateKey();
}

function runRotate(ctx: CommandContext, env: Env | undefined): number {
  const vault = openVaultIfExists(env, ctx);
  if (!vault) {
    ctx.err('no vault to re-key (nothing stored yet)');
    return 1;
  }
  const fromKeyFile = vault.keySource === 'file' || vault.keySource === 'created';
  const key = newMasterKey(ctx, env, fromKeyFile);
  const r = vault.rotateMasterKey(key, { keyFile: fromKeyFile ? vault.keyFile : undefined });
  ctx.out(
    `✔ re-encrypted ${r.records} credential record(s) under key id ${r.keyId} (vault version ${r.counter}); key id ${r.previousKeyId} is retired and refused from now on`,
  );
  if (r.keyFile)
    ctx.out(
      `  the key file ${r.keyFile} now holds the new key: back it up apart from the vault (old backups need the old key)`,
    );
  else ctx.out('  set ML_CONNECTOR_MASTER_KEY to the new key for every worker and CLI user');
  return 0;
}

function runAcceptRollback(ctx: CommandContext, env: Env | undefined): number {
  const vault = openVaultIfExists(env, ctx);
  if (!vault) {
    ctx.err('no vault to accept');
    return 1;
  }
  const r = vault.acceptRollback();
  const seen = r.lastSeen === undefined ? 'no version recorded before' : `version ${r.lastSeen} was seen before`;
  ctx.out(
    `✔ accepted vault ${vault.file} at version ${r.accepted} (${seen}); rewritten as version ${r.counter}, recorded in ${vault.stateFile}`,
  );
  return 0;
}

function runRemove(ctx: CommandContext, env: Env | undefined): number {
  const name = need(ctx, 'name', 'for remove');
  const kinds = str(ctx, 'kind') ? [need(ctx, 'kind', '')] : ['netsuite', 'anaplan'];
  for (const k of kinds)
    if (k !== 'netsuite' && k !== 'anaplan') throw new UsageError('--kind must be netsuite or anaplan');
  const vault = openVaultIfExists(env, ctx);
  const removed = vault ? kinds.filter((k) => vault.remove(name, k as CredentialKind)) : [];
  if (removed.length === 0) {
    ctx.err(`no credentials named "${name}"${str(ctx, 'kind') ? ` of kind ${kinds[0]}` : ''}`);
    return 1;
  }
  ctx.out(`✔ removed ${removed.join(' and ')} credentials "${name}"`);
  return 0;
}

export function createCredentialsCommand(deps: CredentialsDeps = {}): Command {
  return {
    name: 'credentials',
    summary: 'Manage encrypted credentials',
    usage: [
      'ml-connector credentials <set|list|pin|remove|rotate-master-key|accept-rollback> [...]',
      '  set --name N --kind netsuite --account-id A --client-id C --certificate-id K --private-key-file key.pem --certificate-file cert.pem [--algorithm PS256]',
      '  set --name N --kind anaplan --auth basic --username U          (password from ANAPLAN_PASSWORD or stdin)',
      '  set --name N --kind anaplan --auth certificate --certificate-file cert.pem --private-key-file key.pem',
      '  set --name N --kind anaplan --auth oauth --client-id C         (refresh token from ANAPLAN_REFRESH_TOKEN or stdin)',
      '  set --name N --kind anaplan --auth oauth --client-id C --device   (OAuth device grant: approve in a browser; the tokens go straight to the vault)',
      '  set … [--base-url U]  (NetSuite) / [--auth-url U] [--oauth-url U] [--api-url U]  (Anaplan): hosts the credentials may be sent to',
      '  pin --name N --kind netsuite|anaplan [--base-url U | --auth-url U --oauth-url U --api-url U]   (re-pin without re-entering the secret)',
      '  list [--json]',
      '  remove --name N [--kind netsuite|anaplan]',
      '  rotate-master-key [--new-key-file F]   (new key: F, ML_CONNECTOR_NEW_MASTER_KEY, or generated into the key file)',
      '  accept-rollback                         (accept a vault restored from an older copy, on purpose)',
    ].join('\n'),
    subcommands: {
      set: "Store a connection's credentials (keys read from files, secrets from env/stdin)",
      list: 'List stored connections (no secrets), with pinned hosts and certificate expiry',
      pin: 'Change the hosts stored credentials may be sent to (defaults: production hosts)',
      remove: "Remove a connection's credentials",
      'rotate-master-key': 'Re-encrypt the vault under a new master key; the old key is refused afterwards',
      'accept-rollback': 'Accept a vault file older than the last one seen (a deliberate restore)',
    },
    options: {
      name: { type: 'string', description: 'Credential (connection) name, referenced by the config' },
      kind: { type: 'string', description: 'netsuite | anaplan' },
      'account-id': { type: 'string', description: 'NetSuite account ID (e.g. 1234567_SB1)' },
      'client-id': { type: 'string', description: 'NetSuite integration consumer key / Anaplan OAuth client ID' },
      'certificate-id': { type: 'string', description: 'NetSuite M2M certificate ID' },
      'private-key-file': { type: 'string', description: 'PEM private key file' },
      'certificate-file': { type: 'string', description: 'PEM certificate file' },
      algorithm: { type: 'string', description: `NetSuite JWT algorithm (${ALGORITHMS.join(', ')}; default PS256)` },
      auth: { type: 'string', description: 'Anaplan: basic | certificate | oauth' },
      username: { type: 'string', description: 'Anaplan user (basic auth)' },
      'base-url': {
        type: 'string',
        description: 'NetSuite: pin to this base URL (Company URLs value or sandbox) instead of the account host',
      },
      'auth-url': { type: 'string', description: 'Anaplan: pin the auth host (default https://auth.anaplan.com)' },
      'oauth-url': {
        type: 'string',
        description: 'Anaplan: pin the OAuth host (default https://us1a.app.anaplan.com)',
      },
      'api-url': { type: 'string', description: 'Anaplan: pin the API host (default https://api.anaplan.com)' },
      device: {
        type: 'boolean',
        description:
          'Anaplan --auth oauth: run the device grant (prints a code to approve in a browser) instead of reading a refresh token',
      },
      'device-timeout': {
        type: 'string',
        description: 'with --device: give up after this many seconds (default: when the code expires)',
      },
      json: { type: 'boolean', description: 'list: JSON output' },
      'new-key-file': {
        type: 'string',
        description: 'rotate-master-key: file holding the new 32-byte key (hex or base64, mode 0600)',
      },
    },
    async run(ctx) {
      const env = deps.env;
      const [sub, ...extra] = ctx.positionals;
      if (extra.length)
        throw new UsageError(`unexpected arguments: ${extra.join(' ')} (secrets are never taken from argv)`);
      if (sub === 'set') return runSet(ctx, deps, env);
      if (sub === 'list') return runList(ctx, env);
      if (sub === 'remove') return runRemove(ctx, env);
      if (sub === 'pin') return runPin(ctx, env);
      if (sub === 'rotate-master-key') return runRotate(ctx, env);
      if (sub === 'accept-rollback') return runAcceptRollback(ctx, env);
      throw new UsageError('expected a sub-command: set, list, pin, remove, rotate-master-key or accept-rollback');
    },
  };
}

export const credentialsCommand = createCredentialsCommand();
