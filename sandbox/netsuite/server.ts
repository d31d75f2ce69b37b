/**
 * The NetSuite sandbox: one HTTP server per simulated account, speaking SuiteTalk REST on the real
 * paths plus a control plane under /__sandbox/. `startNetSuiteSandbox()` is what tests, `npm start`
 * and `ml-connector sandbox` call; it binds port 0 unless told otherwise and reports its URL.
 */
import type * as http from 'node:http';
import { readBody } from '../kit/body';
import { startKitServer, type KitServer } from '../kit/server';
import { sleep } from '../kit/sleep';
import type { FaultRule } from '../kit/faults';
import { createCertificate } from '../certs';
import { AuthRegistry, TOKEN_PATH, type TokenErrorShape } from './auth';
import { buildControlRouter } from './control';
import { ControlError, controlError } from '../kit/control';
import type { Router } from '../kit/router';
import { concurrencyExceeded, invalidLogin, nsError, type SandboxResponse } from './errors';
import { FaultRegistry, GovernanceStats, parseOverLimit, type OverLimitBehaviour } from './governance';
import { buildApiRouter, noRoute, routeKey, type ApiContext, type ApiHandler, type ApiRequest } from './routes';
import { NetSuiteState, type SuiteQLVariants } from './state';
import type { DateFormat } from './oracle-functions';

export interface NetSuiteSandboxOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seed of the generated GL activity (default 42). */
  seed?: number;
  /** Accounting lines of seeded GL activity (default 20,000; millions are fine with dbPath). */
  glLines?: number;
  /** Default '1234567_SB1'. */
  accountId?: string;
  /** Access token lifetime; NetSuite's is 3600 s (§2.5). Short values let tests see expiry. */
  tokenLifetimeSec?: number;
  /** Account concurrency limit (default 5, the developer/standard tier base, §6.2). */
  concurrencyLimit?: number;
  /** Added to every SuiteQL page, to benchmark against realistic latency. */
  pageLatencyMs?: number;
  /** SQLite file instead of memory (recreated at start). */
  dbPath?: string;
  /** User date preference for DATE columns in SuiteQL results (default M/D/YYYY). */
  dateFormat?: DateFormat;
  /** Key type of the generated demo M2M client: 'ec' → ES256 (default), 'rsa' → PS256. */
  demoKeyKind?: 'ec' | 'rsa';
  /**
   * Seed a Multi-Book account (primary book + secondary 'Plan Book', `accountingbook` queryable).
   * Default false: a single-book account, where SuiteQL naming `accountingbook` gets a 400 (§12).
   */
  multiBook?: boolean;
  /** Answer over-limit requests with '429' (default, documented) or '401' "Invalid login attempt" (§12). */
  overLimitResponse?: '429' | '401';
  /** Delay before an over-limit refusal (default 0; NetSuite's 401 form was seen after ~60 s). */
  overLimitDelayMs?: number;
  /** SuiteQL alternatives (hidden fields, book refusal, JSON values); see state.ts `SuiteQLVariants`. */
  variants?: Partial<SuiteQLVariants>;
  /** `expires_in` in the token response as the string "3600" (default) or a number (§2.5). */
  expiresIn?: 'string' | 'number';
  /** Body of a refused client assertion (§2.6); see auth.ts `TokenErrorShape`. */
  tokenErrorShape?: TokenErrorShape;
}

export interface DemoClient {
  clientId: string;
  certificateId: string;
  privateKeyPem: string;
  certificatePem: string;
  algorithm: 'ES256' | 'PS256';
}

const MAX_BODY_BYTES = 104 * 1024 * 1024; // §1.3 request size limit

export class NetSuiteSandbox {
  readonly stats: GovernanceStats;
  readonly faults = new FaultRegistry();
  readonly auth: AuthRegistry;
  readonly api: ApiContext;
  overLimit: OverLimitBehaviour;
  private readonly control: Router;
  private readonly routes: Router<ApiHandler>;
  url = '';
  private server?: KitServer;

