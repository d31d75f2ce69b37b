/**
 * Transactional list writes (docs/anaplan.md §10), at the workspace form and at the model form
 * (`/2/0/models/{mid}/lists/{listId}/items`, docs/anaplan.md §16): add (`POST …?action=add`) and update
 * (`PUT`). Per-item failures are reported, the rest applied (partial success, as documented).
 * Not served: `?action=delete` (cells are keyed by member position here) and `resetIndex`.
 */
import { HttpFailure } from './errors';
import { sendJson, type Router } from '../kit/router';
import { readJsonBody } from '../kit/body';
import { both, schema, type ApiCtx } from './api-common';
import type { ListItem, ModelList } from './model';
import type { SandboxState } from './state';

/** Documented cap per call (docs/anaplan.md §9). */
const MAX_ITEMS = 100_000;

interface ItemInput {
  id?: unknown;
  name?: unknown;
  code?: unknown;
  parent?: unknown;
}

interface Failure {
  requestIndex: number;
  failureType: string;
  failureMessageDetails: string;
}

async function items(ctx: ApiCtx): Promise<ItemInput[]> {
  const body = (await readJsonBody(ctx.req)) as { items?: unknown } | undefined;
  if (!body || !Array.isArray(body.items)) throw new HttpFailure(400, 'Body must be {"items": [...]}');
  if (body.items.length > MAX_ITEMS) throw new HttpFailure(400, `At most ${MAX_ITEMS} items per call`);
  return body.items as ItemInput[];
}

/** A parent by name or code, in the list's parent list when it has one (composite), else in itself. */
function resolveParent(list: ModelList, ref: unknown): ListItem | undefined | 'invalid' {
  if (ref === undefined || ref === null || ref === '') return undefined;
  if (typeof ref !== 'string') return 'invalid';
  return (list.parentList ?? list).byCodeOrName(ref) ?? 'invalid';
}

function reply(ctx: ApiCtx, state: SandboxState, counts: Record<string, number>, failures: Failure[]): void {
  // No `failures` key when everything succeeded (docs/anaplan.md §10).
  sendJson(ctx.res, 200, {
    meta: { schema: schema(state, 'listItem') },
    status: { code: 200, message: 'Success' },
    ...counts,
    ...(failures.length ? { failures } : {}),
  });
}

/** Deletes and index resets are for workspace administrators (Anaplan's help pages for both calls). */
export function requireAdmin(ctx: ApiCtx): void {
  if (!ctx.user.workspaceAdmin) throw new HttpFailure(403, 'This call needs a workspace administrator');
}

