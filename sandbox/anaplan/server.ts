/**
 * The Anaplan sandbox: auth service (`/token/*`), OAuth service (`/oauth/*`) and Integration API v2
 * (`/2/0/*`) on one base URL, plus the control plane (`/__sandbox/*`). Binds port 0 by default and
 * reports its URL. See README.md for the seeded model, the control plane and what is not reproduced.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createCertificate } from '../certs';
import { sleep } from '../kit/sleep';
import { apiError, HttpFailure } from './errors';
import type { Ctx } from '../kit/router';
import { startKitServer, type KitServer } from '../kit/server';
import { ControlError, controlError } from '../kit/control';
import { buildRouters } from './routes';
import { cellTotals } from './routes-control';
import { DEFAULT_CONFIG, SandboxState, type DemoUser, type SandboxConfig } from './state';
import { TaskScheduler } from './tasks';

export interface AnaplanSandboxOptions extends Partial<SandboxConfig> {
  port?: number;
  host?: string;
  /** Directory for file chunks, dumps and export outputs; a fresh temp dir (removed on close) by default. */
  dataDir?: string;
  /** Demo user e-mail; its password and certificate are generated at start-up, never stored. */
  demoEmail?: string;
}

export interface AnaplanSandbox {
  url: string;
  workspaceId: string;
  modelId: string;
  /** Device-grant OAuth client registered in the tenant. */
  oauthClientId: string;
  demoUser: DemoUser;
  state: SandboxState;
  /** Cell count and total of a module line item, filtered by member codes (same as `GET /__sandbox/cells`). */
  cellTotals(moduleName: string, lineItem: string, filter?: Record<string, string>): { cells: number; total: number };
  /** An outage (chaos runs): stop listening and listen again on the same port, state kept. */
  listener: Pick<KitServer, 'down' | 'up'>;
  close(): Promise<void>;
}

export async function startAnaplanSandbox(opts: AnaplanSandboxOptions = {}): Promise<AnaplanSandbox> {
  const config: SandboxConfig = { ...DEFAULT_CONFIG };
  for (const k of Object.keys(DEFAULT_CONFIG) as Array<keyof SandboxConfig>)
    if (opts[k] !== undefined) (config as any)[k] = opts[k];
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'anaplan-sandbox-')));
  // 2048-bit keeps start-up fast; Anaplan accepts CA-issued RSA certificates of common sizes.
  const cert = await createCertificate({
    kind: 'rsa',
    rsaBits: 2048,
    days: 365,
    commonName: 'ml-connector integration',
  });
  const demoUser: DemoUser = {
    email: opts.demoEmail ?? 'integration@meridian.example',
    password: randomBytes(12).toString('base64url'),
    certificatePem: cert.certificatePem,
    privateKeyPem: cert.privateKeyPem,
  };
  const state = new SandboxState(config, dataDir, demoUser);
  state.scheduler = new TaskScheduler(state);

  const { api, control } = buildRouters(state);

  async function handle(req: Ctx['req'], res: Ctx['res']): Promise<void> {
    const url = new URL(req.url ?? '/', state.baseUrl);
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const isControl = path.startsWith('/__sandbox/');
    const router = isControl ? control : api;
    const { handler, pattern, params, methodMismatch } = router.match(method, path);
    const route = `${method} ${pattern ?? '(no route)'}`;
    if (!isControl) {
      // Every request that arrives counts, whatever answers it (a fault, the budget's 429, a drop), as
      // the NetSuite sandbox counts: one rule for the kit's `requests` in both sandboxes.
      state.stats.record(route);
      const fault = state.faults.forRequest(method, path, route);
      for (const f of fault.fired) state.stats.fault(f.label);
      if (fault.latencyMs > 0) await sleep(fault.latencyMs);
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.status || fault.login401) {
        req.resume();
        const status = fault.status?.status ?? 401;
        const headers: Record<string, string> =
          fault.status?.retryAfterSec !== undefined ? { 'retry-after': String(fault.status.retryAfterSec) } : {};
        return apiError(res, status, path, undefined, headers);
      }
      // The request budget covers the Integration API (the auth and OAuth services are other hosts).
      if (path.startsWith('/2/0/')) {
        const admitted = state.budget.admit(Date.now());
        if (!admitted.ok) {
          req.resume();
          return apiError(res, 429, path, 'Too Many Requests', { 'retry-after': String(admitted.retryAfterSec) });
        }
      }
    }
    const ctx: Ctx = { req, res, url, method, params };
    if (!handler) {
      req.resume();
      if (isControl) return controlError(res, new ControlError(404, `no control endpoint ${method} ${path}`));
      return apiError(res, methodMismatch ? 405 : 404, path);
    }
    try {
      await handler(ctx);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      req.resume();
      if (err instanceof ControlError) return controlError(res, err);
      if (err instanceof HttpFailure) return apiError(res, err.status, path, err.message, err.headers);
      if (err instanceof SyntaxError) return apiError(res, 400, path, 'Malformed request body');
      throw err;
    }
  }

  const server = await startKitServer(handle, {
    port: opts.port,
    host: opts.host,
    onError: (req, res) => apiError(res, 500, req.url ?? '/'),
  });
  state.baseUrl = server.url;

  return {
    url: state.baseUrl,
    get workspaceId() {
      return state.model.workspaceId;
    },
    get modelId() {
      return state.model.id;
    },
    oauthClientId: state.demoClientId,
    demoUser,
    state,
    cellTotals: (moduleName, lineItem, filter = {}) => cellTotals(state, moduleName, lineItem, filter),
    listener: server,
    async close() {
      await state.scheduler.drain();
      await server.close();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
