/**
 * CSV for spreadsheets (RFC 4180: CRLF line ends, quotes doubled; fields quoted when they hold a quote, CR,
 * LF or any common locale's separator). Cells that a spreadsheet would run as a formula are neutralised: a name such as
 * `=HYPERLINK(...)` typed into a website form must not execute when staff open the export.
 */

/**
 * What a spreadsheet may run as a formula (OWASP "CSV injection"): a cell starting with `= + - @`, tab or CR,
 * their full-width forms (Excel folds them in East Asian locales) or the minus sign, after any spaces.
 */
const TRIGGER = '=+\\-@\\t\\r\\uFF1D\\uFF0B\\uFF0D\\uFF20\\u2212';
const FORMULA_START = new RegExp(`^[ ]*[${TRIGGER}]`);
/**
 * A separator of any common locale (comma, semicolon, tab, pipe) followed by a trigger: a spreadsheet that
 * splits on a separator other than ours would start a new cell with a formula there.
 */
const FORMULA_AFTER_SEPARATOR = new RegExp(`[,;\\t|][ ]*[${TRIGGER}]`);
/** Cells holding these are quoted, so that no locale's separator splits them. */
const NEEDS_QUOTES = /[",;\t|\r\n]/;

export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  // A leading apostrophe makes the spreadsheet show the text as it is instead of evaluating it.
  if (typeof value === 'string' && (FORMULA_START.test(text) || FORMULA_AFTER_SEPARATOR.test(text))) {
    text = `'${text}`;
  }
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
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
