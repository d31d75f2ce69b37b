/** Polls `probe` until `ok` holds (probe errors count as "not yet"); fails with the last value seen. */
export async function until<T>(
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe().catch(() => undefined);
    if (last !== undefined && ok(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms (last: ${JSON.stringify(last)?.slice(0, 300)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The ml-connector journals in the NetSuite sandbox's ledger (its control plane). */
export async function ledgerJournals(
  netsuiteUrl: string,
): Promise<Array<Record<string, any> & { externalId?: string }>> {
  const body = (await (await fetch(`${netsuiteUrl}/__sandbox/journals`)).json()) as any;
  return (Array.isArray(body) ? body : (body.items ?? [])).filter((j: any) =>
    String(j.externalId ?? '').startsWith('mlc-'),
  );
}