  constructor(
    readonly state: NetSuiteState,
    readonly accountId: string,
    readonly demoClient: DemoClient,
    options: NetSuiteSandboxOptions,
  ) {
    this.auth = new AuthRegistry(accountId, options.tokenLifetimeSec ?? 3600);
    this.auth.expiresIn = options.expiresIn ?? 'string';
    this.auth.tokenErrorShape = options.tokenErrorShape ?? 'oauth';
    this.stats = new GovernanceStats(options.concurrencyLimit ?? 5);
    this.overLimit = parseOverLimit(
      { response: options.overLimitResponse, delayMs: options.overLimitDelayMs },
      { response: '429', delayMs: 0 },
    );
    this.api = {
      state,
      auth: this.auth,
      accountId,
      concurrencyLimit: this.stats.concurrencyLimit,
      pageLatencyMs: options.pageLatencyMs ?? 0,
      baseUrl: '',
    };
    this.registerDemoClient();
    this.control = buildControlRouter(this);
    this.routes = buildApiRouter(this.api);
  }

  private registerDemoClient(): void {
    this.auth.register(this.demoClient.clientId, this.demoClient.certificateId, this.demoClient.certificatePem);
  }

  setConcurrencyLimit(limit: number): void {
    this.stats.concurrencyLimit = limit;
    this.api.concurrencyLimit = limit;
  }

  /** Fresh seed, demo client only, no tokens, faults or statistics. */
  reset(): void {
    this.state.reset();
    this.auth.mappings.clear();
    this.auth.revokeAllTokens();
    this.registerDemoClient();
    this.faults.clear();
    this.stats.reset();
  }

  async listen(port: number, host: string): Promise<string> {
    this.server = await startKitServer((req, res) => this.handle(req, res), {
      port,
      host,
      urlHost: host,
      keepAliveTimeoutMs: 5_000,
      onError: (_req, res) =>
        write(res, nsError(500, { detail: 'An unexpected error occurred.', code: 'UNEXPECTED_ERROR' })),
    });
    this.url = this.server.url;
    this.api.baseUrl = this.url;
    return this.url;
  }

  /** The listener of an outage (chaos runs): state and port are kept; see KitServer.down/up. */
  get listener(): Pick<KitServer, 'down' | 'up'> | undefined {
    return this.server;
  }

  async close(): Promise<void> {
    if (this.server) {
      const server = this.server;
      this.server = undefined;
      await server.close();
    }
    this.state.close();
  }

  private async handleControl(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    method: string,
  ): Promise<void> {
    const { handler, params } = this.control.match(method, url.pathname);
    try {
      if (!handler) throw new ControlError(404, `no control endpoint ${method} ${url.pathname.replace(/\/+$/, '')}`);
      await handler({ req, res, url, method, params });
    } catch (err) {
      if (!(err instanceof ControlError) || res.headersSent) throw err;
      req.resume();
      controlError(res, err);
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname.startsWith('/__sandbox/')) return this.handleControl(req, res, url, method);
    const route = routeKey(method, url.pathname);
    // The kit statistics count every request that arrives, whatever answers it (governance, a fault,
    // a drop or the route), under its route key or `METHOD (no route)`: the one rule of both sandboxes.
    const matched = this.routes.match(method, url.pathname);
    this.stats.kit.record(matched.handler ? route : `${method} (no route)`);
    const isToken = url.pathname === TOKEN_PATH;
    // The token endpoint is not counted against concurrency governance (sandbox choice, README).
    const admitted = isToken ? true : this.stats.arrive();
    let left = false;
    const leave = () => {
      if (!left && !isToken) this.stats.leave(admitted);
      left = true;
    };
    try {
      if (!admitted) {
        req.resume();
        // The refused request stays present (peakAttempted) while NetSuite makes it wait.
        const { response, delayMs } = this.overLimit;
        if (delayMs > 0) await sleep(delayMs);
        leave();
        const refusal = response === '401' ? invalidLogin(this.accountId) : concurrencyExceeded();
        this.stats.record(route, refusal.status);
        write(res, refusal);
        return;
      }
      const body = await readBody(req, MAX_BODY_BYTES);
      const apiReq: ApiRequest = { method, url, headers: req.headers, body };
      const response = await this.process(route, matched, isToken, apiReq);
      leave();
      if (response === 'drop') {
        this.stats.record(route, 'dropped');
        req.socket.destroy();
        return;
      }
      this.stats.record(route, response.status);
      write(res, response);
    } finally {
      leave();
    }
  }

