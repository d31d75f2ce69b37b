/**
 * What running an action does to the model. Imports parse the uploaded file as a stream, validate
 * every row, stage the changes and report counts; bad rows go to a failure dump (`_Status_`, source
 * columns, `_Line_`, `_Error_1_`) while the task still completes, as the real service does
 * (docs/anaplan.md §7.2, §12). Staged changes are applied by `commit()` only if the task is not cancelled,
 * which is how a cancelled task "rolls back".
 */
import { ChunkedWriter, quoted, readCsvBatches, csvField } from './csv';
import { readChunks, statChunks, totalSize, type FileStore, type StoredChunk } from './files';
import type { ExportDef, ImportDef, ListImportDef, ListItem, ModelList, ModuleImportDef, PlanningModel } from './model';

export interface TaskDetail {
  localMessageText: string;
  occurrences: number;
  type: string;
  values: string[];
}
export interface TaskResult {
  successful: boolean;
  failureDumpAvailable: boolean;
  objectId: string;
  objectName?: string;
  details?: TaskDetail[];
  nestedResults?: TaskResult[];
}

export interface Execution {
  rows: number;
  result: TaskResult;
  /** Dump chunk files (when rows failed). */
  dump?: StoredChunk[];
  /** Export output chunks. */
  output?: StoredChunk[];
  commit(): void;
}

export interface EngineEnv {
  model: PlanningModel;
  files: FileStore;
  /** The task's user: an import reads that user's own upload (docs/anaplan.md §16). */
  userId: string;
  now: number;
  dumpChunkBytes: number;
  /** `details[].type` of module imports (sandbox switch `moduleDetailType`; UNCONFIRMED, docs/anaplan.md §15). */
  moduleDetailType?: string;
  exportChunkBytes: number;
  /** Share of the input read so far, and the rows it held. */
  progress(share: number, rowsSoFar: number): void;
  mappingParameters?: Array<{ entityType: string; entityName: string }>;
}

interface Counts {
  total: number;
  success: number;
  failed: number;
  ignored: number;
  created: number;
  updated: number;
}

function detail(
  type: string,
  label: string,
  c: Counts,
  labelKey = type === 'hierarchyRowsProcessed' ? 'hierarchyName' : 'moduleName',
): TaskDetail {
  return {
    localMessageText: `${label}: ${c.success} (${c.failed}/${c.total}) rows successful, ${c.ignored} ignored `,
    occurrences: 0,
    type,
    values: [
      labelKey,
      label,
      'successRowCount',
      String(c.success),
      'failedCount',
      String(c.failed),
      'ignoredCount',
      String(c.ignored),
      'totalRowCount',
      String(c.total),
      'createdCount',
      String(c.created),
      'updatedCount',
      String(c.updated),
    ],
  };
}

function failed(def: { id: string; name: string }, message: string): Execution {
  return {
    rows: 0,
    result: {
      successful: false,
      failureDumpAvailable: false,
      objectId: def.id,
      objectName: def.name,
      details: [{ localMessageText: message, occurrences: 1, type: 'importFailed', values: [] }],
    },
    commit: () => undefined,
  };
}

/** Dump rows are written as they are found, so a file with a million bad rows still streams. */
class DumpWriter {
  private writer?: ChunkedWriter;
  constructor(
    private readonly env: EngineEnv,
    private readonly header: string[],
  ) {}
  async add(fields: string[], line: number, error: string): Promise<void> {
    if (!this.writer) {
      this.writer = new ChunkedWriter(() => this.env.files.newPath('dump'), this.env.dumpChunkBytes);
      await this.writer.write(
        [quoted('_Status_'), ...this.header.map(quoted), quoted('_Line_'), quoted('_Error_1_')].join(',') + '\n',
      );
    }
    const cols = this.header.map((_, i) => quoted(fields[i] ?? ''));
    await this.writer.write([quoted('E'), ...cols, quoted(line), quoted(error)].join(',') + '\n');
  }
  async close(): Promise<StoredChunk[] | undefined> {
    if (!this.writer) return undefined;
    return statChunks(await this.writer.close());
  }
}

async function* records(chunks: StoredChunk[], env: EngineEnv) {
  const total = totalSize(chunks) || 1;
  let seen = 0;
  let rows = 0;
  for await (const batch of readCsvBatches(
    (async function* () {
      for await (const b of readChunks(chunks)) {
        seen += b.length;
        yield b;
      }
    })(),
  )) {
    rows += batch.length;
    env.progress(Math.min(0.99, seen / total), rows);
    yield batch;
  }
}

export async function executeImport(env: EngineEnv, def: ImportDef): Promise<Execution> {
  const file = env.files.get(def.fileId);
  const content = file && env.files.content(file, env.userId, env.now);
  if (!content) return failed(def, `No data in source file ${file?.name ?? def.fileId}`);
  return def.kind === 'list' ? importList(env, def, content) : importModule(env, def, content);
}

