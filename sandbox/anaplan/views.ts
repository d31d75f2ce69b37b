/**
 * Module views as the transactional API reads them (docs/anaplan.md §4.2, §10). The sandbox serves each
 * module's default view (view id = module id): Time across the columns (Line items when the module has
 * no Time), the first list and the line items down the rows, every other dimension on pages. Cells are
 * read from the packed store in one pass: each stored cell adds into every row/column/page member that
 * contains it (itself and its parents in the same list), so aggregate rows sum their children as
 * Anaplan's default "Sum" summary does; booleans do not aggregate (summary None: blank).
 */
import {
  TIME_DIMENSION_ID,
  VERSIONS_DIMENSION_ID,
  type Dimension,
  type LineItem,
  type Module,
  type PlanningModel,
} from './model';

/** The "Line items" pseudo-dimension of a view (docs/anaplan.md §4.2). */
export const LINE_ITEMS_DIMENSION_ID = '101999999999';
/** View data read in one call: at most this many cells, else 400 (docs/anaplan.md §9). */
export const MAX_VIEW_CELLS = 1_000_000;

/** An axis entry: a module dimension by index, or the line items. */
export type Axis = { kind: 'dim'; index: number } | { kind: 'lineItems' };

export interface ViewLayout {
  /** View id and name: the module's (default view), or the line item's when one is read as a view. */
  id: string;
  name: string;
  module: Module;
  /** The line items shown: all of the module's, or one when a line-item id is read as a view (docs/anaplan.md §10). */
  lineItems: LineItem[];
  rows: Axis[];
  columns: Axis[];
  pages: Axis[];
}

export function dimensionIdOf(d: Dimension): string {
  return d.kind === 'list' ? d.list.id : d.kind === 'time' ? TIME_DIMENSION_ID : VERSIONS_DIMENSION_ID;
}

export function defaultLayout(m: Module, lineItem?: LineItem): ViewLayout {
  const lineItems = lineItem ? [lineItem] : m.lineItems;
  const timeAt = m.dims.findIndex((d) => d.kind === 'time');
  const firstList = m.dims.findIndex((d) => d.kind === 'list');
  const columns: Axis[] = timeAt >= 0 ? [{ kind: 'dim', index: timeAt }] : [{ kind: 'lineItems' }];
  const rows: Axis[] = [];
  if (firstList >= 0) rows.push({ kind: 'dim', index: firstList });
  if (timeAt >= 0) rows.push({ kind: 'lineItems' });
  const pages: Axis[] = m.dims
    .map((_, index) => ({ kind: 'dim', index }) as Axis)
    .filter((a) => a.kind === 'dim' && a.index !== timeAt && a.index !== firstList);
  return { id: lineItem?.id ?? m.id, name: lineItem?.name ?? m.name, module: m, lineItems, rows, columns, pages };
}

export function axisRef(m: Module, a: Axis): { id: string; name: string } {
  return a.kind === 'lineItems'
    ? { id: LINE_ITEMS_DIMENSION_ID, name: 'Line items' }
    : { id: dimensionIdOf(m.dims[a.index]!), name: m.dimName(a.index) };
}

/** One member of an axis: its index (dimension member index or line item position) and label. */
export interface Member {
  index: number;
  id: string;
  label: string;
}

/** Members in display order; list items by name (as grids show them), periods by code, versions by name. */
export function axisMembers(model: PlanningModel, v: ViewLayout, a: Axis): Member[] {
  const m = v.module;
  if (a.kind === 'lineItems') return v.lineItems.map((li, index) => ({ index, id: li.id, label: li.name }));
  const d = m.dims[a.index]!;
  if (d.kind === 'time') return model.time.map((p) => ({ index: p.index, id: p.id, label: p.code }));
  if (d.kind === 'versions') return model.versions.map((v) => ({ index: v.index, id: v.id, label: v.name }));
  return d.list.items.map((it) => ({ index: it.index, id: it.id, label: it.name }));
}

/** A stored member and every member that contains it on the same dimension (its parents in the same list). */
function containing(d: Dimension, index: number): number[] {
  if (d.kind !== 'list' || d.list.parentList) return [index];
  const out = [index];
  for (let it = d.list.itemAt(index), p = it && d.list.parentOf(it); p; p = d.list.parentOf(p)) out.push(p.index);
  return out;
}

