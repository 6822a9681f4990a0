import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { createImportChecks } from '../../shared/adapters/dynamodb/import-checks.ts';
import { createStaffReads } from '../../shared/adapters/dynamodb/staff-reads.ts';
import { createEmailHasher } from '../../shared/domain/hashing.ts';
import { type ImportDeps, importContacts } from '../../shared/use-cases/import-contacts.ts';
import type { StaffRequest } from '../../shared/use-cases/staff-api.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { runtimeConfig, TEST_HASH_KEY } from '../support/config.ts';
import {
  contactItems,
  documentClient,
  fields,
  intakeHarness,
  scanAll,
  uniqueEmail,
} from '../support/intake.ts';

const db = documentClient(inject('dynamoDbEndpoint'));
const tableName = inject('tableName');
afterAll(() => db.destroy());

const NOW = new Date('2026-11-22T10:00:00Z');
const hasher = createEmailHasher(TEST_HASH_KEY);
const deps: ImportDeps = {
  config: runtimeConfig(),
  contacts: createContactsRepository(db, tableName),
  importChecks: createImportChecks(db, tableName),
  emailHasher: async () => hasher,
  reads: createStaffReads(db, tableName),
  clock: () => NOW,
  newId: randomUUID,
};
const staff: StaffRequest = {
  identity: { subject: 'staff-sub-2', username: 'mo', groups: ['marketing'] },
  method: 'POST',
  route: '/imports',
  requestId: 'req-import-1',
  format: 'json',
};
const HEADER = 'email,name,basis,topics,evidence_date,refusal_offered,method,statement';

describe('importing a CSV of existing clients into DynamoDB Local', () => {
  it('imports the valid rows with consent events from source import, and reports the rest by number', async () => {
    const client = uniqueEmail('client');
    const subscriber = uniqueEmail('subscriber');
    const csv = [
      HEADER,
      `${client},Client Ltd,soft_opt_in,offers,2026-06-01,yes,sale,`,
      `${subscriber},Sub Scriber,consent,newsletter,2026-05-01T09:00:00Z,,paper form,"Tick to get our newsletter"`,
      `${uniqueEmail('no-refusal')},,soft_opt_in,offers,2026-06-01,no,,`,
    ].join('\n');
    const report = await importContacts(deps, { kind: 'staff', request: staff }, csv, { dryRun: false });
    expect(report).toEqual({
      dryRun: false,
      rows: 3,
      imported: 2,
      refused: 1,
      reasons: { refusal_not_offered: 1 },
      results: [
        { row: 2, outcome: 'imported' },
        { row: 3, outcome: 'imported' },
        { row: 4, outcome: 'refused', reason: 'refusal_not_offered' },
      ],
    });
    expect(JSON.stringify(report)).not.toContain('@');

    const clientItems = await contactItems(db, tableName, hasher.contactId(client));
    expect(clientItems.find((item) => item.sk === 'PROFILE')).toMatchObject({
      email: client,
      source: 'import',
    });
    expect(clientItems.find((item) => item.sk === 'TOPIC#offers')).toMatchObject({
      status: 'soft_opt_in',
      gsi1pk: 'TOPIC#offers',
    });
    expect(clientItems.filter((item) => String(item.sk).startsWith('EVENT#'))).toEqual([
      expect.objectContaining({
        eventType: 'soft_opt_in_granted',
        source: 'import',
        method: 'sale',
        at: '2026-06-01T12:00:00.000Z',
      }),
    ]);
    const subscriberEvents = (await contactItems(db, tableName, hasher.contactId(subscriber))).filter(
      (item) => String(item.sk).startsWith('EVENT#'),
    );
    expect(subscriberEvents).toEqual([
      expect.objectContaining({ eventType: 'consent_given', source: 'import', method: 'paper form' }),
    ]);
    const audit = (await scanAll(db, tableName)).filter(
      (item) => item.type === 'audit' && item.requestId === 'req-import-1',
    );
    expect(audit).toEqual([expect.objectContaining({ route: '/imports', rows: 3 })]);
  });

  it('refuses a suppressed address and one already held, and a dry run writes nothing', async () => {
    const harness = intakeHarness(db, tableName);
    const refuser = uniqueEmail('refuser');
    const known = uniqueEmail('known');
    const fresh = uniqueEmail('fresh');
    const post = (record: Record<string, string>) =>
      submitEnquiry(harness.deps, {
        fields: fields(record),
        method: 'html_form',
        page: 'https://www.example.co.uk/quote',
        baseUrl: 'http://localhost:3000',
      });
    await post({ form: 'quote', name: 'R', email: refuser, message: 'Quote', marketing_opt_out: 'on' });
    await post({ form: 'quote', name: 'K', email: known, message: 'Quote' });
    const csv = [
      HEADER,
      `${refuser},,soft_opt_in,offers,2026-06-01,yes,,`,
      `${refuser.toUpperCase()},,consent,newsletter,2026-06-01,,phone,Tick`,
      `${known},,soft_opt_in,offers,2026-06-01,yes,,`,
      `${fresh},,soft_opt_in,offers,2026-06-01,yes,,`,
    ].join('\r\n');

    const before = (await scanAll(db, tableName)).length;
    const dry = await importContacts(deps, { kind: 'operator' }, csv, { dryRun: true });
    expect(dry.results).toEqual([
      { row: 2, outcome: 'refused', reason: 'suppressed' },
      { row: 3, outcome: 'refused', reason: 'duplicate_in_file' },
      { row: 4, outcome: 'refused', reason: 'already_held' },
      { row: 5, outcome: 'would_import' },
    ]);
    expect((await scanAll(db, tableName)).length).toBe(before);

    const real = await importContacts(deps, { kind: 'operator' }, csv, { dryRun: false });
    expect(real).toMatchObject({ imported: 1, refused: 3 });
    // Only the reference to the quote enquiry: no contact, no permission.
    const refuserItems = await contactItems(db, tableName, hasher.contactId(refuser));
    expect(refuserItems.filter((item) => item.type !== 'enquiry_ref')).toEqual([]);
  });

  it('refuses a malformed file or one with more rows than a request may carry, naming no value', async () => {
    await expect(
      importContacts(deps, { kind: 'operator' }, `${HEADER}\n"open`, { dryRun: true }),
    ).rejects.toMatchObject({ name: 'InvalidInputError', fields: { body: 'invalid' } });
    const tooMany = [HEADER, ...Array.from({ length: 501 }, (_, i) => `x${i}@example.com`)].join('\n');
    await expect(importContacts(deps, { kind: 'operator' }, tooMany, { dryRun: true })).rejects.toMatchObject(
      {
        fields: { body: 'too_long' },
      },
    );
  });
});
