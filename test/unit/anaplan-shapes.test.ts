/**
 * Every resource the sandbox serves, parsed the way third-party Anaplan clients parse them (issue 12
 * item 6): strict schemas with the fields the real API returns as required (docs/anaplan.md §4–§7, §16;
 * the field sets public clients such as anaplan-sdk validate). A missing or mistyped field fails
 * here before it fails a user's own tooling pointed at the sandbox. Calls are plain `fetch`, as
 * another client would make them, at the workspace form and at the model form (`/2/0/models/{mid}/…`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { FAST_POLL, client, glCsv, sandbox } from '../fixtures/anaplan/harness';

let sb: AnaplanSandbox;
let token: string;
before(async () => {
  sb = await sandbox();
  token = await client(sb).tokens.token();
});
after(() => sb.close());

/** 12-digit model-object ids travel as strings (docs/anaplan.md §3.4). */
const objId = z.string().regex(/^\d{11,12}$/);
const hex32 = z.string().regex(/^[0-9a-f]{32}$/);
const HEX32 = z.string().regex(/^[0-9A-F]{32}$/);
const iso = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
const dim = z.object({ id: objId, name: z.string() }).strict();
const envelope = <T extends z.ZodTypeAny>(key: string, value: T, paged = false) =>
  z.object({
    meta: z
      .object({
        schema: z.string().url(),
        ...(paged
          ? {
              paging: z
                .object({ currentPageSize: z.number().int(), offset: z.number().int(), totalSize: z.number().int() })
                .passthrough(),
            }
          : {}),
      })
      .strict(),
    status: z.object({ code: z.literal(200), message: z.literal('Success') }).strict(),
    [key]: value,
  });

const User = z
  .object({
    id: hex32,
    active: z.boolean(),
    email: z.string(),
    emailOptIn: z.boolean(),
    firstName: z.string(),
    lastName: z.string(),
    lastLoginDate: iso,
  })
  .strict();
const Workspace = z
  .object({
    id: hex32,
    name: z.string(),
    active: z.boolean(),
    sizeAllowance: z.number().int().nonnegative(),
    currentSize: z.number().int().nonnegative(),
  })
  .strict();
const ModelFields = {
  id: HEX32,
  name: z.string(),
  activeState: z.enum(['UNLOCKED', 'LOCKED', 'ARCHIVED', 'PRODUCTION', 'MAINTENANCE', 'PRODUCTION_MAINTENANCE']),
  lastSavedSerialNumber: z.number().int(),
  lastModifiedByUserGuid: hex32,
  memoryUsage: z.number().int().nonnegative(),
  currentWorkspaceId: hex32,
  currentWorkspaceName: z.string(),
  modelUrl: z.string().url(),
  categoryValues: z.array(z.unknown()),
  isoCreationDate: iso,
  lastModified: iso,
};
const Model = z.object(ModelFields).strict();
const ModelDetailed = z.object({ ...ModelFields, modelTransactionRunning: z.boolean() }).strict();
const ImportFile = z
  .object({
    id: objId,
    name: z.string(),
    chunkCount: z.number().int(),
    firstDataRow: z.number().int(),
    headerRow: z.number().int(),
    delimiter: z.string(),
    encoding: z.string(),
    format: z.string(),
    separator: z.string(),
  })
  .strict();
/** Export outputs carry only these (docs/anaplan.md §5). */
const ExportFile = z
  .object({
    id: objId,
    name: z.string(),
    chunkCount: z.number().int(),
    firstDataRow: z.literal(0),
    headerRow: z.literal(0),
  })
  .strict();
const ListMetadata = z
  .object({
    id: objId,
    name: z.string(),
    properties: z.array(z.unknown()),
    hasSelectiveAccess: z.boolean(),
    managedBy: z.string(),
    numberedList: z.boolean(),
    useTopLevelAsPageDefault: z.boolean(),
    itemCount: z.number().int(),
    nextItemIndex: z.number().int(),
    workflowEnabled: z.boolean(),
    permittedItems: z.number().int(),
    productionData: z.boolean(),
    parent: dim.optional(),
  })
  .strict();
