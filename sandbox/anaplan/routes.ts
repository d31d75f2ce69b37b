/**
 * Route table of the sandbox: the three services on one base URL (the client still takes their base
 * URLs separately, as the real hosts differ — docs/anaplan.md §1) and the control plane on its own router.
 */
import { Router } from '../kit/router';
import { registerAuthRoutes } from './routes-auth';
import { registerControlRoutes } from './routes-control';
import { registerFileRoutes } from './routes-files';
import { registerListItemRoutes } from './routes-list-items';
import { registerModelRoutes } from './routes-model';
import { registerModuleDataRoutes } from './routes-module-data';
import { registerOAuthRoutes } from './routes-oauth';
import { registerTaskRoutes } from './routes-tasks';
import { registerViewRoutes } from './routes-views';
import type { SandboxState } from './state';

export function buildRouters(state: SandboxState): { api: Router; control: Router } {
  const api = new Router();
  registerAuthRoutes(api, state); // /token/*
  registerOAuthRoutes(api, state); // /oauth/*
  registerModelRoutes(api, state); // /2/0 users, workspaces, models, lists, modules, versions
  registerListItemRoutes(api, state); // /2/0 list item add/update/delete, resetIndex (both path forms)
  registerModuleDataRoutes(api, state); // /2/0 views, cell writes
  registerViewRoutes(api, state); // /2/0 view metadata and data, view and list read requests
  registerFileRoutes(api, state); // /2/0 files and chunks
  registerTaskRoutes(api, state); // /2/0 imports, exports, processes, tasks, dumps
  const control = new Router();
  registerControlRoutes(control, state); // /__sandbox/*
  return { api, control };
}
