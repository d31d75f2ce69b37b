/**
 * Tenant and model structure (reference §4): users, workspaces, models, lists and items, modules,
 * line items, versions, model status.
 */
import { HttpFailure } from './errors';
import { sendJson, type Router } from './http';
import { both, api, ok, paged, schema, workspaceOnly } from './api-common';
import { csvField } from './csv';
import { TIME_DIMENSION_ID, VERSIONS_DIMENSION_ID, type ModelList } from './model';
import { WORKSPACE_NAME } from './seed';
import type { SandboxState, SandboxUser } from './state';

function userJson(u: SandboxUser) {
  return { id: u.id, active: true, email: u.email, emailOptIn: false, firstName: u.firstName, lastName: u.lastName, lastLoginDate: '2026-01-05T09:00:00.000+0000' };
}

function listItemsJson(list: ModelList, includeAll: boolean) {
  return list.items.map((it) => {
    const parent = list.parentOf(it);
    const base: Record<string, unknown> = { id: it.id, name: it.name, code: it.code };
    if (parent) Object.assign(base, { parent: parent.name, parentId: parent.id });
    if (includeAll) Object.assign(base, { listId: list.id, listName: list.name });
    return base;
  });
}

export function registerModelRoutes(router: Router, state: SandboxState): void {
  const model = () => state.model;
  const modelJson = (details: boolean) => {
    const m = model();
    const base: Record<string, unknown> = { id: m.id, activeState: 'UNLOCKED', name: m.name, currentWorkspaceId: m.workspaceId, currentWorkspaceName: WORKSPACE_NAME, modelUrl: `${state.baseUrl}/a/modeling/${m.workspaceId}/${m.id}`, categoryValues: [] };
    if (details) Object.assign(base, { lastSavedSerialNumber: 2_000_000, modelTransactionRunning: state.scheduler.busy(m.id) !== undefined, isoCreationDate: '2026-01-05T09:00:00.000+0000', lastModified: String(Date.now()) });
    return base;
  };

  router.add('GET', '/2/0/users/me', api(state, (ctx) => ok(ctx, state, 'user', 'user', userJson(ctx.user))));
  router.add('GET', '/2/0/users/:userId', api(state, (ctx) => {
    const u = state.users.get(ctx.params.userId!);
    if (!u) throw new HttpFailure(404);
    ok(ctx, state, 'user', 'user', userJson(u));
  }));
  router.add('GET', '/2/0/users', api(state, (ctx) => paged(ctx, state, 'user', 'users', [...state.users.values()].map(userJson))));
  const workspaceJson = (details: boolean) => ({ id: model().workspaceId, name: WORKSPACE_NAME, active: true, sizeAllowance: 10_737_418_240, ...(details ? { currentSize: 52_428_800 } : {}) });
  router.add('GET', '/2/0/workspaces', api(state, (ctx) => paged(ctx, state, 'workspace', 'workspaces', [workspaceJson(ctx.url.searchParams.get('tenantDetails') === 'true')])));
  router.add('GET', '/2/0/workspaces/:wid', api(state, (ctx) => ok(ctx, state, 'workspace', 'workspace', workspaceJson(ctx.url.searchParams.get('tenantDetails') === 'true'))));
  router.add('GET', '/2/0/models', api(state, (ctx) => paged(ctx, state, 'model', 'models', [modelJson(false)])));
  router.add('GET', '/2/0/workspaces/:wid/models', api(state, (ctx) => paged(ctx, state, 'model', 'models', [modelJson(false)])));
  router.add('GET', '/2/0/models/:mid', api(state, (ctx) => ok(ctx, state, 'model', 'model', modelJson(ctx.url.searchParams.get('modelDetails') === 'true'))));
  // The workspace form of a single model is not a resource (live: 405, reference §3.2).
  router.add('GET', '/2/0/workspaces/:wid/models/:mid', api(state, () => {
    throw new HttpFailure(405);
  }));
  both(router, state, 'GET', '/status', (ctx) => {
    const t = state.scheduler.busy(model().id);
    // Bare body, no envelope, as the live service answers (reference §4.1).
    sendJson(ctx.res, 200, { requestStatus: t ? { currentStep: 'Processing ...', progress: t.progress, creationTime: t.creationTime, taskId: t.taskId, tooltip: `The system is currently processing an Import: ${t.actionName}` } : { currentStep: 'Open', progress: -1.0 } });
  });

  both(router, state, 'GET', '/lists', (ctx) => paged(ctx, state, 'list', 'lists', [...model().lists.values()].map((l) => ({ id: l.id, name: l.name }))));
  both(router, state, 'GET', '/lists/:listId', (ctx) => {
    const l = model().listById(ctx.params.listId!);
    if (!l) throw new HttpFailure(404);
    const hasParents = l.items.some((i) => i.parentIndex !== null);
    ok(ctx, state, 'list', 'metadata', { id: l.id, name: l.name, properties: [], hasSelectiveAccess: false, managedBy: 'Planner', numberedList: false, useTopLevelAsPageDefault: false, itemCount: l.size, workflowEnabled: false, productionData: !hasParents && l.name === 'Departments' });
  });
  // Item reads are not paged (reference §3.1); CSV when asked for it (§10).
  workspaceOnly(router, state, 'GET', '/lists/:listId/items', (ctx) => {
    const l = model().listById(ctx.params.listId!);
    if (!l) throw new HttpFailure(404);
    const includeAll = ctx.url.searchParams.get('includeAll') === 'true';
    const items = listItemsJson(l, includeAll);
    if ((ctx.req.headers.accept ?? '').includes('text/csv')) {
      const lines = ['id,name,code,parent,parentId,listId,listName'];
      for (const it of items) lines.push([it.id, it.name, it.code, it.parent ?? '', it.parentId ?? '', l.id, l.name].map((v) => csvField(String(v))).join(','));
      ctx.res.writeHead(200, { 'content-type': 'text/csv' });
      ctx.res.end(lines.join('\n') + '\n');
      return;
    }
    const body: Record<string, unknown> = { meta: { schema: schema(state, 'listItem') }, status: { code: 200, message: 'Success' } };
    if (items.length > 0) body.listItems = items;
    sendJson(ctx.res, 200, body);
  });

  both(router, state, 'GET', '/modules', (ctx) => paged(ctx, state, 'module', 'modules', [...model().modules.values()].map((m) => ({ id: m.id, name: m.name }))));
  const lineItems = (moduleId?: string) => {
    const out: Array<Record<string, unknown>> = [];
    for (const m of model().modules.values()) {
      if (moduleId && m.id !== moduleId) continue;
      for (const li of m.lineItems) out.push({ moduleId: m.id, moduleName: m.name, id: li.id, name: li.name, format: li.format, appliesTo: m.dims.map((_, i) => m.dimName(i)) });
    }
    return out;
  };
  both(router, state, 'GET', '/modules/:moduleId/lineItems', (ctx) => {
    if (!model().moduleById(ctx.params.moduleId!)) throw new HttpFailure(404);
    ok(ctx, state, 'lineItem', 'items', lineItems(ctx.params.moduleId));
  });
  both(router, state, 'GET', '/lineItems', (ctx) => ok(ctx, state, 'lineItem', 'items', lineItems()));
  both(router, state, 'GET', '/lineItems/:lineItemId/dimensions', (ctx) => {
    for (const m of model().modules.values()) {
      if (!m.lineItems.some((l) => l.id === ctx.params.lineItemId)) continue;
      const dims = m.dims.map((d, i) => ({ id: d.kind === 'list' ? d.list.id : d.kind === 'time' ? TIME_DIMENSION_ID : VERSIONS_DIMENSION_ID, name: m.dimName(i) }));
      return ok(ctx, state, 'dimension', 'dimensions', dims);
    }
    throw new HttpFailure(404);
  });
  both(router, state, 'GET', '/versions', (ctx) =>
    ok(ctx, state, 'version', 'versionMetadata', model().versions.map((v) => ({ id: v.id, name: v.name, isCurrent: v.isCurrent, isActual: v.isActual, editFrom: { periodText: 'Jan 25', date: '2025-01-01' }, editTo: { periodText: 'Dec 27', date: '2027-12-31' } }))),
  );
}
