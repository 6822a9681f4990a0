import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { mergeReports, splitForImport } from '../../local/import-cli.ts';
import { retentionSchema } from '../../shared/config/schema.ts';
import { readCsvRecords } from '../../shared/domain/csv-records.ts';
import { checkImportRecords, type RowVerdict } from '../../shared/domain/import-rows.ts';
import type { ImportReport } from '../../shared/use-cases/import-contacts.ts';

const NOW = new Date('2026-11-22T10:00:00Z');
const RULES = { topics: ['offers', 'newsletter'], retention: z.parse(retentionSchema, {}), now: NOW };
const HEADER = 'email,name,basis,topics,evidence_date,refusal_offered,method,statement';

const verdictsOf = (...rows: string[]): RowVerdict[] => {
  const parsed = readCsvRecords([HEADER, ...rows].join('\n'));
  if (parsed.kind !== 'records') throw new Error('unreadable');
  const file = checkImportRecords(parsed.records, RULES);
  if (file.kind !== 'rows') throw new Error(JSON.stringify(file.fields));
  return [...file.verdicts];
};
const reasonOf = (row: string) => {
  const [verdict] = verdictsOf(row);
  return verdict?.outcome === 'refused' ? verdict.reason : 'valid';
};

describe('reading CSV', () => {
  it('handles quotes, doubled quotes, newlines in quotes, CRLF, a BOM and blank lines', () => {
    expect(readCsvRecords('\uFEFFa,b\r\n"x, ""y""","line\nbreak"\n\n')).toEqual({
      kind: 'records',
      records: [
        ['a', 'b'],
        ['x, "y"', 'line\nbreak'],
      ],
    });
  });

  it('reports a quote left open', () => {
    expect(readCsvRecords('a,b\n"open,1')).toEqual({ kind: 'invalid', reason: 'unclosed_quote' });
  });

  it('never throws, whatever the text', () => {
    fc.assert(fc.property(fc.string(), (text) => void readCsvRecords(text)));
  });
});

describe('import rows', () => {
  it('accept a soft opt-in with the sale date and the refusal offered', () => {
    const [verdict] = verdictsOf('Ada@Example.com,Ada,soft_opt_in,offers,2026-06-01,yes,,');
    expect(verdict).toEqual({
      row: 2,
      outcome: 'valid',
      value: {
        row: 2,
        email: 'ada@example.com',
        name: 'Ada',
        basis: 'soft_opt_in',
        topics: ['offers'],
        evidenceAt: new Date('2026-06-01T12:00:00Z'),
        method: 'sale',
        statement: undefined,
      },
    });
  });

  it('accept a consent with when, how and the statement', () => {
    const [verdict] = verdictsOf(
      'b@example.com,,consent,newsletter;offers,2026-05-01T09:30:00Z,,paper form,"Tick, please"',
    );
    expect(verdict).toMatchObject({
      outcome: 'valid',
      value: {
        basis: 'consent',
        topics: ['newsletter', 'offers'],
        method: 'paper form',
        statement: 'Tick, please',
      },
    });
  });

  it.each([
    ['not-an-email,,soft_opt_in,offers,2026-06-01,yes,,', 'invalid_email'],
    [',,soft_opt_in,offers,2026-06-01,yes,,', 'invalid_email'],
    ['a@example.com,,legitimate,offers,2026-06-01,yes,,', 'unknown_basis'],
    ['a@example.com,,soft_opt_in,,2026-06-01,yes,,', 'no_topics'],
    ['a@example.com,,soft_opt_in,cars,2026-06-01,yes,,', 'unknown_topic'],
    ['a@example.com,,soft_opt_in,offers,,yes,,', 'no_evidence_date'],
    ['a@example.com,,soft_opt_in,offers,01/06/2026,yes,,', 'invalid_evidence_date'],
    ['a@example.com,,soft_opt_in,offers,2026-02-30,yes,,', 'invalid_evidence_date'],
    ['a@example.com,,soft_opt_in,offers,2027-01-01,yes,,', 'future_evidence_date'],
    // Soft opt-in lasts 18 months by default: a sale two years ago gives nothing left to import.
    ['a@example.com,,soft_opt_in,offers,2024-11-01,yes,,', 'lapsed'],
    ['a@example.com,,soft_opt_in,offers,2026-06-01,no,,', 'refusal_not_offered'],
    ['a@example.com,,soft_opt_in,offers,2026-06-01,,,', 'refusal_not_offered'],
    ['a@example.com,,consent,newsletter,2026-06-01,,,Tick', 'no_method'],
    ['a@example.com,,consent,newsletter,2026-06-01,,phone,', 'no_statement'],
    [`a@example.com,${'x'.repeat(101)},consent,newsletter,2026-06-01,,phone,Tick`, 'too_long'],
  ])('refuse %s: %s', (row, reason) => {
    expect(reasonOf(row)).toBe(reason);
  });

  it('refuse a second row for the same address, however it is written', () => {
    const verdicts = verdictsOf(
      'a@example.com,,soft_opt_in,offers,2026-06-01,yes,,',
      'A@EXAMPLE.COM,,consent,newsletter,2026-06-01,,phone,Tick',
    );
    expect(verdicts.map((verdict) => verdict.outcome)).toEqual(['valid', 'refused']);
    expect(verdicts[1]).toEqual({ row: 3, outcome: 'refused', reason: 'duplicate_in_file' });
  });

  it('refuse a file whose header misses a column or has an unknown one, naming no value', () => {
    const parsed = readCsvRecords('email,basis,topics,evidnce_date\na@example.com,consent,offers,2026-01-01');
    if (parsed.kind !== 'records') throw new Error('unreadable');
    expect(checkImportRecords(parsed.records, RULES)).toEqual({
      kind: 'invalid',
      fields: { evidence_date: 'required', column_4: 'not_allowed' },
    });
    expect(checkImportRecords([], RULES)).toEqual({ kind: 'invalid', fields: { body: 'required' } });
  });

  it('never throw on arbitrary rows, and never echo a cell in a verdict', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string(), { maxLength: 9 }), { maxLength: 5 }), (rows) => {
        const file = checkImportRecords([HEADER.split(','), ...rows], RULES);
        if (file.kind !== 'rows') return;
        for (const verdict of file.verdicts)
          if (verdict.outcome === 'refused')
            expect(Object.keys(verdict).sort()).toEqual(['outcome', 'reason', 'row']);
      }),
    );
  });
});

