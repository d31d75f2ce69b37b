/**
 * Transactional list writes (reference §10), at the workspace form and at the model form
 * (`/2/0/models/{mid}/lists/{listId}/items`, reference §16): add (`POST …?action=add`) and update
 * (`PUT`). Per-item failures are reported, the rest applied (partial success, as documented).
 * Not served: `?action=delete` (cells are keyed by member position here) and `resetIndex`.
 */
import { HttpFailure } from './errors';
import { sendJson, type Router } from '../kit/router';
import { readJsonBody } from '../kit/body';
import { both, schema, type ApiCtx } from './api-common';
import type { ListItem, ModelList } from './model';
import type { SandboxState } from './state';

/** Documented cap per call (reference §9). */
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
  // No `failures` key when everything succeeded (reference §10).
  sendJson(ctx.res, 200, { meta: { schema: schema(state, 'listItem') }, status: { code: 200, message: 'Success' }, ...counts, ...(failures.length ? { failures } : {}) });
}

export function registerListItemRoutes(router: Router, state: SandboxState): void {
  const listOf = (ctx: ApiCtx) => {
    const l = state.model.listById(ctx.params.listId!);
    if (!l) throw new HttpFailure(404);
    return l;
  };

  both(router, state, 'POST', '/lists/:listId/items', async (ctx) => {
    const action = ctx.url.searchParams.get('action');
    if (action !== 'add') throw new HttpFailure(400, action === 'delete' ? 'action=delete is not served by this sandbox' : 'action must be add or delete');
    const list = listOf(ctx);
    const input = await items(ctx);
    const failures: Failure[] = [];
    let added = 0;
    input.forEach((it, requestIndex) => {
      const fail = (failureMessageDetails: string, failureType = 'INCORRECT_FORMAT') => failures.push({ requestIndex, failureType, failureMessageDetails });
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

  both(router, state, 'PUT', '/lists/:listId/items', async (ctx) => {
    const list = listOf(ctx);
    const input = await items(ctx);
    const failures: Failure[] = [];
    let updated = 0;
    input.forEach((it, requestIndex) => {
      const fail = (failureMessageDetails: string, failureType = 'INCOMPLETE_DATA') => failures.push({ requestIndex, failureType, failureMessageDetails });
      // Exactly one identity (reference §10).
      const ids = [it.id, it.code, it.name].filter((v) => typeof v === 'string' && v !== '');
      if (ids.length !== 1) return fail('identify the item by exactly one of id, code or name');
      const item = typeof it.id === 'string' ? list.items.find((x) => x.id === it.id) : typeof it.code === 'string' ? list.getByCode(it.code) : list.getByName(String(it.name));
      if (!item) return fail('item not found', 'NOT_FOUND');
      const parent = it.parent === undefined ? list.parentOf(item) : resolveParent(list, it.parent);
      if (parent === 'invalid') return fail(`Invalid parent: ${String(it.parent)}`, 'INCORRECT_FORMAT');
      if (parent && !list.parentList && list.isSelfOrDescendant(item, parent)) return fail('Invalid parent: a cycle', 'INCORRECT_FORMAT');
      list.update(item, item.name, parent);
      updated++;
    });
    reply(ctx, state, { updated, ignored: input.length - updated, total: input.length }, failures);
  });
}