const ListItemAll = z
  .object({
    id: objId,
    name: z.string(),
    code: z.string(),
    parent: z.string().optional(),
    parentId: objId.optional(),
    listId: objId,
    listName: z.string(),
    subsets: z.record(z.boolean()),
    properties: z.record(z.string()),
  })
  .strict();
const LineItemShort = z.object({ moduleId: objId, moduleName: z.string(), id: objId, name: z.string() }).strict();
const LineItemAll = LineItemShort.extend({
  format: z.enum(['NUMBER', 'BOOLEAN', 'TEXT', 'NONE', 'DATE', 'LIST', 'TIME PERIOD']),
  formatMetadata: z.discriminatedUnion('dataType', [
    z
      .object({
        dataType: z.literal('NUMBER'),
        minimumSignificantDigits: z.number().int(),
        decimalPlaces: z.number().int(),
        zeroFormat: z.enum(['HYPHEN', 'ZERO', 'BLANK']),
        comparisonIncrease: z.enum(['GOOD', 'BAD', 'NEUTRAL']),
        groupingSeparator: z.enum(['COMMA', 'FULL_STOP', 'SPACE', 'NONE']),
        negativeNumberNotation: z.enum(['MINUS_SIGN', 'PARENTHESES']),
        unitsType: z.enum(['CUSTOM', 'CURRENCY', 'PERCENTAGE', 'NONE']),
        unitsDisplayType: z.string(),
        decimalSeparator: z.enum(['COMMA', 'FULL_STOP']),
      })
      .strict(),
    z.object({ dataType: z.literal('BOOLEAN') }).strict(),
  ]),
  summary: z.string(),
  appliesTo: z.array(dim),
  dataTags: z.array(dim),
  referencedBy: z.array(dim),
  timeScale: z.string(),
  timeRange: z.string(),
  version: dim,
  style: z.string(),
  notes: z.string(),
  isSummary: z.boolean(),
  formulaScope: z.string(),
  useSwitchover: z.boolean(),
  breakback: z.boolean(),
  broughtForward: z.boolean(),
  startOfSection: z.boolean(),
}).strict();
const period = z.object({ periodText: z.string(), date: z.string().regex(/^\d{4}-\d\d-\d\d$/) }).strict();
const Version = z
  .object({
    id: objId,
    name: z.string(),
    isCurrent: z.boolean(),
    isActual: z.boolean(),
    editFrom: period,
    editTo: period,
  })
  .strict();
const Import = z
  .object({
    id: objId,
    name: z.string(),
    importDataSourceId: objId,
    importType: z.enum(['MODULE_DATA', 'HIERARCHY_DATA', 'LINE_ITEM_DEFINITION', 'USERS', 'VERSIONS']),
  })
  .strict();
const ImportMetadata = z
  .object({
    name: z.string(),
    type: z.enum(['FILE', 'MODEL']),
    source: z
      .object({
        textEncoding: z.string(),
        columnSeparator: z.string(),
        textDelimiter: z.string(),
        headerRow: z.number().int(),
        firstDataRow: z.number().int(),
        decimalSeparator: z.string(),
        headerNames: z.array(z.string()),
        columnCount: z.number().int(),
      })
      .strict(),
  })
  .strict();
const EXPORT_TYPES = z.enum([
  'TABULAR_MULTI_COLUMN',
  'TABULAR_SINGLE_COLUMN',
  'GRID_ALL_PAGES',
  'GRID_CURRENT_PAGE',
  'TABULAR_ALL_LINE_ITEMS',
  'TABULAR_CURRENT_LINE_ITEM',
  'AUDIT_LOG',
]);
const Export = z
  .object({
    id: objId,
    name: z.string(),
    exportType: EXPORT_TYPES,
    exportFormat: z.string(),
    encoding: z.string(),
    layout: EXPORT_TYPES,
  })
  .strict();
const TaskSummary = z
  .object({
    taskId: HEX32,
    taskState: z.enum(['NOT_STARTED', 'IN_PROGRESS', 'COMPLETE', 'CANCELLING', 'CANCELLED']),
    creationTime: z.number().int(),
  })
  .strict();
