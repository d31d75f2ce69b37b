/**
 * The connection config file (`ml-connector.config.json`): one file per customer connection.
 * zod is the single source of its types (docs/style.md §14); `loadConfig` reports every problem at once,
 * with its path, before anything runs. The config holds no secrets: credentials are referenced by
 * name and resolved from the encrypted vault inside activities.
 */
import { z } from 'zod';
import { businessWeekdays, DEFAULT_WEEKEND, WEEKDAYS } from './close-calendar';
import { collidingVersions } from './node/version-slug';

/** Anaplan workspace IDs are 32 lowercase hex characters; model IDs 32 uppercase (docs/anaplan.md §3.4). */
export const WorkspaceId = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters (Anaplan workspace ID)');
export const ModelId = z
  .string()
  .regex(/^[0-9A-F]{32}$/, 'must be 32 uppercase hex characters (Anaplan model ID; IDs are case-sensitive)');
/** NetSuite account IDs: digits, optionally `_SB<n>` / `_RP<n>` for sandbox and release-preview accounts. */
export const AccountId = z
  .string()
  .regex(/^\d+(_(SB|RP)\d+)?$/i, 'must look like 1234567 or 1234567_SB1 (NetSuite account ID)');
export const Period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM');

const ActionRef = z.string().min(1, 'action name or ID is required');
const CredentialRef = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9._-]+$/, 'credential names use letters, digits, dot, dash, underscore');

/** One dimension: where NetSuite's list goes in Anaplan and how members map. */
const DimensionConfig = z
  .object({
    /** Anaplan list name. */
    list: z.string().min(1),
    /** Import action that loads this list (Code,Name,Parent); omit for lists planners maintain. */
    importAction: ActionRef.optional(),
    /** Whether the connector creates/updates members in Anaplan (true) or only checks them (false). */
    sync: z.boolean(),
    /**
     * NetSuite key → Anaplan member code overrides; identity (the NetSuite code) otherwise.
     * `null` excludes the member: its rows are quarantined, never loaded.
     */
    overrides: z.record(z.string(), z.string().nullable()).default({}),
    /** Member code for rows with no value in this dimension (e.g. no department); without it such rows are quarantined. */
    unassigned: z.string().min(1).optional(),
    /**
     * Composite hierarchy: the Anaplan list the parents live in (e.g. Accounts → "Account Groups").
     * Parents are loaded there first, then the members with Parent = the parent's code. Omit for
     * parents in the same list or a flat list.
     */
    parentList: z.string().min(1).optional(),
    /** Import action of `parentList` (Code,Name,Parent); omit when planners maintain the parent list. */
    parentImportAction: ActionRef.optional(),
  })
  .strict();

