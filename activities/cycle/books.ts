/**
 * Multi-Book Accounting, detected once per connection. Without the feature an account has no
 * Accounting Book record (Oracle article_0313103607), and SuiteQL that names `accountingbook` —
 * table or column — is refused with a 400 (docs/netsuite.md §12; inferred, the sandbox plays it). Public
 * scripts branch on `runtime.isFeatureInEffect('MULTIBOOK')`; over REST the cheapest equivalent is
 * one query of the book table: rows → Multi-Book (and the primary book's ID), 400 → single book.
 * `netsuite.multiBook: on | off` skips the probe (e.g. a role that cannot read accounting books).
 */
import type { ConnectionConfig } from '../../common/config';
import type { NetSuitePort } from './ports';
import { PRIMARY_BOOK_SQL, type BookScope } from './queries';

export interface BookSupport {
  multiBook: boolean;
  /** Internal ID of the primary book, when the probe read it. */
  primaryBookId?: number;
  /** Where the answer came from. */
  source: 'probe' | 'config';
}

/** A configured accounting book the account cannot have. Callers turn it into a non-retryable failure. */
export class AccountingBookSettingError extends Error {}

/** Probes are cached per port, i.e. per connection (ports are cached per connection, connections.ts). */
const probes = new WeakMap<NetSuitePort, Promise<BookSupport>>();

export function bookSupport(
  netsuite: NetSuitePort,
  setting: ConnectionConfig['netsuite']['multiBook'] = 'auto',
): Promise<BookSupport> {
  if (setting === 'on') return Promise.resolve({ multiBook: true, source: 'config' });
  if (setting === 'off') return Promise.resolve({ multiBook: false, source: 'config' });
  let probe = probes.get(netsuite);
  if (!probe) {
    probe = probeBooks(netsuite);
    probes.set(netsuite, probe);
    // A failed probe (network, throttling) is asked again next time, not remembered.
    probe.catch(() => probes.delete(netsuite));
  }
  return probe;
}

async function probeBooks(netsuite: NetSuitePort): Promise<BookSupport> {
  try {
    let primaryBookId: number | undefined;
    for await (const page of netsuite.query(PRIMARY_BOOK_SQL)) {
      const id = Number(page[0]?.id);
      if (primaryBookId === undefined && Number.isSafeInteger(id) && id > 0) primaryBookId = id;
    }
    return { multiBook: true, primaryBookId, source: 'probe' };
  } catch (err) {
    // 400 is SuiteQL's answer to an unknown record; anything else (401, 403, 429, 5xx) is not an answer.
    if ((err as { status?: number }).status === 400) return { multiBook: false, source: 'probe' };
    throw err;
  }
}

/**
 * The book filter of the GL queries for this account, and the check that the configured books make
 * sense there: `netsuite.accountingBook` / `journals.accountingBook` need Multi-Book.
 */
export function glBookScope(
  support: BookSupport,
  config: Pick<ConnectionConfig, 'name' | 'netsuite' | 'journals'>,
): BookScope {
  if (!support.multiBook) {
    const set = [
      config.netsuite.accountingBook !== undefined
        ? `netsuite.accountingBook (${config.netsuite.accountingBook})`
        : undefined,
      config.journals.accountingBook !== undefined
        ? `journals.accountingBook (${config.journals.accountingBook})`
        : undefined,
    ].filter(Boolean);
    if (set.length) {
      const how =
        support.source === 'probe'
          ? 'has no Multi-Book Accounting (SuiteQL does not know the accountingbook record)'
          : 'is configured without Multi-Book Accounting (netsuite.multiBook: off)';
      throw new AccountingBookSettingError(
        `connection ${config.name}: NetSuite account ${config.netsuite.accountId} ${how}, so ${set.join(' and ')} cannot be used: remove ${set.length > 1 ? 'these settings' : 'the setting'} to use the account's only book`,
      );
    }
    return 'single-book';
  }
  return config.netsuite.accountingBook ?? support.primaryBookId ?? 'primary';
}
