/**
 * `npm run import -- --file clients.csv [--dry-run]`: sends a CSV of existing clients or subscribers to
 * `POST /imports` and prints the report, row by row for refusals (numbers and reasons, never addresses).
 * By default it talks to the running local server (PORT or 3000) with a local staff token; `--url` and
 * `--token` (a Cognito ID token of someone in `marketing` or `privacy`) point it at a deployed API.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readCsvRecords } from '../shared/domain/csv-records.ts';
import { normaliseEmail } from '../shared/domain/email.ts';
import type { RowRefusal } from '../shared/domain/import-rows.ts';
import { type ImportReport, MAX_IMPORT_ROWS, type RowResult } from '../shared/use-cases/import-contacts.ts';
import { loadOrCreateSigningKey, signStaffToken } from './staff-auth.ts';

export const USAGE = `Usage: npm run import -- --file <clients.csv> [--dry-run] [--url <api>] [--token <id token>]

Imports existing clients or subscribers: one row per person with their lawful basis and its evidence
(columns: email, name, basis, topics, evidence_date, refusal_offered, method, statement).

  --file <path>   the CSV file (at most 4 MB)
  --dry-run       report what would happen, write nothing
  --url <api>     the API's base URL (default: the local server, http://127.0.0.1:$PORT or 3000)
  --token <jwt>   a staff ID token (default: a local token for the local server)
  --help          show this text`;

export class ImportUsageError extends Error {
  override readonly name = 'ImportUsageError';
}

export interface ImportArgs {
  readonly file: string;
  readonly dryRun: boolean;
  readonly url: string | undefined;
  readonly token: string | undefined;
}

export function parseImportArgs(argv: readonly string[]): ImportArgs | undefined {
  let values: { file?: string; 'dry-run'?: boolean; url?: string; token?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        file: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        url: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new ImportUsageError((error as Error).message);
  }
  if (values.help) return undefined;
  if (!values.file) throw new ImportUsageError('Give --file <path>');
  if (values.url !== undefined && !/^https?:\/\/[^\s]+$/.test(values.url))
    throw new ImportUsageError('--url must be an http(s) URL');
  return { file: values.file, dryRun: values['dry-run'] ?? false, url: values.url, token: values.token };
}

/** The report as lines: totals, refusals by reason, then each refused row. */
export function describeReport(report: ImportReport): string[] {
  const done = report.dryRun ? 'would import' : 'imported';
  return [
    `${report.rows} rows: ${report.imported} ${done}, ${report.refused} refused${report.dryRun ? ' (dry run: nothing written)' : ''}`,
    ...Object.entries(report.reasons).map(([reason, count]) => `  ${reason}: ${count}`),
    ...report.results.flatMap((result) =>
      result.outcome === 'refused' ? [`row ${result.row}: ${result.reason}`] : [],
    ),
  ];
}

/** A part of the file small enough for one request, and where its rows sit in the whole file. */
interface Part {
  readonly csv: string;
  /** Added to the part's row numbers to give the file's. */
  readonly offset: number;
  /** Rows (the file's numbers) whose address an earlier part already had. */
  readonly repeats: ReadonlySet<number>;
}

/** Splits the file into parts of at most MAX_IMPORT_ROWS rows, each with the header. */
export function splitForImport(csv: string, rowsPerPart = MAX_IMPORT_ROWS): Part[] {
  const parsed = readCsvRecords(csv);
  // Malformed CSV goes to the API as it is, which answers with the reason.
  if (parsed.kind === 'invalid' || parsed.records.length <= rowsPerPart + 1)
    return [{ csv, offset: 0, repeats: new Set() }];
  const [header = [], ...rows] = parsed.records;
  const emailColumn = header.map((name) => name.trim().toLowerCase()).indexOf('email');
  const seenBefore = new Set<string>();
  const parts: Part[] = [];
  for (let start = 0; start < rows.length; start += rowsPerPart) {
    const chunk = rows.slice(start, start + rowsPerPart);
    const repeats = new Set<number>();
    const emails = chunk.map((row) => normaliseEmail(row[emailColumn] ?? ''));
    emails.forEach((email, index) => {
      if (email && seenBefore.has(email)) repeats.add(start + index + 2);
    });
    for (const email of emails) if (email) seenBefore.add(email);
    parts.push({ csv: [header, ...chunk].map(csvLine).join('\r\n'), offset: start, repeats });
  }
  return parts;
}

function csvLine(cells: readonly string[]): string {
  return cells.map((cell) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(',');
}

/** One report for the whole file from the parts' reports. */
export function mergeReports(parts: readonly { part: Part; report: ImportReport }[]): ImportReport {
  const results: RowResult[] = parts.flatMap(({ part, report }) =>
    report.results.map((result): RowResult => {
      const row = result.row + part.offset;
      // An address an earlier part had is a repeat within the file, whatever the part's own verdict.
      if (part.repeats.has(row)) return { row, outcome: 'refused', reason: 'duplicate_in_file' };
      return { ...result, row };
    }),
  );
  const reasons: Partial<Record<RowRefusal, number>> = {};
  for (const result of results)
    if (result.outcome === 'refused') reasons[result.reason] = (reasons[result.reason] ?? 0) + 1;
  const refused = results.filter((result) => result.outcome === 'refused').length;
  return {
    dryRun: parts[0]?.report.dryRun ?? false,
    rows: results.length,
    imported: results.length - refused,
    refused,
    reasons,
    results,
  };
}

export async function runImport(args: ImportArgs, out: (line: string) => void): Promise<number> {
  const csv = readFileSync(args.file, 'utf8');
  const base = args.url ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  const token =
    args.token ??
    (await signStaffToken(loadOrCreateSigningKey(), {
      username: 'import',
      groups: ['marketing', 'privacy'],
      now: new Date(),
    }));
  const done: { part: Part; report: ImportReport }[] = [];
  for (const part of splitForImport(csv)) {
    const response = await fetch(`${base.replace(/\/$/, '')}/imports${args.dryRun ? '?dryRun=true' : ''}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${token}`, Accept: 'application/json' },
      body: part.csv,
    });
    const body = await response.text();
    if (response.status !== 200) {
      // Parts before this one are imported; running the same file again reports them as already held.
      out(`POST /imports answered ${response.status} for rows from ${part.offset + 2}: ${body}`);
      return 1;
    }
    done.push({ part, report: JSON.parse(body) as ImportReport });
  }
  for (const line of describeReport(mergeReports(done))) out(line);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const args = parseImportArgs(process.argv.slice(2));
    if (!args) console.log(USAGE);
    else process.exitCode = await runImport(args, (line) => console.log(line));
  } catch (error) {
    if (error instanceof ImportUsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else throw error;
  }
}