async function importList(env: EngineEnv, def: ListImportDef, content: StoredChunk[]): Promise<Execution> {
  const list = env.model.lists.get(def.listName)!;
  let header: string[] | undefined;
  let cols: { code: number; name: number; parent: number } | undefined;
  const c: Counts = { total: 0, success: 0, failed: 0, ignored: 0, created: 0, updated: 0 };
  // Staged members by code, in file order; parents may be existing items or earlier staged rows.
  const staged = new Map<string, { name: string; parent: { code: string } | null; existing?: ListItem }>();
  const stagedNames = new Map<string, string>();
  let dump: DumpWriter | undefined;
  for await (const batch of records(content, env)) {
    for (const r of batch) {
      if (!header) {
        header = r.fields;
        const idx = (n: string) => header!.indexOf(n);
        if (idx('Code') < 0 || idx('Name') < 0)
          return failed(def, `Missing column: ${idx('Code') < 0 ? 'Code' : 'Name'}`);
        cols = { code: idx('Code'), name: idx('Name'), parent: idx('Parent') };
        dump = new DumpWriter(env, header);
        continue;
      }
      c.total++;
      const code = (r.fields[cols!.code] ?? '').trim();
      const name = (r.fields[cols!.name] ?? '').trim() || code;
      const parentRef = cols!.parent >= 0 ? (r.fields[cols!.parent] ?? '').trim() : '';
      const error = checkListRow(list, staged, stagedNames, code, name, parentRef);
      if (typeof error === 'string') {
        c.failed++;
        await dump!.add(r.fields, r.line, error);
        continue;
      }
      const existing = staged.get(code)?.existing ?? list.getByCode(code);
      if (!existing && !staged.has(code) && list.size + c.created >= list.capacity) {
        c.failed++;
        await dump!.add(r.fields, r.line, `List ${list.name} is full (${list.capacity} items)`);
        continue;
      }
      staged.set(code, { name, parent: error.parentCode === null ? null : { code: error.parentCode }, existing });
      stagedNames.set(name.toLowerCase(), code);
      c.success++;
      if (existing) c.updated++;
      else c.created++;
    }
  }
  if (!header) return failed(def, 'Source file has no header row');
  const dumpChunks = await dump!.close();
  return {
    rows: c.total,
    dump: dumpChunks,
    result: {
      successful: true,
      failureDumpAvailable: c.failed > 0,
      objectId: def.id,
      objectName: def.name,
      details: [detail('hierarchyRowsProcessed', list.name, c)],
    },
    commit() {
      for (const [code, s] of staged) {
        const parent = s.parent ? (list.parentList ?? list).getByCode(s.parent.code) : undefined;
        const item = list.getByCode(code);
        if (item)
          list.update(
            item,
            s.name,
            parent && !list.isSelfOrDescendant(item, parent)
              ? parent
              : item.parentIndex === null
                ? undefined
                : list.itemAt(item.parentIndex),
          );
        else list.add(code, s.name, parent);
      }
    },
  };
}

function checkListRow(
  list: ModelList,
  staged: Map<string, unknown>,
  stagedNames: Map<string, string>,
  code: string,
  name: string,
  parentRef: string,
): string | { parentCode: string | null } {
  if (code === '') return 'Invalid code: empty';
  const nameOwner = stagedNames.get(name.toLowerCase()) ?? list.getByName(name)?.code;
  if (nameOwner !== undefined && nameOwner !== code) return `Duplicate name: ${name}`;
  if (parentRef === '') return { parentCode: null };
  // Composite hierarchy: the Parent must already be an item of the parent list (docs/anaplan.md §16).
  if (list.parentList) {
    const p = list.parentList.byCodeOrName(parentRef);
    return p ? { parentCode: p.code } : 'Invalid parent';
  }
  if (parentRef === code) return 'Invalid parent';
  if (staged.has(parentRef)) return { parentCode: parentRef };
  const existing = list.byCodeOrName(parentRef);
  if (existing) return { parentCode: existing.code };
  const byStagedName = stagedNames.get(parentRef.toLowerCase());
  if (byStagedName !== undefined) return { parentCode: byStagedName };
  return 'Invalid parent';
}

