/**
 * Control plane under /__sandbox/ (not part of NetSuite; never governed, never authenticated):
 * reset, M2M mappings, journals written, statistics, faults, period close/reopen, read-only SQL and
 * the login audit trail. Documented in sandbox/netsuite/README.md.
 */
import { MappingError } from './auth';
import { listApiJournals } from './journal-store';
import { journalSwitches, setJournalSwitches } from './journals';
import type { SandboxResponse } from './errors';
import type { ApiRequest } from './routes';
import type { NetSuiteSandbox } from './server';
import { parseOverLimit, type FaultSpec } from './governance';

const json = (status: number, body: unknown): SandboxResponse => ({ status, body });
const bad = (message: string) => json(400, { error: message });

export async function handleControl(sb: NetSuiteSandbox, req: ApiRequest): Promise<SandboxResponse> {
  const path = req.url.pathname.replace(/\/+$/, '');
  const m = req.method;
  let body: Record<string, unknown> = {};
  if (req.body.length > 0) {
    try {
      body = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return bad('body must be JSON');
    }
  }
  if (m === 'POST' && path === '/__sandbox/reset') {
    sb.reset();
    setJournalSwitches(sb.state, {}, true);
    return json(200, { ok: true });
  }
  if (path === '/__sandbox/m2m-mappings') {
    if (m === 'GET') return json(200, [...sb.auth.mappings.values()].map(({ clientId, certificateId, notBefore, notAfter, revoked }) => ({ clientId, certificateId, notBefore, notAfter, revoked })));
    if (m === 'POST') {
      try {
        const mp = sb.auth.register(String(body.clientId ?? ''), String(body.certificateId ?? ''), String(body.certificatePem ?? ''));
        return json(201, { clientId: mp.clientId, certificateId: mp.certificateId, notAfter: mp.notAfter });
      } catch (err) {
        if (err instanceof MappingError) return bad(err.message);
        throw err;
      }
    }
  }
  const revoke = /^\/__sandbox\/m2m-mappings\/([^/]+)\/revoke$/.exec(path);
  if (m === 'POST' && revoke) return sb.auth.revokeMapping(decodeURIComponent(revoke[1]!)) ? json(200, { revoked: true }) : json(404, { error: 'no such mapping' });
  if (m === 'POST' && path === '/__sandbox/tokens/revoke') return json(200, { revoked: sb.auth.revokeAllTokens() });
  if (m === 'GET' && path === '/__sandbox/journals') return json(200, listApiJournals(sb.state, Number(req.url.searchParams.get('limit') ?? 1000)));
  if (m === 'GET' && path === '/__sandbox/stats') return json(200, { ...sb.stats.snapshot(), tokensIssued: sb.auth.tokensIssued });
  if (m === 'POST' && path === '/__sandbox/stats/reset') {
    sb.stats.reset();
    return json(200, { ok: true });
  }
  if (path === '/__sandbox/faults') {
    if (m === 'GET') return json(200, sb.faults.list());
    if (m === 'DELETE') {
      sb.faults.clear();
      return json(200, { ok: true });
    }
    if (m === 'POST') {
      try {
        return json(201, { id: sb.faults.add(body as unknown as FaultSpec) });
      } catch (err) {
        return bad((err as Error).message);
      }
    }
  }
  const period = /^\/__sandbox\/periods\/(\d+)\/(close|reopen)$/.exec(path);
  if (m === 'POST' && period) {
    return sb.state.setPeriodClosed(Number(period[1]), period[2] === 'close') ? json(200, { id: Number(period[1]), closed: period[2] === 'close' }) : json(404, { error: 'no such period' });
  }
  // Locks without closing (reference §8.2): body {"all": true} locks all transactions, {"ap"|"ar": …} one subledger.
  const lock = /^\/__sandbox\/periods\/(\d+)\/(lock|unlock)$/.exec(path);
  if (m === 'POST' && lock) {
    const on = lock[2] === 'lock';
    const given = ['all', 'ap', 'ar'].filter((k) => body[k] !== undefined);
    const locks = given.length ? Object.fromEntries(given.map((k) => [k, on && body[k] === true])) : { all: on, ap: on, ar: on };
    return sb.state.setPeriodLocks(Number(lock[1]), locks) ? json(200, { id: Number(lock[1]), ...locks }) : json(404, { error: 'no such period' });
  }
  if (m === 'POST' && path === '/__sandbox/sql') {
    try {
      return json(200, sb.state.readOnlyQuery(String(body.sql ?? '')));
    } catch (err) {
      return bad((err as Error).message);
    }
  }
  if (path === '/__sandbox/journal-switches') {
    if (m === 'GET') return json(200, journalSwitches(sb.state));
    if (m === 'POST') {
      try {
        const { reset, ...patch } = body;
        return json(200, setJournalSwitches(sb.state, patch, reset === true));
      } catch (err) {
        return bad((err as Error).message);
      }
    }
  }
  if (m === 'GET' && path === '/__sandbox/login-audit') return json(200, sb.auth.audit);
  if (path === '/__sandbox/config') {
    if (m === 'POST') {
      try {
        sb.overLimit = parseOverLimit({ response: body.overLimitResponse, delayMs: body.overLimitDelayMs }, sb.overLimit);
      } catch (err) {
        return bad((err as Error).message);
      }
      if (body.tokenLifetimeSec !== undefined) sb.auth.tokenLifetimeSec = Number(body.tokenLifetimeSec);
      if (body.concurrencyLimit !== undefined) sb.setConcurrencyLimit(Number(body.concurrencyLimit));
      if (body.pageLatencyMs !== undefined) sb.api.pageLatencyMs = Number(body.pageLatencyMs);
    }
    if (m === 'GET' || m === 'POST') return json(200, { accountId: sb.accountId, tokenLifetimeSec: sb.auth.tokenLifetimeSec, concurrencyLimit: sb.api.concurrencyLimit, pageLatencyMs: sb.api.pageLatencyMs, dateFormat: sb.state.dateFormat, multiBook: sb.state.multiBook, overLimitResponse: sb.overLimit.response, overLimitDelayMs: sb.overLimit.delayMs });
  }
  return json(404, { error: `no control endpoint ${m} ${path}` });
}
