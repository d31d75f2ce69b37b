/**
 * The seeded demo tenant: one workspace and the "FP&A Planning" model built from the same demo company
 * the NetSuite sandbox seeds (sandbox/demo-company.ts), so both sides describe one business.
 * Names and IDs are contracts of the connector's default configuration (see README.md).
 */
import {
  ACCOUNTS,
  CLASSES,
  DEPARTMENTS,
  LOCATIONS,
  PL_ACCOUNT_TYPES,
  POSTING_SUBSIDIARIES,
  SUBSIDIARIES,
  UNMAPPED_ACCOUNT_ID,
  leaves,
  postingAccounts,
  rng,
  type DemoSegment,
} from '../demo-company';
import { hex32, objectId } from './ids';
import { Module, ModelList, PlanningModel, type Dimension, type LineItem } from './model';

export const WORKSPACE_NAME = 'ML Demo Workspace';
export const MODEL_NAME = 'FP&A Planning';
export const FISCAL_YEARS = [2025, 2026, 2027];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface SeedFile {
  id: string;
  name: string;
  kind: 'import-source' | 'export-output';
  headerNames: string[];
}

export interface Seed {
  workspaceId: string;
  modelId: string;
  model: PlanningModel;
  files: SeedFile[];
}

const LIST_COLUMNS = ['Code', 'Name', 'Parent'];
export const GL_COLUMNS = ['Account', 'Subsidiary', 'Department', 'Class', 'Location', 'Period', 'Amount'];
export const PLAN_EXPORT_COLUMNS = ['Account', 'Subsidiary', 'Department', 'Period', 'Version', 'Amount'];

/** Plan accounts: the P&L chart (summary parents included), minus the account the config leaves unmapped. */
export function planAccounts() {
  return ACCOUNTS.filter((a) => PL_ACCOUNT_TYPES.has(a.accttype) && !a.isinactive && a.id !== UNMAPPED_ACCOUNT_ID);
}

function addSegmentList(
  model: PlanningModel,
  ordinal: number,
  name: string,
  capacity: number,
  members: DemoSegment[],
): ModelList {
  const list = model.addList(new ModelList(objectId(101, ordinal), name, capacity, 210 + ordinal));
  const byId = new Map<number, string>();
  for (const m of members) {
    if (!m.inAnaplan || m.isinactive) continue;
    const parentCode = m.parent === null ? undefined : byId.get(m.parent);
    list.add(m.code, m.name, parentCode === undefined ? undefined : list.getByCode(parentCode));
    byId.set(m.id, m.code);
  }
  return list;
}

/**
 * @param compositeAccounts Accounts is a composite hierarchy (default): posting accounts in
 *   `Accounts`, their summary parents in `Account Groups` (docs/anaplan.md §16). Off: one parent-child
 *   `Accounts` list holding both, as before.
 */
