/**
 * The Anaplan client: three injected base URLs (auth service, OAuth service, Integration API — the
 * real hosts differ, docs/anaplan.md §1), credentials, dispatcher, retry policy, observer and a client-side
 * request budget under the tenant's 600/min. Every call takes the budget, carries the session token,
 * retries 429/5xx/network per the shared HTTP policy, and re-authenticates once on 401.
 */
import type { Readable } from 'node:stream';
import { z, type ZodType, type ZodTypeAny, type ZodTypeDef } from 'zod';
import {
  DEFAULT_RETRY_POLICY,
  readJson,
  runPipeline,
  send,
  type CallObserver,
  type HttpResponse,
  type RetryPolicy,
} from '../http';
import type { Dispatcher } from 'undici';
import { AnaplanAuthError, AnaplanNotFoundError, fromResponse, parseAnaplan } from './errors';
import { TenantRequestBudget } from './budget';
import { AnaplanTokenManager, type AnaplanCredentials, type AnaplanHttp } from './auth';
import {
  Envelope,
  ExportInfo,
  ExportMetadata,
  FileInfo,
  ImportInfo,
  ImportMetadata,
  LineItem,
  ListItem,
  ListMetadata,
  Model,
  NamedObject,
  User,
  VersionInfo,
  Workspace,
} from './types';
import { downloadFile, uploadFile, type DownloadResult, type UploadOptions, type UploadResult } from './files';
import {
  runAction,
  TaskTimes,
  type ActionRunOptions,
  type ExportRunResult,
  type ImportRunResult,
  type ProcessRunResult,
} from './tasks';

/** Production hosts (docs/anaplan.md §1); the OAuth service is not on auth.anaplan.com. */
// Member arrays whose key an empty answer leaves out (or sends as null).
const orEmpty = <T extends ZodTypeAny>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);
const ListItems = orEmpty(ListItem);
const LineItems = orEmpty(LineItem);
const Versions = orEmpty(VersionInfo);

export const ANAPLAN_DEFAULT_URLS = {
  authUrl: 'https://auth.anaplan.com',
  oauthUrl: 'https://us1a.app.anaplan.com',
  apiUrl: 'https://api.anaplan.com',
} as const;

export interface AnaplanClientOptions {
  authUrl?: string;
  oauthUrl?: string;
  /** Integration API host; `/2/0` is appended unless already there (the connection config stores the bare host). */
  apiUrl?: string;
  workspaceId: string;
  /** Case-sensitive: model IDs are uppercase hex (docs/anaplan.md §1). */
  modelId: string;
  credentials: AnaplanCredentials;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
  retryPolicy?: RetryPolicy;
  observer?: CallObserver;
  /** Client-side budget; default 540/min, 10% under the 600/min third parties publish (docs/anaplan.md §9). */
  requestsPerMinute?: number;
  /** Budget window (60 000 ms; shorter only in tests). */
  rateWindowMs?: number;
  /** Refresh the token this long before it expires (default 5 min). */
  refreshMarginMs?: number;
  onRetry?: (info: { attempt: number; delayMs: number; error: Error }) => void;
  /** Clock for token expiry decisions (injectable so tests can cross a 35-minute boundary instantly). */
  now?: () => number;
}

export interface CallOptions {
  signal?: AbortSignal;
  taskId?: string;
  /** Overrides the client's retry policy for this call (e.g. one attempt where a 5xx has a fallback). */
  retryPolicy?: RetryPolicy;
}

export class AnaplanClient {
  readonly workspaceId: string;
  readonly modelId: string;
  readonly tokens: AnaplanTokenManager;
  readonly limiter: TenantRequestBudget;
  /** Run times of this session's tasks by action: the first poll of the next run comes when it should be done (tasks.ts). */
  readonly taskTimes = new TaskTimes();
  private readonly apiUrl: string;
  private readonly http: AnaplanHttp;

  constructor(private readonly opts: AnaplanClientOptions) {
    this.workspaceId = opts.workspaceId;
    this.modelId = opts.modelId;
    const api = (opts.apiUrl ?? ANAPLAN_DEFAULT_URLS.apiUrl).replace(/\/+$/, '');
    this.apiUrl = /\/2\/0$/.test(api) ? api : `${api}/2/0`;
    this.limiter = new TenantRequestBudget(opts.requestsPerMinute ?? 540, opts.rateWindowMs ?? 60_000);
    this.http = {
      transport: { dispatcher: opts.dispatcher, timeoutMs: opts.timeoutMs, observer: opts.observer },
      limiter: this.limiter,
      retryPolicy: opts.retryPolicy ?? DEFAULT_RETRY_POLICY,
    };
    this.tokens = new AnaplanTokenManager({
      authUrl: opts.authUrl ?? ANAPLAN_DEFAULT_URLS.authUrl,
      oauthUrl: opts.oauthUrl ?? ANAPLAN_DEFAULT_URLS.oauthUrl,
      credentials: opts.credentials,
      http: this.http,
      refreshMarginMs: opts.refreshMarginMs,
      now: opts.now,
    });
  }

