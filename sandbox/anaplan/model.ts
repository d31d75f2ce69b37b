/**
 * The planning model's structure and data: lists (flat or parent/child, with codes), a monthly time
 * dimension, versions, and modules whose cells are stored compactly — one `Map<number, number>` per
 * line item, keyed by the member indices packed into a single safe integer — so a multi-million-row
 * import costs one map entry per distinct cell, not per row.
 */
import { objectId } from './ids';

export interface ListItem {
  id: string;
  /** Position in the list; stable for the life of the item and used in cell keys. */
  index: number;
  name: string;
  code: string;
  parentIndex: number | null;
}

export class ModelList {
  /**
   * Items by index; a deleted item leaves its slot empty, so the indices (and the packed cell keys
   * built from them) of the other items never move.
   */
  private readonly slots: Array<ListItem | undefined> = [];
  /**
   * Composite hierarchy: the list the parents live in (e.g. Accounts → Account Groups). Then every
   * item's parent is an item of that list, and a Parent that is not one is "invalid parent"
   * (docs/anaplan.md §16). Without it, parents are items of this list (non-composite) or there are none (flat).
   */
  parentList?: ModelList;
  private readonly byCode = new Map<string, ListItem>();
  private readonly byName = new Map<string, ListItem>();
  private readonly childCounts: number[] = [];
  private live = 0;
  /** Item ids are never reused, even after a delete (each id names one item for good). */
  private idCounter = 0;

  constructor(
    readonly id: string,
    readonly name: string,
    /** Upper bound of members: the list's share of the packed cell key (see Module). */
    readonly capacity: number,
    private readonly itemIdPrefix: number,
  ) {}

  /** Live items in index order. */
  get items(): ListItem[] {
    return this.slots.filter((i): i is ListItem => i !== undefined);
  }

  get size(): number {
    return this.live;
  }

  /** The index the next new item gets (`nextItemIndex` of the list metadata, docs/anaplan.md §4.2). */
  get nextIndex(): number {
    return this.slots.length;
  }

  itemAt(index: number): ListItem | undefined {
    return this.slots[index];
  }

  byCodeOrName(ref: string): ListItem | undefined {
    // Imports here match by code (the connector's mapping); a name match is the fallback the real
    // import offers when a column is mapped by name (docs/anaplan.md §11); names match case-insensitively.
    return this.byCode.get(ref) ?? this.byName.get(ref.toLowerCase());
  }

  getByCode(code: string): ListItem | undefined {
    return this.byCode.get(code);
  }

  getByName(name: string): ListItem | undefined {
    return this.byName.get(name.toLowerCase());
  }

  isLeaf(item: ListItem): boolean {
    return (this.childCounts[item.index] ?? 0) === 0;
  }

  parentOf(item: ListItem): ListItem | undefined {
    return item.parentIndex === null ? undefined : (this.parentList ?? this).itemAt(item.parentIndex);
  }

  /** `composite` (parents in a parent list), `parent-child` (parents in this list) or `flat`. */
  get shape(): 'composite' | 'parent-child' | 'flat' {
    if (this.parentList) return 'composite';
    return this.slots.some((i) => i && i.parentIndex !== null) ? 'parent-child' : 'flat';
  }

  add(code: string, name: string, parent: ListItem | undefined): ListItem {
    // A fresh index while the index space lasts; then a slot freed by a delete (its cells are gone).
    let index = this.slots.length;
    if (index >= this.capacity) {
      index = this.slots.indexOf(undefined);
      if (index < 0) throw new RangeError(`List ${this.name} is full (${this.capacity} items)`);
    }
    const item: ListItem = {
      id: objectId(this.itemIdPrefix, ++this.idCounter),
      index,
      name,
      code,
      parentIndex: parent?.index ?? null,
    };
    this.slots[index] = item;
    this.childCounts[index] = 0;
    this.live++;
    this.byCode.set(code, item);
    this.byName.set(name.toLowerCase(), item);
    // Children in a child list do not make an item of this list an aggregate here.
    if (parent && !this.parentList) this.childCounts[parent.index]!++;
    return item;
  }

