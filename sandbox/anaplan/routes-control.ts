/**
 * Control plane under `/__sandbox/` (no auth, no faults, not rate limited): reset, users and
 * certificates, device-code approval, state inspection (lists, cell totals, files, tasks and the
 * per-model timeline, auth log, budget), faults, clock. Documented in README.md.
 */
import { HttpFailure } from './errors';
import { sendJson, type Router } from '../kit/router';
import { fileJson } from './routes-files';
import { taskJson } from './routes-tasks';
import type { FaultSpec } from './faults';
import { ControlError, controlBody, registerKitControl } from '../kit/control';
import { FaultSpecError } from '../kit/faults';
import { RUNTIME_SWITCHES, type SandboxState } from './state';
import { SETTING_KEYS } from './files';

/**
 * Cell count and total of one line item, filtered by dimension members given as
 * `{ <dimension name or import column>: <code or name> }` — e.g. `{ Period: 'Oct 26', Subsidiaries: 'SUB-2' }`.
 */
export function cellTotals(
  state: SandboxState,
  moduleName: string,
  lineItemName: string,
  filter: Record<string, string>,
): { cells: number; total: number } {
  const model = state.model;
  const mod = model.modules.get(moduleName) ?? [...model.modules.values()].find((m) => m.name.startsWith(moduleName));
  const li = mod?.lineItem(lineItemName);
  if (!mod || !li) throw new HttpFailure(404, 'Unknown module or line item');
  const aliases: Record<string, string> = {
    Account: 'Accounts',
    Subsidiary: 'Subsidiaries',
    Department: 'Departments',
    Class: 'Classes',
    Location: 'Locations',
    Period: 'Time',
    Version: 'Versions',
  };
  const wanted: Array<[number, number]> = [];
  for (const [k, v] of Object.entries(filter)) {
    const dimName = aliases[k] ?? k;
    const d = mod.dims.findIndex((_, i) => mod.dimName(i) === dimName);
    if (d < 0) throw new HttpFailure(400, `Module has no dimension ${k}`);
    const m = model.member(mod.dims[d]!, v);
    if (!m) return { cells: 0, total: 0 };
    wanted.push([d, m.index]);
  }
  let cells = 0;
  let total = 0;
  const idx: number[] = [];
  for (const [key, value] of li.cells) {
    if (wanted.length > 0) {
      mod.decode(key, idx);
      if (!wanted.every(([d, i]) => idx[d] === i)) continue;
    }
    cells++;
    total += value;
  }
  return { cells, total };
}

