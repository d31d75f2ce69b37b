/**
 * Large-volume read requests for views and lists (docs/anaplan.md §10; Anaplan's "large volume read" help
 * pages): the content is cut into CSV pages when the request is made, the first answer says
 * `IN_PROGRESS`, later reads `COMPLETE` with `availablePages` and `successful`, and `DELETE` cancels and
 * frees the pages. Pages are reclaimed after 30 minutes without activity; reading a page whose number
 * is divisible by 100 (page 0 included) restarts that timer, as the help page describes.
 */

export const READ_REQUEST_IDLE_MS = 30 * 60 * 1000;

export interface ReadRequest {
  requestId: string;
  kind: 'view' | 'list';
  /** View or list id (sent as a JSON number, as Anaplan's examples show: docs/anaplan.md §3.4). */
  objectId: string;
  userId: string;
  pages: Buffer[];
  /** Whether the creating POST has been answered (it always says IN_PROGRESS). */
  state: 'IN_PROGRESS' | 'COMPLETE' | 'CANCELLED';
  lastActivity: number;
}

/**
 * Splits CSV text into pages of at most `pageBytes` (a line is never split; a longer line is a page of
 * its own). The header line opens the first page only, as export chunks do, or every page with
 * `headerEveryPage` — whether the real pages repeat it is UNCONFIRMED (switch `readPageHeaderEveryPage`).
 */
export function paginate(csv: string, pageBytes: number, headerEveryPage = false): Buffer[] {
  const pages: Buffer[] = [];
  const lines = csv.split('\n');
  const header = lines.shift() ?? '';
  let current: string[] = [header];
  let size = Buffer.byteLength(header) + 1;
  for (const line of lines) {
    if (line === '') continue;
    const n = Buffer.byteLength(line) + 1;
    if (size + n > pageBytes && current.length > (headerEveryPage || pages.length === 0 ? 1 : 0)) {
      pages.push(Buffer.from(current.join('\n') + '\n'));
      current = headerEveryPage ? [header] : [];
      size = headerEveryPage ? Buffer.byteLength(header) + 1 : 0;
    }
    current.push(line);
    size += n;
  }
  if (current.length > (headerEveryPage && pages.length > 0 ? 1 : 0))
    pages.push(Buffer.from(current.join('\n') + '\n'));
  return pages;
}