  /** `/workspaces/{wid}/models/{mid}` — the form every model resource answers at (docs/anaplan.md §3.3). */
  get modelPath(): string {
    return `/workspaces/${this.workspaceId}/models/${this.modelId}`;
  }

  /** The client's retry policy (callers derive one-off policies from it). */
  get retryPolicy(): RetryPolicy {
    return this.http.retryPolicy ?? DEFAULT_RETRY_POLICY;
  }

  /**
   * One Integration API call; resolves with a 2xx response whose body the caller must consume.
   * `body` must be replayable (string/Buffer) because retries and the 401 replay resend it.
   */
  async request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    init: { body?: string | Buffer; headers?: Record<string, string>; accept?: string } & CallOptions = {},
  ): Promise<HttpResponse> {
    const url = new URL(this.apiUrl + path);
    const fail = async (res: HttpResponse) =>
      fromResponse(res, await readJson(res).catch(() => undefined), {
        method,
        path: url.pathname,
        taskId: init.taskId,
      });
    return runPipeline<HttpResponse, HttpResponse>(
      {
        send: async (token, attempt) => {
          const headers: Record<string, string> = {
            authorization: `AnaplanAuthToken ${token}`,
            accept: init.accept ?? 'application/json',
            ...init.headers,
          };
          if (typeof init.body === 'string' && !headers['content-type']) headers['content-type'] = 'application/json';
          // The tenant budget (budget.ts) holds a slot from send until the status line arrives.
          const release = await this.limiter.acquire(init.signal);
          try {
            return await send(
              'anaplan',
              { method, url, headers, body: init.body, signal: init.signal, attempt },
              this.http.transport,
            );
          } finally {
            release();
          }
        },
        accept: (res) => res,
        // Token expired or revoked mid-session: re-authenticate once and replay (docs/anaplan.md §2.3, §14.1).
        // The refused response's body is read either way, so its connection is reused.
        unauthorized: async (res, _token, reminted) => {
          const err = await fail(res);
          return reminted || !(err instanceof AnaplanAuthError) ? err : 'remint';
        },
        fail,
      },
      {
        tokens: this.tokens,
        policy: init.retryPolicy ?? this.http.retryPolicy ?? DEFAULT_RETRY_POLICY,
        signal: init.signal,
        onRetry: this.opts.onRetry,
      },
    );
  }

  async getJson(path: string, opts: CallOptions = {}): Promise<Record<string, unknown>> {
    const res = await this.request('GET', path, opts);
    return ((await readJson(res)) ?? {}) as Record<string, unknown>;
  }

  async sendJson(
    method: 'POST' | 'PUT' | 'DELETE',
    path: string,
    body: unknown,
    opts: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    const res = await this.request(method, path, {
      ...opts,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return ((await readJson(res)) ?? {}) as Record<string, unknown>;
  }

  /** One field of a GET response, parsed by its schema (a mismatch is an AnaplanProtocolError). */
  async getField<S extends ZodTypeAny>(
    path: string,
    key: string,
    schema: S,
    opts: CallOptions = {},
  ): Promise<z.output<S>> {
    const body = await this.getJson(path, opts);
    return parseAnaplan(schema, body[key], { method: 'GET', path, taskId: opts.taskId });
  }

  /** Every page of a collection (`limit`/`offset`, max 5000); an absent key is an empty page (docs/anaplan.md §3.1). */
  async *paginate<T>(
    path: string,
    key: string,
    schema: ZodType<T, ZodTypeDef, unknown>,
    opts: CallOptions = {},
  ): AsyncGenerator<T[]> {
    for (let offset = 0; ; ) {
      const sep = path.includes('?') ? '&' : '?';
      const page = `${path}${sep}limit=5000&offset=${offset}`;
      const req = { method: 'GET', path: page };
      const body = parseAnaplan(Envelope, await this.getJson(page, opts), req);
      const items = ((body as Record<string, unknown>)[key] as unknown[] | undefined) ?? [];
      const parsed = items.map((i) => parseAnaplan(schema, i, req));
      if (parsed.length > 0) yield parsed;
      const paging = body.meta?.paging;
      offset += parsed.length;
      if (!paging || parsed.length === 0 || offset >= paging.totalSize) return;
    }
  }

  async all<T>(
    path: string,
    key: string,
    schema: ZodType<T, ZodTypeDef, unknown>,
    opts: CallOptions = {},
  ): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.paginate(path, key, schema, opts)) out.push(...page);
    return out;
  }

  // --- tenant and model structure -------------------------------------------------------------

  async me(opts?: CallOptions): Promise<User> {
    return this.getField('/users/me', 'user', User, opts);
  }
  workspaces(opts?: CallOptions): Promise<Workspace[]> {
    return this.all('/workspaces', 'workspaces', Workspace, opts);
  }
  models(opts?: CallOptions): Promise<Model[]> {
    return this.all(`/workspaces/${this.workspaceId}/models`, 'models', Model, opts);
  }
  lists(opts?: CallOptions): Promise<NamedObject[]> {
    return this.all(`${this.modelPath}/lists`, 'lists', NamedObject, opts);
  }
  async listMetadata(listId: string, opts?: CallOptions): Promise<ListMetadata> {
    return this.getField(`${this.modelPath}/lists/${listId}`, 'metadata', ListMetadata, opts);
  }
  /** List members (not paged on the real service, docs/anaplan.md §3.1). */
  async listItems(listId: string, opts?: CallOptions): Promise<ListItem[]> {
    return this.getField(`${this.modelPath}/lists/${listId}/items?includeAll=true`, 'listItems', ListItems, opts);
  }
  modules(opts?: CallOptions): Promise<NamedObject[]> {
    return this.all(`${this.modelPath}/modules`, 'modules', NamedObject, opts);
  }
  async lineItems(moduleId?: string, opts?: CallOptions): Promise<LineItem[]> {
    const path = moduleId
      ? `/models/${this.modelId}/modules/${moduleId}/lineItems`
      : `/models/${this.modelId}/lineItems`;
    return this.getField(path, 'items', LineItems, opts);
  }
  async versions(opts?: CallOptions): Promise<VersionInfo[]> {
    return this.getField(`/models/${this.modelId}/versions`, 'versionMetadata', Versions, opts);
  }
  files(opts?: CallOptions): Promise<FileInfo[]> {
    return this.all(`${this.modelPath}/files`, 'files', FileInfo, opts);
  }
  imports(opts?: CallOptions): Promise<ImportInfo[]> {
    return this.all(`${this.modelPath}/imports`, 'imports', ImportInfo, opts);
  }
  exports(opts?: CallOptions): Promise<ExportInfo[]> {
    return this.all(`${this.modelPath}/exports`, 'exports', ExportInfo, opts);
  }
  processes(opts?: CallOptions): Promise<NamedObject[]> {
    return this.all(`${this.modelPath}/processes`, 'processes', NamedObject, opts);
  }
  async importMetadata(importId: string, opts?: CallOptions): Promise<ImportMetadata> {
    return this.getField(`${this.modelPath}/imports/${importId}`, 'importMetadata', ImportMetadata, opts);
  }
  async exportMetadata(exportId: string, opts?: CallOptions): Promise<ExportMetadata> {
    return this.getField(`${this.modelPath}/exports/${exportId}`, 'exportMetadata', ExportMetadata, opts);
  }

  // --- lookups by name (action definitions are built in the UI; the API knows them by ID) ----------

  private async byName<T extends { id: string; name: string }>(
    kind: string,
    items: Promise<T[]>,
    name: string,
  ): Promise<T> {
    const found = (await items).find((i) => i.name === name);
    if (!found)
      throw new AnaplanNotFoundError(`no ${kind} named "${name}" in model ${this.modelId}`, {
        method: 'GET',
        path: `${this.modelPath}/${kind}s`,
        code: 'name-not-found',
      });
    return found;
  }
  findImport(name: string, opts?: CallOptions): Promise<ImportInfo> {
    return this.byName('import', this.imports(opts), name);
  }
  findExport(name: string, opts?: CallOptions): Promise<ExportInfo> {
    return this.byName('export', this.exports(opts), name);
  }
  findProcess(name: string, opts?: CallOptions): Promise<NamedObject> {
    return this.byName('process', this.processes(opts), name);
  }
  findFile(name: string, opts?: CallOptions): Promise<FileInfo> {
    return this.byName('file', this.files(opts), name);
  }
  findList(name: string, opts?: CallOptions): Promise<NamedObject> {
    return this.byName('list', this.lists(opts), name);
  }

  // --- files and actions ---------------------------------------------------------------------

  uploadFile(fileId: string, source: string | Readable, opts?: UploadOptions): Promise<UploadResult> {
    return uploadFile(this, fileId, source, opts);
  }
  downloadFile(fileId: string, destPath: string, opts?: CallOptions): Promise<DownloadResult> {
    return downloadFile(this, fileId, destPath, opts);
  }
  runImport(importId: string, opts?: ActionRunOptions): Promise<ImportRunResult> {
    return runAction(this, 'imports', importId, opts) as Promise<ImportRunResult>;
  }
  runExport(exportId: string, opts?: ActionRunOptions): Promise<ExportRunResult> {
    return runAction(this, 'exports', exportId, opts) as Promise<ExportRunResult>;
  }
  runProcess(processId: string, opts?: ActionRunOptions): Promise<ProcessRunResult> {
    return runAction(this, 'processes', processId, opts) as Promise<ProcessRunResult>;
  }

  /** Ends the auth session (`/token/logout`). */
  close(): Promise<void> {
    return this.tokens.logout();
  }
}
