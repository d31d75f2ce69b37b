/**
 * The control-plane style both sandboxes share: routes under `/__sandbox/` on the kit Router, JSON in
 * and out, `{error: message}` with 400 for a bad request body, never authenticated, faulted or counted.
 * The endpoints every sandbox has — faults and request statistics — are registered here once.
 */
import type { ServerResponse } from 'node:http';
import { readJsonBody } from './body';
import { FaultSpecError, type FaultRule } from './faults';
import { sendJson, type Ctx, type Router } from './router';
import type { KitStatsSnapshot } from './stats';

export const CONTROL_PREFIX = '/__sandbox';

/** A control request the sandbox refuses; answered `{error: message}` with the status. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

/** The JSON object of a control request (empty body → `{}`). */
export async function controlBody(ctx: Ctx): Promise<Record<string, any>> {
  let value: unknown;
  try {
    value = await readJsonBody(ctx.req);
  } catch {
    throw new ControlError(400, 'body must be JSON');
  }
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ControlError(400, 'body must be a JSON object');
  return value as Record<string, any>;
}

export function controlError(res: ServerResponse, err: ControlError): void {
  sendJson(res, err.status, { error: err.message });
}

export interface KitControlHooks {
  /** Adds a fault: the kit dialect, or the vendor's own body (its `kind`s). Throws FaultSpecError on a bad body. */
  addFault(body: Record<string, any>): FaultRule | Record<string, unknown>;
  listFaults(): FaultRule[];
  clearFaults(): void;
  stats(): KitStatsSnapshot;
  resetStats(): void;
}

/**
 * `GET|POST|DELETE /__sandbox/faults` and `GET /__sandbox/requests` (+ `POST …/requests/reset`):
 * the same paths, bodies and answers on both sandboxes.
 */
export function registerKitControl(router: Router, hooks: KitControlHooks): void {
  const P = CONTROL_PREFIX;
  router.add('GET', `${P}/faults`, (ctx) => sendJson(ctx.res, 200, hooks.listFaults()));
  router.add('POST', `${P}/faults`, async (ctx) => {
    const body = await controlBody(ctx);
    let added: FaultRule | Record<string, unknown>;
    try {
      added = hooks.addFault(body);
    } catch (err) {
      if (err instanceof FaultSpecError) throw new ControlError(400, err.message);
      throw err;
    }
    sendJson(ctx.res, 201, added);
  });
  router.add('DELETE', `${P}/faults`, (ctx) => {
    hooks.clearFaults();
    sendJson(ctx.res, 200, { ok: true });
  });
  router.add('GET', `${P}/requests`, (ctx) => sendJson(ctx.res, 200, hooks.stats()));
  router.add('POST', `${P}/requests/reset`, (ctx) => {
    hooks.resetStats();
    sendJson(ctx.res, 200, { ok: true });
  });
}
