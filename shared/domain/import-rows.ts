/**
 * The rules an imported row must pass before anyone is added from an existing list (UK PECR reg 22, ICO
 * record of consent). Each row names its lawful basis and the evidence for it:
 *
 * - `soft_opt_in`: the date of the sale or negotiation (`evidence_date`) and that the chance to refuse was
 *   given then (`refusal_offered`: yes);
 * - `consent`: when (`evidence_date`), how (`method`) and what the person was told (`statement`).
 *
 * A permission whose retention has already run out since its evidence date is refused: importing it
 * would add someone the system would delete at once. Rows are reported by their record number in the
 * file (the header is row 1) and a reason, never by a value from the row.
 */
import { normaliseEmail, parseEmail } from './email.ts';
import type { FieldErrors } from './enquiry.ts';
import { expiryFor, toEpochSeconds } from './retention.ts';
import type { RetentionPolicy } from './settings.ts';

export const IMPORT_COLUMNS = [
  'email',
  'name',
  'basis',
  'topics',
  'evidence_date',
  'refusal_offered',
  'method',
  'statement',
] as const;
type ImportColumn = (typeof IMPORT_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly ImportColumn[] = ['email', 'basis', 'topics', 'evidence_date'];

export type ImportBasis = 'soft_opt_in' | 'consent';
const BASES: readonly ImportBasis[] = ['soft_opt_in', 'consent'];

export type RowRefusal =
  | 'invalid_email'
  | 'unknown_basis'
  | 'no_topics'
  | 'unknown_topic'
  | 'no_evidence_date'
  | 'invalid_evidence_date'
  | 'future_evidence_date'
  | 'lapsed'
  | 'refusal_not_offered'
  | 'no_method'
  | 'no_statement'
  | 'too_long'
  | 'duplicate_in_file'
  | 'suppressed'
  | 'already_held';

export interface ImportRow {
  /** The record's number in the file; the header is 1. */
  readonly row: number;
  readonly email: string;
  readonly name: string | undefined;
  readonly basis: ImportBasis;
  readonly topics: readonly string[];
  /** When the sale, negotiation or consent happened. */
  readonly evidenceAt: Date;
  readonly method: string;
  readonly statement: string | undefined;
}

export type RowVerdict =
  | { readonly row: number; readonly outcome: 'valid'; readonly value: ImportRow }
  | { readonly row: number; readonly outcome: 'refused'; readonly reason: RowRefusal };

export type ImportFile =
  | { readonly kind: 'rows'; readonly verdicts: readonly RowVerdict[] }
  | { readonly kind: 'invalid'; readonly fields: FieldErrors };

export interface ImportRules {
  readonly topics: readonly string[];
  readonly retention: RetentionPolicy;
  readonly now: Date;
}

const MAX_LENGTH: Readonly<Record<ImportColumn, number>> = {
  email: 254,
  name: 100,
  basis: 20,
  topics: 500,
  evidence_date: 40,
  refusal_offered: 10,
  method: 100,
  statement: 2000,
};
const YES = new Set(['yes', 'true', '1', 'y']);

/** The header row's problems (a missing or unknown column), or the verdict on every other row. */
export function checkImportRecords(records: readonly (readonly string[])[], rules: ImportRules): ImportFile {
  const [header, ...rows] = records;
  if (!header) return { kind: 'invalid', fields: { body: 'required' } };
  const columns = header.map((name) => name.trim().toLowerCase());
  const fields: FieldErrors = {};
  for (const column of REQUIRED_COLUMNS) if (!columns.includes(column)) fields[column] = 'required';
  // Unknown columns are refused rather than ignored: a misspelt evidence column must not pass silently.
  columns.forEach((column, index) => {
    if (!(IMPORT_COLUMNS as readonly string[]).includes(column))
      fields[`column_${index + 1}`] = 'not_allowed';
  });
  if (Object.keys(fields).length > 0) return { kind: 'invalid', fields };

  const seen = new Set<string>();
  const verdicts = rows.map((cells, index): RowVerdict => {
    const row = index + 2;
    const cell = (column: ImportColumn) => cells[columns.indexOf(column)]?.trim() ?? '';
    const verdict = checkRow(row, cell, rules);
    if (verdict.outcome !== 'valid') return verdict;
    if (seen.has(verdict.value.email)) return { row, outcome: 'refused', reason: 'duplicate_in_file' };
    seen.add(verdict.value.email);
    return verdict;
  });
  return { kind: 'rows', verdicts };
}

function checkRow(row: number, cell: (column: ImportColumn) => string, rules: ImportRules): RowVerdict {
  const refuse = (reason: RowRefusal): RowVerdict => ({ row, outcome: 'refused', reason });
  if (IMPORT_COLUMNS.some((column) => cell(column).length > MAX_LENGTH[column])) return refuse('too_long');
  const email = parseEmail(normaliseEmail(cell('email')));
  if (!email) return refuse('invalid_email');
  const basis = cell('basis').toLowerCase() as ImportBasis;
  if (!BASES.includes(basis)) return refuse('unknown_basis');
  const topics = [
    ...new Set(
      cell('topics')
        .split(/[;|]/)
        .map((topic) => topic.trim())
        .filter(Boolean),
    ),
  ];
  if (topics.length === 0) return refuse('no_topics');
  if (topics.some((topic) => !rules.topics.includes(topic))) return refuse('unknown_topic');

  const dateText = cell('evidence_date');
  if (!dateText) return refuse('no_evidence_date');
  const evidenceAt = parseEvidenceDate(dateText);
  if (!evidenceAt) return refuse('invalid_evidence_date');
  if (evidenceAt.getTime() > rules.now.getTime()) return refuse('future_evidence_date');
  if (expiryFor(basis, evidenceAt, rules.retention) <= toEpochSeconds(rules.now)) return refuse('lapsed');

  let method = cell('method');
  const statement = cell('statement') || undefined;
  if (basis === 'soft_opt_in') {
    // PECR reg 22(2)(c): the person was given a simple means of refusing when their details were taken.
    if (!YES.has(cell('refusal_offered').toLowerCase())) return refuse('refusal_not_offered');
    method ||= 'sale';
  } else {
    // ICO record of consent: who, when, how, and what they were told.
    if (!method) return refuse('no_method');
    if (!statement) return refuse('no_statement');
  }
  const name = cell('name') || undefined;
  return {
    row,
    outcome: 'valid',
    value: { row, email, name, basis, topics, evidenceAt, method, statement },
  };
}

/** `YYYY-MM-DD` (taken as midday UTC, so no time zone moves it to another day) or a full ISO time. */
function parseEvidenceDate(text: string): Date | undefined {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T12:00:00Z` : text;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(date)) return undefined;
  const parsed = new Date(date);
  if (Number.isNaN(parsed.getTime())) return undefined;
  // 2026-02-30 would roll over into March: refuse a date that is not on the calendar.
  if (/^\d{4}-\d{2}-\d{2}$/.test(text) && parsed.toISOString().slice(0, 10) !== text) return undefined;
  return parsed;
}
