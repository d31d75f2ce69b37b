/**
 * Host pins of stored credentials (issue 13 item 1). A vault entry records where its secret may be
 * sent; the connector refuses, before any secret leaves the process, a connection config whose
 * endpoints differ. Without pins, anyone who can edit a config file or start a workflow (the config
 * travels in the workflow's arguments) could point `anaplan.authUrl` at their own host and receive
 * the stored password, or a signed NetSuite assertion.
 *
 * Pins are kept in the record's metadata (`pin.*` keys): plain text, so `credentials list` shows them
 * without the master key, and bound to the sealed secret by the AES-GCM associated data
 * (vault-crypto.ts), so editing them outside ml-connector makes the record fail authentication.
 *
 * Entries stored before pinning have no `pin.*` keys: they are treated as pinned to the production
 * hosts (NetSuite: the host of the credential's own account ID; Anaplan: the public hosts), which is
 * the safe reading; the refusal says how to re-pin.
 */
import { ANAPLAN_DEFAULT_URLS } from '../anaplan/client';
import { accountIdToBaseUrl } from '../netsuite/client';
import { StoreError } from './errors';
import type { CredentialInfo, CredentialMetadata, NetsuiteSecret } from './vault-types';

export const PIN_KEYS = {
  netsuiteBaseUrl: 'pin.baseUrl',
  authUrl: 'pin.authUrl',
  oauthUrl: 'pin.oauthUrl',
  apiUrl: 'pin.apiUrl',
} as const;

export type AnaplanHost = 'authUrl' | 'oauthUrl' | 'apiUrl';
export type AnaplanHosts = Record<AnaplanHost, string>;
export const ANAPLAN_HOSTS: readonly AnaplanHost[] = ['authUrl', 'oauthUrl', 'apiUrl'];

/** A config endpoint differs from the hosts the credential is pinned to, or is not https. */
export class CredentialPinError extends StoreError {
  constructor(
    message: string,
    /** Config field at fault, e.g. `anaplan.authUrl`. */
    readonly field: string,
    readonly configured: string,
    readonly pinned?: string,
  ) {
    super(message);
  }
}

/** 127.0.0.0/8, ::1 and localhost: the sandboxes run there, so plain http is allowed for them only. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The origin (scheme, host, port) a URL sends to, the unit a pin is compared in: a path prefix on
 * the same host reaches the same server. https is required except on loopback addresses.
 */
export function pinOrigin(url: string, field: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CredentialPinError(`${field}: ${JSON.stringify(url)} is not a URL`, field, url);
  }
  if (u.username || u.password)
    throw new CredentialPinError(`${field}: URLs with user info are not accepted`, field, u.host);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) {
    throw new CredentialPinError(
      `${field}: ${u.origin} must use https (plain http is accepted only for loopback addresses, i.e. the sandboxes); credentials are never sent there`,
      field,
      u.origin,
    );
  }
  return u.origin;
}

/** Metadata pinning NetSuite credentials to an explicit base URL, else to their account's production host. */
export function netsuitePins(accountId: string, baseUrl?: string): CredentialMetadata {
  return {
    [PIN_KEYS.netsuiteBaseUrl]: pinOrigin(
      baseUrl ?? accountIdToBaseUrl(accountId),
      baseUrl ? '--base-url' : '--account-id',
    ),
  };
}

/** Metadata pinning Anaplan credentials to its three hosts; each defaults to the production host. */
export function anaplanPins(hosts: Partial<AnaplanHosts> = {}): CredentialMetadata {
  const flag: Record<AnaplanHost, string> = { authUrl: '--auth-url', oauthUrl: '--oauth-url', apiUrl: '--api-url' };
  return Object.fromEntries(
    ANAPLAN_HOSTS.map((h) => [PIN_KEYS[h], pinOrigin(hosts[h] ?? ANAPLAN_DEFAULT_URLS[h], flag[h])]),
  );
}

const pinned = (info: CredentialInfo | undefined, key: string): string | undefined => {
  const v = info?.metadata[key];
  return typeof v === 'string' && v ? v : undefined;
};

/** Hosts a record may be sent to, for `credentials list`; legacy entries say what they are treated as. */
export function describePins(info: CredentialInfo): string {
  if (info.kind === 'netsuite') {
    const base = pinned(info, PIN_KEYS.netsuiteBaseUrl);
    if (base) return base;
    const account = typeof info.metadata.accountId === 'string' ? info.metadata.accountId : undefined;
    return `(not pinned: treated as ${account ? accountIdToBaseUrl(account) : "its account's production host"})`;
  }
  const hosts = ANAPLAN_HOSTS.map((h) => pinned(info, PIN_KEYS[h]));
  if (hosts.every((h) => !h)) return '(not pinned: treated as the production hosts)';
  return [...new Set(hosts.map((h, i) => h ?? ANAPLAN_DEFAULT_URLS[ANAPLAN_HOSTS[i]]))].join(' ');
}

function refuse(field: string, configured: string, pin: string, name: string, legacy: boolean, repin: string): never {
  throw new CredentialPinError(
    `${field} points at ${configured}, but credentials "${name}" are pinned to ${pin}${legacy ? ' (stored before host pinning, so treated as pinned to the production host)' : ''}; ` +
      `refusing to send them there. If ${configured} is really where they belong, re-pin them: ${repin}`,
    field,
    configured,
    pin,
  );
}

/**
 * Where the NetSuite credentials may be used for this config: the credential's own account ID and
 * the configured (or account-derived) base URL, once it matches the pin. Throws CredentialPinError.
 */
export function checkNetsuitePin(
  name: string,
  info: CredentialInfo | undefined,
  secret: Pick<NetsuiteSecret, 'accountId'>,
  config: { accountId: string; baseUrl?: string },
): { accountId: string; baseUrl: string } {
  const field = config.baseUrl ? 'netsuite.baseUrl' : 'netsuite.accountId';
  const baseUrl = config.baseUrl ?? accountIdToBaseUrl(config.accountId);
  const configured = pinOrigin(baseUrl, field);
  const explicit = pinned(info, PIN_KEYS.netsuiteBaseUrl);
  const pin = explicit ?? pinOrigin(accountIdToBaseUrl(secret.accountId), `credentials "${name}"`);
  if (configured !== pin) {
    refuse(
      field,
      configured,
      pin,
      name,
      !explicit,
      `ml-connector credentials pin --name ${name} --kind netsuite --base-url ${configured}`,
    );
  }
  return { accountId: secret.accountId, baseUrl };
}

/** Refuses an Anaplan config whose auth, OAuth or API host differs from the credential's pins. */
export function checkAnaplanPins(name: string, info: CredentialInfo | undefined, config: AnaplanHosts): void {
  const legacy = ANAPLAN_HOSTS.every((h) => !pinned(info, PIN_KEYS[h]));
  const configured = Object.fromEntries(
    ANAPLAN_HOSTS.map((h) => [h, pinOrigin(config[h], `anaplan.${h}`)]),
  ) as AnaplanHosts;
  for (const h of ANAPLAN_HOSTS) {
    const pin = pinned(info, PIN_KEYS[h]) ?? new URL(ANAPLAN_DEFAULT_URLS[h]).origin;
    if (configured[h] !== pin) {
      const flags = `--auth-url ${configured.authUrl} --oauth-url ${configured.oauthUrl} --api-url ${configured.apiUrl}`;
      refuse(
        `anaplan.${h}`,
        configured[h],
        pin,
        name,
        legacy,
        `ml-connector credentials pin --name ${name} --kind anaplan ${flags}`,
      );
    }
  }
}
