/**
 * `ml-connector ping` checks (issue 6 item 7): with the configured credentials, is each system
 * reachable, is the role allowed to do what a cycle does, and does the model fit the config?
 * Every check is one small, read-only call made with the same clients the worker uses, so the
 * answer holds for sandboxes and real hosts alike. Failures carry a hint that says what to change.
 * Messages come from the clients' redacted errors and never include secret values.
 */
import { randomBytes } from 'node:crypto';
import type { ConnectionConfig } from '../../common/config';
import { AnaplanClient, type AnaplanCredentials } from '../../activities/anaplan';
import { redactText } from '../../activities/http/redact';
import type { RetryPolicy } from '../../activities/http';
import {
  approvalSettingConflict,
  JOURNAL_PATH,
  NetSuiteClient,
  NetSuiteNotFoundError,
  NetSuitePermissionError,
  readJournalApprovalMode,
  type SigningAlgorithm,
} from '../../activities/netsuite';
import { neededActions } from '../../activities/cycle/anaplan-actions';
import {
  CredentialPinError,
  certificateStatus,
  checkAnaplanPins,
  checkNetsuitePin,
  vaultOAuthTokenStore,
  type AnaplanSecret,
  type CredentialInfo,
  type CredentialKind,
  type CredentialVault,
  type NetsuiteSecret,
} from '../../activities/store';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface PingCheck {
  id: string;
  system: 'netsuite' | 'anaplan';
  status: CheckStatus;
  /** What was checked and what was found. */
  message: string;
  /** What to change, for `fail` and `warn`. */
  hint?: string;
}

export interface PingReport {
  ok: boolean;
  checks: PingCheck[];
}

export interface PingVault {
  get(name: string, kind: 'netsuite'): NetsuiteSecret;
  get(name: string, kind: 'anaplan'): AnaplanSecret;
  info(name: string, kind: CredentialKind): CredentialInfo | undefined;
  /** Refreshes a rotating OAuth token under the vault lock, like the workers (issue 13 item 5). */
  exclusiveUpdate: CredentialVault['exclusiveUpdate'];
}

export interface PingOptions {
  /** A vault, or undefined when none exists yet (every credential check then fails with a hint). */
  vault: PingVault | undefined;
  now?: Date;
  /** Ping answers in seconds: few retries, short waits (the cycle's policy retries for minutes). */
  retryPolicy?: RetryPolicy;
  timeoutMs?: number;
}

const PING_RETRY: RetryPolicy = { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };

