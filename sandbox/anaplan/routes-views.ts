/**
 * View metadata, view data and large-volume read requests (views and lists), at the workspace form
 * and the model form (docs/anaplan.md §4.2, §10, Appendix A):
 * - `GET …/views/{viewId}` → `{viewName, viewId, rows, columns, pages}` (empty axes omitted);
 * - `GET …/views/{viewId}/data[?pages=dimId:itemId,…]` → grid CSV (`text/csv`, `;escaped=true` quotes
 *   fields) or, with `Accept: application/json` and `format=v1`, `{pages, columnCoordinates, rows}`;
 * - `POST|GET|DELETE …/views/{viewId}/readRequests[/{requestId}]` and `GET …/pages/{n}`;
 * - the same for `…/lists/{listId}/readRequests` (workspace administrators only, as documented).
 */
import { gzipSync } from 'node:zlib';
import { HttpFailure } from './errors';
import { header, sendJson, type Router } from '../kit/router';
import { readJsonBody } from '../kit/body';
import { both, schema, type ApiCtx } from './api-common';
import { csvField } from './csv';
import { taskId } from './ids';
import { listItemsCsv } from './routes-model';
import { requireAdmin } from './routes-list-items';
import { paginate, READ_REQUEST_IDLE_MS, type ReadRequest } from './read-requests';
import {
  allPages,
  axisRef,
  defaultLayout,
  gridCellCount,
  gridCsv,
  gridPage,
  MAX_VIEW_CELLS,
  PageSelectorError,
  selectPages,
  tabularRows,
  type ViewLayout,
} from './views';
import type { SandboxState } from './state';

const EXPORT_TYPES = [
  'GRID_CURRENT_PAGE',
  'GRID_ALL_PAGES',
  'TABULAR_MULTI_COLUMN',
  'TABULAR_SINGLE_COLUMN',
  'TABULAR_SINGLE_ITEMS',
] as const;

