/**
 * Reads CSV text (RFC 4180: comma-separated, `"` quoting with `""` for a quote, CRLF or LF line ends,
 * newlines allowed inside quotes) into records. Pure and forgiving of a UTF-8 byte-order mark; a quote
 * left open is reported, never guessed at.
 */

export type CsvRecords =
  | { readonly kind: 'records'; readonly records: readonly (readonly string[])[] }
  | { readonly kind: 'invalid'; readonly reason: 'unclosed_quote' };

export function readCsvRecords(text: string): CsvRecords {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  let index = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = () => {
    record.push(cell);
    // A blank line is not a record (a trailing newline, or an empty line between records).
    if (record.length > 1 || record[0] !== '') records.push(record);
    record = [];
    cell = '';
  };
  for (; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char !== '"') cell += char;
      else if (text[index + 1] === '"') {
        cell += '"';
        index++;
      } else quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(cell);
      cell = '';
    } else if (char === '\n') endRecord();
    else if (char === '\r') {
      if (text[index + 1] === '\n') index++;
      endRecord();
    } else cell += char;
  }
  if (quoted) return { kind: 'invalid', reason: 'unclosed_quote' };
  if (cell !== '' || record.length > 0) endRecord();
  return { kind: 'records', records };
}
