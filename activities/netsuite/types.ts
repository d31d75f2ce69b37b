/**
 * NetSuite wire shapes, parsed at the boundary (docs/style.md §9). Where the reference marks a shape
 * UNCONFIRMED the schema is tolerant: numbers may arrive as strings, nulls as missing keys
 * (docs/netsuite.md §2.5, §3.2).
 */
import { z } from 'zod';

const numberish = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
]);

/** POST /services/rest/auth/oauth2/v1/token → 200 (§2.5). `expires_in` is 3600, number or string. */
export const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: numberish.optional(),
  token_type: z.string().optional(),
});

/** REST error document (§6.1) — or RFC 6749 `{error}` from the token endpoint (§2.6). */
export const ErrorDetailSchema = z
  .object({
    detail: z.string().optional(),
    'o:errorCode': z.string().optional(),
    'o:errorPath': z.string().optional(),
    'o:errorQueryParam': z.string().optional(),
    'o:errorHeader': z.string().optional(),
    'o:urlPath': z.string().optional(),
  })
  .passthrough();
export const ErrorBodySchema = z
  .object({
    type: z.string().optional(),
    title: z.string().optional(),
    status: numberish.optional(),
    'o:errorDetails': z.array(ErrorDetailSchema).optional(),
    error: z.string().optional(),
    error_description: z.string().optional(),
  })
  .passthrough();

/** One SuiteQL page (§3.2): `count` rows of this page, `totalResults` of the whole query. */
export const SuiteQLPageSchema = z.object({
  links: z.array(z.object({ rel: z.string(), href: z.string() }).passthrough()).optional(),
  count: numberish,
  hasMore: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]),
  items: z.array(z.record(z.unknown())),
  offset: numberish,
  totalResults: numberish,
});
export type SuiteQLPageWire = z.infer<typeof SuiteQLPageSchema>;

/**
 * A SuiteQL row as the client hands it out: lowercase keys (§3.2: casing is not stable), values as
 * strings (SuiteQL renders numbers and dates as text; booleans are 'T'/'F'), a missing key = null.
 */
export type SuiteQLRow = Record<string, string | undefined>;

/** GET /services/rest/system/v1/governanceLimits (§6.2). */
export const GovernanceLimitsSchema = z
  .object({
    accountConcurrencyLimit: numberish,
    accountUnallocatedConcurrencyLimit: numberish.optional(),
    integrationConcurrencyLimit: numberish.optional(),
    integrationLimitType: z.string().optional(),
  })
  .passthrough();
export type GovernanceLimits = z.infer<typeof GovernanceLimitsSchema>;

/** Internal IDs travel as strings on the wire (`{"id": "15"}`), numbers are accepted. */
const InternalId = z.union([z.string().regex(/^\d+$/), z.number().int().positive().transform(String)]);

/** What the connector writes: one journal entry (§5.1). Amounts in transaction currency, ≥ 0. */
export const JournalLineInputSchema = z.object({
  account: InternalId,
  debit: z.number().nonnegative().finite().optional(),
  credit: z.number().nonnegative().finite().optional(),
  department: InternalId.optional(),
  class: InternalId.optional(),
  location: InternalId.optional(),
  entity: InternalId.optional(),
  memo: z.string().max(4000).optional(),
});
export const JournalEntryInputSchema = z
  .object({
    subsidiary: InternalId,
    /** YYYY-MM-DD; REST dates carry no time zone (§5.1). */
    tranDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    postingPeriod: InternalId.optional(),
    currency: InternalId.optional(),
    memo: z.string().max(4000).optional(),
    /** Without approval routing journals post on save; false leaves it pending (not posted). */
    approved: z.boolean().optional(),
    /**
     * With SuiteFlow journal approval routing the record has `approvalStatus` instead of `approved`
     * (1 pending approval, 2 approved; values UNCONFIRMED, §5.4/§12). Send one or the other.
     */
    approvalStatus: InternalId.optional(),
    /** Accounting book (Multi-Book); the primary book when omitted. Sent with `isBookSpecific: true` (§12). */
    accountingBook: InternalId.optional(),
    /** At most 200 lines when creating transactions over REST (§5.4). */
    lines: z.array(JournalLineInputSchema).min(1).max(200),
  })
  .refine((j) => j.approved === undefined || j.approvalStatus === undefined, {
    message: 'send approved (no approval routing) or approvalStatus (approval routing), not both',
    path: ['approvalStatus'],
  });
export type JournalEntryInput = z.input<typeof JournalEntryInputSchema>;

/** External IDs: letters, digits, `_` and `-` (§5.1); `|` would be parsed as a multi-select. */
export const ExternalIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,255}$/, 'externalId may contain only letters, digits, _ and -');

const RefSchema = z
  .object({ id: z.union([z.string(), z.number().transform(String)]), refName: z.string().optional() })
  .passthrough();

/** GET …/journalentry/{id}?expandSubResources=true (§5.1: references as {id, refName, links}). */
export const JournalRecordSchema = z
  .object({
    id: z.union([z.string(), z.number().transform(String)]),
    externalId: z.string().optional(),
    tranId: z.string().optional(),
    tranDate: z.string().optional(),
    postingPeriod: RefSchema.optional(),
    subsidiary: RefSchema.optional(),
    currency: RefSchema.optional(),
    memo: z.string().optional(),
    approved: z.boolean().optional(),
    approvalStatus: RefSchema.optional(),
    accountingBook: RefSchema.optional(),
    lastModifiedDate: z.string().optional(),
    line: z
      .object({
        items: z
          .array(
            z
              .object({
                line: z.number().optional(),
                account: RefSchema,
                debit: z.number().optional(),
                credit: z.number().optional(),
                department: RefSchema.optional(),
                class: RefSchema.optional(),
                location: RefSchema.optional(),
                memo: z.string().optional(),
              })
              .passthrough(),
          )
          .optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();
export type JournalRecord = z.infer<typeof JournalRecordSchema>;
