/**
 * The bulk import of new contacts against DynamoDB Local: for the same decided change it leaves exactly the
 * items the transactional write leaves, and it refuses anything but the creation of new items.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import { ALL_TOPICS } from '../../shared/domain/consent.ts';
import {
  type ContactSnapshot,
  decideChange,
  type RequestedEvent,
} from '../../shared/domain/contact-change.ts';
import { createEmailHasher } from '../../shared/domain/hashing.ts';
import { expiryFor } from '../../shared/domain/retention.ts';
import type { ContactWrite, StoredEnquiry } from '../../shared/ports/contacts-store.ts';
import { runtimeConfig, TEST_HASH_KEY } from '../support/config.ts';
import { documentClient, uniqueEmail } from '../support/intake.ts';

const db = documentClient(inject('dynamoDbEndpoint'));
const tableName = inject('tableName');
afterAll(() => db.destroy());

const contacts = createContactsRepository(db, tableName);
const hasher = createEmailHasher(TEST_HASH_KEY);
const config = runtimeConfig();
const NOW = new Date('2026-11-22T10:00:00Z');
const EMPTY: ContactSnapshot = { contact: undefined, topics: new Map(), suppression: undefined };
const quote = config.forms.find((form) => form.id === 'quote');
const statement = quote?.marketing.mode === 'soft_opt_in' ? quote.marketing.statement : undefined;

function decide(requests: RequestedEvent[], snapshot: ContactSnapshot = EMPTY) {
  return decideChange(snapshot, requests, {
    now: NOW,
    retention: config.retention,
    allTopics: config.topics.map((topic) => topic.id),
    source: 'form',
    actor: 'visitor',
    formId: 'quote',
    page: 'https://www.example.co.uk/quote',
    method: 'html_form',
    statement,
    newEventId: randomUUID,
  });
}

interface Person {
  readonly email: string;
  readonly contactId: string;
  readonly suppressionHash: string;
  readonly enquiryId: string;
}

function person(label: string): Person {
  const email = uniqueEmail(label);
  return {
    email,
    contactId: hasher.contactId(email),
    suppressionHash: hasher.suppressionHash(email),
    enquiryId: randomUUID(),
  };
}

function contactWrite(
  who: Person,
  change: ReturnType<typeof decide>,
  extra: Partial<ContactWrite> = {},
): ContactWrite {
  return {
    now: NOW,
    contactId: who.contactId,
    suppressionHash: who.suppressionHash,
    email: who.email,
    name: 'Import Example',
    snapshot: EMPTY,
    change,
    source: 'form',
    ...extra,
  };
}

function enquiryOf(who: Person, change: ReturnType<typeof decide>): StoredEnquiry {
  return {
    enquiryId: who.enquiryId,
    formId: 'quote',
    receivedAt: NOW.toISOString(),
    fields: { name: 'Import Example', email: who.email, message: 'A quote, please.' },
    contactId: change.writesContact ? who.contactId : undefined,
    expiresAt: expiryFor('enquiry', NOW, config.retention),
  };
}

/** Everything stored about one person, with their ids replaced so two people can be compared. */
async function storedAbout(who: Person): Promise<unknown> {
  const { Items = [] } = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.contact(who.contactId).pk },
      ConsistentRead: true,
    }),
  );
  const suppression = await db.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.suppression(who.suppressionHash),
      ConsistentRead: true,
    }),
  );
  const enquiry = await db.send(
    new GetCommand({ TableName: tableName, Key: keys.enquiry(who.enquiryId), ConsistentRead: true }),
  );
  const text = JSON.stringify({ partition: Items, suppression: suppression.Item, enquiry: enquiry.Item });
  return JSON.parse(
    text
      .replaceAll(who.contactId, '<contactId>')
      .replaceAll(who.suppressionHash, '<suppressionHash>')
      .replaceAll(who.enquiryId, '<enquiryId>')
      .replaceAll(who.email, '<email>'),
  );
}