export const ConnectionConfigSchema = z
  .object({
    name: CredentialRef,
    netsuite: z
      .object({
        accountId: AccountId,
        /** Override of the account-specific host (sandbox, Company URLs). */
        baseUrl: z.string().url().optional(),
        credentials: CredentialRef,
        /** In-flight request cap; keep under the account's concurrency governance limit. */
        concurrency: z.number().int().min(1).max(50).default(5),
        /** Accounting book of the actuals (primary when omitted); needs Multi-Book Accounting. */
        accountingBook: z.number().int().positive().optional(),
        /**
         * Whether the account has Multi-Book Accounting (most do not, docs/netsuite.md §12): `auto` asks the
         * account once per connection (a one-row SuiteQL probe of `accountingbook`); `on`/`off` skip it.
         */
        multiBook: z.enum(['auto', 'on', 'off']).default('auto'),
      })
      .strict(),
    anaplan: z
      .object({
        workspaceId: WorkspaceId,
        modelId: ModelId,
        authUrl: z.string().url().default('https://auth.anaplan.com'),
        apiUrl: z.string().url().default('https://api.anaplan.com'),
        oauthUrl: z.string().url().default('https://us1a.app.anaplan.com'),
        credentials: CredentialRef,
        /** Client-side request budget, under the tenant's 600 requests/minute. */
        requestsPerMinute: z.number().int().min(1).max(600).default(540),
        /** Upload chunk size; Anaplan accepts 1–50 MB chunks. */
        chunkSizeMb: z.number().min(1).max(50).default(10),
        /** Task polling: first interval and cap (Anaplan's guidance is seconds, not a hot loop). */
        pollInitialMs: z.number().int().min(100).max(60_000).default(5_000),
        pollMaxMs: z.number().int().min(100).max(300_000).default(60_000),
      })
      .strict(),
    actions: z
      .object({
        importActuals: ActionRef,
        exportPlan: ActionRef,
      })
      .strict(),
    dimensions: z
      .object({
        accounts: DimensionConfig.extend({
          /** NetSuite account types that belong to the plan (others are out of scope, not quarantined). */
          accountTypes: z.array(z.string()).default(['Income', 'COGS', 'Expense', 'OthIncome', 'OthExpense']),
        }),
        subsidiaries: DimensionConfig,
        departments: DimensionConfig,
        classes: DimensionConfig,
        locations: DimensionConfig,
      })
      .strict(),
    actuals: z
      .object({
        /**
         * What a tie-out mismatch (NetSuite's GL total ≠ loaded + quarantined + rejected) does: `warn`
         * completes the cycle with a warning; `block` fails it before any plan journal is posted, with
         * the variance by account stored as an artifact and named in the failure.
         */
        tieOut: z.enum(['warn', 'block']).default('warn'),
      })
      .strict()
      .default({}),
    periods: z
      .object({
        /** NetSuite period (YYYY-MM) → Anaplan time period code; default `Oct 26` style. */
        overrides: z.record(Period, z.string()).default({}),
      })
      .strict()
      .default({}),
    plan: z
      .object({
        /** Versions whose approved values post to NetSuite. */
        versions: z
          .array(z.string().min(1))
          .min(1)
          .default(['Budget', 'Forecast'])
          // Each version's journals carry its name in their external IDs: two names that normalise alike
          // (`Budget`/`BUDGET`, `Forecast Q1`/`Forecast-Q1`) would upsert over each other's journals.
          .superRefine((versions, ctx) => {
            for (const [a, b] of collidingVersions(versions))
              ctx.addIssue({
                code: z.ZodIssueCode.custom,
                message: `versions ${JSON.stringify(a)} and ${JSON.stringify(b)} are the same in journal external IDs (NetSuite external IDs ignore case; separators and letters outside a-z are normalised); keep one, or rename one in Anaplan`,
              });
          }),
      })
      .strict()
      .default({}),
    journals: z
      .object({
        /** Balancing line account (NetSuite acctnumber). */
        offsetAccount: z.string().min(1),
        /** Secondary accounting book for plan journals (primary when omitted). */
        accountingBook: z.number().int().positive().optional(),
        /** Approval status to create journals with (NetSuite: 1 pending approval, 2 approved). */
        approvalStatus: z.enum(['pendingApproval', 'approved']).default('approved'),
        /**
         * Whether the account routes journal approval through SuiteFlow: then journals carry
         * `approvalStatus` instead of the `approved` checkbox. Set here; preflight and ping check it against
         * the journal schema of the REST metadata catalog when that tells (activities/netsuite/approval-mode.ts).
         */
        approvalRouting: z.boolean().default(false),
        memo: z.string().max(999).default('ml-connector plan'),
        /** Prefix of deterministic externalIds; change it only with a migration plan. */
        externalIdPrefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,20}$/)
          .default('mlc'),
        /** Lines per journal (offset line included) before a deterministic split: Oracle lists 200 lines for creating transactions (docs/netsuite.md §5.4). */
        maxLinesPerJournal: z.number().int().min(2).max(1_000).default(200),
        /**
         * `manual`: after the plan is prepared the cycle stores the diff against the ledger and waits
         * for `ml-connector cycle approve|reject`; nothing posts before approval. `auto` posts at once.
         */
        approval: z.enum(['auto', 'manual']).default('auto'),
        /** How long a manual cycle waits for a decision before it ends as not approved, posting nothing. */
        approvalTimeoutHours: z
          .number()
          .positive()
          .max(24 * 31)
          .default(72),
      })
      .strict(),
    schedule: z
      .object({
        /** Business day after month end on which the cycle runs. */
        businessDay: z.number().int().min(1).max(20).default(3),
        hour: z.number().int().min(0).max(23).default(6),
        minute: z.number().int().min(0).max(59).default(0),
        timezone: z.string().default('America/New_York'),
        kind: z.enum(['full', 'actuals', 'plan']).default('full'),
        /** Days that are not business days (YYYY-MM-DD in the schedule's time zone), e.g. public holidays. */
        holidays: z
          .array(
            z
              .string()
              .regex(/^\d{4}-\d{2}-\d{2}$/, 'holidays are YYYY-MM-DD dates')
              .refine(
                (d) =>
                  !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
                'not a calendar date',
              ),
          )
          .max(400)
          .default([]),
        /**
         * Weekdays that are not business days, for the close calendar and the watcher's flash cycles
         * alike: default Saturday and Sunday; `["Fri", "Sat"]` for a Sunday–Thursday week.
         */
        weekend: z
          .array(z.enum(WEEKDAYS))
          .max(6, 'weekend leaves no business day: at most 6 weekdays')
          .refine((w) => new Set(w).size === w.length, 'weekend lists a weekday twice')
          .default([...DEFAULT_WEEKEND]),
      })
      .strict()
      // Business day N must exist in every month: a 28-day month has 4 of each weekday.
      .refine(
        (s) => s.businessDay <= 4 * businessWeekdays(s.weekend).length,
        (s) => ({
          path: ['businessDay'],
          message: `business day ${s.businessDay} does not exist in every month with ${businessWeekdays(s.weekend).length} business days a week (at most ${4 * businessWeekdays(s.weekend).length})`,
        }),
      )
      .optional(),
  })
  .strict();

