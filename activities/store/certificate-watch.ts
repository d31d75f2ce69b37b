/**
 * Certificate watch (issue 6 item 6): expiry of the certificates stored in the vault (NetSuite M2M,
 * Anaplan CA certificate), read from the record's non-secret facts, so no secret is decrypted.
 * Used by `credentials list`, `ping` and the worker's start-up log.
 */
import type { CredentialInfo } from './vault-types';

export const CERTIFICATE_WARN_DAYS = 30;

export interface CertificateStatus {
  state: 'ok' | 'expiring' | 'expired' | 'none';
  expiresAt?: string;
  /** Whole days left (negative once expired). */
  daysLeft?: number;
}

/** `expiring` within `warnDays` (default 30), `expired` after validTo. */
export function certificateStatus(
  info: Pick<CredentialInfo, 'certificateExpiry'>,
  now = new Date(),
  warnDays = CERTIFICATE_WARN_DAYS,
): CertificateStatus {
  if (!info.certificateExpiry) return { state: 'none' };
  const ms = Date.parse(info.certificateExpiry) - now.getTime();
  const daysLeft = Math.floor(ms / 86_400_000);
  return {
    state: ms <= 0 ? 'expired' : ms <= warnDays * 86_400_000 ? 'expiring' : 'ok',
    expiresAt: info.certificateExpiry,
    daysLeft,
  };
}

const SYSTEM: Record<string, string> = { netsuite: 'NetSuite', anaplan: 'Anaplan' };

/** One line per expired or soon-expiring stored certificate; empty when all are fine. */
export function certificateMessage(
  info: CredentialInfo,
  now = new Date(),
  warnDays = CERTIFICATE_WARN_DAYS,
): string | undefined {
  const s = certificateStatus(info, now, warnDays);
  const what = `${SYSTEM[info.kind] ?? info.kind} certificate of credentials "${info.name}"`;
  const day = s.expiresAt?.slice(0, 10);
  const fix = `store a renewed certificate with \`ml-connector credentials set --name ${info.name} --kind ${info.kind} …\``;
  if (s.state === 'expired') return `${what} expired on ${day}: cycles using it stop in preflight; ${fix}`;
  if (s.state === 'expiring')
    return `${what} expires in ${s.daysLeft} day${s.daysLeft === 1 ? '' : 's'} (${day}); ${fix}`;
  return undefined;
}

/**
 * Warnings for the worker log at start-up: `for (const w of certificateWarnings(stores.vault)) log(w)`.
 * Reads only the vault's plain-text record facts (no decryption).
 */
export function certificateWarnings(
  vault: { list(): CredentialInfo[] },
  opts: { now?: Date; warnDays?: number } = {},
): string[] {
  const out: string[] = [];
  for (const info of vault.list()) {
    const m = certificateMessage(info, opts.now ?? new Date(), opts.warnDays);
    if (m) out.push(m);
  }
  return out;
}
