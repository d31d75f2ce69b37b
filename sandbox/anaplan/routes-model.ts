/**
 * Tenant and model structure (docs/anaplan.md §4): users, workspaces, models, lists and items, modules,
 * line items, versions, model status.
 */
import { HttpFailure } from './errors';
import { sendJson, type Router } from '../kit/router';
import { both, api, ok, paged, schema, type ApiCtx } from './api-common';
import { csvField } from './csv';
import {
  TIME_DIMENSION_ID,
  VERSIONS_DIMENSION_ID,
  type Dimension,
  type LineItem,
  type Module,
  type ModelList,
} from './model';
import { WORKSPACE_NAME } from './seed';
import type { SandboxState, SandboxUser } from './state';

/** Anaplan's timestamp form, e.g. `2022-02-10T19:14:23.000+0000` (docs/anaplan.md §4.1). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

function userJson(u: SandboxUser) {
  return {
    id: u.id,
    active: true,
    email: u.email,
    emailOptIn: false,
    firstName: u.firstName,
    lastName: u.lastName,
    lastLoginDate: '2026-01-05T09:00:00.000+0000',
  };
}

function listItemsJson(list: ModelList, includeAll: boolean) {
  return list.items.map((it) => {
    const parent = list.parentOf(it);
    const base: Record<string, unknown> = { id: it.id, name: it.name, code: it.code };
    if (parent) Object.assign(base, { parent: parent.name, parentId: parent.id });
    if (includeAll) Object.assign(base, { listId: list.id, listName: list.name, subsets: {}, properties: {} });
    return base;
  });
}

/** A list's items as CSV (`Accept: text/csv`, and the pages of a list read request): docs/anaplan.md §10. */
export function listItemsCsv(list: ModelList): string {
  const lines = ['id,name,code,parent,parentId,listId,listName'];
  for (const it of listItemsJson(list, false))
    lines.push(
      [it.id, it.name, it.code, it.parent ?? '', it.parentId ?? '', list.id, list.name]
        .map((v) => csvField(String(v)))
        .join(','),
    );
  return lines.join('\n') + '\n';
}

function dimensionId(d: Dimension): string {
  return d.kind === 'list' ? d.list.id : d.kind === 'time' ? TIME_DIMENSION_ID : VERSIONS_DIMENSION_ID;
}

/** The `includeAll=true` definition of a line item (plain numbers and booleans; no formulas here). */
function lineItemDetails(m: Module, li: LineItem, dims: Array<{ id: string; name: string }>): Record<string, unknown> {
  const formatMetadata =
    li.format === 'NUMBER'
      ? {
          dataType: 'NUMBER',
          minimumSignificantDigits: 4,
          decimalPlaces: 2,
          zeroFormat: 'ZERO',
          comparisonIncrease: 'GOOD',
          groupingSeparator: 'COMMA',
          negativeNumberNotation: 'MINUS_SIGN',
          unitsType: 'NONE',
          unitsDisplayType: 'NONE',
          decimalSeparator: 'FULL_STOP',
        }
      : { dataType: li.format };
  const hasVersions = dims.some((d) => d.id === VERSIONS_DIMENSION_ID);
  return {
    format: li.format,
    formatMetadata,
    summary: li.format === 'NUMBER' ? 'Sum' : 'None',
    appliesTo: dims.filter((d) => d.id !== TIME_DIMENSION_ID && d.id !== VERSIONS_DIMENSION_ID),
    dataTags: [],
    referencedBy: [],
    timeScale: m.dims.some((d) => d.kind === 'time') ? 'Month' : 'Not Applicable',
    timeRange: 'Model Calendar',
    // The version setting as a dimension reference (its text is UNCONFIRMED; the shape is `{id, name}`).
    version: { id: VERSIONS_DIMENSION_ID, name: hasVersions ? 'All Versions' : 'Actual Version' },
    style: 'Normal',
    notes: '',
    isSummary: false,
    formulaScope: 'All Versions',
    useSwitchover: false,
    breakback: false,
    broughtForward: false,
    startOfSection: false,
  };
}

