/**
 * Downloads a whole marketing list as one CSV file: follows the cursors page by page, keeps each page as a
 * Blob part (the browser may hold them outside the JavaScript heap), drops the header row every page after
 * the first repeats, and yields to the page between requests so 100,000 rows never freeze it.
 */
import type { Basis, StaffApi } from './api.ts';

export interface DownloadProgress {
  readonly rows: number;
  readonly pages: number;
}

export async function downloadListCsv(
  api: StaffApi,
  query: { readonly topic: string; readonly basis: Basis },
  progress: (done: DownloadProgress) => void,
): Promise<{ readonly blob: Blob; readonly rows: number }> {
  const parts: string[] = [];
  let rows = 0;
  let pages = 0;
  let cursor: string | undefined;
  do {
    const page = await api.contactsCsvPage({ ...query, ...(cursor ? { cursor } : {}) });
    // Every page starts with the header row (column names, no quotes or line breaks): kept once.
    parts.push(pages === 0 ? page.csv : page.csv.slice(page.csv.indexOf('\n') + 1));
    rows += countRows(page.csv);
    pages += 1;
    progress({ rows, pages });
    cursor = page.next ?? undefined;
    await new Promise((resolve) => setTimeout(resolve, 0));
  } while (cursor);
  return { blob: new Blob(parts, { type: 'text/csv;charset=utf-8' }), rows };
}

/** Records in a CSV page after its header: line breaks outside quotes. */
function countRows(csv: string): number {
  let records = 0;
  let quoted = false;
  for (let index = 0; index < csv.length; index += 1) {
    const char = csv.charCodeAt(index);
    if (char === 34) quoted = !quoted;
    else if (char === 10 && !quoted) records += 1;
  }
  return Math.max(records - 1, 0);
}