const TaskDone = z
  .object({
    type: z.literal('taskInformation'),
    taskId: HEX32,
    currentStep: z.literal('Complete.'),
    progress: z.literal(1),
    taskState: z.literal('COMPLETE'),
    creationTime: z.number().int(),
    result: z
      .object({
        successful: z.boolean(),
        failureDumpAvailable: z.boolean(),
        objectId: objId,
        objectName: z.string(),
        details: z.array(
          z
            .object({
              localMessageText: z.string(),
              occurrences: z.number().int(),
              type: z.string(),
              values: z.array(z.string()),
            })
            .strict(),
        ),
      })
      .strict(),
  })
  .strict();

async function get(path: string): Promise<unknown> {
  const res = await fetch(`${sb.url}/2/0${path}`, {
    headers: { authorization: `AnaplanAuthToken ${token}`, accept: 'application/json' },
  });
  assert.equal(res.status, 200, `GET ${path} → ${res.status}`);
  return res.json();
}

function parse(schema: z.ZodTypeAny, body: unknown, path: string): void {
  const r = schema.safeParse(body);
  assert.ok(r.success, `${path}: ${r.success ? '' : JSON.stringify(r.error.issues.slice(0, 5))}`);
}

test('tenant resources: users, workspaces and models carry every field the real API returns', async () => {
  parse(envelope('user', User), await get('/users/me'), '/users/me');
  parse(envelope('users', z.array(User).min(1), true), await get('/users'), '/users');
  parse(envelope('workspaces', z.array(Workspace).length(1), true), await get('/workspaces'), '/workspaces');
  parse(envelope('workspace', Workspace), await get(`/workspaces/${sb.workspaceId}`), '/workspaces/{wid}');
  parse(envelope('models', z.array(Model).length(1), true), await get('/models'), '/models');
  parse(
    envelope('models', z.array(Model).length(1), true),
    await get(`/workspaces/${sb.workspaceId}/models`),
    '/workspaces/{wid}/models',
  );
  parse(envelope('model', Model), await get(`/models/${sb.modelId}`), '/models/{mid}');
  parse(
    envelope('model', ModelDetailed),
    await get(`/models/${sb.modelId}?modelDetails=true`),
    '/models/{mid}?modelDetails=true',
  );
});

