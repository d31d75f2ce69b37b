/**
 * Transactional module reads and writes (docs/anaplan.md §4.2, §10) at the model form `/2/0/models/{mid}/…`
 * (and the workspace form): the views of a module (here only each module's default view, whose id is
 * the module id) and cell writes `POST …/modules/{moduleId}/data` — an array of
 * `{lineItemId|lineItemName, dimensions:[{dimensionId|dimensionName, itemId|itemName|itemCode}], value}`
 * answered with `{numberOfCellsChanged, failures?}`; partial success, aggregate cells refused.
 */
import { HttpFailure } from './errors';
import { sendJson, type Router } from '../kit/router';
import { readBody } from '../kit/body';
import { both, paged, schema } from './api-common';
import { TIME_DIMENSION_ID, VERSIONS_DIMENSION_ID, type Dimension, type Module } from './model';
import type { SandboxState } from './state';

/** Documented cap per call (docs/anaplan.md §9: 100,000 cells). */
const MAX_CELLS = 100_000;

interface CellInput {
  lineItemId?: unknown;
  lineItemName?: unknown;
  dimensions?: Array<{
    dimensionId?: unknown;
    dimensionName?: unknown;
    itemId?: unknown;
    itemName?: unknown;
    itemCode?: unknown;
  }>;
  value?: unknown;
}

function dimensionId(d: Dimension): string {
  return d.kind === 'list' ? d.list.id : d.kind === 'time' ? TIME_DIMENSION_ID : VERSIONS_DIMENSION_ID;
}

export function registerModuleDataRoutes(router: Router, state: SandboxState): void {
  const viewJson = (m: Module) => ({ code: '', id: m.id, name: m.name, moduleId: m.id });
  both(router, state, 'GET', '/views', (ctx) =>
    paged(ctx, state, 'view', 'views', [...state.model.modules.values()].map(viewJson)),
  );
  both(router, state, 'GET', '/modules/:moduleId/views', (ctx) => {
    const m = state.model.moduleById(ctx.params.moduleId!);
    if (!m) throw new HttpFailure(404);
    paged(ctx, state, 'view', 'views', [viewJson(m)]);
  });

  both(router, state, 'POST', '/modules/:moduleId/data', async (ctx) => {
    const model = state.model;
    const m = model.moduleById(ctx.params.moduleId!);
    if (!m) throw new HttpFailure(404);
    const body = JSON.parse((await readBody(ctx.req, 16 * 1024 * 1024)).toString('utf8') || 'null') as unknown;
    if (!Array.isArray(body)) throw new HttpFailure(400, 'Body must be an array of cells');
    if (body.length > MAX_CELLS) throw new HttpFailure(400, `At most ${MAX_CELLS} cells per call`);
    const failures: Array<{ requestIndex: number; failureType: string; failureMessageDetails: string }> = [];
    let changed = 0;
    (body as CellInput[]).forEach((cell, requestIndex) => {
      const fail = (failureType: string, failureMessageDetails: string) =>
        failures.push({ requestIndex, failureType, failureMessageDetails });
      const li = m.lineItems.find((l) => l.id === cell.lineItemId || l.name === cell.lineItemName);
      if (!li) return fail('INVALID_LINE_ITEM', `Unknown line item: ${String(cell.lineItemId ?? cell.lineItemName)}`);
      const idx: number[] = [];
      for (let d = 0; d < m.dims.length; d++) {
        const dim = m.dims[d]!;
        const coord = (cell.dimensions ?? []).find(
          (c) => c.dimensionId === dimensionId(dim) || c.dimensionName === m.dimName(d),
        );
        if (!coord) return fail('MISSING_DIMENSION', `No item given for ${m.dimName(d)}`);
        const byId =
          typeof coord.itemId === 'string'
            ? dim.kind === 'list'
              ? dim.list.items.find((i) => i.id === coord.itemId)
              : undefined
            : undefined;
        const ref =
          byId?.code ??
          (typeof coord.itemCode === 'string'
            ? coord.itemCode
            : typeof coord.itemName === 'string'
              ? coord.itemName
              : String(coord.itemId ?? ''));
        const member = model.member(dim, ref);
        if (!member) return fail('INVALID_ITEM', `Item not located in ${m.dimName(d)}: ${ref}`);
        if (!member.leaf) return fail('AGGREGATE_CELL', `Cannot write to an aggregate item: ${ref}`);
        idx.push(member.index);
      }
      const raw = cell.value;
      const value =
        li.format === 'BOOLEAN'
          ? raw === true || raw === 'true'
            ? 1
            : raw === false || raw === 'false'
              ? 0
              : NaN
          : typeof raw === 'number'
            ? raw
            : typeof raw === 'string' && raw.trim() !== ''
              ? Number(raw)
              : NaN;
      if (!Number.isFinite(value))
        return fail('INVALID_VALUE', `Invalid ${li.format === 'BOOLEAN' ? 'boolean' : 'number'}: ${String(raw)}`);
      const key = m.key(idx);
      if (value === 0) li.cells.delete(key);
      else li.cells.set(key, value);
      changed++;
    });
    sendJson(ctx.res, 200, {
      meta: { schema: schema(state, 'cell') },
      status: { code: 200, message: 'Success' },
      numberOfCellsChanged: changed,
      ...(failures.length ? { failures } : {}),
    });
  });
}
