/**
 * The NetSuite SuiteTalk REST client. Everything is injected (docs/style.md §8): account ID or base URL,
 * credentials, undici dispatcher, concurrency cap, retry policy, observer, clock. The same class
 * talks to a real account or to sandbox/netsuite by changing only those.
 *
 * Every request goes through the shared HTTP policy (activities/http): one in-flight cap kept under
 * the account's concurrency governance limit (§6.2), 429/5xx/network errors retried with
 * full-jitter backoff honouring Retry-After, and a 401 judged by `judgeUnauthorized` (auth.ts):
 * re-mint once, back off as throttling, or report a credential failure at once.
 *
 *   const ns = new NetSuiteClient({ accountId: '1234567_SB1', credentials });
 *   for await (const page of ns.suiteql('SELECT id, acctnumber FROM account ORDER BY id')) …
 *   for await (const page of ns.suiteqlKeyset({ build: (after) => `… WHERE id > ${after ?? 0} ORDER BY id`, key: (r) => Number(r.id) })) …
 *   await ns.upsertJournal('plan-2026-11-s2-p1', journal);
 */
import type { Dispatcher } from 'undici';
import {
  ConcurrencyLimiter,
  DEFAULT_RETRY_POLICY,
  NetworkError,
  parseRetryAfter,
  readText,
  runPipeline,
  send,
  type CallObserver,
  type HttpRequest,
  type RetryPolicy,
  type TransportOptions,
} from '../http';
import { TokenProvider, judgeUnauthorized, parseJson, type NetSuiteCredentials } from './auth';
import { NetSuiteCredentialsError, NetSuiteError, NetSuiteLoginThrottledError, parseNetSuite } from './errors';
import {
  createJournal,
  deleteJournal,
  getJournal,
  upsertJournal,
  writeJournal,
  type VerifiedJournalWrite,
} from './journals';
import { keysetPages, offsetPages, type KeysetOptions, type SuiteQLOptions, type SuiteQLPage } from './suiteql';
import {
  GovernanceLimitsSchema,
  SuiteQLPageSchema,
  type GovernanceLimits,
  type JournalEntryInput,
  type JournalRecord,
  type SuiteQLPageWire,
  type SuiteQLRow,
} from './types';
import { recordThrottle } from '../observability/metrics';

/**
 * Account ID → REST host: lowercase, `_` → `-` (`1234567_SB1` → `https://1234567-sb1.suitetalk.api.netsuite.com`).
 * A community convention, not stated by Oracle, who say to read Company URLs (§1.1–1.2): pass
 * `baseUrl` to use the Company URLs value (or the sandbox) instead.
 */
export function accountIdToBaseUrl(accountId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(accountId))
    throw new RangeError(`invalid NetSuite account ID: ${JSON.stringify(accountId)}`);
  return `https://${accountId.toLowerCase().replace(/_/g, '-')}.suitetalk.api.netsuite.com`;
}

export interface NetSuiteClientOptions {
  /** Account ID as shown in NetSuite, e.g. `1234567_SB1`. */
  accountId: string;
  /** Overrides the host derived from the account ID (Company URLs value, or the sandbox URL). */
  baseUrl?: string;
  credentials: NetSuiteCredentials;
  dispatcher?: Dispatcher;
  /** In-flight requests at most; keep under governanceLimits (default 5, the smallest tier). */
  concurrency?: number;
  /**
   * A limiter shared by every client of the same account: NetSuite's concurrency limit is per
   * account (§6.2), so connections that share one must share the cap too. Overrides `concurrency`.
   */
  limiter?: ConcurrencyLimiter;
  retryPolicy?: RetryPolicy;
  observer?: CallObserver;
  /** Per-request timeout (default 120 s; NetSuite itself stops at 15 minutes, §1.3). */
  timeoutMs?: number;
  now?: () => number;
}

export interface RequestOptions {
  query?: Record<string, string | number>;
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface RestResponse {
  status: number;
  json: unknown;
  location?: string;
}

export class NetSuiteClient {
  readonly accountId: string;
  readonly baseUrl: string;
  readonly limiter: ConcurrencyLimiter;
  readonly tokens: TokenProvider;
  private readonly transport: TransportOptions;
  private readonly retryPolicy: RetryPolicy;
  private readonly now: () => number;