test('model resources parse strictly at both the workspace form and the model form', async () => {
  // Something to list: an uploaded file and a finished task.
  const c = client(sb);
  const imp = await c.findImport('Import GL Actuals');
  await c.uploadFile(
    imp.importDataSourceId!,
    Readable.from([glCsv([['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '1']])]),
  );
  const run = await c.runImport(imp.id, { poll: FAST_POLL });
  for (const base of [`/workspaces/${sb.workspaceId}/models/${sb.modelId}`, `/models/${sb.modelId}`]) {
    const files = (await get(`${base}/files`)) as { files: Array<{ id: string }> };
    parse(envelope('files', z.array(z.union([ImportFile, ExportFile])), true), files, `${base}/files`);
    for (const f of files.files) parse(f.id.startsWith('116') ? ExportFile : ImportFile, f, `${base}/files ${f.id}`);
    const lists = (await get(`${base}/lists`)) as { lists: Array<{ id: string }> };
    parse(envelope('lists', z.array(dim).min(5), true), lists, `${base}/lists`);
    for (const l of lists.lists) {
      parse(envelope('metadata', ListMetadata), await get(`${base}/lists/${l.id}`), `${base}/lists/${l.id}`);
      // The transactional read clients make (docs/anaplan.md §16): `…/lists/{id}/items?includeAll=true` → `{listItems}`.
      parse(
        envelope('listItems', z.array(ListItemAll).min(1)).omit({ meta: true }).passthrough(),
        await get(`${base}/lists/${l.id}/items?includeAll=true`),
        `${base}/lists/${l.id}/items`,
      );
      parse(
        z
          .object({ items: z.array(z.object({ id: objId, name: z.string(), code: z.string() }).strict()).min(1) })
          .passthrough(),
        await get(`${base}/dimensions/${l.id}/items`),
        `${base}/dimensions/${l.id}/items`,
      );
    }
    const modules = (await get(`${base}/modules`)) as { modules: Array<{ id: string }> };
    parse(envelope('modules', z.array(dim).length(2), true), modules, `${base}/modules`);
    for (const m of modules.modules) {
      parse(
        envelope('items', z.array(LineItemShort).min(1)),
        await get(`${base}/modules/${m.id}/lineItems`),
        `${base}/modules/${m.id}/lineItems`,
      );
      parse(
        envelope('items', z.array(LineItemAll).min(1)),
        await get(`${base}/modules/${m.id}/lineItems?includeAll=true`),
        `${base}/modules/${m.id}/lineItems?includeAll=true`,
      );
    }
    const all = (await get(`${base}/lineItems?includeAll=true`)) as { items: Array<{ id: string }> };
    parse(envelope('items', z.array(LineItemAll).length(3)), all, `${base}/lineItems?includeAll=true`);
    for (const li of all.items) {
      parse(
        envelope('dimensions', z.array(dim).min(1)),
        await get(`${base}/lineItems/${li.id}/dimensions`),
        `${base}/lineItems/${li.id}/dimensions`,
      );
      parse(
        z.object({ items: z.array(z.object({ id: objId, name: z.string() }).passthrough()).min(1) }).passthrough(),
        await get(`${base}/lineItems/${li.id}/dimensions/20000000003/items`),
        'line item Time items',
      );
    }
    parse(envelope('versionMetadata', z.array(Version).length(3)), await get(`${base}/versions`), `${base}/versions`);
    // Calendar reads (docs/anaplan.md §4.3; the fields anaplan-sdk's CurrentPeriod and calendar models require).
    parse(
      envelope(
        'currentPeriod',
        z
          .object({
            periodText: z.string(),
            lastDay: z.string(),
            calendarType: z.literal('Calendar Months/Quarters/Years'),
          })
          .strict(),
      ),
      await get(`${base}/currentPeriod`),
      `${base}/currentPeriod`,
    );
    const fy = z
      .object({
        year: z.string().regex(/^FY\d\d$/),
        startDate: z.string().regex(/^\d{4}-\d\d-\d\d$/),
        endDate: z.string().regex(/^\d{4}-\d\d-\d\d$/),
      })
      .strict();
    const totals = z
      .object({
        quarterTotals: z.boolean(),
        halfYearTotals: z.boolean(),
        yearToDateSummary: z.boolean(),
        yearToGoSummary: z.boolean(),
        totalOfAllPeriods: z.boolean(),
      })
      .strict();
    parse(
      envelope(
        'modelCalendar',
        z
          .object({
            calendarType: z.string(),
            currentPeriod: z.object({ periodText: z.string(), lastDay: z.string() }).strict(),
            fiscalYear: fy,
            pastYearsCount: z.number().int(),
            totalsSelection: totals,
          })
          .strict(),
      ),
      await get(`${base}/modelCalendar`),
      `${base}/modelCalendar`,
    );
    // Model status: a bare body with all eight fields (docs/anaplan.md §4.1; anaplan-sdk's ModelStatus requires each).
    const nullable = <T extends z.ZodTypeAny>(t: T) => t.nullable();
    parse(
      z
        .object({
          requestStatus: z
            .object({
              peakMemoryUsageEstimate: nullable(z.number()),
              peakMemoryUsageTime: nullable(z.number()),
              progress: z.number(),
              currentStep: z.string(),
              tooltip: nullable(z.string()),
              taskId: nullable(HEX32),
              creationTime: z.number().int(),
              exportTaskType: nullable(z.string()),
            })
            .strict(),
        })
        .strict(),
      await get(`${base}/status`),
      `${base}/status`,
    );
    const imports = (await get(`${base}/imports`)) as { imports: Array<{ id: string }> };
    parse(envelope('imports', z.array(Import).length(7), true), imports, `${base}/imports`);
    for (const i of imports.imports)
      parse(
        envelope('importMetadata', ImportMetadata),
        await get(`${base}/imports/${i.id}`),
        `${base}/imports/${i.id}`,
      );
    parse(envelope('exports', z.array(Export).length(1), true), await get(`${base}/exports`), `${base}/exports`);
    parse(
      envelope('tasks', z.array(TaskSummary).min(1), true),
      await get(`${base}/imports/${imp.id}/tasks`),
      `${base}/imports/{id}/tasks`,
    );
    parse(
      envelope('task', TaskDone),
      await get(`${base}/imports/${imp.id}/tasks/${run.taskId}`),
      `${base}/imports/{id}/tasks/{taskId}`,
    );
  }
});
