/**
 * `POST /imports` and `npm run import`: adding existing clients or subscribers from a CSV file, each row
 * naming its lawful basis and the evidence for it (`shared/domain/import-rows.ts` has the rules). Rows
 * that fail a rule, name a suppressed address, repeat an address in the file or name someone already
 * held are reported and never imported. The others are written as new contacts with consent events from
 * source `import` (the table's stream takes them to MailChimp like any other). A dry run reports the
 * same verdicts and writes nothing. The report names rows by number and reason, never by address.
 */

import { isSuppressed } from '../domain/consent.ts';
import { type ContactSnapshot, decideChange, type RequestedEvent } from '../domain/contact-change.ts';
import { readCsvRecords } from '../domain/csv-records.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { EmailHasher } from '../domain/hashing.ts';
import { checkImportRecords, type ImportRow, type RowRefusal } from '../domain/import-rows.ts';
import type { DeploymentSettings } from '../domain/settings.ts';
import { countMetric, log } from '../log.ts';
import type { ContactsRepository, ContactWrite } from '../ports/contacts-store.ts';
import type { ImportChecks } from '../ports/import-checks.ts';
import type { StaffReads } from '../ports/staff-reads.ts';
import { recordStaffAudit, type StaffRequest } from './staff-api.ts';

export interface ImportDeps {
  readonly config: DeploymentSettings;
  readonly contacts: Pick<ContactsRepository, 'importNew'>;
  readonly importChecks: ImportChecks;
  readonly emailHasher: () => Promise<EmailHasher>;
  readonly reads: Pick<StaffReads, 'recordAudit'>;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export type RowResult =
  | { readonly row: number; readonly outcome: 'imported' | 'would_import' }
  | { readonly row: number; readonly outcome: 'refused'; readonly reason: RowRefusal };

export interface ImportReport {
  readonly dryRun: boolean;
  readonly rows: number;
  readonly imported: number;
  readonly refused: number;
  /** Refusals by reason. */
  readonly reasons: Readonly<Partial<Record<RowRefusal, number>>>;
  readonly results: readonly RowResult[];
}

/** Who runs the import: a staff member through the API, or an operator's command. */
export type Importer =
  | { readonly kind: 'staff'; readonly request: StaffRequest }
  | { readonly kind: 'operator' };

/**
 * Rows one request may carry: its checks and writes finish well inside API Gateway's 29-second limit.
 * `npm run import` sends a bigger file in parts of this size.
 */
export const MAX_IMPORT_ROWS = 500;

export async function importContacts(
  deps: ImportDeps,
  importer: Importer,
  csv: string,
  options: { readonly dryRun: boolean },
): Promise<ImportReport> {
  const now = deps.clock();
  const parsed = readCsvRecords(csv);
  if (parsed.kind === 'invalid') throw new InvalidInputError({ body: 'invalid' });
  if (parsed.records.length - 1 > MAX_IMPORT_ROWS) throw new InvalidInputError({ body: 'too_long' });
  const file = checkImportRecords(parsed.records, {
    topics: deps.config.topics.map((topic) => topic.id),
    retention: deps.config.retention,
    now,
  });
  if (file.kind === 'invalid') throw new InvalidInputError(file.fields);

  const hasher = await deps.emailHasher();
  const valid = file.verdicts.flatMap((verdict) => (verdict.outcome === 'valid' ? [verdict.value] : []));
  const located = valid.map((row) => ({
    row,
    contactId: hasher.contactId(row.email),
    suppressionHash: hasher.suppressionHash(row.email),
  }));
  const { held, suppressions } = await deps.importChecks.check(located, now);

  const refusals = new Map<number, RowRefusal>();
  for (const verdict of file.verdicts)
    if (verdict.outcome === 'refused') refusals.set(verdict.row, verdict.reason);
  const writes: ContactWrite[] = [];
  for (const { row, contactId, suppressionHash } of located) {
    const suppression = suppressions.get(suppressionHash);
    // An import is never a fresh, positive consent: it cannot lift a suppression, even for consent rows.
    if (suppression && row.topics.some((topic) => isSuppressed(suppression, topic)))
      refusals.set(row.row, 'suppressed');
    else if (held.has(contactId)) refusals.set(row.row, 'already_held');
    else writes.push(contactWrite(deps, row, contactId, suppressionHash));
  }

  if (!options.dryRun && writes.length > 0) await deps.contacts.importNew({ contacts: writes });
  const report = reportOf(
    file.verdicts.map((verdict) => verdict.row),
    refusals,
    options.dryRun,
  );
  if (importer.kind === 'staff') {
    await recordStaffAudit(deps, importer.request, {
      filter: { dryRun: options.dryRun, imported: report.imported, refused: report.refused },
      rows: report.rows,
    });
  }
  log.info('contacts_imported', {
    dryRun: options.dryRun,
    rows: report.rows,
    imported: report.imported,
    refused: report.refused,
  });
  if (!options.dryRun) countMetric('ContactsImported', report.imported);
  return report;
}

function contactWrite(
  deps: ImportDeps,
  row: ImportRow,
  contactId: string,
  suppressionHash: string,
): ContactWrite {
  const snapshot: ContactSnapshot = { contact: undefined, topics: new Map(), suppression: undefined };
  const type = row.basis === 'consent' ? 'consent_given' : 'soft_opt_in_granted';
  const requests = row.topics.map((topic): RequestedEvent => ({ type, topic }));
  // Dated at the evidence: the consent record says when it was given, and retention runs from then.
  const change = decideChange(snapshot, requests, {
    now: row.evidenceAt,
    retention: deps.config.retention,
    allTopics: deps.config.topics.map((topic) => topic.id),
    source: 'import',
    actor: 'import',
    method: row.method,
    statement: row.statement ? { version: 'import', text: row.statement } : undefined,
    newEventId: deps.newId,
  });
  return {
    now: row.evidenceAt,
    contactId,
    suppressionHash,
    email: row.email,
    name: row.name,
    snapshot,
    change,
    source: 'import',
  };
}

function reportOf(
  rows: readonly number[],
  refusals: ReadonlyMap<number, RowRefusal>,
  dryRun: boolean,
): ImportReport {
  const reasons: Partial<Record<RowRefusal, number>> = {};
  const results = rows.map((row): RowResult => {
    const reason = refusals.get(row);
    if (!reason) return { row, outcome: dryRun ? 'would_import' : 'imported' };
    reasons[reason] = (reasons[reason] ?? 0) + 1;
    return { row, outcome: 'refused', reason };
  });
  return {
    dryRun,
    rows: rows.length,
    imported: rows.length - refusals.size,
    refused: refusals.size,
    reasons,
    results,
  };
}