export function buildSeed(seed: number, opts: { compositeAccounts?: boolean } = {}): Seed {
  const random = rng(seed);
  const workspaceId = hex32(random);
  const modelId = hex32(random).toUpperCase();
  const model = new PlanningModel(modelId, MODEL_NAME, workspaceId);
  const composite = opts.compositeAccounts ?? true;

  // Lists. Capacities bound the packed cell key (model.ts); Accounts gets the most room because the
  // connector syncs the whole chart into it.
  const accounts = model.addList(new ModelList(objectId(101, 1), 'Accounts', 1024, 211));
  const groups = composite ? new ModelList(objectId(101, 6), 'Account Groups', 128, 216) : undefined;
  if (groups) accounts.parentList = groups;
  for (const a of planAccounts()) {
    const parent = a.parent === null ? undefined : ACCOUNTS.find((p) => p.id === a.parent);
    if (groups && a.issummary) groups.add(a.acctnumber, a.name, undefined);
    else accounts.add(a.acctnumber, a.name, parent ? (groups ?? accounts).getByCode(parent.acctnumber) : undefined);
  }
  const subsidiaries = addSegmentList(
    model,
    2,
    'Subsidiaries',
    128,
    SUBSIDIARIES.map((s) => ({
      id: s.id,
      name: s.name,
      parent: s.parent,
      code: s.code,
      isinactive: false,
      inAnaplan: true,
    })),
  );
  const departments = addSegmentList(model, 3, 'Departments', 256, DEPARTMENTS);
  const classes = addSegmentList(model, 4, 'Classes', 128, CLASSES);
  const locations = addSegmentList(model, 5, 'Locations', 128, LOCATIONS);
  if (groups) model.addList(groups);

  // Time: calendar months FY2025–FY2027, coded like `Oct 26` (docs/anaplan.md §11).
  for (const y of FISCAL_YEARS) {
    for (let m = 1; m <= 12; m++) {
      const index = model.time.length;
      model.addPeriod({
        id: objectId(109, index + 1),
        index,
        code: `${MONTHS[m - 1]} ${String(y).slice(2)}`,
        start: `${y}-${String(m).padStart(2, '0')}-01`,
      });
    }
  }
  model.versions.push(
    { id: objectId(107, 1), index: 0, name: 'Actual', isActual: true, isCurrent: false },
    { id: objectId(107, 2), index: 1, name: 'Budget', isActual: false, isCurrent: true },
    { id: objectId(107, 3), index: 2, name: 'Forecast', isActual: false, isCurrent: false },
  );

  const L = (list: ModelList): Dimension => ({ kind: 'list', list });
  const li = (n: number, name: string, format: LineItem['format']): LineItem => ({
    id: objectId(206, n),
    name,
    format,
    cells: new Map(),
  });
  const act = new Module(
    objectId(102, 1),
    'ACT01 GL Actuals',
    [L(accounts), L(subsidiaries), L(departments), L(classes), L(locations), { kind: 'time' }],
    [li(1, 'Amount', 'NUMBER')],
    64,
    16,
  );
  const pln = new Module(
    objectId(102, 2),
    'PLN01 Plan',
    [L(accounts), L(subsidiaries), L(departments), { kind: 'time' }, { kind: 'versions' }],
    [li(2, 'Amount', 'NUMBER'), li(3, 'Approved', 'BOOLEAN')],
    64,
    16,
  );
  model.modules.set(act.name, act);
  model.modules.set(pln.name, pln);
  seedPlan(model, pln, random);

  // Actions and their files: each import reads its own 113… source file; the export's output file
  // shares the export's 116… id (docs/anaplan.md §3.4, §5).
  const files: SeedFile[] = [];
  const listImports: Array<[string, string]> = [
    ['Import Accounts', 'Accounts'],
    ['Import Subsidiaries', 'Subsidiaries'],
    ['Import Departments', 'Departments'],
    ['Import Classes', 'Classes'],
    ['Import Locations', 'Locations'],
  ];
  listImports.forEach(([name, listName], i) => {
    const fileId = objectId(113, i);
    files.push({ id: fileId, name: `${listName}.csv`, kind: 'import-source', headerNames: LIST_COLUMNS });
    model.imports.set(objectId(112, i), {
      id: objectId(112, i),
      name,
      kind: 'list',
      fileId,
      listName,
      columns: LIST_COLUMNS,
    });
  });
  const glFile = objectId(113, listImports.length);
  files.push({ id: glFile, name: 'GL Actuals.csv', kind: 'import-source', headerNames: GL_COLUMNS });
  const glImportId = objectId(112, listImports.length);
  model.imports.set(glImportId, {
    id: glImportId,
    name: 'Import GL Actuals',
    kind: 'module',
    fileId: glFile,
    moduleName: act.name,
    lineItem: 'Amount',
    dimColumns: [
      { column: 'Account', dim: 'Accounts' },
      { column: 'Subsidiary', dim: 'Subsidiaries' },
      { column: 'Department', dim: 'Departments' },
      { column: 'Class', dim: 'Classes' },
      { column: 'Location', dim: 'Locations' },
      { column: 'Period', dim: 'Time' },
    ],
    valueColumn: 'Amount',
  });
  const exportId = objectId(116, 0);
  model.exports.set(exportId, {
    id: exportId,
    name: 'Export Approved Plan',
    moduleName: pln.name,
    layout: 'TABULAR_MULTI_COLUMN',
    filterLineItem: 'Approved',
    dimHeaders: PLAN_EXPORT_COLUMNS.slice(0, 5),
    lineItems: ['Amount'],
  });
  files.push({ id: exportId, name: 'Approved Plan.csv', kind: 'export-output', headerNames: PLAN_EXPORT_COLUMNS });
  if (groups) {
    // The parent list's own import, loaded before the child list (parents must exist first).
    const fileId = objectId(113, 6);
    files.push({ id: fileId, name: 'Account Groups.csv', kind: 'import-source', headerNames: LIST_COLUMNS });
    model.imports.set(objectId(112, 6), {
      id: objectId(112, 6),
      name: 'Import Account Groups',
      kind: 'list',
      fileId,
      listName: groups.name,
      columns: LIST_COLUMNS,
    });
  }
  const processId = objectId(118, 0);
  model.processes.set(processId, { id: processId, name: 'Refresh Actuals', actionIds: [objectId(112, 0), glImportId] });
  return { workspaceId, modelId, model, files };
}

/**
 * Budget and Forecast for FY2026–FY2027 on posting accounts × posting subsidiaries × department leaves.
 * Approval rule (documented in README): Budget is approved for every FY2026 month and for FY2027 in
 * SUB-2 only; Forecast is approved for Oct 26–Dec 26 only.
 */
function seedPlan(model: PlanningModel, pln: Module, random: () => number): void {
  const accounts = model.lists.get('Accounts')!;
  const subs = model.lists.get('Subsidiaries')!;
  const deps = model.lists.get('Departments')!;
  const amount = pln.lineItem('Amount')!.cells;
  const approved = pln.lineItem('Approved')!.cells;
  const budget = model.version('Budget')!;
  const forecast = model.version('Forecast')!;
  const planAccts = postingAccounts().filter((a) => PL_ACCOUNT_TYPES.has(a.accttype) && a.id !== UNMAPPED_ACCOUNT_ID);
  const depLeaves = leaves(DEPARTMENTS).filter((d) => d.inAnaplan);
  const periods = model.time.filter((p) => p.start >= '2026-01-01');
  for (const a of planAccts) {
    const base = a.accttype === 'Income' ? 40_000 : a.accttype === 'COGS' ? 12_000 : 3_000;
    const ai = accounts.getByCode(a.acctnumber)!.index;
    for (const subId of POSTING_SUBSIDIARIES) {
      const sub = subs.getByCode(`SUB-${subId}`)!;
      for (const d of depLeaves) {
        const di = deps.getByCode(d.code)!.index;
        const level = base * (0.5 + random());
        for (const p of periods) {
          const b = Math.round(level * (0.9 + 0.2 * random()) * 100) / 100;
          const f = Math.round(b * (0.92 + 0.16 * random()) * 100) / 100;
          const kb = pln.key([ai, sub.index, di, p.index, budget.index]);
          const kf = pln.key([ai, sub.index, di, p.index, forecast.index]);
          amount.set(kb, b);
          amount.set(kf, f);
          if (p.start < '2027-01-01' || sub.code === 'SUB-2') approved.set(kb, 1);
          if (p.start >= '2026-10-01' && p.start < '2027-01-01') approved.set(kf, 1);
        }
      }
    }
  }
}
