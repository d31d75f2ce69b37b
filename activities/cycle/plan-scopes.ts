/**
 * Frozen plan scopes (issue 11, rule 1: "retire only what the approved plan retires").
 *
 * A scope is version × month × NetSuite subsidiary. The plan speaks for a scope only when the export,
 * fully mapped, does: a scope with a quarantined row, with ledger journals on a subsidiary, account or
 * department the current mapping cannot express, or of a configured version missing from the export,
 * is frozen. In a frozen scope nothing is deleted, and a journal already posted is never replaced by a
 * partial one: the scope's planned journals are held back (not upserted) when the ledger already has
 * journals there (an upsert would drop the lines of the quarantined or unmappable values), or when
 * journals stay because the scope is frozen (new parts would re-split lines the kept ones still carry).
 * A frozen scope with nothing in the ledger yet posts what maps, as before (quarantined rows reported). `*` stands for "every month" / "every
 * subsidiary" when a row cannot be placed more precisely (its subsidiary or month does not map) — the
 * safe reading.
 */
import type { FrozenScope } from '../../common/dto';
import { versionSlug } from '../mapping/journals';

export const ANY = '*';

const key = (slug: string, period: string, subsidiaryId: string) => `${slug}|${period}|${subsidiaryId}`;

export class FrozenScopes {
  private readonly scopes = new Map<string, FrozenScope>();
  /** Scopes whose planned journals must not be upserted either (see the file comment). */
  private readonly held = new Set<string>();

  /** Freezes a scope; the first reason given for it is kept. */
  freeze(version: string, period: string, subsidiaryId: string, reason: string): void {
    this.freezeSlug(versionSlug(version), version, period, subsidiaryId, reason);
  }

  /** Same, for a version known only by its slug (a journal already in the ledger); `hold` also holds its posts back. */
  freezeSlug(slug: string, version: string, period: string, subsidiaryId: string, reason: string, hold = false): void {
    const k = key(slug, period, subsidiaryId);
    if (!this.scopes.has(k)) this.scopes.set(k, { version, period, subsidiaryId, reason });
    if (hold) this.held.add(k);
  }

  /** Adds another set's scopes and holds, in the order they were frozen there (a scope frozen here keeps its reason). */
  add(other: FrozenScopes): void {
    for (const [k, s] of other.scopes) if (!this.scopes.has(k)) this.scopes.set(k, s);
    for (const k of other.held) this.held.add(k);
  }

  /** Frozen for this very subsidiary (not only through an `every subsidiary` freeze). */
  frozenFor(slug: string, period: string, subsidiaryId: string): boolean {
    return this.scopes.has(key(slug, period, subsidiaryId)) || this.scopes.has(key(slug, ANY, subsidiaryId));
  }

  /** Holds back the planned journals of an exact scope already frozen. */
  hold(slug: string, period: string, subsidiaryId: string): void {
    this.held.add(key(slug, period, subsidiaryId));
  }

  /** Why nothing may be deleted in this scope, or undefined when the plan speaks for it. */
  blocksRetire(slug: string, period: string, subsidiaryId: string): FrozenScope | undefined {
    return (
      this.scopes.get(key(slug, period, subsidiaryId)) ??
      this.scopes.get(key(slug, period, ANY)) ??
      this.scopes.get(key(slug, ANY, subsidiaryId)) ??
      this.scopes.get(key(slug, ANY, ANY))
    );
  }

  /** Whether this scope's planned journals are held back (not upserted). */
  holdsBack(slug: string, period: string, subsidiaryId: string): boolean {
    return this.held.has(key(slug, period, subsidiaryId));
  }

  get size(): number {
    return this.scopes.size;
  }

  list(): FrozenScope[] {
    return [...this.scopes.values()].sort((a, b) =>
      a.version + a.period + a.subsidiaryId.padStart(12, '0') < b.version + b.period + b.subsidiaryId.padStart(12, '0')
        ? -1
        : 1,
    );
  }
}

/** `Budget 2026-11 subsidiary 2`, `Forecast (every month, every subsidiary)`. */
export function describeScope(s: Pick<FrozenScope, 'version' | 'period' | 'subsidiaryId'>): string {
  const month = s.period === ANY ? 'every month' : s.period;
  const sub = s.subsidiaryId === ANY ? 'every subsidiary' : `subsidiary ${s.subsidiaryId}`;
  return `${s.version} ${month}, ${sub}`;
}
