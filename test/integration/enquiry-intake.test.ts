import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import { statementHash } from '../../shared/domain/hashing.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { exampleConfig, runtimeConfig } from '../support/config.ts';
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

const contactForm = exampleConfig.forms.find((form) => form.id === 'contact');
/** The example config with the contact form giving consent at once (no double opt-in), for both topics. */
const singleOptIn = runtimeConfig({
  forms: runtimeConfig().forms.map((form) =>
    form.marketing.mode === 'consent'
      ? { ...form, marketing: { ...form.marketing, confirmation: 'none', topics: ['newsletter', 'offers'] } }
      : form,
  ),
});
const consentStatement =
  contactForm?.marketing.mode === 'consent' ? contactForm.marketing.statement : undefined;

/** The contact's own items; the references to the person's enquiries are not the contact. */
const partition = async (contactId: string) =>
  (await contactItems(db, tableName, contactId)).filter((item) => item.type !== 'enquiry_ref');

async function suppressed(suppressionHash: string) {
  const result = await db.send(
    new GetCommand({ TableName: tableName, Key: keys.suppression(suppressionHash) }),
  );
  return result.Item;
}

const post = (harness: ReturnType<typeof intakeHarness>, record: Record<string, string | string[]>) =>
  submitEnquiry(harness.deps, {
    fields: fields(record),
    method: 'html_form',
    page: 'https://www.example.co.uk/contact',
    baseUrl: 'http://localhost:3000',
  });