export function registerViewRoutes(router: Router, state: SandboxState): void {
  /** A module's default view (view id = module id) or a line item read as a view (docs/anaplan.md §10). */
  const viewOf = (ctx: ApiCtx): ViewLayout => {
    const id = ctx.params.viewId!;
    const m = state.model.moduleById(id);
    if (m) return defaultLayout(m);
    for (const mod of state.model.modules.values()) {
      const li = mod.lineItems.find((l) => l.id === id);
      if (li) return defaultLayout(mod, li);
    }
    throw new HttpFailure(404);
  };
  const pagesOf = (ctx: ApiCtx, v: ViewLayout) => {
    try {
      return selectPages(state.model, v, ctx.url.searchParams.getAll('pages'));
    } catch (e) {
      if (e instanceof PageSelectorError) throw new HttpFailure(400, e.message);
      throw e;
    }
  };

  both(router, state, 'GET', '/views/:viewId', (ctx) => {
    const v = viewOf(ctx);
    const axis = (key: 'rows' | 'columns' | 'pages') =>
      v[key].length ? { [key]: v[key].map((a) => axisRef(v.module, a)) } : {};
    sendJson(ctx.res, 200, {
      meta: { schema: schema(state, 'view') },
      status: { code: 200, message: 'Success' },
      viewName: v.name,
      viewId: v.id,
      ...axis('rows'),
      ...axis('columns'),
      ...axis('pages'),
    });
  });

  both(router, state, 'GET', '/views/:viewId/data', (ctx) => {
    const v = viewOf(ctx);
    const page = pagesOf(ctx, v);
    const cells = gridCellCount(state.model, v);
    if (cells > MAX_VIEW_CELLS)
      throw new HttpFailure(
        400,
        `The view has ${cells} cells; at most ${MAX_VIEW_CELLS} can be read at once (use a read request)`,
      );
    const grid = gridPage(state.model, v, page);
    const accept = (header(ctx.req, 'accept') ?? '').toLowerCase();
    if (accept.includes('application/json')) {
      if (ctx.url.searchParams.get('format') !== 'v1') throw new HttpFailure(400, 'JSON view data needs format=v1');
      sendJson(ctx.res, 200, grid);
      return;
    }
    const escaped = /text\/csv\s*;\s*escaped=true/.test(accept);
    const body = gridCsv(grid, v.rows.length, escaped ? (s) => csvField(s) : (s) => s);
    ctx.res.writeHead(200, { 'content-type': escaped ? 'text/csv;escaped=true' : 'text/csv' });
    ctx.res.end(body);
  });

  // Read requests --------------------------------------------------------------------------------

  const requestUrl = (kind: 'view' | 'list', objectId: string, rid: string) =>
    `${state.baseUrl}/2/0/workspaces/${state.model.workspaceId}/models/${state.model.id}/${kind}s/${objectId}/readRequests/${rid}`;
  const requestJson = (r: ReadRequest, created: boolean) => {
    const base: Record<string, unknown> = { requestId: r.requestId };
    if (!created) base[`${r.kind}Id`] = Number(r.objectId);
    base.requestState = created ? 'IN_PROGRESS' : r.state;
    base.url = requestUrl(r.kind, r.objectId, r.requestId);
    if (!created)
      Object.assign(base, r.state === 'CANCELLED' ? {} : { availablePages: r.pages.length }, { successful: true });
    return base;
  };
  const reply = (ctx: ApiCtx, r: ReadRequest, created = false) =>
    sendJson(ctx.res, 200, {
      meta: { schema: schema(state, `${r.kind}ReadRequest`) },
      status: { code: 200, message: 'Success' },
      [`${r.kind}ReadRequest`]: requestJson(r, created),
    });
  /** The caller's own, unexpired request for this view/list, or 404. */
  const requestOf = (ctx: ApiCtx, kind: 'view' | 'list', objectId: string): ReadRequest => {
    const r = state.readRequests.get(ctx.params.rid!);
    if (!r || r.kind !== kind || r.objectId !== objectId || r.userId !== ctx.user.id) throw new HttpFailure(404);
    if (state.now() - r.lastActivity > READ_REQUEST_IDLE_MS) {
      state.readRequests.delete(r.requestId);
      throw new HttpFailure(404);
    }
    return r;
  };
  const create = (ctx: ApiCtx, kind: 'view' | 'list', objectId: string, csv: string) => {
    const r: ReadRequest = {
      requestId: taskId(),
      kind,
      objectId,
      userId: ctx.user.id,
      pages: paginate(csv, state.config.readPageBytes, state.config.readPageHeaderEveryPage),
      state: 'COMPLETE',
      lastActivity: state.now(),
    };
    state.readRequests.set(r.requestId, r);
    reply(ctx, r, true);
  };
  const page = (ctx: ApiCtx, r: ReadRequest) => {
    const n = Number(ctx.params.page);
    const body = Number.isInteger(n) && n >= 0 ? r.pages[n] : undefined;
    if (!body || r.state === 'CANCELLED') throw new HttpFailure(404);
    if (n % 100 === 0) r.lastActivity = state.now();
    const gzip = /\bgzip\b/.test(header(ctx.req, 'accept-encoding') ?? '');
    const out = gzip ? gzipSync(body) : body;
    ctx.res.writeHead(200, {
      'content-type': 'text/csv',
      'content-length': String(out.length),
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    ctx.res.end(out);
  };
  const cancel = (ctx: ApiCtx, r: ReadRequest) => {
    r.state = 'CANCELLED';
    r.pages = [];
    reply(ctx, r);
    state.readRequests.delete(r.requestId);
  };

  both(router, state, 'POST', '/views/:viewId/readRequests', async (ctx) => {
    const v = viewOf(ctx);
    const body = (await readJsonBody(ctx.req)) as { exportType?: unknown } | undefined;
    const type = body?.exportType;
    if (typeof type !== 'string' || !(EXPORT_TYPES as readonly string[]).includes(type))
      throw new HttpFailure(400, `exportType must be one of ${EXPORT_TYPES.join(', ')}`);
    let csv: string;
    if (type === 'GRID_CURRENT_PAGE')
      csv = gridCsv(gridPage(state.model, v, pagesOf(ctx, v)), v.rows.length, (s) => csvField(s));
    else if (type === 'GRID_ALL_PAGES') {
      // Every page in turn, each with its page line. Bounded here, as the sandbox builds it in memory.
      const pages = allPages(state.model, v);
      const cells = pages.length * gridCellCount(state.model, v);
      if (cells > MAX_VIEW_CELLS)
        throw new HttpFailure(
          400,
          `GRID_ALL_PAGES of this view is ${cells} cells; this sandbox builds at most ${MAX_VIEW_CELLS} (use a tabular export)`,
        );
      csv = pages.map((p) => gridCsv(gridPage(state.model, v, p), v.rows.length, (s) => csvField(s))).join('');
    } else {
      const t = tabularRows(state.model, v, type === 'TABULAR_MULTI_COLUMN');
      csv = [t.header, ...t.rows].map((r) => r.map((f) => csvField(f)).join(',')).join('\n') + '\n';
    }
    create(ctx, 'view', v.id, csv);
  });
  both(router, state, 'GET', '/views/:viewId/readRequests/:rid', (ctx) =>
    reply(ctx, requestOf(ctx, 'view', viewOf(ctx).id)),
  );
  both(router, state, 'GET', '/views/:viewId/readRequests/:rid/pages/:page', (ctx) =>
    page(ctx, requestOf(ctx, 'view', viewOf(ctx).id)),
  );
  both(router, state, 'DELETE', '/views/:viewId/readRequests/:rid', (ctx) =>
    cancel(ctx, requestOf(ctx, 'view', viewOf(ctx).id)),
  );

  const listOf = (ctx: ApiCtx) => {
    requireAdmin(ctx);
    const l = state.model.listById(ctx.params.listId!);
    if (!l) throw new HttpFailure(404);
    return l;
  };
  both(router, state, 'POST', '/lists/:listId/readRequests', (ctx) => {
    const l = listOf(ctx);
    create(ctx, 'list', l.id, listItemsCsv(l));
  });
  both(router, state, 'GET', '/lists/:listId/readRequests/:rid', (ctx) =>
    reply(ctx, requestOf(ctx, 'list', listOf(ctx).id)),
  );
  both(router, state, 'GET', '/lists/:listId/readRequests/:rid/pages/:page', (ctx) =>
    page(ctx, requestOf(ctx, 'list', listOf(ctx).id)),
  );
  both(router, state, 'DELETE', '/lists/:listId/readRequests/:rid', (ctx) =>
    cancel(ctx, requestOf(ctx, 'list', listOf(ctx).id)),
  );
}