class Checklist {
  readonly checks: PingCheck[] = [];
  /** Secret values in play, removed from every message on top of the pattern-based redaction. */
  readonly secrets: string[] = [];
  add(system: PingCheck['system'], id: string, status: CheckStatus, message: string, hint?: string): boolean {
    this.checks.push({ id, system, status, message: redactText(message, this.secrets), ...(hint ? { hint } : {}) });
    return status === 'pass' || status === 'warn';
  }
  /** Marks checks that could not run because an earlier one failed. */
  skip(system: PingCheck['system'], ids: Array<[string, string]>, because: string): void {
    for (const [id, what] of ids) this.add(system, id, 'skip', `${what}: not checked (${because})`);
  }
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

function certificateCheck(
  list: Checklist,
  system: PingCheck['system'],
  label: string,
  info: CredentialInfo | undefined,
  now: Date,
): void {
  if (!info?.certificateExpiry) return;
  const s = certificateStatus(info, now);
  const day = s.expiresAt!.slice(0, 10);
  const fix = `create a new certificate, upload it (${system === 'netsuite' ? 'Setup > Integration > OAuth 2.0 Client Credentials (M2M) Setup' : 'Anaplan Administration > Certificates'}) and store it with \`ml-connector credentials set --name ${info.name} --kind ${info.kind} …\``;
  if (s.state === 'expired')
    list.add(system, `${system}.certificate`, 'fail', `${label} certificate expired on ${day}`, fix);
  else if (s.state === 'expiring')
    list.add(
      system,
      `${system}.certificate`,
      'warn',
      `${label} certificate expires in ${s.daysLeft} days (${day})`,
      fix,
    );
  else
    list.add(system, `${system}.certificate`, 'pass', `${label} certificate valid until ${day} (${s.daysLeft} days)`);
}

function readSecret<K extends CredentialKind>(
  list: Checklist,
  system: PingCheck['system'],
  vault: PingVault | undefined,
  name: string,
  kind: K,
): (K extends 'netsuite' ? NetsuiteSecret : AnaplanSecret) | undefined {
  const hint = `store it: ml-connector credentials set --name ${name} --kind ${kind} …   (then check ML_CONNECTOR_DATA_DIR / ML_CONNECTOR_MASTER_KEY point at the same vault)`;
  if (!vault) {
    list.add(system, `${system}.credentials`, 'fail', `credentials "${name}": no vault found`, hint);
    return undefined;
  }
  try {
    const secret = vault.get(name, kind as never) as K extends 'netsuite' ? NetsuiteSecret : AnaplanSecret;
    const held = secret as Partial<Record<'password' | 'refreshToken' | 'accessToken', string>>;
    for (const v of [held.password, held.refreshToken, held.accessToken]) if (v) list.secrets.push(v);
    list.add(system, `${system}.credentials`, 'pass', `credentials "${name}" found in the vault`);
    return secret;
  } catch (e) {
    list.add(system, `${system}.credentials`, 'fail', `credentials "${name}": ${errText(e)}`, hint);
    return undefined;
  }
}

async function pingNetSuite(config: ConnectionConfig, opts: PingOptions, list: Checklist, now: Date): Promise<void> {
  const name = config.netsuite.credentials;
  const secret = readSecret(list, 'netsuite', opts.vault, name, 'netsuite');
  const later: Array<[string, string]> = [
    ['netsuite.token', 'token request'],
    ['netsuite.suiteql', 'SuiteQL'],
    ['netsuite.journal-permission', 'journal permission'],
    ['netsuite.journal-approval', 'journal approval mode'],
  ];
  if (!secret) return list.skip('netsuite', later, 'no credentials');
  const info = opts.vault?.info(name, 'netsuite');
  certificateCheck(list, 'netsuite', 'NetSuite', info, now);
  // Host pin (issue 13 item 1): refused before a client exists, so nothing is sent anywhere.
  let target: { accountId: string; baseUrl: string };
  try {
    target = checkNetsuitePin(name, info, secret, config.netsuite);
    list.add(
      'netsuite',
      'netsuite.pin',
      'pass',
      `credentials "${name}" are pinned to ${new URL(target.baseUrl).origin}`,
    );
  } catch (e) {
    if (!(e instanceof CredentialPinError)) throw e;
    list.add(
      'netsuite',
      'netsuite.pin',
      'fail',
      `refused: ${e.message}`,
      `point ${e.field} at ${e.pinned ?? 'an https URL'}, or re-pin the credentials as the message says`,
    );
    return list.skip('netsuite', later, 'credentials not pinned to this host');
  }
  if (secret.accountId.toUpperCase() !== config.netsuite.accountId.toUpperCase()) {
    list.add(
      'netsuite',
      'netsuite.account',
      'warn',
      `credentials "${name}" were stored for account ${secret.accountId}, the config says ${config.netsuite.accountId} (the credentials' account is used)`,
      'make netsuite.accountId and the stored credentials name the same account',
    );
  }
  const client = new NetSuiteClient({
    accountId: target.accountId,
    baseUrl: target.baseUrl,
    credentials: {
      clientId: secret.clientId,
      certificateId: secret.certificateId,
      privateKeyPem: secret.privateKeyPem,
      algorithm: secret.algorithm as SigningAlgorithm,
    },
    retryPolicy: opts.retryPolicy ?? PING_RETRY,
    timeoutMs: opts.timeoutMs ?? 20_000,
    concurrency: 1,
  });
  try {
    await client.tokens.get();
    list.add(
      'netsuite',
      'netsuite.token',
      'pass',
      `token minted for account ${target.accountId} (client credentials, certificate ${secret.certificateId})`,
    );
  } catch (e) {
    list.add(
      'netsuite',
      'netsuite.token',
      'fail',
      `no token: ${errText(e)}`,
      'check the account ID, the integration record (client credentials grant, REST web services scope), that the certificate is uploaded in the M2M setup under this certificate ID, and the role mapped to it; Setup > Users/Roles > View Login Audit Trail shows the reason',
    );
    return list.skip('netsuite', later.slice(1), 'no token');
  }
  try {
    const page = await client.suiteqlPage('SELECT id FROM subsidiary', 1, 0);
    list.add(
      'netsuite',
      'netsuite.suiteql',
      'pass',
      `SuiteQL reachable (subsidiary query returned ${page.count ?? page.items?.length ?? 0} row)`,
    );
  } catch (e) {
    list.add(
      'netsuite',
      'netsuite.suiteql',
      'fail',
      `SuiteQL: ${errText(e)}`,
      'the role needs REST Web Services and SuiteAnalytics Workbook permissions, and Lists > Subsidiaries (view)',
    );
  }
  // A GET of an externalId that cannot exist: 404 means the role may read journal entries (it is
  // what the cycle's post step does first); 403 means it may not.
  const probe = `${JOURNAL_PATH}/eid:mlc-ping-${randomBytes(6).toString('hex')}`;
  try {
    await client.request('GET', probe);
    list.add('netsuite', 'netsuite.journal-permission', 'pass', 'journal entries readable');
  } catch (e) {
    if (e instanceof NetSuiteNotFoundError)
      list.add(
        'netsuite',
        'netsuite.journal-permission',
        'pass',
        'journal entries readable (probe answered 404 as expected)',
      );
    else if (e instanceof NetSuitePermissionError)
      list.add(
        'netsuite',
        'netsuite.journal-permission',
        'fail',
        `journal entries not allowed: ${errText(e)}`,
        'give the role Transactions > Make Journal Entry (full) and, to post approved journals, Journal Approval',
      );
    else
      list.add(
        'netsuite',
        'netsuite.journal-permission',
        'fail',
        `journal probe: ${errText(e)}`,
        'check the role’s Transactions > Make Journal Entry permission',
      );
  }
  // Approval routing (issue 12 item 4): the journal record's approval field, from the metadata catalog.
  try {
    const reading = await readJournalApprovalMode(client);
    const conflict = approvalSettingConflict(reading, config);
    const mode = reading.mode === 'routing' ? 'SuiteFlow approval routing (approvalStatus)' : 'the approved checkbox';
    if (conflict)
      list.add(
        'netsuite',
        'netsuite.journal-approval',
        'fail',
        conflict,
        `set journals.approvalRouting: ${reading.mode === 'routing'}`,
      );
    else if (reading.mode)
      list.add(
        'netsuite',
        'netsuite.journal-approval',
        'pass',
        `journal approval uses ${mode}, as journals.approvalRouting (${config.journals.approvalRouting}) says — ${reading.detail}`,
      );
    else
      list.add(
        'netsuite',
        'netsuite.journal-approval',
        'warn',
        `journal approval mode not known: ${reading.detail}`,
        `journals.approvalRouting (${config.journals.approvalRouting}) is used as configured: true only when Accounting Preferences > Approval Routing routes journal entries through SuiteFlow`,
      );
  } catch (e) {
    list.add(
      'netsuite',
      'netsuite.journal-approval',
      'warn',
      `journal approval mode not read: ${errText(e)}`,
      'journals.approvalRouting is used as configured',
    );
  }
}

function anaplanCredentials(secret: AnaplanSecret, vault: PingVault | undefined, name: string): AnaplanCredentials {
  if (secret.type === 'basic') return { kind: 'basic', email: secret.username, password: secret.password };
  if (secret.type === 'certificate')
    return { kind: 'certificate', certificatePem: secret.certificatePem, privateKeyPem: secret.privateKeyPem };
  // Rotated refresh tokens are single use and workers may be refreshing the same one right now:
  // ping takes its turn under the vault lock like they do.
  return {
    kind: 'refresh-token',
    clientId: secret.clientId,
    refreshToken: secret.refreshToken,
    accessToken: secret.accessToken,
    accessTokenExpiresAt: secret.accessTokenExpiresAt,
    store: vault && vaultOAuthTokenStore(vault, name),
  };
}

/** Exact match, else a hint when the same ID/name exists in another letter case. */
function findCased<T>(items: T[], key: (i: T) => string[], wanted: string): { exact?: T; cased?: T } {
  const exact = items.find((i) => key(i).includes(wanted));
  if (exact) return { exact };
  return { cased: items.find((i) => key(i).some((k) => k.toLowerCase() === wanted.toLowerCase())) };
}

async function pingAnaplan(config: ConnectionConfig, opts: PingOptions, list: Checklist, now: Date): Promise<void> {
  const a = config.anaplan;
  const secret = readSecret(list, 'anaplan', opts.vault, a.credentials, 'anaplan');
  const later: Array<[string, string]> = [
    ['anaplan.token', 'token request'],
    ['anaplan.workspace', 'workspace'],
    ['anaplan.model', 'model'],
    ['anaplan.actions', 'import/export actions'],
    ['anaplan.lists', 'lists'],
  ];
  if (!secret) return list.skip('anaplan', later, 'no credentials');
  const info = opts.vault?.info(a.credentials, 'anaplan');
  certificateCheck(list, 'anaplan', 'Anaplan', info, now);
  try {
    checkAnaplanPins(a.credentials, info, a);
    list.add(
      'anaplan',
      'anaplan.pin',
      'pass',
      `credentials "${a.credentials}" are pinned to ${[...new Set([a.authUrl, a.oauthUrl, a.apiUrl].map((u) => new URL(u).origin))].join(', ')}`,
    );
  } catch (e) {
    if (!(e instanceof CredentialPinError)) throw e;
    list.add(
      'anaplan',
      'anaplan.pin',
      'fail',
      `refused: ${e.message}`,
      `point ${e.field} at ${e.pinned ?? 'an https URL'}, or re-pin the credentials as the message says`,
    );
    return list.skip('anaplan', later, 'credentials not pinned to these hosts');
  }
  const creds = anaplanCredentials(secret, opts.vault, a.credentials);
  const client = new AnaplanClient({
    authUrl: a.authUrl,
    oauthUrl: a.oauthUrl,
    apiUrl: a.apiUrl,
    workspaceId: a.workspaceId,
    modelId: a.modelId,
    credentials: creds,
    retryPolicy: opts.retryPolicy ?? PING_RETRY,
    timeoutMs: opts.timeoutMs ?? 20_000,
  });
  try {
    try {
      await client.tokens.token();
      list.add('anaplan', 'anaplan.token', 'pass', `token obtained (${secret.type} authentication)`);
    } catch (e) {
      list.add(
        'anaplan',
        'anaplan.token',
        'fail',
        `no token: ${errText(e)}`,
        secret.type === 'oauth'
          ? 'the refresh token may be expired or already used: run the device grant again and store the new token with `ml-connector credentials set --auth oauth`'
          : `check the ${secret.type === 'basic' ? 'user name and password' : 'certificate and key'} stored under "${a.credentials}", and that the user is not locked or SSO-only`,
      );
      return list.skip('anaplan', later.slice(1), 'no token');
    }
    const workspaces = await client.workspaces();
    const ws = findCased(workspaces, (w) => [w.id, w.name], a.workspaceId);
    if (ws.exact) list.add('anaplan', 'anaplan.workspace', 'pass', `workspace ${a.workspaceId} found`);
    else {
      const hint = ws.cased
        ? `IDs are case-sensitive: set anaplan.workspaceId to ${ws.cased.id}`
        : `set anaplan.workspaceId to one of: ${workspaces.map((w) => `${w.id} (${w.name})`).join(', ') || 'none visible to this user'}`;
      list.add(
        'anaplan',
        'anaplan.workspace',
        'fail',
        `workspace ${a.workspaceId} not found${ws.cased ? ` (it exists as ${ws.cased.id})` : ''}`,
        hint,
      );
      return list.skip('anaplan', later.slice(2), 'no workspace');
    }
    const models = await client.models();
    const m = findCased(models, (x) => [x.id], a.modelId);
    if (m.exact)
      list.add(
        'anaplan',
        'anaplan.model',
        'pass',
        `model ${a.modelId}${m.exact.name ? ` (${m.exact.name})` : ''} found`,
      );
    else {
      const hint = m.cased
        ? `model IDs are case-sensitive: set anaplan.modelId to ${m.cased.id}`
        : `set anaplan.modelId to one of: ${models.map((x) => `${x.id} (${x.name})`).join(', ') || 'none in this workspace'}`;
      list.add(
        'anaplan',
        'anaplan.model',
        'fail',
        `model ${a.modelId} not found in workspace ${a.workspaceId}${m.cased ? ` (it exists as ${m.cased.id})` : ''}`,
        hint,
      );
      return list.skip('anaplan', later.slice(3), 'no model');
    }
    await checkActions(config, client, list);
    await checkLists(config, client, list);
  } finally {
    await client.close?.().catch(() => undefined);
  }
}

async function checkActions(config: ConnectionConfig, client: AnaplanClient, list: Checklist): Promise<void> {
  const [imports, exports] = await Promise.all([client.imports(), client.exports()]);
  for (const need of neededActions(config)) {
    const id = `anaplan.${need.kind}:${need.name}`;
    const pool = need.kind === 'import' ? imports : exports;
    const found = findCased(pool, (x) => [x.id, x.name], need.name);
    if (!found.exact) {
      const hint = found.cased
        ? `names are matched exactly: set ${need.where} to "${found.cased.name}"`
        : `create the ${need.kind} in the model, or set ${need.where} to one of: ${pool.map((x) => `"${x.name}"`).join(', ') || `none (the model has no ${need.kind}s)`}`;
      list.add(
        'anaplan',
        id,
        'fail',
        `${need.kind} action "${need.name}" (${need.where}) not found in model ${config.anaplan.modelId}`,
        hint,
      );
      continue;
    }
    let headers: string[] | undefined;
    try {
      headers =
        need.kind === 'import'
          ? (await client.importMetadata(found.exact.id)).source?.headerNames
          : (await client.exportMetadata(found.exact.id)).headerNames;
    } catch (e) {
      list.add(
        'anaplan',
        id,
        'warn',
        `${need.kind} action "${need.name}" exists; its columns could not be read (${errText(e)})`,
      );
      continue;
    }
    if (!headers?.length) {
      list.add(
        'anaplan',
        id,
        'pass',
        `${need.kind} action "${need.name}" exists (its definition does not list columns)`,
      );
      continue;
    }
    const missing = need.columns.filter((c) => !headers.includes(c));
    if (missing.length) {
      list.add(
        'anaplan',
        id,
        'fail',
        `${need.kind} action "${need.name}" (${need.where}) lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it has ${headers.join(', ')})`,
        `the connector ${need.kind === 'import' ? 'sends' : 'reads'} ${need.columns.join(',')}: map these columns in the action's definition`,
      );
    } else {
      list.add(
        'anaplan',
        id,
        'pass',
        `${need.kind} action "${need.name}" exists with columns ${need.columns.join(',')}`,
      );
    }
  }
}

async function checkLists(config: ConnectionConfig, client: AnaplanClient, list: Checklist): Promise<void> {
  const lists = await client.lists();
  for (const [dim, d] of Object.entries(config.dimensions)) {
    const found = findCased(lists, (x) => [x.name, x.id], d.list);
    if (found.exact) {
      // Which hierarchy shape the list has (docs/anaplan.md §16): composite (parents in a parent list),
      // parents in the same list, or flat — and whether the config loads it that way.
      const meta = await client.listMetadata(found.exact.id);
      const shape = meta.parent
        ? `composite hierarchy, parents in list "${meta.parent.name}"`
        : (await client.listItems(found.exact.id)).some((i) => i.parentId)
          ? 'parents in the same list'
          : 'flat list';
      if (meta.parent && d.parentList !== meta.parent.name)
        list.add(
          'anaplan',
          `anaplan.list:${d.list}`,
          'fail',
          `list "${d.list}" (dimensions.${dim}) exists: ${shape}, but dimensions.${dim}.parentList is ${d.parentList ? `"${d.parentList}"` : 'not set'}`,
          `set dimensions.${dim}.parentList to "${meta.parent.name}" (and parentImportAction to its import) so parents load there first; a Parent outside it is refused as "invalid parent"`,
        );
      else if (!meta.parent && d.parentList)
        list.add(
          'anaplan',
          `anaplan.list:${d.list}`,
          'fail',
          `list "${d.list}" (dimensions.${dim}) exists: ${shape}, but dimensions.${dim}.parentList names "${d.parentList}"`,
          `remove dimensions.${dim}.parentList: the list keeps its parents itself (or none)`,
        );
      else
        list.add('anaplan', `anaplan.list:${d.list}`, 'pass', `list "${d.list}" (dimensions.${dim}) exists: ${shape}`);
    } else {
      list.add(
        'anaplan',
        `anaplan.list:${d.list}`,
        'fail',
        `list "${d.list}" (dimensions.${dim}.list) not found in model ${config.anaplan.modelId}`,
        found.cased
          ? `names are matched exactly: set dimensions.${dim}.list to "${found.cased.name}"`
          : `create the list or set dimensions.${dim}.list to one of: ${lists.map((x) => `"${x.name}"`).join(', ')}`,
      );
    }
  }
}

/** Runs every check for one connection; never throws for a failed check, only for a bug. */
export async function pingConnection(config: ConnectionConfig, opts: PingOptions): Promise<PingReport> {
  const now = opts.now ?? new Date();
  const list = new Checklist();
  const guard = async (system: PingCheck['system'], fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      list.add(
        system,
        `${system}.error`,
        'fail',
        errText(e),
        'see the message; rerun with the same config after fixing it',
      );
    }
  };
  await Promise.all([
    guard('netsuite', () => pingNetSuite(config, opts, list, now)),
    guard('anaplan', () => pingAnaplan(config, opts, list, now)),
  ]);
  const order = (c: PingCheck) => (c.system === 'netsuite' ? 0 : 1);
  const checks = list.checks
    .map((c, i) => ({ c, i }))
    .sort((x, y) => order(x.c) - order(y.c) || x.i - y.i)
    .map((x) => x.c);
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}
