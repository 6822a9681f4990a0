/**
 * CSV for spreadsheets (RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote, CR or LF,
 * quotes doubled). Cells that a spreadsheet would run as a formula are neutralised: a name such as
 * `=HYPERLINK(...)` typed into a website form must not execute when staff open the export.
 */

/** Spreadsheets treat a cell starting with one of these as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  // A leading apostrophe makes the spreadsheet show the text as it is instead of evaluating it.
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(values: readonly (string | number | boolean | null | undefined)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** A whole document: the header row, then one row per record. */
export function toCsv<T>(
  columns: readonly { readonly header: string; readonly value: (row: T) => string | number | undefined }[],
  rows: readonly T[],
): string {
  let text = csvRow(columns.map((column) => column.header));
  for (const row of rows) text += csvRow(columns.map((column) => column.value(row)));
  return text;
}