describe('npm run import, for a file bigger than one request', () => {
  const rows = (count: number, email = (i: number) => `p${i}@example.com`) =>
    [
      HEADER,
      ...Array.from({ length: count }, (_, i) => `${email(i)},,soft_opt_in,offers,2026-06-01,yes,,`),
    ].join('\n');

  it('sends one part for a small file, as it is', () => {
    const csv = rows(3);
    expect(splitForImport(csv, 5)).toEqual([{ csv, offset: 0, repeats: new Set() }]);
  });

  it('splits into parts with the header, and marks addresses an earlier part had', () => {
    const parts = splitForImport(
      rows(5, (i) => (i === 3 ? 'P0@example.com' : `p${i}@example.com`)),
      2,
    );
    expect(parts.map((part) => part.offset)).toEqual([0, 2, 4]);
    expect(parts.every((part) => part.csv.startsWith(`${HEADER}\r\n`))).toBe(true);
    expect(parts[1]?.repeats).toEqual(new Set([5]));
  });

  it('merges the parts\u2019 reports into the file\u2019s row numbers', () => {
    const parts = splitForImport(
      rows(3, (i) => (i === 2 ? 'p0@example.com' : `p${i}@example.com`)),
      2,
    );
    const report = (count: number): ImportReport => ({
      dryRun: true,
      rows: count,
      imported: count,
      refused: 0,
      reasons: {},
      results: Array.from({ length: count }, (_, i) => ({ row: i + 2, outcome: 'would_import' as const })),
    });
    const merged = mergeReports([
      { part: parts[0] as (typeof parts)[number], report: report(2) },
      { part: parts[1] as (typeof parts)[number], report: report(1) },
    ]);
    expect(merged).toMatchObject({ rows: 3, imported: 2, refused: 1, reasons: { duplicate_in_file: 1 } });
    expect(merged.results.map((result) => result.row)).toEqual([2, 3, 4]);
    expect(merged.results[2]).toEqual({ row: 4, outcome: 'refused', reason: 'duplicate_in_file' });
  });
});