describe('importNew', () => {
  const cases: Array<[string, () => ReturnType<typeof decide>, Partial<ContactWrite>]> = [
    ['a soft opt-in', () => decide([{ type: 'soft_opt_in_granted', topic: 'offers' }]), {}],
    ['a pending double opt-in', () => decide([{ type: 'consent_requested', topic: 'newsletter' }]), {}],
    ['express consent', () => decide([{ type: 'consent_given', topic: 'newsletter' }]), {}],
    [
      'a grant withdrawn from everything',
      () =>
        decide([
          { type: 'soft_opt_in_granted', topic: 'offers' },
          { type: 'withdrawn', topic: ALL_TOPICS },
        ]),
      { reason: 'unsubscribe_link' },
    ],
    [
      'a refusal at collection (a suppression entry, no contact)',
      () => decide([{ type: 'withdrawn', topic: 'offers' }]),
      { reason: 'refused_at_collection' },
    ],
    [
      'a restricted contact',
      () => decide([{ type: 'soft_opt_in_granted', topic: 'offers' }]),
      { restricted: true },
    ],
  ];

  it.each(cases)('leaves the same items as the transactional write for %s', async (_, change, extra) => {
    const decided = change();
    const written = person('write');
    const imported = person('import');
    await contacts.write({
      contact: contactWrite(written, decided, extra),
      enquiry: enquiryOf(written, decided),
      enquiryOwner: written.contactId,
    });
    const result = await contacts.importNew({
      contacts: [contactWrite(imported, decided, extra)],
      enquiries: [{ ...enquiryOf(imported, decided), sender: imported.contactId }],
    });

    const expected = await storedAbout(written);
    expect(await storedAbout(imported)).toEqual(expected);
    const stored = expected as { partition: unknown[]; suppression?: unknown };
    // Every item of the change, the statement and the enquiry.
    expect(result.items).toBe(
      stored.partition.length + (stored.suppression ? 1 : 0) + (decided.statement ? 1 : 0) + 1,
    );
  });

  it('builds a restricted contact restricted: kept, but in no list', async () => {
    const who = person('restricted');
    await contacts.importNew({
      contacts: [
        contactWrite(who, decide([{ type: 'soft_opt_in_granted', topic: 'offers' }]), { restricted: true }),
      ],
    });
    const state = await contacts.readContact(who.contactId, NOW);
    expect(state.contact?.restricted).toBe(true);
    const { Item } = await db.send(
      new GetCommand({
        TableName: tableName,
        Key: keys.topic(who.contactId, 'offers'),
        ConsistentRead: true,
      }),
    );
    expect(Item).toMatchObject({ status: 'soft_opt_in', restricted: true });
    expect(Item).not.toHaveProperty('gsi1pk');
  });

  it('writes many people in batches, sharing one statement item', async () => {
    const people = Array.from({ length: 60 }, () => person('bulk'));
    const change = () => decide([{ type: 'soft_opt_in_granted', topic: 'offers' }]);
    const result = await contacts.importNew({
      contacts: people.map((who) => contactWrite(who, change())),
    });
    // Profile, topic and event each, and the statement once.
    expect(result.items).toBe(people.length * 3 + 1);
    for (const who of people) {
      const state = await contacts.readContact(who.contactId, NOW);
      expect(state.snapshot.topics.get('offers')?.status).toBe('soft_opt_in');
    }
  });

  it('refuses a contact that already exists, writing nothing', async () => {
    const who = person('existing');
    const existing: ContactSnapshot = { ...EMPTY, contact: { version: 1, epoch: 1 } };
    const newcomer = person('newcomer');
    await expect(
      contacts.importNew({
        contacts: [
          contactWrite(newcomer, decide([{ type: 'soft_opt_in_granted', topic: 'offers' }])),
          contactWrite(who, decide([{ type: 'withdrawn', topic: 'offers' }], existing), {
            snapshot: existing,
          }),
        ],
      }),
    ).rejects.toThrow('importNew only creates new contacts');
    expect((await contacts.readContact(newcomer.contactId, NOW)).contact).toBeUndefined();
  });

  it('refuses a change that would delete or update what is there', async () => {
    const who = person('lift');
    // Express consent lifts a suppression that was read: the entry is deleted, which an import may not do.
    const suppressed: ContactSnapshot = {
      ...EMPTY,
      suppression: { all: false, topics: new Set(['newsletter']), version: 1 },
    };
    const lift = decide([{ type: 'consent_given', topic: 'newsletter' }], suppressed);
    await expect(
      contacts.importNew({ contacts: [contactWrite(who, lift, { snapshot: suppressed })] }),
    ).rejects.toThrow('importNew only writes new items, never updates or deletes');
    expect((await contacts.readContact(who.contactId, NOW)).contact).toBeUndefined();
  });

  it('refuses two different items for one key', async () => {
    const who = person('twice');
    await expect(
      contacts.importNew({
        contacts: [
          contactWrite(who, decide([{ type: 'soft_opt_in_granted', topic: 'offers' }])),
          contactWrite(who, decide([{ type: 'consent_given', topic: 'newsletter' }])),
        ],
      }),
    ).rejects.toThrow('importNew got two different items for one key');
  });
});