  constructor(options: NetSuiteClientOptions) {
    this.accountId = options.accountId;
    this.baseUrl = (options.baseUrl ?? accountIdToBaseUrl(options.accountId)).replace(/\/+$/, '');
    this.limiter = options.limiter ?? new ConcurrencyLimiter(options.concurrency ?? 5);
    this.transport = { dispatcher: options.dispatcher, timeoutMs: options.timeoutMs, observer: options.observer };
    this.retryPolicy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.now = options.now ?? Date.now;
    this.tokens = new TokenProvider({
      baseUrl: this.baseUrl,
      credentials: options.credentials,
      transport: this.transport,
      now: options.now,
    });
  }

  /** One authenticated REST call under the shared policy; throws a NetSuiteError on 4xx/5xx. */
  async request(method: HttpRequest['method'], path: string, options: RequestOptions = {}): Promise<RestResponse> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, String(v));
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const logPath = url.pathname + url.search;
    type Exchange = {
      status: number;
      headers: Record<string, string | string[] | undefined>;
      json: unknown;
      sentAt: number;
      provenBefore: boolean;
      overlapped: boolean;
    };
    return runPipeline<Exchange, RestResponse>(
      {
        send: async (token, attempt) => {
          const sentAt = this.now();
          const provenBefore = this.tokens.describe(token, sentAt).successes > 0;
          // Concurrency cap of the account (§6.2); `overlapped` feeds the 401 judgement below.
          return this.limiter.run(async () => {
            const admittedAtStart = this.limiter.admitted;
            let overlapped = this.limiter.inFlight > 1;
            const r = await send(
              'netsuite',
              {
                method,
                url,
                body,
                signal: options.signal,
                attempt,
                headers: {
                  authorization: `Bearer ${token}`,
                  accept: 'application/json',
                  ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
                  ...options.headers,
                },
              },
              this.transport,
            );
            let text: string;
            try {
              text = await readText(r);
            } catch (err) {
              if (options.signal?.aborted) throw err;
              throw new NetworkError({
                method,
                path: logPath,
                status: r.status,
                reason: 'connection lost while reading the response',
              });
            }
            overlapped ||= this.limiter.inFlight > 1 || this.limiter.admitted > admittedAtStart;
            return { status: r.status, headers: r.headers, json: parseJson(text), sentAt, provenBefore, overlapped };
          });
        },
        accept: (res, token) => {
          this.tokens.noteSuccess(token);
          this.limiter.succeeded();
          const location = res.headers.location;
          return { status: res.status, json: res.json, location: Array.isArray(location) ? location[0] : location };
        },
        // §2.6 / §6.3 / §12: expiry and revocation, throttling dressed as a bad login, or bad credentials.
        unauthorized: (res, token, reminted) => {
          const known = this.tokens.describe(token, res.sentAt);
          const verdict = judgeUnauthorized({
            replaced: known.replaced,
            reminted,
            provenBefore: res.provenBefore,
            succeededSince: known.succeededSince,
            overlapped: res.overlapped,
            refused: known.refused,
          });
          if (verdict === 'retry-current') return 'resend';
          if (verdict === 'remint') return 'remint';
          const base = NetSuiteError.fromResponse({ status: 401, body: res.json }, { method, path: logPath });
          const fields = { method, path: logPath, status: 401, code: base.code, details: base.details };
          if (verdict === 'throttled') {
            this.limiter.throttle();
            recordThrottle('netsuite', 'login-401');
            return new NetSuiteLoginThrottledError(
              `${base.message} — taken as concurrency throttling (other requests were in flight; NetSuite can refuse over-limit calls this way), retried with fewer requests in flight`,
              fields,
            );
          }
          this.tokens.refuse(token);
          return new NetSuiteCredentialsError(
            `${base.message} — a freshly issued token was refused with no other request in flight: the role, entity or integration record cannot use REST web services (see NetSuite's Login Audit Trail). Not retried, so the account is not locked by repeated logins`,
            fields,
          );
        },
        fail: (res) =>
          NetSuiteError.fromResponse(
            { status: res.status, body: res.json, retryAfterMs: parseRetryAfter(res.headers['retry-after']) },
            { method, path: logPath },
          ),
      },
      { tokens: this.tokens, policy: this.retryPolicy, signal: options.signal },
    );
  }

  /** One SuiteQL page (`Prefer: transient`, §3.1). */
  async suiteqlPage(sql: string, limit: number, offset: number, signal?: AbortSignal): Promise<SuiteQLPageWire> {
    const res = await this.request('POST', '/services/rest/query/v1/suiteql', {
      query: { limit, offset },
      json: { q: sql },
      headers: { prefer: 'transient' },
      signal,
    });
    return parseNetSuite(SuiteQLPageSchema, res.json, {
      method: 'POST',
      path: '/services/rest/query/v1/suiteql',
      status: res.status,
      what: 'page',
    });
  }

  /**
   * Offset-paged SuiteQL for queries of at most 100,000 rows (master data, GL aggregated per
   * period): pages fetched concurrently, yielded in order. Throws NetSuiteResultLimitError for
   * bigger results — use suiteqlKeyset() for those.
   */
  suiteql<T = SuiteQLRow>(sql: string, options: SuiteQLOptions<T> = {}): AsyncGenerator<SuiteQLPage<T>> {
    return offsetPages<T>((q, l, o, s) => this.suiteqlPage(q, l, o, s), sql, options, this.limiter.limit);
  }

  /** Keyset-paged SuiteQL with no row ceiling: `build(after)` must filter `key > after` and ORDER BY the key. */
  suiteqlKeyset<T = SuiteQLRow, K = unknown>(options: KeysetOptions<T, K>): AsyncGenerator<SuiteQLPage<T>> {
    return keysetPages<T, K>((q, l, o, s) => this.suiteqlPage(q, l, o, s), options, this.limiter.limit);
  }

  /** All rows of a small query (≤ 100,000 rows) in one array. */
  async suiteqlAll<T = SuiteQLRow>(sql: string, options: SuiteQLOptions<T> = {}): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.suiteql(sql, options)) out.push(...page.rows);
    return out;
  }

  /** Creates or replaces (lines included) the journal with this externalId; returns its internal id. */
  upsertJournal(externalId: string, journal: JournalEntryInput, signal?: AbortSignal): Promise<{ id: string }> {
    return upsertJournal(this, externalId, journal, signal);
  }

  /** Creates (PUT) or replaces the lines of (PATCH ?replace=line) a journal, then reads it back and compares (see `writeJournal`). */
  writeJournal(
    externalId: string,
    journal: JournalEntryInput,
    opts: { exists: boolean; signal?: AbortSignal },
  ): Promise<VerifiedJournalWrite> {
    return writeJournal(this, externalId, journal, opts);
  }

  createJournal(journal: JournalEntryInput, externalId?: string, signal?: AbortSignal): Promise<{ id: string }> {
    return createJournal(this, journal, externalId, signal);
  }

  /** Deletes the journal with this external ID; false when there was none. */
  deleteJournalByExternalId(externalId: string, signal?: AbortSignal): Promise<boolean> {
    return deleteJournal(this, externalId, signal);
  }
  getJournalByExternalId(externalId: string, signal?: AbortSignal): Promise<JournalRecord | undefined> {
    return getJournal(this, { externalId }, signal);
  }

  getJournal(id: string, signal?: AbortSignal): Promise<JournalRecord | undefined> {
    return getJournal(this, { id }, signal);
  }

  /** The account's concurrency limit (admin roles only, §6.2); also a cheap authenticated ping. */
  async governanceLimits(signal?: AbortSignal): Promise<GovernanceLimits> {
    const res = await this.request('GET', '/services/rest/system/v1/governanceLimits', { signal });
    return parseNetSuite(GovernanceLimitsSchema, res.json, {
      method: 'GET',
      path: '/services/rest/system/v1/governanceLimits',
      status: res.status,
    });
  }
}