export class PageSelectorError extends Error {}

/**
 * Page selection from `pages=dimId:itemId,…` (several params or comma-separated): a dimension that is
 * not on pages is refused as "Invalid page selector" (docs/anaplan.md §10); unset pages take their first member.
 */
export function selectPages(model: PlanningModel, v: ViewLayout, selectors: string[]): Member[] {
  const chosen = v.pages.map((a) => axisMembers(model, v, a)[0]);
  for (const s of selectors.flatMap((x) => x.split(',')).filter(Boolean)) {
    const [dimId, itemId] = s.split(':');
    const at = v.pages.findIndex((a) => axisRef(v.module, a).id === dimId);
    if (at < 0) throw new PageSelectorError(`Invalid page selector [${s}]`);
    const member = axisMembers(model, v, v.pages[at]!).find((x) => x.id === itemId);
    if (!member) throw new PageSelectorError(`Invalid page selector [${s}]`);
    chosen[at] = member;
  }
  if (chosen.some((c) => c === undefined)) throw new PageSelectorError('A page dimension has no items');
  return chosen as Member[];
}

export interface Grid {
  pages: string[];
  columnCoordinates: string[][];
  rows: Array<{ rowCoordinates: string[]; cells: string[] }>;
}

/** Cartesian product of axis member lists, outermost first. */
function product(lists: Member[][]): Member[][] {
  let out: Member[][] = [[]];
  for (const l of lists) out = out.flatMap((prefix) => l.map((x) => [...prefix, x]));
  return out;
}

function render(li: LineItem, sum: number | undefined, leaf: boolean): string {
  if (li.format === 'BOOLEAN') return leaf ? String((sum ?? 0) !== 0) : '';
  return String(Number((sum ?? 0).toFixed(10)));
}

/** Every page of the view, outer page dimension first (GRID_ALL_PAGES). */
export function allPages(model: PlanningModel, v: ViewLayout): Member[][] {
  return product(v.pages.map((a) => axisMembers(model, v, a)));
}

/** Cells a grid page would hold (for the 1,000,000-cell limit) without building it. */
export function gridCellCount(model: PlanningModel, v: ViewLayout): number {
  const count = (axes: Axis[]) => axes.reduce((n, a) => n * axisMembers(model, v, a).length, 1);
  return count(v.rows) * count(v.columns);
}

/** One page of the grid, values summed from the stored leaf cells. */
export function gridPage(model: PlanningModel, v: ViewLayout, page: Member[]): Grid {
  const m = v.module;
  const rowCombos = product(v.rows.map((a) => axisMembers(model, v, a)));
  const colCombos = product(v.columns.map((a) => axisMembers(model, v, a)));
  const key = (axes: Axis[], members: number[]) => members.join('/');
  const rowAt = new Map(
    rowCombos.map((c, i) => [
      key(
        v.rows,
        c.map((x) => x.index),
      ),
      i,
    ]),
  );
  const colAt = new Map(
    colCombos.map((c, i) => [
      key(
        v.columns,
        c.map((x) => x.index),
      ),
      i,
    ]),
  );
  const sums: Array<Map<number, number>> = rowCombos.map(() => new Map());
  const coords: number[] = [];
  v.lineItems.forEach((li, liIndex) => {
    for (const [k, value] of li.cells) {
      m.decode(k, coords);
      // On this page? Every page axis member must contain the cell's member.
      if (
        !v.pages.every((a, i) =>
          a.kind === 'lineItems'
            ? page[i]!.index === liIndex
            : containing(m.dims[a.index]!, coords[a.index]!).includes(page[i]!.index),
        )
      )
        continue;
      const spread = (axes: Axis[]) =>
        product(
          axes.map((a) =>
            a.kind === 'lineItems'
              ? [{ index: liIndex, id: '', label: '' }]
              : containing(m.dims[a.index]!, coords[a.index]!).map((index) => ({ index, id: '', label: '' })),
          ),
        );
      for (const r of spread(v.rows)) {
        const row = rowAt.get(
          key(
            v.rows,
            r.map((x) => x.index),
          ),
        );
        if (row === undefined) continue;
        for (const c of spread(v.columns)) {
          const col = colAt.get(
            key(
              v.columns,
              c.map((x) => x.index),
            ),
          );
          if (col !== undefined) sums[row]!.set(col, (sums[row]!.get(col) ?? 0) + value);
        }
      }
    }
  });
  const liOf = (r: Member[], c: Member[]) => {
    const at = v.rows.findIndex((a) => a.kind === 'lineItems');
    if (at >= 0) return v.lineItems[r[at]!.index]!;
    const cAt = v.columns.findIndex((a) => a.kind === 'lineItems');
    if (cAt >= 0) return v.lineItems[c[cAt]!.index]!;
    return v.lineItems[page[v.pages.findIndex((a) => a.kind === 'lineItems')]!.index]!;
  };
  const isLeaf = (axes: Axis[], ms: Member[]) =>
    axes.every((a, i) => a.kind === 'lineItems' || isLeafMember(m.dims[a.index]!, ms[i]!.index));
  const pageLeaf = isLeaf(v.pages, page);
  return {
    pages: page.map((p) => p.label),
    columnCoordinates: colCombos.map((c) => c.map((x) => x.label)),
    rows: rowCombos.map((r, ri) => ({
      rowCoordinates: r.map((x) => x.label),
      cells: colCombos.map((c, ci) =>
        render(liOf(r, c), sums[ri]!.get(ci), pageLeaf && isLeaf(v.rows, r) && isLeaf(v.columns, c)),
      ),
    })),
  };
}