/** Strict decimal: digits with optional sign, fraction and exponent (no thousands separators). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

async function importModule(env: EngineEnv, def: ModuleImportDef, content: StoredChunk[]): Promise<Execution> {
  const model = env.model;
  const mod = model.modules.get(def.moduleName)!;
  const target = mod.lineItem(def.lineItem)!;
  let header: string[] | undefined;
  // For each module dimension: the source column index, or a fixed member index (run-time mapping).
  const plan: Array<{ col: number; fixed?: number }> = [];
  let valueCol = -1;
  const c: Counts = { total: 0, success: 0, failed: 0, ignored: 0, created: 0, updated: 0 };
  const staged = new Map<number, number>();
  let dump: DumpWriter | undefined;
  const idx: number[] = new Array(mod.dims.length).fill(0);
  for await (const batch of records(content, env)) {
    for (const r of batch) {
      if (!header) {
        header = r.fields;
        for (let d = 0; d < mod.dims.length; d++) {
          const dimName = mod.dimName(d);
          const mapped = def.dimColumns.find((m) => m.dim === dimName);
          if (mapped) {
            const col = header.indexOf(mapped.column);
            if (col < 0) return failed(def, `Missing column: ${mapped.column}`);
            plan.push({ col });
            continue;
          }
          const param = env.mappingParameters?.find(
            (p) => p.entityType === dimName || (dimName === 'Versions' && p.entityType === 'Version'),
          );
          const name = param?.entityName ?? (dimName === 'Versions' ? def.fixedVersion : undefined);
          const member = name === undefined ? undefined : model.member(mod.dims[d]!, name);
          if (!member) return failed(def, `Mapping parameter required for ${dimName}`);
          plan.push({ col: -1, fixed: member.index });
        }
        valueCol = header.indexOf(def.valueColumn);
        if (valueCol < 0) return failed(def, `Missing column: ${def.valueColumn}`);
        dump = new DumpWriter(env, header);
        continue;
      }
      c.total++;
      let error: string | undefined;
      for (let d = 0; d < plan.length && !error; d++) {
        const p = plan[d]!;
        if (p.fixed !== undefined) {
          idx[d] = p.fixed;
          continue;
        }
        const raw = (r.fields[p.col] ?? '').trim();
        const dim = mod.dims[d]!;
        const m = raw === '' ? undefined : model.member(dim, raw);
        if (!m)
          error =
            dim.kind === 'time'
              ? `Invalid date or timescale identifier: ${raw}`
              : `Item not located in ${mod.dimName(d)} list: ${raw}`;
        else if (!m.leaf) error = `Cannot import into an aggregate item: ${raw}`;
        else idx[d] = m.index;
      }
      const rawValue = (r.fields[valueCol] ?? '').trim();
      if (!error && rawValue !== '' && !NUMBER.test(rawValue)) error = `Invalid number: ${rawValue}`;
      if (error) {
        c.failed++;
        await dump!.add(r.fields, r.line, error);
        continue;
      }
      if (rawValue === '') {
        c.ignored++;
        continue;
      }
      // A later row for the same cell overwrites an earlier one: imports write values, not add them.
      staged.set(mod.key(idx), Number(rawValue));
      c.success++;
      c.updated++;
    }
  }
  if (!header) return failed(def, 'Source file has no header row');
  const dumpChunks = await dump!.close();
  return {
    rows: c.total,
    dump: dumpChunks,
    result: {
      successful: true,
      failureDumpAvailable: c.failed > 0,
      objectId: def.id,
      objectName: def.name,
      details: [detail(env.moduleDetailType ?? 'moduleRowsProcessed', mod.name, c, 'moduleName')],
    },
    commit() {
      for (const [k, v] of staged) {
        if (v === 0) target.cells.delete(k);
        else target.cells.set(k, v);
      }
      staged.clear();
    },
  };
}

/** Tabular multi-column export of module cells, filtered by a boolean line item when set. */
export async function executeExport(env: EngineEnv, def: ExportDef): Promise<Execution> {
  const model = env.model;
  const mod = model.modules.get(def.moduleName)!;
  const items = def.lineItems.map((n) => mod.lineItem(n)!);
  const filter = def.filterLineItem ? mod.lineItem(def.filterLineItem) : undefined;
  const keys = new Set<number>();
  if (filter)
    for (const [k, v] of filter.cells)
      if (v !== 0) keys.add(k);
      else for (const li of items) for (const k of li.cells.keys()) keys.add(k);
  const sorted = [...keys].sort((a, b) => a - b);
  const writer = new ChunkedWriter(() => env.files.newPath('export'), env.exportChunkBytes);
  await writer.write([...def.dimHeaders, ...def.lineItems].map(csvField).join(',') + '\n');
  const idx: number[] = [];
  let n = 0;
  for (const k of sorted) {
    mod.decode(k, idx);
    const labels = idx.map((i, d) => csvField(model.memberLabel(mod.dims[d]!, i)));
    const values = items.map((li) => String(li.cells.get(k) ?? 0));
    await writer.write(labels.join(',') + ',' + values.join(',') + '\n');
    if (++n % 5000 === 0) env.progress(n / sorted.length, n);
  }
  return {
    rows: n,
    output: await statChunks(await writer.close()),
    result: {
      successful: true,
      failureDumpAvailable: false,
      objectId: def.id,
      objectName: def.name,
      details: [
        {
          localMessageText: `${n} rows exported`,
          occurrences: 0,
          type: 'exportRowsProcessed',
          values: ['rowCount', String(n)],
        },
      ],
    },
    commit: () => undefined,
  };
}