  /** Removes an item; the caller removes its cells (Module.dropMembers) and refuses items with children. */
  remove(item: ListItem): void {
    if (this.slots[item.index] !== item) return;
    this.slots[item.index] = undefined;
    this.live--;
    this.byCode.delete(item.code);
    this.byName.delete(item.name.toLowerCase());
    if (item.parentIndex !== null && !this.parentList) this.childCounts[item.parentIndex]!--;
  }

  /** `resetIndex` (docs/anaplan.md §10): only an empty list may restart its index numbering. */
  resetIndex(): void {
    if (this.live > 0) throw new RangeError(`List ${this.name} contains data`);
    this.slots.length = 0;
    this.childCounts.length = 0;
  }

  update(item: ListItem, name: string, parent: ListItem | undefined): void {
    if (item.name !== name) {
      this.byName.delete(item.name.toLowerCase());
      item.name = name;
      this.byName.set(name.toLowerCase(), item);
    }
    const newParent = parent?.index ?? null;
    if (newParent !== item.parentIndex) {
      if (!this.parentList) {
        if (item.parentIndex !== null) this.childCounts[item.parentIndex]!--;
        if (newParent !== null) this.childCounts[newParent]!++;
      }
      item.parentIndex = newParent;
    }
  }

  /** True if `candidate` is `item` or one of its descendants (a parent cycle). */
  isSelfOrDescendant(item: ListItem, candidate: ListItem): boolean {
    if (this.parentList) return false;
    for (let c: ListItem | undefined = candidate; c; c = this.parentOf(c)) if (c.index === item.index) return true;
    return false;
  }
}

export interface TimePeriod {
  id: string;
  index: number;
  /** Month code as the model names it, e.g. `Oct 26` (docs/anaplan.md §11). */
  code: string;
  /** First day, `YYYY-MM-DD`. */
  start: string;
}

export interface Version {
  id: string;
  index: number;
  name: string;
  isActual: boolean;
  isCurrent: boolean;
}

/** Fixed IDs of the built-in dimensions as published (docs/anaplan.md §3.4). */
export const TIME_DIMENSION_ID = '20000000003';
export const VERSIONS_DIMENSION_ID = '20000000020';

export type Dimension = { kind: 'list'; list: ModelList } | { kind: 'time' } | { kind: 'versions' };

export interface LineItem {
  id: string;
  name: string;
  format: 'NUMBER' | 'BOOLEAN';
  /** Packed key → value (booleans as 1; absent = 0/false, as blank cells read in Anaplan). */
  cells: Map<number, number>;
}

export class Module {
  readonly radices: number[];
  private readonly multipliers: number[];

  constructor(
    readonly id: string,
    readonly name: string,
    readonly dims: Dimension[],
    readonly lineItems: LineItem[],
    timeCount: number,
    versionCount: number,
  ) {
    this.radices = dims.map((d) =>
      d.kind === 'list' ? d.list.capacity : d.kind === 'time' ? timeCount : versionCount,
    );
    this.multipliers = [];
    let m = 1;
    for (const r of this.radices) {
      this.multipliers.push(m);
      m *= r;
    }
    if (m > Number.MAX_SAFE_INTEGER) throw new RangeError(`module ${name}: cell space ${m} does not fit a packed key`);
  }

  dimName(i: number): string {
    const d = this.dims[i]!;
    return d.kind === 'list' ? d.list.name : d.kind === 'time' ? 'Time' : 'Versions';
  }

  key(indices: readonly number[]): number {
    let k = 0;
    for (let i = 0; i < indices.length; i++) k += indices[i]! * this.multipliers[i]!;
    return k;
  }

  decode(key: number, out: number[] = []): number[] {
    for (let i = 0; i < this.radices.length; i++) out[i] = Math.floor(key / this.multipliers[i]!) % this.radices[i]!;
    return out;
  }