function isLeafMember(d: Dimension, index: number): boolean {
  if (d.kind !== 'list') return true;
  const it = d.list.itemAt(index);
  return it !== undefined && d.list.isLeaf(it);
}

/**
 * Grid CSV (docs/anaplan.md §11 "Export CSV shapes"): the page selection line (when there are pages), one
 * header line per column dimension led by one empty cell per row dimension, then the rows.
 */
export function gridCsv(g: Grid, rowDims: number, field: (s: string) => string): string {
  const lines: string[] = [];
  if (g.pages.length) lines.push(g.pages.map(field).join(','));
  const colDims = g.columnCoordinates[0]?.length ?? 0;
  for (let d = 0; d < colDims; d++)
    lines.push([...Array<string>(rowDims).fill(''), ...g.columnCoordinates.map((c) => field(c[d]!))].join(','));
  for (const r of g.rows) lines.push([...r.rowCoordinates, ...r.cells].map(field).join(','));
  return lines.join('\n') + '\n';
}

/**
 * Tabular exports of a view (read requests): one row per stored leaf cell combination. Multi-column:
 * every module dimension, then one column per line item; single-column: every dimension, the line item
 * and the value. Rows whose cells are all empty are left out (the export's own "omit empty rows";
 * the sandbox always applies it, since a full cross product of its lists is millions of rows).
 */
export function tabularRows(
  model: PlanningModel,
  v: ViewLayout,
  multiColumn: boolean,
): { header: string[]; rows: string[][] } {
  const m = v.module;
  const lineItems = v.lineItems;
  const dimNames = m.dims.map((_, i) => m.dimName(i));
  const label = (i: number, index: number) => {
    const d = m.dims[i]!;
    return d.kind === 'list' ? d.list.itemAt(index)!.name : model.memberLabel(d, index);
  };
  const coords: number[] = [];
  if (!multiColumn) {
    const rows: string[][] = [];
    for (const li of lineItems)
      for (const [k, value] of li.cells)
        rows.push([...m.decode(k, coords).map((x, i) => label(i, x)), li.name, render(li, value, true)]);
    return { header: [...dimNames, 'Line Item', 'Value'], rows };
  }
  const byKey = new Map<number, Array<number | undefined>>();
  lineItems.forEach((li, at) => {
    for (const [k, value] of li.cells) {
      const row = byKey.get(k) ?? lineItems.map(() => undefined);
      row[at] = value;
      byKey.set(k, row);
    }
  });
  const rows = [...byKey.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, vals]) => [
      ...m.decode(k, coords).map((x, i) => label(i, x)),
      ...vals.map((value, at) => render(lineItems[at]!, value, true)),
    ]);
  return { header: [...dimNames, ...lineItems.map((l) => l.name)], rows };
}