export function registerModelRoutes(router: Router, state: SandboxState): void {
  const model = () => state.model;
  // Every model carries the fields third-party clients require (docs/anaplan.md §16; anaplan-sdk validates
  // all of them); `modelTransactionRunning` only with `modelDetails=true` (docs/anaplan.md §4.1).
  const modelJson = (details: boolean) => {
    const m = model();
    const base: Record<string, unknown> = {
      id: m.id,
      activeState: 'UNLOCKED',
      name: m.name,
      lastSavedSerialNumber: 2_000_000 + state.timelineFor(m.id).length,
      lastModifiedByUserGuid: state.userByEmail(state.demoUser.email)?.id ?? '',
      memoryUsage: 52_428_800,
      currentWorkspaceId: m.workspaceId,
      currentWorkspaceName: WORKSPACE_NAME,
      modelUrl: `${state.baseUrl}/a/modeling/${m.workspaceId}/${m.id}`,
      categoryValues: [],
      isoCreationDate: '2026-01-05T09:00:00.000+0000',
      lastModified: isoTime(state.now()),
    };
    if (details) base.modelTransactionRunning = state.scheduler.busy(m.id) !== undefined;
    return base;
  };

  router.add(
    'GET',
    '/2/0/users/me',
    api(state, (ctx) => ok(ctx, state, 'user', 'user', userJson(ctx.user))),
  );
  router.add(
    'GET',
    '/2/0/users/:userId',
    api(state, (ctx) => {
      const u = state.users.get(ctx.params.userId!);
      if (!u) throw new HttpFailure(404);
      ok(ctx, state, 'user', 'user', userJson(u));
    }),
  );
  router.add(
    'GET',
    '/2/0/users',
    api(state, (ctx) => paged(ctx, state, 'user', 'users', [...state.users.values()].map(userJson))),
  );
  // Third-party clients require `currentSize` too (docs/anaplan.md §16), so it is always sent.
  const workspaceJson = () => ({
    id: model().workspaceId,
    name: WORKSPACE_NAME,
    active: true,
    sizeAllowance: 10_737_418_240,
    currentSize: 52_428_800,
  });
  router.add(
    'GET',
    '/2/0/workspaces',
    api(state, (ctx) => paged(ctx, state, 'workspace', 'workspaces', [workspaceJson()])),
  );
  router.add(
    'GET',
    '/2/0/workspaces/:wid',
    api(state, (ctx) => {
      if (ctx.params.wid !== model().workspaceId) throw new HttpFailure(404);
      ok(ctx, state, 'workspace', 'workspace', workspaceJson());
    }),
  );
  router.add(
    'GET',
    '/2/0/models',
    api(state, (ctx) => paged(ctx, state, 'model', 'models', [modelJson(false)])),
  );
  router.add(
    'GET',
    '/2/0/workspaces/:wid/models',
    api(state, (ctx) => paged(ctx, state, 'model', 'models', [modelJson(false)])),
  );
  router.add(
    'GET',
    '/2/0/models/:mid',
    api(state, (ctx) =>
      ok(ctx, state, 'model', 'model', modelJson(ctx.url.searchParams.get('modelDetails') === 'true')),
    ),
  );
  // The workspace form of a single model is not a resource (live: 405, docs/anaplan.md §3.2).
  router.add(
    'GET',
    '/2/0/workspaces/:wid/models/:mid',
    api(state, () => {
      throw new HttpFailure(405);
    }),
  );
  both(router, state, 'GET', '/status', (ctx) => {
    const t = state.scheduler.busy(model().id);
    // Bare body, no envelope, as the live service answers, with all eight documented fields (null when
    // not applicable): third-party clients (anaplan-sdk's ModelStatus) require every one (docs/anaplan.md §4.1).
    const idle = { taskId: null, tooltip: null, creationTime: state.modelOpenedAt };
    const now = t
      ? {
          taskId: t.taskId,
          tooltip: `The system is currently processing an Import: ${t.actionName}`,
          creationTime: t.creationTime,
        }
      : idle;
    sendJson(ctx.res, 200, {
      requestStatus: {
        peakMemoryUsageEstimate: null,
        peakMemoryUsageTime: null,
        progress: t ? t.progress : -1.0,
        currentStep: t ? 'Processing ...' : 'Open',
        ...now,
        exportTaskType: null,
      },
    });
  });

  both(router, state, 'GET', '/lists', (ctx) =>
    paged(
      ctx,
      state,
      'list',
      'lists',
      [...model().lists.values()].map((l) => ({ id: l.id, name: l.name })),
    ),
  );
  both(router, state, 'GET', '/lists/:listId', (ctx) => {
    const l = model().listById(ctx.params.listId!);
    if (!l) throw new HttpFailure(404);
    const hasParents = l.items.some((i) => i.parentIndex !== null);
    // Fields per docs/anaplan.md §4.2; `permittedItems` and `nextItemIndex` are required by third-party
    // clients (anaplan-sdk's ListMetadata), so they are always sent.
    ok(ctx, state, 'list', 'metadata', {
      id: l.id,
      name: l.name,
      properties: [],
      hasSelectiveAccess: false,
      managedBy: 'Planner',
      numberedList: false,
      useTopLevelAsPageDefault: false,
      itemCount: l.size,
      nextItemIndex: l.nextIndex,
      workflowEnabled: false,
      permittedItems: l.size,
      productionData: !hasParents && l.name === 'Departments',
      ...(l.parentList ? { parent: { id: l.parentList.id, name: l.parentList.name } } : {}),
    });
  });
  // Item reads are not paged (docs/anaplan.md §3.1); CSV when asked for it (§10). Served at the model
  // form (`/2/0/models/{mid}/lists/{listId}/items`) too, as clients call it (docs/anaplan.md §16).
  both(router, state, 'GET', '/lists/:listId/items', (ctx) => {
    const l = model().listById(ctx.params.listId!);
    if (!l) throw new HttpFailure(404);
    const includeAll = ctx.url.searchParams.get('includeAll') === 'true';
    const items = listItemsJson(l, includeAll);
    if ((ctx.req.headers.accept ?? '').includes('text/csv')) {
      ctx.res.writeHead(200, { 'content-type': 'text/csv' });
      ctx.res.end(listItemsCsv(l));
      return;
    }
    const body: Record<string, unknown> = {
      meta: { schema: schema(state, 'listItem') },
      status: { code: 200, message: 'Success' },
    };
    if (items.length > 0) body.listItems = items;
    sendJson(ctx.res, 200, body);
  });

  both(router, state, 'GET', '/modules', (ctx) =>
    paged(
      ctx,
      state,
      'module',
      'modules',
      [...model().modules.values()].map((m) => ({ id: m.id, name: m.name })),
    ),
  );
  const dimsOf = (m: Module) => m.dims.map((d, i) => ({ id: dimensionId(d), name: m.dimName(i) }));
  /**
   * Line items in UI order: `{moduleId, moduleName, id, name}`, and with `includeAll=true` the full
   * definition (docs/anaplan.md §4.2; the field set third-party clients require, e.g. anaplan-sdk's LineItem).
   * `appliesTo` and `version` are dimension objects `{id, name}`.
   */
  const lineItems = (includeAll: boolean, moduleId?: string) => {
    const out: Array<Record<string, unknown>> = [];
    for (const m of model().modules.values()) {
      if (moduleId && m.id !== moduleId) continue;
      for (const li of m.lineItems) {
        const base: Record<string, unknown> = { moduleId: m.id, moduleName: m.name, id: li.id, name: li.name };
        if (includeAll) Object.assign(base, lineItemDetails(m, li, dimsOf(m)));
        out.push(base);
      }
    }
    return out;
  };
  both(router, state, 'GET', '/modules/:moduleId/lineItems', (ctx) => {
    if (!model().moduleById(ctx.params.moduleId!)) throw new HttpFailure(404);
    ok(
      ctx,
      state,
      'lineItem',
      'items',
      lineItems(ctx.url.searchParams.get('includeAll') === 'true', ctx.params.moduleId),
    );
  });
  both(router, state, 'GET', '/lineItems', (ctx) =>
    ok(ctx, state, 'lineItem', 'items', lineItems(ctx.url.searchParams.get('includeAll') === 'true')),
  );
  const moduleOfLineItem = (lineItemId: string) => {
    for (const m of model().modules.values()) if (m.lineItems.some((l) => l.id === lineItemId)) return m;
    throw new HttpFailure(404);
  };
  both(router, state, 'GET', '/lineItems/:lineItemId/dimensions', (ctx) =>
    ok(ctx, state, 'dimension', 'dimensions', dimsOf(moduleOfLineItem(ctx.params.lineItemId!))),
  );
  // Dimension items (docs/anaplan.md §4.2): lists, Versions; Time answers 400 at model level.
  const dimensionItems = (dimId: string, m?: Module) => {
    const d = m
      ? m.dims.find((x) => dimensionId(x) === dimId)
      : dimId === VERSIONS_DIMENSION_ID
        ? ({ kind: 'versions' } as const)
        : dimId === TIME_DIMENSION_ID
          ? ({ kind: 'time' } as const)
          : [...model().lists.values()]
              .map((list) => ({ kind: 'list', list }) as const)
              .find((x) => x.list.id === dimId);
    if (!d) throw new HttpFailure(404);
    if (d.kind === 'time') {
      if (!m) throw new HttpFailure(400, 'Time dimension items cannot be read at model level');
      return model().time.map((p) => ({ id: p.id, name: p.code }));
    }
    if (d.kind === 'versions') return model().versions.map((v) => ({ id: v.id, name: v.name }));
    return d.list.items.map((it) => ({ id: it.id, name: it.name, code: it.code }));
  };
  const itemsBody = (ctx: ApiCtx, items: Array<Record<string, unknown>>) => {
    // Not paged; an empty collection omits its key (docs/anaplan.md §3.1).
    const body: Record<string, unknown> = {
      meta: { schema: schema(state, 'item') },
      status: { code: 200, message: 'Success' },
    };
    if (items.length > 0) body.items = items;
    sendJson(ctx.res, 200, body);
  };
  both(router, state, 'GET', '/dimensions/:dimId/items', (ctx) => itemsBody(ctx, dimensionItems(ctx.params.dimId!)));
  both(router, state, 'GET', '/lineItems/:lineItemId/dimensions/:dimId/items', (ctx) =>
    itemsBody(ctx, dimensionItems(ctx.params.dimId!, moduleOfLineItem(ctx.params.lineItemId!))),
  );
  // Calendar reads (docs/anaplan.md §4.3): calendar months, no current period set (empty strings, as the
  // live service answers when unset), fiscal year FY26 of the seeded FY25–FY27 range, no totals (the
  // sandbox's Time has months only). Changing them (PUT) is not served.
  const calendarType = 'Calendar Months/Quarters/Years';
  both(router, state, 'GET', '/currentPeriod', (ctx) =>
    ok(ctx, state, 'currentPeriod', 'currentPeriod', { periodText: '', lastDay: '', calendarType }),
  );
  both(router, state, 'GET', '/modelCalendar', (ctx) =>
    ok(ctx, state, 'modelCalendar', 'modelCalendar', {
      calendarType,
      currentPeriod: { periodText: '', lastDay: '' },
      fiscalYear: { year: 'FY26', startDate: '2026-01-01', endDate: '2026-12-31' },
      pastYearsCount: 1,
      totalsSelection: {
        quarterTotals: false,
        halfYearTotals: false,
        yearToDateSummary: false,
        yearToGoSummary: false,
        totalOfAllPeriods: false,
      },
    }),
  );
  both(router, state, 'GET', '/versions', (ctx) =>
    ok(
      ctx,
      state,
      'version',
      'versionMetadata',
      model().versions.map((v) => ({
        id: v.id,
        name: v.name,
        isCurrent: v.isCurrent,
        isActual: v.isActual,
        editFrom: { periodText: 'Jan 25', date: '2025-01-01' },
        editTo: { periodText: 'Dec 27', date: '2027-12-31' },
      })),
    ),
  );
}