  /** Drops every cell whose member on dimension `dim` is one of `indices` (list items being deleted). */
  dropMembers(dim: number, indices: ReadonlySet<number>): void {
    const coords: number[] = [];
    for (const li of this.lineItems)
      for (const key of [...li.cells.keys()]) if (indices.has(this.decode(key, coords)[dim]!)) li.cells.delete(key);
  }

  lineItem(name: string): LineItem | undefined {
    return this.lineItems.find((l) => l.name === name);
  }
}

export interface ListImportDef {
  id: string;
  name: string;
  kind: 'list';
  fileId: string;
  listName: string;
  /** Source columns: Code, Name, Parent (parent given by code or name). */
  columns: string[];
}
export interface ModuleImportDef {
  id: string;
  name: string;
  kind: 'module';
  fileId: string;
  moduleName: string;
  lineItem: string;
  /** Source column → module dimension name, in module dimension order (Time matched by period code). */
  dimColumns: Array<{ column: string; dim: string }>;
  valueColumn: string;
  /** Versions item for modules with a Versions dimension the file does not carry (mapping parameter). */
  fixedVersion?: string;
}
export type ImportDef = ListImportDef | ModuleImportDef;

export interface ExportDef {
  id: string;
  name: string;
  moduleName: string;
  layout: 'TABULAR_MULTI_COLUMN';
  /** Boolean line item: only cells where it is true are exported (Anaplan's export filter). */
  filterLineItem?: string;
  /** Output columns: one per module dimension (member codes), then the exported line items. */
  dimHeaders: string[];
  lineItems: string[];
}

export interface ProcessDef {
  id: string;
  name: string;
  /** Import/export ids in run order. */
  actionIds: string[];
}

export class PlanningModel {
  readonly lists = new Map<string, ModelList>();
  readonly modules = new Map<string, Module>();
  readonly time: TimePeriod[] = [];
  readonly versions: Version[] = [];
  readonly imports = new Map<string, ImportDef>();
  readonly exports = new Map<string, ExportDef>();
  readonly processes = new Map<string, ProcessDef>();
  private readonly timeByCode = new Map<string, TimePeriod>();
  /** Set by the sandbox state from its `periodCaseSensitive` switch. */
  periodCaseSensitive: () => boolean = () => false;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly workspaceId: string,
  ) {}

  addList(list: ModelList): ModelList {
    this.lists.set(list.name, list);
    return list;
  }

  listById(id: string): ModelList | undefined {
    for (const l of this.lists.values()) if (l.id === id) return l;
    return undefined;
  }

  moduleById(id: string): Module | undefined {
    for (const m of this.modules.values()) if (m.id === id) return m;
    return undefined;
  }

  addPeriod(p: TimePeriod): void {
    this.time.push(p);
    this.timeByCode.set(p.code.toLowerCase(), p);
  }

  /**
   * Period lookup by name; case-insensitive unless the `periodCaseSensitive` switch is on (whether the
   * real import is, is UNCONFIRMED — docs/anaplan.md §11).
   */
  period(code: string): TimePeriod | undefined {
    const p = this.timeByCode.get(code.trim().toLowerCase());
    return p && this.periodCaseSensitive() && p.code !== code.trim() ? undefined : p;
  }

  version(name: string): Version | undefined {
    return this.versions.find((v) => v.name.toLowerCase() === name.trim().toLowerCase());
  }

  /** Resolves a dimension member by code/name to its index, or undefined. */
  member(dim: Dimension, ref: string): { index: number; leaf: boolean } | undefined {
    if (dim.kind === 'time') {
      const p = this.period(ref);
      return p && { index: p.index, leaf: true };
    }
    if (dim.kind === 'versions') {
      const v = this.version(ref);
      return v && { index: v.index, leaf: true };
    }
    const item = dim.list.byCodeOrName(ref);
    return item && { index: item.index, leaf: dim.list.isLeaf(item) };
  }

  /** Member code for output (lists: code, time: period code, versions: name). */
  memberLabel(dim: Dimension, index: number): string {
    if (dim.kind === 'time') return this.time[index]!.code;
    if (dim.kind === 'versions') return this.versions[index]!.name;
    return dim.list.itemAt(index)!.code;
  }
}
