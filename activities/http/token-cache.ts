/**
 * The pipeline's token source (docs/design.md §7, §10): one cached token per credential, reused until
 * shortly before it expires, obtained by one request shared by every concurrent caller, dropped
 * after a 401 so the next call re-mints. Both vendors' auth modules are built on it and differ only
 * in how a token is obtained (NetSuite: a signed assertion; Anaplan: login, refresh, OAuth).
 *
 * It never retries: a failed `obtain` rejects the callers waiting on it, and the API call's own
 * retry loop (pipeline.ts) decides whether to try again — one mint per attempt (issue 13 item 6).
 */
export interface CachedToken {
  value: string;
  /** Epoch ms after which the server refuses the token. */
  expiresAt: number;
  /** Epoch ms from which a new token is obtained before use (≤ expiresAt). */
  refreshAt: number;
}

export interface TokenCacheOptions<T extends CachedToken> {
  /**
   * Obtains a token with one request. `current` is the cached token when it is past `refreshAt` but
   * not yet expired (a refresh may use it), otherwise undefined (a fresh login).
   */
  obtain(current: T | undefined, signal?: AbortSignal): Promise<T>;
  now?: () => number;
}

export class TokenCache<T extends CachedToken> {
  private cached?: T;
  private pending?: Promise<T>;
  private readonly now: () => number;

  constructor(private readonly options: TokenCacheOptions<T>) {
    this.now = options.now ?? Date.now;
  }

  /** The cached token (with the vendor's bookkeeping), if any. */
  get current(): T | undefined {
    return this.cached;
  }

  /** A new token is being obtained right now. */
  get obtaining(): boolean {
    return this.pending !== undefined;
  }

  /** A live token value, obtained only when there is none or it is about to expire. */
  async token(signal?: AbortSignal): Promise<string> {
    return (await this.entry(signal)).value;
  }

  /** Like token(), with the cached entry. */
  async entry(signal?: AbortSignal): Promise<T> {
    const c = this.cached;
    const now = this.now();
    if (c && now < c.refreshAt) return c;
    this.pending ??= this.options
      .obtain(c && now < c.expiresAt ? c : undefined, signal)
      .then((t) => (this.cached = t))
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** After a 401: drop the token if it is still the cached one, so the next call obtains another. True when dropped. */
  invalidate(value: string): boolean {
    if (this.cached?.value !== value) return false;
    this.cached = undefined;
    return true;
  }

  /** Puts a token obtained elsewhere (device flow, stored access token) in the cache. */
  seed(token: T): void {
    this.cached = token;
  }

  /** Forgets the token (logout). Returns what was cached. */
  clear(): T | undefined {
    const c = this.cached;
    this.cached = undefined;
    return c;
  }
}
