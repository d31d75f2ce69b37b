/**
 * Control plane under /__sandbox/ (not part of NetSuite; never governed, never authenticated), in the
 * kit's control-plane style (sandbox/kit/control.ts): reset, M2M mappings, journals written,
 * statistics, faults, period close/reopen/lock, read-only SQL, journal switches, run-time config and
 * the login audit trail. Documented in sandbox/netsuite/README.md.
 */
import { ControlError, controlBody, registerKitControl } from '../kit/control';
import { Router, sendJson } from '../kit/router';
import { MappingError, TOKEN_ERROR_SHAPES, type TokenErrorShape } from './auth';
import { listApiJournals } from './journal-store';
import { journalSwitches, setJournalSwitches } from './journals';
import type { NetSuiteSandbox } from './server';
import { parseOverLimit, type FaultSpec } from './governance';

/** Runs `fn`, turning the sandbox's validation errors into a 400 `{error}`. */
function orBadRequest<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ControlError || !(err instanceof Error)) throw err;
    throw new ControlError(400, err.message);
  }
}

export function buildControlRouter(sb: NetSuiteSandbox): Router {
  const r = new Router();
  const P = '/__sandbox';
  r.add('POST', `${P}/reset`, (ctx) => {
    sb.reset();
    setJournalSwitches(sb.state, {}, true);
    sendJson(ctx.res, 200, { ok: true });
  });
  r.add('GET', `${P}/m2m-mappings`, (ctx) =>
    sendJson(
      ctx.res,
      200,
      [...sb.auth.mappings.values()].map(({ clientId, certificateId, notBefore, notAfter, revoked }) => ({
        clientId,
        certificateId,
        notBefore,
        notAfter,
        revoked,
      })),
    ),
  );
  r.add('POST', `${P}/m2m-mappings`, async (ctx) => {
    const body = await controlBody(ctx);
    try {
      const mp = sb.auth.register(
        String(body.clientId ?? ''),
        String(body.certificateId ?? ''),
        String(body.certificatePem ?? ''),
      );
      sendJson(ctx.res, 201, { clientId: mp.clientId, certificateId: mp.certificateId, notAfter: mp.notAfter });
    } catch (err) {
      if (err instanceof MappingError) throw new ControlError(400, err.message);
      throw err;
    }
  });
  r.add('POST', `${P}/m2m-mappings/:certificateId/revoke`, (ctx) => {
    if (!sb.auth.revokeMapping(ctx.params.certificateId!)) throw new ControlError(404, 'no such mapping');
    sendJson(ctx.res, 200, { revoked: true });
  });
  r.add('POST', `${P}/tokens/revoke`, (ctx) => sendJson(ctx.res, 200, { revoked: sb.auth.revokeAllTokens() }));
  r.add('GET', `${P}/journals`, (ctx) =>
    sendJson(ctx.res, 200, listApiJournals(sb.state, Number(ctx.url.searchParams.get('limit') ?? 1000))),
  );
  // NetSuite's governance snapshot (per-status counts, concurrency peaks); the kit shape is at /requests.
  r.add('GET', `${P}/stats`, (ctx) =>
    sendJson(ctx.res, 200, { ...sb.stats.snapshot(), tokensIssued: sb.auth.tokensIssued }),
  );
  r.add('POST', `${P}/stats/reset`, (ctx) => {
    sb.stats.reset();
    sendJson(ctx.res, 200, { ok: true });
  });
  registerKitControl(r, {
    // The legacy answer was `{id}`; the rule carries its id too.
    addFault: (body) => {
      const id = sb.faults.add(body as FaultSpec);
      return sb.faults.list().find((f) => f.id === id) ?? { id };
    },
    listFaults: () => sb.faults.list(),
    clearFaults: () => sb.faults.clear(),
    stats: () => sb.stats.kit.snapshot(),
    resetStats: () => sb.stats.reset(),
  });
  r.add('POST', `${P}/periods/:id/:action`, async (ctx) => {
    const id = Number(ctx.params.id);
    const action = ctx.params.action!;
    if (!/^\d+$/.test(ctx.params.id!)) throw new ControlError(404, `no control endpoint POST ${ctx.url.pathname}`);
    if (action === 'close' || action === 'reopen') {
      if (!sb.state.setPeriodClosed(id, action === 'close')) throw new ControlError(404, 'no such period');
      return sendJson(ctx.res, 200, { id, closed: action === 'close' });
    }
    if (action === 'lock' || action === 'unlock') {
      // Locks without closing (docs/netsuite.md §8.2): body {"all": true} locks all transactions, {"ap"|"ar": …} one subledger.
      const body = await controlBody(ctx);
      const on = action === 'lock';
      const given = ['all', 'ap', 'ar'].filter((k) => body[k] !== undefined);
      const locks = given.length
        ? Object.fromEntries(given.map((k) => [k, on && body[k] === true]))
        : { all: on, ap: on, ar: on };
      if (!sb.state.setPeriodLocks(id, locks)) throw new ControlError(404, 'no such period');
      return sendJson(ctx.res, 200, { id, ...locks });
    }
    throw new ControlError(404, `no control endpoint POST ${ctx.url.pathname}`);
  });
  r.add('POST', `${P}/sql`, async (ctx) => {
    const body = await controlBody(ctx);
    sendJson(
      ctx.res,
      200,
      orBadRequest(() => sb.state.readOnlyQuery(String(body.sql ?? ''))),
    );
  });
  r.add('GET', `${P}/journal-switches`, (ctx) => sendJson(ctx.res, 200, journalSwitches(sb.state)));
  r.add('POST', `${P}/journal-switches`, async (ctx) => {
    const { reset, ...patch } = await controlBody(ctx);
    sendJson(
      ctx.res,
      200,
      orBadRequest(() => setJournalSwitches(sb.state, patch, reset === true)),
    );
  });
  r.add('GET', `${P}/login-audit`, (ctx) => sendJson(ctx.res, 200, sb.auth.audit));
  const config = () => ({
    accountId: sb.accountId,
    tokenLifetimeSec: sb.auth.tokenLifetimeSec,
    concurrencyLimit: sb.api.concurrencyLimit,
    pageLatencyMs: sb.api.pageLatencyMs,
    dateFormat: sb.state.dateFormat,
    multiBook: sb.state.multiBook,
    overLimitResponse: sb.overLimit.response,
    overLimitDelayMs: sb.overLimit.delayMs,
    expiresIn: sb.auth.expiresIn,
    tokenErrorShape: sb.auth.tokenErrorShape,
    ...sb.state.variants,
  });
  r.add('GET', `${P}/config`, (ctx) => sendJson(ctx.res, 200, config()));
  r.add('POST', `${P}/config`, async (ctx) => {
    const body = await controlBody(ctx);
    sb.overLimit = orBadRequest(() =>
      parseOverLimit({ response: body.overLimitResponse, delayMs: body.overLimitDelayMs }, sb.overLimit),
    );
    if (body.tokenLifetimeSec !== undefined) sb.auth.tokenLifetimeSec = Number(body.tokenLifetimeSec);
    if (body.concurrencyLimit !== undefined) sb.setConcurrencyLimit(Number(body.concurrencyLimit));
    if (body.pageLatencyMs !== undefined) sb.api.pageLatencyMs = Number(body.pageLatencyMs);
    if (body.expiresIn !== undefined) {
      if (body.expiresIn !== 'string' && body.expiresIn !== 'number')
        throw new ControlError(400, "expiresIn must be 'string' or 'number'");
      sb.auth.expiresIn = body.expiresIn;
    }
    if (body.tokenErrorShape !== undefined) {
      if (!TOKEN_ERROR_SHAPES.includes(body.tokenErrorShape as TokenErrorShape))
        throw new ControlError(400, `tokenErrorShape must be one of ${TOKEN_ERROR_SHAPES.join(', ')}`);
      sb.auth.tokenErrorShape = body.tokenErrorShape as TokenErrorShape;
    }
    const { hiddenFields, singleBookRefuses, jsonValues } = body;
    if (hiddenFields !== undefined || singleBookRefuses !== undefined || jsonValues !== undefined)
      orBadRequest(() => sb.state.setVariants({ hiddenFields, singleBookRefuses, jsonValues }));
    sendJson(ctx.res, 200, config());
  });
  return r;
}
