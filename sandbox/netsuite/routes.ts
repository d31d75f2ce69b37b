/**
 * The REST surface on its real paths: token endpoint, SuiteQL, journal entries, governance limits.
 * Auth is checked before anything else touches the request (server.ts), as NetSuite does.
 */
import { Router } from '../kit/router';
import { sleep } from '../kit/sleep';
import { nsError, invalidParameter, notFound, searchError, userError, type SandboxResponse } from './errors';
import { TOKEN_PATH, type AuthRegistry } from './auth';
import { createJournal, journalSchema, parseRecordKey, renderJournal, writeJournal } from './journals';
import { deleteJournal, findJournalId } from './journal-store';
import { SuiteQLSyntaxError } from './sql-translate';
import { SuiteQLExecutionError, type NetSuiteState } from './state';

export const SUITEQL_PATH = '/services/rest/query/v1/suiteql';
export const GOVERNANCE_PATH = '/services/rest/system/v1/governanceLimits';
const RECORD_PREFIX = '/services/rest/record/v1/';
/** §3.1: at most 1000 rows per page, 1000 pages, 100,000 results without SuiteAnalytics Connect. */
export const MAX_PAGE_SIZE = 1000;
export const MAX_PAGES = 1000;
export const MAX_RESULTS = 100_000;

export interface ApiContext {
  state: NetSuiteState;
  auth: AuthRegistry;
  accountId: string;
  concurrencyLimit: number;
  pageLatencyMs: number;
  baseUrl: string;
}

export interface ApiRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** `METHOD /path` with ids replaced, for statistics and fault matching. */
export function routeKey(method: string, pathname: string): string {
  const lower = pathname.toLowerCase();
  if (lower.startsWith(RECORD_PREFIX)) {
    const [type, id, ...rest] = pathname.slice(RECORD_PREFIX.length).split('/');
    const typeName = (type ?? '').toLowerCase();
    if (id === undefined || id === '') return `${method} ${RECORD_PREFIX}${typeName}`;
    return `${method} ${RECORD_PREFIX}${typeName}/${id.toLowerCase().startsWith('eid') ? '{eid}' : '{id}'}${rest.length ? '/' + rest.join('/') : ''}`;
  }
  return `${method} ${pathname}`;
}