  /** How NetSuite words an injected terminal fault. */
  private faultResponse(f: FaultRule): SandboxResponse | 'drop' {
    if (f.effect === 'drop') return 'drop';
    if (f.effect === 'login401') return invalidLogin(this.accountId);
    const r =
      f.status === 429
        ? concurrencyExceeded()
        : nsError(f.status ?? 503, {
            detail: 'The service is temporarily unavailable. Try again later.',
            code: 'UNEXPECTED_ERROR',
          });
    if (f.retryAfterSec !== undefined) r.headers = { ...r.headers, 'retry-after': String(f.retryAfterSec) };
    return r;
  }

  /** Faults, then auth, then the route (each request already counted on arrival, in handle()). */
  private async process(
    route: string,
    matched: ReturnType<Router<ApiHandler>['match']>,
    isToken: boolean,
    req: ApiRequest,
  ): Promise<SandboxResponse | 'drop'> {
    const drawn = this.faults.draw({ method: req.method, path: req.url.pathname, route });
    for (const f of drawn.fired) this.stats.fault(f.label);
    if (drawn.latencyMs > 0) await sleep(drawn.latencyMs);
    for (const f of drawn.sideEffects) {
      if (f.effect === 'revoke-token') {
        const token = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
        if (token) this.auth.revokeToken(token);
      }
    }
    const terminal = drawn.terminal && this.faultResponse(drawn.terminal);
    if (terminal !== undefined) return terminal;
    const { handler, params, methodMismatch } = matched;
    // Auth is checked before anything else touches the request, as NetSuite does; the token endpoint is open.
    if (!isToken) {
      const auth = this.auth.authenticate(
        typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined,
      );
      if ('status' in auth) return auth;
    }
    return handler ? handler(req, params) : noRoute(req, methodMismatch);
  }
}

function write(res: http.ServerResponse, r: SandboxResponse): void {
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  let payload: string | Buffer | undefined;
  if (r.body !== undefined && r.status !== 204) {
    payload = typeof r.body === 'string' || Buffer.isBuffer(r.body) ? r.body : JSON.stringify(r.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  res.writeHead(r.status, headers);
  res.end(payload);
}

export interface StartedNetSuiteSandbox {
  url: string;
  accountId: string;
  demoClient: DemoClient;
  sandbox: NetSuiteSandbox;
  state: NetSuiteState;
  close(): Promise<void>;
}

export async function startNetSuiteSandbox(options: NetSuiteSandboxOptions = {}): Promise<StartedNetSuiteSandbox> {
  const accountId = options.accountId ?? '1234567_SB1';
  const kind = options.demoKeyKind ?? 'ec';
  const cert = await createCertificate({ kind, commonName: 'ml-connector NetSuite demo client', days: 365 });
  const demoClient: DemoClient = {
    clientId: 'ml-connector-demo-client',
    certificateId: 'demo-certificate-1',
    privateKeyPem: cert.privateKeyPem,
    certificatePem: cert.certificatePem,
    algorithm: kind === 'ec' ? 'ES256' : 'PS256',
  };
  const state = new NetSuiteState({
    seed: options.seed ?? 42,
    glLines: options.glLines ?? 20_000,
    dbPath: options.dbPath,
    dateFormat: options.dateFormat,
    multiBook: options.multiBook,
    variants: options.variants,
  });
  const sandbox = new NetSuiteSandbox(state, accountId, demoClient, options);
  let url: string;
  try {
    url = await sandbox.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  } catch (err) {
    state.close();
    throw err;
  }
  return { url, accountId, demoClient, sandbox, state, close: () => sandbox.close() };
}
