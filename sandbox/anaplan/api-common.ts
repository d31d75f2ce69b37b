/**
 * Shared pieces of the Integration API v2 routes: token check, case-sensitive workspace/model
 * resolution, the `{meta, status, <key>}` envelope and limit/offset paging (docs/anaplan.md §3).
 */
import { sleep } from '../kit/sleep';
import { HttpFailure } from './errors';
import { header, sendJson, type Ctx, type Handler, type Router } from '../kit/router';
import type { SandboxState, SandboxUser } from './state';

export const MAX_PAGE = 5000;

export interface ApiCtx extends Ctx {
  user: SandboxUser;
}
export type ApiHandler = (ctx: ApiCtx) => Promise<void> | void;

/** Accepts `AnaplanAuthToken <t>` and `Bearer <t>` (both live-tested on the Integration API, §2.1). */
export function authenticate(state: SandboxState, ctx: Ctx): SandboxUser {
  const h = header(ctx.req, 'authorization') ?? '';
  const m = /^(?:AnaplanAuthToken|Bearer)\s+(\S+)$/.exec(h);
  const token = m ? state.liveToken(m[1]!) : undefined;
  const user = token && state.users.get(token.userId);
  if (!user) throw new HttpFailure(401);
  return user;
}

/** Path parameters are case-sensitive: wrong case → 404 (docs/anaplan.md §1). */
export function checkModel(state: SandboxState, ctx: Ctx): void {
  const { wid, mid } = ctx.params;
  if (wid !== undefined && wid !== state.model.workspaceId) throw new HttpFailure(404);
  if (mid !== undefined && mid !== state.model.id) throw new HttpFailure(404);
}

/** Endpoints that still answer while an import/export runs (docs/anaplan.md §8); everything else waits. */
const ANSWERS_WHILE_BUSY = /\/(imports|exports|processes|actions)(\/|$)|\/status$/;

async function waitForModel(state: SandboxState, ctx: Ctx): Promise<void> {
  const modelId = state.model.id;
  while (state.scheduler.busy(modelId) && !ctx.req.socket.destroyed) await sleep(20);
}

export function api(state: SandboxState, handler: ApiHandler): Handler {
  return async (ctx) => {
    const user = authenticate(state, ctx);
    checkModel(state, ctx);
    if (state.config.blockWhileBusy && ctx.params.mid !== undefined && !ANSWERS_WHILE_BUSY.test(ctx.url.pathname))
      await waitForModel(state, ctx);
    return handler(Object.assign(ctx, { user }));
  };
}

/** Registers a model resource at both `/workspaces/{wid}/models/{mid}/…` and `/models/{mid}/…` (§3.3). */
export function both(router: Router, state: SandboxState, method: string, suffix: string, handler: ApiHandler): void {
  router.add(method, `/2/0/workspaces/:wid/models/:mid${suffix}`, api(state, handler));
  router.add(method, `/2/0/models/:mid${suffix}`, api(state, handler));
}

export function workspaceOnly(
  router: Router,
  state: SandboxState,
  method: string,
  suffix: string,
  handler: ApiHandler,
): void {
  router.add(method, `/2/0/workspaces/:wid/models/:mid${suffix}`, api(state, handler));
}

export function schema(state: SandboxState, object: string): string {
  return `${state.baseUrl}/2/0/models/${state.model.id}/objects/${object}`;
}

export function ok(ctx: Ctx, state: SandboxState, object: string, key: string, value: unknown, status = 200): void {
  sendJson(ctx.res, status, {
    meta: { schema: schema(state, object) },
    status: { code: 200, message: 'Success' },
    [key]: value,
  });
}

/** Paged collection; an empty page omits its key instead of sending [] (docs/anaplan.md §3.1). */
export function paged(ctx: Ctx, state: SandboxState, object: string, key: string, items: unknown[]): void {
  const q = ctx.url.searchParams;
  const limitRaw = q.get('limit');
  const offsetRaw = q.get('offset');
  const limit = limitRaw === null ? MAX_PAGE : Math.min(MAX_PAGE, Math.max(1, Number(limitRaw) || MAX_PAGE));
  const offset = offsetRaw === null ? 0 : Math.max(0, Number(offsetRaw) || 0);
  const page = items.slice(offset, offset + limit);
  const link = (o: number) => {
    const u = new URL(ctx.url.pathname, state.baseUrl);
    q.forEach((v, k) => u.searchParams.set(k, v));
    u.searchParams.set('limit', String(limit));
    u.searchParams.set('offset', String(o));
    return u.toString();
  };
  const paging: Record<string, unknown> = { currentPageSize: page.length, offset, totalSize: items.length };
  if (offset + limit < items.length) paging.next = link(offset + limit);
  if (offset > 0) paging.previous = link(Math.max(0, offset - limit));
  const body: Record<string, unknown> = {
    meta: { paging, schema: schema(state, object) },
    status: { code: 200, message: 'Success' },
  };
  if (page.length > 0) body[key] = page;
  sendJson(ctx.res, 200, body);
}
