/**
 * Resolves a connection config to live system ports, inside the worker only. Credentials come from
 * the encrypted vault by name; clients are cached per connection so tokens are reused for their
 * whole lifetime (NetSuite 60 min, Anaplan 35 min), never minted per call or per activity.
 */
import { createHash } from 'node:crypto';
import type { ConnectionConfig } from '../../common/config';
import { AnaplanClient, createAnaplanPort, type AnaplanCredentials } from '../anaplan';
import { ConcurrencyLimiter, type CallObserver } from '../http';
import { NetSuiteClient } from '../netsuite';
import {
  CredentialPinError,
  checkAnaplanPins,
  checkNetsuitePin,
  vaultOAuthTokenStore,
  type CredentialVault,
} from '../store';
import { nonRetryable } from './context';
import { netsuitePort } from './netsuite-port';
import type { Ports } from './ports';

export interface PortsResolverOptions {
  vault: CredentialVault;
  observer?: CallObserver;
}

export interface PortsResolver {
  (config: ConnectionConfig): Promise<Ports>;
  /** Tokens minted so far per system (for tests and the benchmark's "no token per call" check). */
  close(): Promise<void>;
}

export function createPortsResolver(opts: PortsResolverOptions): PortsResolver {
  const cache = new Map<string, Promise<Ports & { close(): Promise<void> }>>();
  // One in-flight cap per NetSuite account, whatever the number of connections (models) using it:
  // the account's governance limit is shared (docs/netsuite.md §6.2).
  const limiters = new Map<string, ConcurrencyLimiter>();
  const limiterFor = (config: ConnectionConfig) => {
    const key = (config.netsuite.baseUrl ?? config.netsuite.accountId).toLowerCase();
    let l = limiters.get(key);
    if (!l) limiters.set(key, (l = new ConcurrencyLimiter(config.netsuite.concurrency)));
    return l;
  };
  const resolve = (async (config: ConnectionConfig) => {
    const key = createHash('sha256')
      .update(JSON.stringify([config.name, config.netsuite, config.anaplan]))
      .digest('hex');
    let entry = cache.get(key);
    if (!entry) {
      entry = build(config, opts, limiterFor(config));
      cache.set(key, entry);
      entry.catch(() => cache.delete(key));
    }
    return entry;
  }) as unknown as PortsResolver;
  resolve.close = async () => {
    for (const e of cache.values()) await (await e.catch(() => undefined))?.close();
    cache.clear();
  };
  return resolve;
}

async function build(
  config: ConnectionConfig,
  opts: PortsResolverOptions,
  limiter: ConcurrencyLimiter,
): Promise<Ports & { close(): Promise<void> }> {
  const ns = opts.vault.get(config.netsuite.credentials, 'netsuite');
  const ap = opts.vault.get(config.anaplan.credentials, 'anaplan');
  // Host pins (issue 13 item 1): checked before any client exists, so a config pointing elsewhere
  // never receives a request; the NetSuite account ID is the credential's own, not the config's.
  const target = pinnedTargets(opts.vault, config, ns);
  const netsuite = new NetSuiteClient({
    accountId: target.accountId,
    baseUrl: target.baseUrl,
    credentials: {
      clientId: ns.clientId,
      certificateId: ns.certificateId,
      privateKeyPem: ns.privateKeyPem,
      algorithm: ns.algorithm as never,
    },
    limiter,
    observer: opts.observer,
  });
  let credentials: AnaplanCredentials;
  if (ap.type === 'basic') credentials = { kind: 'basic', email: ap.username, password: ap.password };
  else if (ap.type === 'certificate')
    credentials = { kind: 'certificate', certificatePem: ap.certificatePem, privateKeyPem: ap.privateKeyPem };
  else {
    credentials = {
      kind: 'refresh-token',
      clientId: ap.clientId,
      refreshToken: ap.refreshToken,
      accessToken: ap.accessToken,
      accessTokenExpiresAt: ap.accessTokenExpiresAt,
      // Rotated refresh tokens are single use and other workers and `ping` hold the same credential:
      // refresh under the vault lock, adopting what they stored, saving before use (issue 13 item 5).
      store: vaultOAuthTokenStore(opts.vault, config.anaplan.credentials),
    };
  }
  const anaplanClient = new AnaplanClient({
    authUrl: config.anaplan.authUrl,
    oauthUrl: config.anaplan.oauthUrl,
    apiUrl: config.anaplan.apiUrl,
    workspaceId: config.anaplan.workspaceId,
    modelId: config.anaplan.modelId,
    credentials,
    requestsPerMinute: config.anaplan.requestsPerMinute,
    observer: opts.observer,
  });
  const anaplan = createAnaplanPort(anaplanClient, {
    chunkSizeBytes: Math.round(config.anaplan.chunkSizeMb * 1024 * 1024),
    poll: { initialMs: config.anaplan.pollInitialMs, factor: 1.5, maxMs: config.anaplan.pollMaxMs },
  });
  return {
    netsuite: netsuitePort(netsuite, ns.certificatePem),
    anaplan,
    close: async () => {
      await anaplanClient.close?.().catch(() => undefined);
    },
  };
}

/** The pin check of both credentials; a refusal is non-retryable (retrying cannot change the config). */
function pinnedTargets(
  vault: CredentialVault,
  config: ConnectionConfig,
  ns: { accountId: string },
): { accountId: string; baseUrl: string } {
  const n = config.netsuite;
  const a = config.anaplan;
  try {
    const target = checkNetsuitePin(n.credentials, vault.info(n.credentials, 'netsuite'), ns, n);
    checkAnaplanPins(a.credentials, vault.info(a.credentials, 'anaplan'), a);
    return target;
  } catch (e) {
    if (e instanceof CredentialPinError)
      throw nonRetryable(`connection ${config.name}: ${e.message}`, {
        field: e.field,
        configured: e.configured,
        pinned: e.pinned,
      });
    throw e;
  }
}