export function registerListItemRoutes(router: Router, state: SandboxState): void {
  const childListsOf = (list: ModelList) => [...state.model.lists.values()].filter((l) => l.parentList === list);
  const listOf = (ctx: ApiCtx) => {
    const l = state.model.listById(ctx.params.listId!);
    if (!l) throw new HttpFailure(404);
    return l;
  };

  both(router, state, 'POST', '/lists/:listId/items', async (ctx) => {
    const action = ctx.url.searchParams.get('action');
    if (action === 'delete') return deleteItems(ctx);
    if (action !== 'add') throw new HttpFailure(400, 'action must be add or delete');
    const list = listOf(ctx);
    const input = await items(ctx);
    const failures: Failure[] = [];
    let added = 0;
    input.forEach((it, requestIndex) => {
      const fail = (failureMessageDetails: string, failureType = 'INCORRECT_FORMAT') =>
        failures.push({ requestIndex, failureType, failureMessageDetails });
      if (typeof it.name !== 'string' || it.name.trim() === '') return fail('name is required');
      const code = typeof it.code === 'string' && it.code !== '' ? it.code : it.name;
      if (list.getByCode(code)) return fail(`Duplicate code: ${code}`);
      if (list.getByName(it.name)) return fail(`Duplicate name: ${it.name}`);
      const parent = resolveParent(list, it.parent);
      if (parent === 'invalid') return fail(`Invalid parent: ${String(it.parent)}`);
      if (list.size >= list.capacity) return fail(`List ${list.name} is full (${list.capacity} items)`);
      list.add(code, it.name, parent);
      added++;
    });
    reply(ctx, state, { added, ignored: input.length - added, total: input.length }, failures);
  });

  /**
   * `{items: [{id} | {code}]}` → `{deleted: n}`; with failures the count and failures come inside
   * `result: {numberOfItemsDeleted, failures}` with Anaplan's failure types "Not found" and
   * "Ambiguous criteria" (help page "Delete list items", docs/anaplan.md §10).
   */
  const deleteItems = async (ctx: ApiCtx): Promise<void> => {
    requireAdmin(ctx);
    const list = listOf(ctx);
    const input = await items(ctx);
    const failures: Failure[] = [];
    const doomed = new Map<number, ListItem>();
    input.forEach((it, requestIndex) => {
      const fail = (failureType: string, failureMessageDetails: string) =>
        failures.push({ requestIndex, failureType, failureMessageDetails });
      const id = typeof it.id === 'string' && it.id !== '' ? it.id : undefined;
      const code = typeof it.code === 'string' && it.code !== '' ? it.code : undefined;
      if (id && code) return fail('Ambiguous criteria', `Specifying both ID and code not supported (${id}:${code})`);
      if (!id && !code) return fail('Ambiguous criteria', 'Specify the item by id or code');
      const item = id ? list.items.find((x) => x.id === id) : list.getByCode(code!);
      if (!item) return fail('Not found', id ? `ID '${id}' not found` : `Code '${code}' not found`);
      // What Anaplan does with a parent's children is not documented; the sandbox keeps the
      // hierarchy whole and refuses (children in this list, or in a child list of a composite one).
      if (!list.isLeaf(item) || childListsOf(list).some((c) => c.items.some((x) => x.parentIndex === item.index)))
        return fail('Has children', `Item ${item.code} has children; delete them first`);
      doomed.set(item.index, item);
    });
    for (const item of doomed.values()) list.remove(item);
    if (doomed.size > 0) {
      const indices = new Set(doomed.keys());
      for (const m of state.model.modules.values())
        m.dims.forEach((d, i) => d.kind === 'list' && d.list === list && m.dropMembers(i, indices));
    }
    const body = failures.length
      ? { result: { numberOfItemsDeleted: doomed.size, failures } }
      : { deleted: doomed.size };
    sendJson(ctx.res, 200, {
      meta: { schema: schema(state, 'list') },
      status: { code: 200, message: 'Success' },
      ...body,
    });
  };

  // Numbered lists restart their index; the list must be empty (live: 400 "contains data", docs/anaplan.md §10).
  both(router, state, 'POST', '/lists/:listId/resetIndex', (ctx) => {
    requireAdmin(ctx);
    const list = listOf(ctx);
    if (list.size > 0)
      throw new HttpFailure(400, `List ${list.name} contains data; its index can only be reset when it is empty`);
    list.resetIndex();
    sendJson(ctx.res, 200, { meta: { schema: schema(state, 'list') }, status: { code: 200, message: 'Success' } });
  });

  both(router, state, 'PUT', '/lists/:listId/items', async (ctx) => {
    const list = listOf(ctx);
    const input = await items(ctx);
    const failures: Failure[] = [];
    let updated = 0;
    input.forEach((it, requestIndex) => {
      const fail = (failureMessageDetails: string, failureType = 'INCOMPLETE_DATA') =>
        failures.push({ requestIndex, failureType, failureMessageDetails });
      // Exactly one identity (docs/anaplan.md §10).
      const ids = [it.id, it.code, it.name].filter((v) => typeof v === 'string' && v !== '');
      if (ids.length !== 1) return fail('identify the item by exactly one of id, code or name');
      const item =
        typeof it.id === 'string'
          ? list.items.find((x) => x.id === it.id)
          : typeof it.code === 'string'
            ? list.getByCode(it.code)
            : list.getByName(String(it.name));
      if (!item) return fail('item not found', 'NOT_FOUND');
      const parent = it.parent === undefined ? list.parentOf(item) : resolveParent(list, it.parent);
      if (parent === 'invalid') return fail(`Invalid parent: ${String(it.parent)}`, 'INCORRECT_FORMAT');
      if (parent && !list.parentList && list.isSelfOrDescendant(item, parent))
        return fail('Invalid parent: a cycle', 'INCORRECT_FORMAT');
      list.update(item, item.name, parent);
      updated++;
    });
    reply(ctx, state, { updated, ignored: input.length - updated, total: input.length }, failures);
  });
}
