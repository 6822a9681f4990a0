import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, csvRow, toCsv } from '../../shared/http/csv.ts';

/** A minimal RFC 4180 reader, to show what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += char;
  }
  return rows;
}

describe('CSV', () => {
  it('quotes fields holding a comma, a quote, CR or LF, and doubles quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('Smith, Jo')).toBe('"Smith, Jo"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(42)).toBe('42');
  });

  it.each([
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['+44 20 7946 0000', "'+44 20 7946 0000"],
    ['-1+1', "'-1+1"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\t=1', `"'\t=1"`],
    [';=1+1', `"';=1+1"`],
    ['Jo;=1+1', `"'Jo;=1+1"`],
    ['Jo, +1', `"'Jo, +1"`],
    ['a|@SUM(1)', `"'a|@SUM(1)"`],
    ['\uFF1D1+1', "'\uFF1D1+1"],
    ['\uFF0B1', "'\uFF0B1"],
    ['\uFF0D1', "'\uFF0D1"],
    ['\uFF20A1', "'\uFF20A1"],
    ['  =1+1', "'  =1+1"],
    ['\r=1', `"'\r=1"`],
  ])('neutralises the formula %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('leaves a formula character that is not first alone', () => {
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('jo-ann@example.com')).toBe('jo-ann@example.com');
  });

  it('ends every row with CRLF and writes the header first', () => {
    const text = toCsv(
      [
        { header: 'name', value: (row: { name: string; n: number }) => row.name },
        { header: 'n', value: (row) => row.n },
      ],
      [
        { name: 'Ada', n: 1 },
        { name: 'Lovelace, A', n: 2 },
      ],
    );
    expect(text).toBe('name,n\r\nAda,1\r\n"Lovelace, A",2\r\n');
  });

  it('round-trips any text, and no parsed cell starts a formula', () => {
    const TRIGGERS = '=+\\-@\\t\\r\\uFF1D\\uFF0B\\uFF0D\\uFF20\\u2212';
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({
        unit: fc.constantFrom('a', ' ', ',', ';', '\t', '|', '=', '+', '-', '@', '\uFF1D', '"', '\r', '\n'),
      }),
    );
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 5 }), (cells) => {
        const [parsed] = parseCsv(csvRow(cells));
        expect(parsed).toHaveLength(cells.length);
        parsed?.forEach((cell, index) => {
          const original = cells[index] ?? '';
          const risky = new RegExp(`(^|[,;\\t|])[ ]*[${TRIGGERS}]`);
          expect(cell).toBe(risky.test(original) ? `'${original}` : original);
          // A cell holding any locale's separator is quoted, so no spreadsheet splits it into a formula.
          if (/[,;\t|]/.test(original)) expect(csvCell(original).startsWith('"')).toBe(true);
          expect(cell).not.toMatch(new RegExp(`^[ ]*[${TRIGGERS}]`));
        });
      }),
    );
  });
});
