/**
 * The Anaplan import and export actions a connection uses, with the columns the connector writes or
 * reads through each: the cycle's preflight and `ml-connector ping` check the same list.
 */
import type { ConnectionConfig } from '../../common/config';
import { ACTUALS_HEADER } from '../mapping/actuals';
import { PLAN_COLUMNS } from './plan';

/** Columns of a list import (the dimension members the connector loads: code, name, parent). */
export const LIST_IMPORT_COLUMNS = ['Code', 'Name', 'Parent'] as const;

export interface NeededAction {
  where: string;
  kind: 'import' | 'export';
  name: string;
  columns: readonly string[];
}

export function neededActions(config: ConnectionConfig): NeededAction[] {
  const out: NeededAction[] = [
    { where: 'actions.importActuals', kind: 'import', name: config.actions.importActuals, columns: ACTUALS_HEADER },
    { where: 'actions.exportPlan', kind: 'export', name: config.actions.exportPlan, columns: PLAN_COLUMNS },
  ];
  for (const [dim, d] of Object.entries(config.dimensions)) {
    if (d.sync && d.importAction)
      out.push({
        where: `dimensions.${dim}.importAction`,
        kind: 'import',
        name: d.importAction,
        columns: LIST_IMPORT_COLUMNS,
      });
    if (d.sync && d.parentImportAction)
      out.push({
        where: `dimensions.${dim}.parentImportAction`,
        kind: 'import',
        name: d.parentImportAction,
        columns: LIST_IMPORT_COLUMNS,
      });
  }
  return out;
}