const header = (req: ApiRequest, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

function parseJsonBody(req: ApiRequest): { ok: true; value: unknown } | { ok: false; response: SandboxResponse } {
  try {
    return { ok: true, value: req.body.length === 0 ? undefined : JSON.parse(req.body.toString('utf8')) };
  } catch {
    return {
      ok: false,
      response: nsError(400, {
        detail: 'Invalid content in the request body: the JSON is malformed.',
        code: 'INVALID_CONTENT',
      }),
    };
  }
}

export async function handleToken(ctx: ApiContext, req: ApiRequest): Promise<SandboxResponse> {
  if (!(header(req, 'content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded'))
    return { status: 400, body: { error: 'invalid_request' } };
  const audiences = [
    `https://${ctx.accountId.toLowerCase().replace(/_/g, '-')}.suitetalk.api.netsuite.com${TOKEN_PATH}`,
    `${ctx.baseUrl}${TOKEN_PATH}`,
  ];
  return ctx.auth.issueToken(new URLSearchParams(req.body.toString('utf8')), audiences);
}

/** A REST handler: answers with a response the server pipeline writes (and counts). */
export type ApiHandler = (
  req: ApiRequest,
  params: Record<string, string>,
) => Promise<SandboxResponse> | SandboxResponse;

/**
 * The REST surface on the kit router. Record type names are parameters (matched case-insensitively
 * by the handlers, §5.1); `metadata-catalog` comes before them. Statistics keep NetSuite's own route
 * keys (`routeKey`: `{id}` vs `{eid}`), which tests, faults and the benchmark use.
 */
export function buildApiRouter(ctx: ApiContext): Router<ApiHandler> {
  const r = new Router<ApiHandler>();
  const R = RECORD_PREFIX.replace(/\/$/, '');
  r.add('POST', TOKEN_PATH, (req) => handleToken(ctx, req));
  r.add('POST', SUITEQL_PATH, (req) => suiteql(ctx, req));
  // §6.2: account-level limit, no integration-specific allocation in the sandbox.
  r.add('GET', GOVERNANCE_PATH, () => ({
    status: 200,
    body: {
      accountConcurrencyLimit: ctx.concurrencyLimit,
      accountUnallocatedConcurrencyLimit: ctx.concurrencyLimit,
      integrationLimitType: 'accountLimit',
    },
  }));
  r.add('GET', `${R}/metadata-catalog`, (req) => metadataCatalog(ctx, req, undefined));
  r.add('GET', `${R}/metadata-catalog/:type`, (req, p) => metadataCatalog(ctx, req, p.type));
  r.add('POST', `${R}/:type`, (req, p) => record(ctx, req, p.type!, undefined));
  for (const m of ['GET', 'PUT', 'PATCH', 'DELETE'])
    r.add(m, `${R}/:type/:id`, (req, p) => record(ctx, req, p.type!, p.id));
  const noSub = (req: ApiRequest) =>
    nsError(404, {
      detail: `Sub-resources are not available in this sandbox (${req.url.pathname}); use expandSubResources=true.`,
      code: 'NONEXISTENT_URL',
    });
  for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) r.add(m, `${R}/:type/:id/:sub`, noSub);
  return r;
}

/** What the router does not know: 405 when the path exists under another method, else 404. */
export function noRoute(req: ApiRequest, methodMismatch: boolean): SandboxResponse {
  if (methodMismatch)
    return nsError(405, {
      detail: `Method ${req.method} is not supported on ${req.url.pathname}.`,
      code: 'METHOD_NOT_ALLOWED',
    });
  return nsError(404, { detail: `The requested resource ${req.url.pathname} was not found.`, code: 'NONEXISTENT_URL' });
}

async function suiteql(ctx: ApiContext, req: ApiRequest): Promise<SandboxResponse> {
  // Oracle's examples send `Prefer: transient` (§3.1); the sandbox insists so clients do not forget it.
  if (!/\btransient\b/i.test(header(req, 'prefer') ?? ''))
    return nsError(400, {
      detail: "SuiteQL requests must carry the header 'Prefer: transient'.",
      code: 'INVALID_HEADER',
    });
  const parsed = parseJsonBody(req);
  if (!parsed.ok) return parsed.response;
  const q = (parsed.value as { q?: unknown } | undefined)?.q;
  if (typeof q !== 'string' || q.trim() === '')
    return nsError(400, {
      detail: "The request body must be a JSON object with the query in property 'q'.",
      code: 'INVALID_CONTENT',
    });

  const limitRaw = req.url.searchParams.get('limit');
  const offsetRaw = req.url.searchParams.get('offset');
  const limit = limitRaw === null ? MAX_PAGE_SIZE : Number(limitRaw);
  const offset = offsetRaw === null ? 0 : Number(offsetRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
    return invalidParameter(
      'limit',
      `Invalid value for the 'limit' query parameter: it must be an integer between 1 and ${MAX_PAGE_SIZE}.`,
    );
  if (!Number.isInteger(offset) || offset < 0)
    return invalidParameter(
      'offset',
      "Invalid value for the 'offset' query parameter: it must be a non-negative integer.",
    );
  if (offset % limit !== 0)
    return invalidParameter(
      'offset',
      "Invalid value for the 'offset' query parameter: it must be a multiple of 'limit'.",
    );
  const ceiling = Math.min(MAX_RESULTS, limit * MAX_PAGES);
  if (offset + limit > ceiling)
    return invalidParameter(
      'offset',
      `The maximum number of results that can be paged through is ${ceiling}; use a narrower query (e.g. filter on id > last id).`,
    );

  let page: ReturnType<NetSuiteState['suiteqlPage']>;
  try {
    page = ctx.state.suiteqlPage(q, limit, offset);
  } catch (err) {
    if (err instanceof SuiteQLSyntaxError || err instanceof SuiteQLExecutionError) return searchError(err.message);
    throw err;
  }
  if (ctx.pageLatencyMs > 0) await sleep(ctx.pageLatencyMs);
  const count = page.rows.length;
  const hasMore = offset + count < page.totalResults;
  const href = (o: number) => `${ctx.baseUrl}${SUITEQL_PATH}?limit=${limit}&offset=${o}`;
  const lastOffset = Math.max(0, Math.min(Math.floor((page.totalResults - 1) / limit) * limit, ceiling - limit));
  const links = [
    ...(offset > 0
      ? [
          { rel: 'previous', href: href(Math.max(0, offset - limit)) },
          { rel: 'first', href: href(0) },
        ]
      : []),
    ...(hasMore && offset + limit < ceiling ? [{ rel: 'next', href: href(offset + limit) }] : []),
    { rel: 'last', href: href(lastOffset) },
    { rel: 'self', href: href(offset) },
  ];
  // §3.2 envelope: items carry an empty `links` array that is not a column.
  return {
    status: 200,
    body: {
      links,
      count,
      hasMore,
      items: page.rows.map((r) => ({ links: [], ...r })),
      offset,
      totalResults: page.totalResults,
    },
  };
}

/**
 * `GET /record/v1/metadata-catalog[/{type}]` ("Working with Resource Metadata"): the catalog is
 * personalised per account and user, so a record's schema shows the fields this account's setup
 * has — the journal's `approvalStatus` with SuiteFlow approval routing, `approved` without it
 * (inferred, §12). `Accept: application/schema+json` gives JSON Schema, `application/swagger+json`
 * an OpenAPI document; the plain form lists the links. Only `journalentry` is described here.
 */
function metadataCatalog(ctx: ApiContext, req: ApiRequest, type: string | undefined): SandboxResponse {
  const base = `${ctx.baseUrl}${RECORD_PREFIX}metadata-catalog`;
  const links = (name: string) => [
    { rel: 'canonical', href: `${base}/${name}`, mediaType: 'application/json' },
    { rel: 'alternate', href: `${base}/${name}`, mediaType: 'application/swagger+json' },
    { rel: 'alternate', href: `${base}/${name}`, mediaType: 'application/schema+json' },
    { rel: 'describes', href: `${ctx.baseUrl}${RECORD_PREFIX}${name}` },
  ];
  if (type === undefined || type === '')
    return { status: 200, body: { items: [{ name: 'journalentry', links: links('journalentry') }] } };
  if (type.toLowerCase() !== 'journalentry')
    return nsError(404, { detail: `Record type '${type}' is not available in this sandbox.`, code: 'NONEXISTENT_URL' });
  const accept = (header(req, 'accept') ?? '').toLowerCase();
  const schema = journalSchema(ctx.state);
  if (accept.includes('application/schema+json'))
    return { status: 200, headers: { 'content-type': 'application/schema+json; charset=utf-8' }, body: schema };
  if (accept.includes('application/swagger+json'))
    return {
      status: 200,
      headers: { 'content-type': 'application/swagger+json; charset=utf-8' },
      body: {
        openapi: '3.0.1',
        info: { title: 'NetSuite REST Record API', version: 'v1' },
        components: { schemas: { journalentry: schema } },
      },
    };
  return { status: 200, body: { name: 'journalentry', links: links('journalentry') } };
}

async function record(
  ctx: ApiContext,
  req: ApiRequest,
  type: string,
  idPart: string | undefined,
): Promise<SandboxResponse> {
  // Record type names: Oracle documents `journalentry`; `journalEntry` is accepted too (§5.1, UNCONFIRMED).
  if (type.toLowerCase() !== 'journalentry')
    return nsError(404, { detail: `Record type '${type}' is not available in this sandbox.`, code: 'NONEXISTENT_URL' });
  const replace = (req.url.searchParams.get('replace') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .includes('line');
  const base = ctx.baseUrl;
  if (idPart === undefined) {
    const body = parseJsonBody(req);
    return body.ok ? createJournal(ctx.state, base, body.value, replace) : body.response;
  }
  const key = parseRecordKey(idPart);
  if ('status' in key) return key;
  switch (req.method) {
    case 'GET':
      return renderJournal(ctx.state, base, key, req.url.searchParams.get('expandSubResources') === 'true');
    case 'PUT': {
      // Upsert exists only with an external ID and PUT (§5.2).
      if (!('externalId' in key))
        return nsError(405, {
          detail: 'PUT is only supported with an external ID (eid:) for upsert.',
          code: 'METHOD_NOT_ALLOWED',
        });
      const body = parseJsonBody(req);
      return body.ok ? writeJournal(ctx.state, base, key, body.value, replace, 'upsert') : body.response;
    }
    case 'PATCH': {
      const body = parseJsonBody(req);
      return body.ok ? writeJournal(ctx.state, base, key, body.value, replace, 'update') : body.response;
    }
    case 'DELETE': {
      const id = findJournalId(ctx.state, key);
      if (id === undefined) return notFound();
      // As for writes, a journal in a closed or locked period stays (§5.4 / §8.2).
      const period = ctx.state.db
        .prepare(
          'SELECT ap.id, ap.closed, ap.alllocked FROM "transaction" t JOIN accountingperiod ap ON ap.id = t.postingperiod WHERE t.id = ?',
        )
        .get(id) as { id: number; closed: string; alllocked: string } | undefined;
      if (period && (period.closed === 'T' || period.alllocked === 'T'))
        return userError(
          `The accounting period ${period.id} is closed or locked: the transaction cannot be deleted.`,
          'postingPeriod',
        );
      return deleteJournal(ctx.state, id) ? { status: 204 } : notFound();
    }
    default:
      return nsError(405, { detail: `Method ${req.method} is not supported.`, code: 'METHOD_NOT_ALLOWED' });
  }
}