export function registerControlRoutes(router: Router, state: SandboxState): void {
  const P = '/__sandbox';
  router.add('POST', `${P}/reset`, async (ctx) => {
    await state.reset();
    sendJson(ctx.res, 200, { ok: true, workspaceId: state.model.workspaceId, modelId: state.model.id });
  });

  router.add('POST', `${P}/users`, async (ctx) => {
    const b = await controlBody(ctx);
    if (typeof b.email !== 'string' || !b.email.includes('@')) throw new ControlError(400, 'email is required');
    try {
      const u = state.addUser({
        email: b.email,
        password: b.password,
        certificatePem: b.certificatePem,
        firstName: b.firstName,
        lastName: b.lastName,
        workspaceAdmin: typeof b.workspaceAdmin === 'boolean' ? b.workspaceAdmin : undefined,
      });
      sendJson(ctx.res, 201, {
        id: u.id,
        email: u.email,
        hasPassword: u.password !== undefined,
        certificateFingerprint: u.certFingerprint ?? null,
        workspaceAdmin: u.workspaceAdmin,
      });
    } catch {
      throw new ControlError(400, 'certificatePem is not a valid certificate');
    }
  });
  router.add('GET', `${P}/users`, (ctx) =>
    sendJson(ctx.res, 200, {
      users: [...state.users.values()].map((u) => ({
        id: u.id,
        email: u.email,
        hasPassword: u.password !== undefined,
        certificateFingerprint: u.certFingerprint ?? null,
        workspaceAdmin: u.workspaceAdmin,
      })),
    }),
  );

  router.add('POST', `${P}/oauth/clients`, async (ctx) => {
    const b = await controlBody(ctx);
    const id = typeof b.clientId === 'string' ? b.clientId : state.demoClientId;
    state.oauthClients.set(id, { rotatable: b.rotatable !== false });
    sendJson(ctx.res, 201, { clientId: id, rotatable: b.rotatable !== false });
  });
  router.add('GET', `${P}/device`, (ctx) =>
    sendJson(ctx.res, 200, {
      pending: [...state.devices.values()]
        .filter((d) => !d.consumed && !d.approvedUserId && !d.denied)
        .map((d) => ({ userCode: d.userCode, clientId: d.clientId, expiresAt: d.expiresAt })),
    }),
  );
  // Stands in for the human who opens verification_uri and approves (or denies) the device.
  router.add('POST', `${P}/device/approve`, async (ctx) => {
    const b = await controlBody(ctx);
    const d = [...state.devices.values()].find((x) => x.userCode === b.userCode || x.userCode === b.user_code);
    if (!d) throw new ControlError(404, 'Unknown user code');
    const user = state.userByEmail(typeof b.email === 'string' ? b.email : state.demoUser.email);
    if (!user) throw new ControlError(404, 'Unknown user');
    if (b.deny === true) d.denied = true;
    else d.approvedUserId = user.id;
    sendJson(ctx.res, 200, { ok: true, denied: d.denied });
  });
  router.add('POST', `${P}/tokens/revoke`, async (ctx) => {
    const b = await controlBody(ctx);
    sendJson(ctx.res, 200, { revoked: state.revokeTokens(typeof b.email === 'string' ? b.email : undefined) });
  });
  router.add('POST', `${P}/clock`, async (ctx) => {
    const b = await controlBody(ctx);
    state.clockOffsetMs += Number(b.advanceMs ?? 0);
    sendJson(ctx.res, 200, { offsetMs: state.clockOffsetMs });
  });

  router.add('GET', `${P}/state`, (ctx) => {
    const m = state.model;
    sendJson(ctx.res, 200, {
      workspaceId: m.workspaceId,
      modelId: m.id,
      lists: [...m.lists.values()].map((l) => ({ id: l.id, name: l.name, items: l.size })),
      modules: [...m.modules.values()].map((mod) => ({
        id: mod.id,
        name: mod.name,
        lineItems: mod.lineItems.map((li) => ({ name: li.name, cells: li.cells.size })),
      })),
      budget: {
        limit: state.budget.limit,
        windowMs: state.budget.windowMs,
        admitted: state.budget.admitted,
        limited: state.budget.limited,
        peak: state.budget.peak,
      },
      faults: state.faults.rules,
      requests: state.stats.snapshot().requests,
    });
  });
  router.add('GET', `${P}/lists/:name`, (ctx) => {
    const l = state.model.lists.get(ctx.params.name!) ?? state.model.listById(ctx.params.name!);
    if (!l) throw new ControlError(404, `no list ${ctx.params.name}`);
    sendJson(ctx.res, 200, {
      id: l.id,
      name: l.name,
      items: l.items.map((it) => ({ id: it.id, code: it.code, name: it.name, parent: l.parentOf(it)?.code ?? null })),
    });
  });
  // Cell totals: /__sandbox/cells?module=ACT01 GL Actuals&lineItem=Amount&Period=Oct 26&Subsidiary=SUB-2
  router.add('GET', `${P}/cells`, (ctx) => {
    const q = Object.fromEntries(ctx.url.searchParams);
    const { module: moduleName = '', lineItem = 'Amount', ...filter } = q;
    sendJson(ctx.res, 200, cellTotals(state, moduleName, lineItem, filter));
  });
  // One entry per file and user holding content (content is per user, docs/anaplan.md §16); bare files once.
  router.add('GET', `${P}/files`, (ctx) =>
    sendJson(ctx.res, 200, {
      files: [...state.files.files.values()].flatMap((f): Array<Record<string, unknown>> => {
        const slots = [...f.content.entries()];
        if (slots.length === 0)
          return [{ ...fileJson(f), kind: f.kind, user: null, bytes: 0, completed: false, expired: false }];
        return slots.map(([userId, c]) => ({
          ...fileJson(f, c),
          kind: f.kind,
          user: state.users.get(userId)?.email ?? userId,
          bytes: c.chunks.reduce((s, x) => s + (x?.size ?? 0), 0),
          completed: c.completed,
          expired: c.completed && state.files.content(f, userId, state.now()) === undefined,
        }));
      }),
    }),
  );
  // The model builder's file settings (what `/complete` must not override, docs/anaplan.md §16).
  router.add('POST', `${P}/files/:id/settings`, async (ctx) => {
    const f = state.files.get(ctx.params.id!);
    if (!f) throw new ControlError(404, `no file ${ctx.params.id}`);
    const b = await controlBody(ctx);
    for (const k of SETTING_KEYS) if (b[k] !== undefined) (f.settings as unknown as Record<string, unknown>)[k] = b[k];
    sendJson(ctx.res, 200, { id: f.id, settings: f.settings });
  });
  router.add('POST', `${P}/switches`, async (ctx) => {
    const b = await controlBody(ctx);
    for (const [k, v] of Object.entries(b)) {
      if (!(RUNTIME_SWITCHES as readonly string[]).includes(k) || typeof v !== 'boolean')
        throw new ControlError(400, `switches are booleans among ${RUNTIME_SWITCHES.join(', ')}`);
      (state.config as unknown as Record<string, boolean>)[k] = v;
    }
    sendJson(ctx.res, 200, Object.fromEntries(RUNTIME_SWITCHES.map((k) => [k, state.config[k]])));
  });
  router.add('GET', `${P}/tasks`, (ctx) =>
    sendJson(ctx.res, 200, {
      tasks: [...state.tasks.values()].map((t) => ({
        ...taskJson(t),
        type: t.type,
        actionId: t.actionId,
        actionName: t.actionName,
        rows: t.rows,
      })),
    }),
  );
  router.add('GET', `${P}/timeline`, (ctx) => {
    const modelId = ctx.url.searchParams.get('modelId') ?? state.model.id;
    sendJson(ctx.res, 200, { modelId, entries: state.timelineFor(modelId) });
  });
  router.add('GET', `${P}/auth-log`, (ctx) => sendJson(ctx.res, 200, { events: state.authLog }));

  // Faults and request statistics: the kit's endpoints; Anaplan adds its own kinds (task faults,
  // `task-duration`, `revoke-tokens`) to the same POST.
  registerKitControl(router, {
    addFault: (b) => {
      if (b.kind === 'task-duration') {
        const ms = Number(b.durationMs);
        if (!Number.isFinite(ms) || ms < 0) throw new FaultSpecError('durationMs must be a number ≥ 0');
        state.faults.taskDurationMs = ms;
        return { taskDurationMs: ms };
      }
      if (b.kind === 'revoke-tokens') return { revoked: state.revokeTokens() };
      return state.faults.add(b as FaultSpec);
    },
    listFaults: () => state.faults.rules,
    clearFaults: () => state.faults.clear(),
    stats: () => state.stats.snapshot(),
    resetStats: () => state.stats.reset(),
  });
}