export type ConnectionConfig = z.infer<typeof ConnectionConfigSchema>;
export type ConnectionConfigInput = z.input<typeof ConnectionConfigSchema>;
export type DimensionName = 'accounts' | 'subsidiaries' | 'departments' | 'classes' | 'locations';
export const DIMENSIONS: DimensionName[] = ['accounts', 'subsidiaries', 'departments', 'classes', 'locations'];

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Validates parsed JSON; throws ConfigError listing every problem with its path. */
export function parseConfig(raw: unknown, source = 'config'): ConnectionConfig {
  const result = ConnectionConfigSchema.safeParse(raw);
  if (result.success) {
    const cfg = result.data;
    const problems: string[] = [];
    for (const [p, code] of Object.entries(cfg.periods.overrides))
      if (!code.trim()) problems.push(`periods.overrides.${p}: empty Anaplan period code`);
    if (problems.length) throw new ConfigError(source, problems);
    return cfg;
  }
  throw new ConfigError(
    source,
    result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-10` → `Oct 26` unless overridden. */
export function anaplanPeriodCode(cfg: Pick<ConnectionConfig, 'periods'>, period: string): string {
  const o = cfg.periods.overrides[period];
  if (o) return o;
  const [y, m] = period.split('-');
  return `${MONTHS[Number(m) - 1]} ${y!.slice(2)}`;
}

/** NetSuite period name for a YYYY-MM month: `Oct 2026`. */
export function netsuitePeriodName(period: string): string {
  const [y, m] = period.split('-');
  return `${MONTHS[Number(m) - 1]} ${y}`;
}

/** Inverse of anaplanPeriodCode over a set of periods. */
export function periodFromAnaplanCode(cfg: Pick<ConnectionConfig, 'periods'>, code: string): string | undefined {
  for (const [p, c] of Object.entries(cfg.periods.overrides)) if (c === code) return p;
  const m = /^([A-Z][a-z]{2}) (\d{2})$/.exec(code.trim());
  if (!m) return undefined;
  const idx = MONTHS.indexOf(m[1]!);
  if (idx < 0) return undefined;
  return `20${m[2]}-${String(idx + 1).padStart(2, '0')}`;
}