describe('enquiry intake against DynamoDB Local', () => {
  it('stores the enquiry, the contact, its consent and the consent record atomically', async () => {
    const harness = intakeHarness(db, tableName, singleOptIn);
    const email = uniqueEmail('consent');
    const receipt = await post(harness, {
      form: 'contact',
      name: 'Ada Lovelace',
      email: email.toUpperCase(),
      message: 'Please call me',
      marketing_consent: 'on',
      topics: 'newsletter',
    });

    const contactId = harness.hasher.contactId(email);
    const enquiry = await db.send(new GetCommand({ TableName: tableName, Key: keys.enquiry(receipt.id) }));
    expect(enquiry.Item).toMatchObject({
      formId: 'contact',
      contactId,
      fields: { name: 'Ada Lovelace', email, message: 'Please call me' },
      gsi1pk: 'ENQUIRIES',
      expiresAt: Date.parse('2027-11-22T10:00:00Z') / 1000,
    });

    const items = await partition(contactId);
    expect(items.find((item) => item.sk === 'PROFILE')).toMatchObject({ email, version: 1 });
    expect(items.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({
      status: 'consent',
      gsi1pk: 'TOPIC#newsletter',
      gsi1sk: `consent#${contactId}`,
      expiresAt: Date.parse('2028-11-22T10:00:00Z') / 1000,
    });
    const events = items.filter((item) => String(item.sk).startsWith('EVENT#'));
    expect(events).toEqual([
      expect.objectContaining({
        eventType: 'consent_given',
        topic: 'newsletter',
        formId: 'contact',
        page: 'https://www.example.co.uk/contact',
        method: 'html_form',
        statementVersion: consentStatement?.version,
        statementHash: statementHash(consentStatement?.text ?? ''),
        liftedSuppression: false,
      }),
    ]);
    const statement = await db.send(
      new GetCommand({
        TableName: tableName,
        Key: keys.statement(statementHash(consentStatement?.text ?? '')),
      }),
    );
    expect(statement.Item?.text).toBe(consentStatement?.text);
    expect(harness.sent).toHaveLength(1);
  });

  it('keeps a double opt-in pending, out of every list, and emails a signed confirmation link', async () => {
    const harness = intakeHarness(db, tableName);
    const email = uniqueEmail('pending');
    await post(harness, { form: 'contact', name: 'Ada', email, message: 'Hi', marketing_consent: 'yes' });
    const contactId = harness.hasher.contactId(email);
    const items = await partition(contactId);
    const topic = items.find((item) => item.sk === 'TOPIC#newsletter');
    expect(topic).toMatchObject({
      status: 'pending',
      epoch: 1,
      expiresAt: Date.parse('2026-12-22T10:00:00Z') / 1000,
    });
    expect(topic).not.toHaveProperty('gsi1pk');
    expect(
      items.filter((item) => String(item.sk).startsWith('EVENT#')).map((item) => item.eventType),
    ).toEqual(['consent_requested']);
    const confirmation = harness.sent.find((sent) => sent.subject.startsWith('Please confirm'));
    expect(confirmation?.to).toEqual([email]);
    expect(confirmation?.text).toMatch(/Confirm: http:\/\/localhost:3000\/confirm\?token=v1\.k1\./);
    expect(confirmation?.text).toContain('http://localhost:3000/unsubscribe?token=');
    expect(confirmation?.text).toContain('http://localhost:3000/preferences?token=');
    expect(confirmation?.headers).toEqual({
      'List-Unsubscribe': expect.stringMatching(/^<http:\/\/localhost:3000\/unsubscribe\?token=v1\.[^>]+>$/),
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });

  it('keeps no unknown field and nothing at all from a honeypot submission', async () => {
    const harness = intakeHarness(db, tableName);
    const marker = `marker-${randomUUID()}`;
    await post(harness, {
      form: 'contact',
      name: 'Grace Hopper',
      email: uniqueEmail('unknown'),
      message: 'Hello',
      favourite_colour: marker,
      [`${marker}-name`]: 'x',
    });
    const botMarker = `bot-${randomUUID()}`;
    await post(harness, {
      form: 'quote',
      name: botMarker,
      email: `${botMarker}@example.com`,
      message: botMarker,
      website: 'https://spam.example',
    });

    const everything = JSON.stringify(await scanAll(db, tableName));
    expect(everything).not.toContain(marker);
    expect(everything).not.toContain(botMarker);
    expect(JSON.stringify(harness.sent)).not.toContain(marker);
    expect(harness.sent).toHaveLength(1);
  });

  it('never grants soft opt-in to a suppressed address, and express consent lifts the suppression', async () => {
    const harness = intakeHarness(db, tableName, singleOptIn);
    const email = uniqueEmail('suppressed');
    const contactId = harness.hasher.contactId(email);
    const suppressionHash = harness.hasher.suppressionHash(email);

    await post(harness, {
      form: 'quote',
      name: 'Alan',
      email,
      message: 'Quote please',
      marketing_opt_out: 'yes',
    });
    expect(await suppressed(suppressionHash)).toMatchObject({
      all: false,
      topics: ['offers'],
      reason: 'refused_at_collection',
    });
    expect(await partition(contactId)).toEqual([]);

    await post(harness, { form: 'quote', name: 'Alan', email, message: 'Another quote' });
    expect(await partition(contactId)).toEqual([]);
    // Both enquiries are found from the person's partition, though no contact was created.
    const refs = (await contactItems(db, tableName, contactId)).filter((item) => item.type === 'enquiry_ref');
    expect(refs).toHaveLength(2);

    // Consent to another topic leaves the refusal standing.
    await post(harness, {
      form: 'contact',
      name: 'Alan',
      email,
      message: 'News',
      marketing_consent: 'yes',
      topics: 'newsletter',
    });
    expect(await suppressed(suppressionHash)).toMatchObject({ topics: ['offers'] });
    await post(harness, { form: 'quote', name: 'Alan', email, message: 'Third quote' });
    expect((await partition(contactId)).find((item) => item.sk === 'TOPIC#offers')).toBeUndefined();

    // Express consent to the refused topic itself lifts it, and the event says so.
    await post(harness, {
      form: 'contact',
      name: 'Alan',
      email,
      message: 'Offers too',
      marketing_consent: 'yes',
      topics: 'offers',
    });
    expect(await suppressed(suppressionHash)).toBeUndefined();
    const events = (await partition(contactId)).filter((item) => String(item.sk).startsWith('EVENT#'));
    expect(events.map((event) => [event.eventType, event.topic, event.liftedSuppression])).toEqual([
      ['consent_given', 'newsletter', false],
      ['consent_given', 'offers', true],
    ]);
  });

  it('withdraws live permissions when the opt-out is taken later, and no soft opt-in follows', async () => {
    const harness = intakeHarness(db, tableName);
    const email = uniqueEmail('withdraw');
    const contactId = harness.hasher.contactId(email);
    await post(harness, { form: 'quote', name: 'Joan', email, message: 'First quote' });
    expect((await partition(contactId)).find((item) => item.sk === 'TOPIC#offers')).toMatchObject({
      status: 'soft_opt_in',
      gsi1pk: 'TOPIC#offers',
    });

    harness.clock.now = new Date('2026-12-01T09:00:00Z');
    await post(harness, { form: 'quote', name: 'Joan', email, message: 'Second', marketing_opt_out: 'on' });
    harness.clock.now = new Date('2026-12-02T09:00:00Z');
    await post(harness, { form: 'quote', name: 'Joan', email, message: 'Third' });

    const items = await partition(contactId);
    const topic = items.find((item) => item.sk === 'TOPIC#offers');
    expect(topic).toMatchObject({ status: 'withdrawn' });
    expect(topic).not.toHaveProperty('gsi1pk');
    expect(
      items.filter((item) => String(item.sk).startsWith('EVENT#')).map((item) => item.eventType),
    ).toEqual(['soft_opt_in_granted', 'withdrawn']);
    expect(await suppressed(harness.hasher.suppressionHash(email))).toBeDefined();
  });

  it('serialises concurrent submissions for one address without losing either', async () => {
    const harness = intakeHarness(db, tableName, singleOptIn);
    const email = uniqueEmail('race');
    await Promise.all(
      [1, 2, 3].map((n) =>
        post(harness, {
          form: 'contact',
          name: `Racer ${n}`,
          email,
          message: 'Hi',
          marketing_consent: 'yes',
          topics: 'newsletter',
        }),
      ),
    );
    const items = await partition(harness.hasher.contactId(email));
    expect(items.find((item) => item.sk === 'PROFILE')?.version).toBe(3);
    expect(items.filter((item) => String(item.sk).startsWith('EVENT#'))).toHaveLength(3);
  });

  it('treats an expired contact that DynamoDB has not deleted yet as gone', async () => {
    const harness = intakeHarness(db, tableName);
    const email = uniqueEmail('expired');
    await post(harness, { form: 'quote', name: 'Old', email, message: 'Long ago' });
    harness.clock.now = new Date('2028-06-01T00:00:00Z'); // past the 18-month soft opt-in
    await post(harness, { form: 'contact', name: 'New', email, message: 'Again', marketing_consent: 'yes' });
    const items = await partition(harness.hasher.contactId(email));
    expect(items.find((item) => item.sk === 'PROFILE')).toMatchObject({ version: 1, name: 'New' });
  });

  it('writes nothing when any part of the transaction fails', async () => {
    const harness = intakeHarness(db, tableName);
    const takenId = randomUUID();
    await submitEnquiry(
      { ...harness.deps, newId: () => takenId },
      {
        fields: fields({ form: 'contact', name: 'A', email: uniqueEmail('first'), message: 'x' }),
        method: 'json',
        page: undefined,
        baseUrl: 'http://localhost:3000',
      },
    );
    const email = uniqueEmail('atomic');
    const ids = [takenId, randomUUID()];
    await expect(
      submitEnquiry(
        { ...harness.deps, newId: () => ids.shift() ?? randomUUID() },
        {
          fields: fields({ form: 'contact', name: 'B', email, message: 'y', marketing_consent: 'on' }),
          method: 'json',
          page: undefined,
          baseUrl: 'http://localhost:3000',
        },
      ),
    ).rejects.toThrow();
    expect(await partition(harness.hasher.contactId(email))).toEqual([]);
  });

  it('delivers a store:false enquiry to staff and persists nothing (policy B)', async () => {
    const harness = intakeHarness(db, tableName, runtimeConfig());
    const marker = `callback-${randomUUID()}`;
    const receipt = await post(harness, {
      form: 'callback',
      name: marker,
      phone: '+44 20 7946 0000',
      message: marker,
    });
    const everything = JSON.stringify(await scanAll(db, tableName));
    expect(everything).not.toContain(marker);
    expect(everything).not.toContain(receipt.id);
    expect(harness.sent).toEqual([expect.objectContaining({ to: ['sales@example.co.uk'] })]);
    expect(harness.sent[0]?.text).toContain(marker);
    expect(harness.sent[0]?.text).toContain('only copy');
  });
});
