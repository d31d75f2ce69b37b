/**
 * Actions and tasks (docs/anaplan.md §6, §7): import/export/process metadata, task start/list/status/cancel,
 * import failure dumps (whole and chunked) and per-import dumps inside processes.
 */
import { HttpFailure } from './errors';
import { readJsonBody } from '../kit/body';
import { both, ok, paged, workspaceOnly, type ApiCtx } from './api-common';
import { chunkList, streamChunks } from './routes-files';
import { CONTENT_TTL_MS } from './files';
import type { Router } from '../kit/router';
import type { SandboxState } from './state';
import type { SandboxTask, TaskType } from './tasks';

export function taskJson(t: SandboxTask) {
  const base: Record<string, unknown> = {
    type: 'taskInformation',
    taskId: t.taskId,
    currentStep: t.currentStep,
    progress: t.progress,
    taskState: t.state,
    creationTime: t.creationTime,
  };
  if (t.cancelledBy) base.cancelledBy = { id: t.cancelledBy };
  // `result` only at a terminal state (docs/anaplan.md §7.2).
  if (t.result && (t.state === 'COMPLETE' || t.state === 'CANCELLED')) base.result = t.result;
  return base;
}

export function registerTaskRoutes(router: Router, state: SandboxState): void {
  const m = () => state.model;
  const action = (type: TaskType, id: string): { id: string; name: string } => {
    const a =
      type === 'imports' ? m().imports.get(id) : type === 'exports' ? m().exports.get(id) : m().processes.get(id);
    if (!a) throw new HttpFailure(404);
    return a;
  };

  both(router, state, 'GET', '/imports', (ctx) =>
    paged(
      ctx,
      state,
      'import',
      'imports',
      [...m().imports.values()].map((i) => ({
        id: i.id,
        name: i.name,
        importDataSourceId: i.fileId,
        importType: i.kind === 'list' ? 'HIERARCHY_DATA' : 'MODULE_DATA',
      })),
    ),
  );
  both(router, state, 'GET', '/imports/:id', (ctx) => {
    const i = m().imports.get(ctx.params.id!);
    if (!i) throw new HttpFailure(404);
    const headerNames = i.kind === 'list' ? i.columns : [...i.dimColumns.map((d) => d.column), i.valueColumn];
    ok(ctx, state, 'import', 'importMetadata', {
      name: i.name,
      type: 'FILE',
      source: {
        textEncoding: 'UTF-8',
        columnSeparator: ',',
        textDelimiter: '"',
        headerRow: 1,
        firstDataRow: 2,
        decimalSeparator: '.',
        headerNames,
        columnCount: headerNames.length,
      },
    });
  });
  both(router, state, 'GET', '/exports', (ctx) =>
    paged(
      ctx,
      state,
      'export',
      'exports',
      [...m().exports.values()].map((e) => ({
        id: e.id,
        name: e.name,
        exportType: e.layout,
        exportFormat: 'text/csv',
        encoding: 'UTF-8',
        layout: e.layout,
      })),
    ),
  );
  both(router, state, 'GET', '/exports/:id', (ctx) => {
    const e = m().exports.get(ctx.params.id!);
    if (!e) throw new HttpFailure(404);
    const headerNames = [...e.dimHeaders, ...e.lineItems];
    ok(ctx, state, 'export', 'exportMetadata', {
      columnCount: headerNames.length,
      dataTypes: [...e.dimHeaders.map(() => 'ENTITY'), ...e.lineItems.map(() => 'NUMBER')],
      delimiter: '"',
      encoding: 'UTF-8',
      exportFormat: 'text/csv',
      headerNames,
      listNames: e.dimHeaders,
      rowCount: 0,
      separator: ',',
      layout: e.layout,
    });
  });
  both(router, state, 'GET', '/processes', (ctx) =>
    paged(
      ctx,
      state,
      'process',
      'processes',
      [...m().processes.values()].map((p) => ({ id: p.id, name: p.name })),
    ),
  );
  both(router, state, 'GET', '/processes/:id', (ctx) => {
    const p = m().processes.get(ctx.params.id!);
    if (!p) throw new HttpFailure(404);
    const actions = p.actionIds.map((id) => {
      const imp = m().imports.get(id);
      if (imp)
        return {
          id,
          name: imp.name,
          actionType: 'IMPORT',
          importDataSourceId: imp.fileId,
          importType: imp.kind === 'list' ? 'HIERARCHY_DATA' : 'MODULE_DATA',
        };
      const e = m().exports.get(id)!;
      return {
        id,
        name: e.name,
        actionType: 'EXPORT',
        exportType: e.layout,
        exportFormat: 'text/csv',
        layout: e.layout,
      };
    });
    ok(ctx, state, 'process', 'processMetadata', { name: p.name, actions });
  });

  for (const type of ['imports', 'exports', 'processes'] as const) {
    workspaceOnly(router, state, 'POST', `/${type}/:id/tasks`, async (ctx) => {
      const a = action(type, ctx.params.id!);
      let body: { localeName?: unknown; mappingParameters?: unknown } | undefined;
      try {
        body = (await readJsonBody(ctx.req)) as typeof body;
      } catch {
        throw new HttpFailure(400, 'Malformed JSON body');
      }
      const mp = Array.isArray(body?.mappingParameters)
        ? (body!.mappingParameters as Array<{ entityType: string; entityName: string }>)
        : undefined;
      const t = state.scheduler.start(type, a.id, a.name, ctx.user.id, mp);
      ok(ctx, state, 'task', 'task', { taskId: t.taskId, taskState: t.state, creationTime: t.creationTime });
    });
    both(router, state, 'GET', `/${type}/:id/tasks`, (ctx) => {
      action(type, ctx.params.id!);
      const list = [...state.tasks.values()]
        .filter((t) => t.type === type && t.actionId === ctx.params.id)
        .sort((a, b) => a.creationTime - b.creationTime);
      paged(
        ctx,
        state,
        'task',
        'tasks',
        list.map((t) => ({ taskId: t.taskId, taskState: t.state, creationTime: t.creationTime })),
      );
    });
    const taskOf = (ctx: ApiCtx) => {
      action(type, ctx.params.id!);
      const t = state.tasks.get(ctx.params.taskId!);
      if (!t || t.type !== type || t.actionId !== ctx.params.id) throw new HttpFailure(404);
      return t;
    };
    both(router, state, 'GET', `/${type}/:id/tasks/:taskId`, (ctx) =>
      ok(ctx, state, 'task', 'task', taskJson(taskOf(ctx))),
    );
    workspaceOnly(router, state, 'DELETE', `/${type}/:id/tasks/:taskId`, (ctx) => {
      const t = taskOf(ctx);
      state.scheduler.cancel(t, ctx.user.id);
      ok(ctx, state, 'task', 'task', taskJson(t));
    });
  }

  // Dumps: per user and import, only the latest task's dump is kept, for 48 h (docs/anaplan.md §7.2, §14.6).
  const dumpOf = (ctx: ApiCtx, importId: string) => {
    const t = state.tasks.get(ctx.params.taskId!);
    const latest = state.latestDump.get(`${ctx.user.id}:${importId}`);
    if (!t || !latest || latest.taskId !== t.taskId || state.now() - latest.createdAt > CONTENT_TTL_MS)
      throw new HttpFailure(404);
    return latest.chunks;
  };
  workspaceOnly(router, state, 'GET', '/imports/:id/tasks/:taskId/dump', (ctx) =>
    streamChunks(ctx, dumpOf(ctx, ctx.params.id!), 'text/csv'),
  );
  workspaceOnly(router, state, 'GET', '/imports/:id/tasks/:taskId/dump/chunks', (ctx) =>
    chunkList(ctx, state, dumpOf(ctx, ctx.params.id!).length),
  );
  workspaceOnly(router, state, 'GET', '/imports/:id/tasks/:taskId/dump/chunks/:chunkId', async (ctx) => {
    const c = dumpOf(ctx, ctx.params.id!)[Number(ctx.params.chunkId)];
    if (!c) throw new HttpFailure(404);
    await streamChunks(ctx, [c], 'text/csv');
  });
  workspaceOnly(router, state, 'GET', '/processes/:id/tasks/:taskId/dumps/:objectId', (ctx) =>
    streamChunks(ctx, dumpOf(ctx, ctx.params.objectId!), 'text/csv'),
  );
  workspaceOnly(router, state, 'GET', '/processes/:id/tasks/:taskId/dumps/:objectId/chunks', (ctx) =>
    chunkList(ctx, state, dumpOf(ctx, ctx.params.objectId!).length),
  );
  workspaceOnly(router, state, 'GET', '/processes/:id/tasks/:taskId/dumps/:objectId/chunks/:chunkId', async (ctx) => {
    const c = dumpOf(ctx, ctx.params.objectId!)[Number(ctx.params.chunkId)];
    if (!c) throw new HttpFailure(404);
    await streamChunks(ctx, [c], 'text/csv');
  });
}
