/**
 * MailChimp's webhook against DynamoDB Local, through the real handler: an unsubscribe made in MailChimp
 * withdraws and suppresses the person here, once however often it is delivered; forged deliveries
 * change nothing; no webhook can make anyone mailable.
 */
import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { decodeContactChanges } from '../../shared/adapters/dynamodb/stream-records.ts';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import type { MailchimpAudience } from '../../shared/adapters/mailchimp/audience.ts';
import { replay } from '../../shared/domain/consent.ts';
import { decideChange, type RequestedEvent } from '../../shared/domain/contact-change.ts';
import { statementHash } from '../../shared/domain/hashing.ts';
import { MAILCHIMP_SIGNUP_STATEMENT, parseDelivery } from '../../shared/domain/mailchimp-webhook.ts';
import { parseKeyRing } from '../../shared/domain/tokens.ts';
import { unsubscribe } from '../../shared/use-cases/links.ts';
import { type MailchimpSyncDeps, syncStreamBatch } from '../../shared/use-cases/mailchimp-sync.ts';
import { applyWebhook } from '../../shared/use-cases/mailchimp-webhook.ts';
import { lambdaContext, restEvent } from '../handler/events.ts';
import { runtimeConfig, TEST_HASH_KEY, TEST_KEY_RING } from '../support/config.ts';
import { contactItems, documentClient, intakeHarness, scanAll, uniqueEmail } from '../support/intake.ts';

/** The sync as its function runs it: the stream records decoded, then synced. */
const syncRecords = (deps: MailchimpSyncDeps, records: readonly DynamoDBRecord[]) =>
  syncStreamBatch(deps, decodeContactChanges(records));

const tableName = inject('tableName');
const db = documentClient(inject('dynamoDbEndpoint'));
const URL_KEY = 'integration-webhook-url-key-0123456789';
/** The contact form confirming at once, so people are mailable before MailChimp tells us otherwise. */
const config = runtimeConfig({
  forms: runtimeConfig().forms.map((form) =>
    form.marketing.mode === 'consent'
      ? { ...form, marketing: { ...form.marketing, confirmation: 'none' } }
      : form,
  ),
});

let handler: (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', tableName);
  vi.stubEnv('DYNAMODB_ENDPOINT', inject('dynamoDbEndpoint'));
  vi.stubEnv('APP_CONFIG', JSON.stringify(config));
  vi.stubEnv('MAIL_TRANSPORT', 'outbox');
  vi.stubEnv('EMAIL_HASH_KEY', TEST_HASH_KEY);
  vi.stubEnv('TOKEN_SIGNING_KEYS', TEST_KEY_RING);
  vi.stubEnv('MAILCHIMP_WEBHOOK_SECRET', JSON.stringify({ urlKey: URL_KEY }));
  vi.stubEnv('AWS_REGION', 'eu-west-2');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  ({ handler } = await import('../../functions/mailchimp-webhook/handler.ts'));
});
afterAll(() => db.destroy());

/** MailChimp's `fired_at` (UTC, to the second) for a change made at `at`. */
const firedAt = (at: Date) => at.toISOString().slice(0, 19).replace('T', ' ');

/** A delivery of a change just made in MailChimp. */
function delivery(type: string, email: string, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    type,
    fired_at: firedAt(new Date()),
    'data[action]': 'unsub',
    'data[reason]': 'manual',
    'data[email]': email,
    'data[list_id]': 'local-list',
    ...extra,
  }).toString();
}

const post = (body: string, key: string | null = URL_KEY, headers: Record<string, string> = {}) => {
  const event = restEvent({
    method: 'POST',
    path: '/webhooks/mailchimp',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return handler({ ...event, queryStringParameters: key === null ? null : { key } }, lambdaContext);
};

let submissions = 0;

/** A consent-form post; each with its own message, since the same post within minutes is a repeat. */
async function subscribed(email: string) {
  submissions += 1;
  const harness = intakeHarness(db, tableName, config);
  harness.clock.now = new Date();
  await (await import('../../shared/use-cases/submit-enquiry.ts')).submitEnquiry(harness.deps, {
    fields: new Map(
      Object.entries({
        form: ['contact'],
        name: ['Ada'],
        email: [email],
        message: [`Hi (${submissions})`],
        marketing_consent: ['yes'],
      }),
    ),
    method: 'json',
    page: undefined,
    baseUrl: 'http://localhost:3000',
  });
  return {
    contactId: harness.hasher.contactId(email),
    suppressionHash: harness.hasher.suppressionHash(email),
  };
}

const partition = (contactId: string) => contactItems(db, tableName, contactId);

describe('POST /webhooks/mailchimp', () => {
  it('withdraws and suppresses on an unsubscribe, once however often MailChimp delivers it', async () => {
    const email = uniqueEmail('mc-unsub');
    const { contactId, suppressionHash } = await subscribed(email);
    const body = delivery('unsubscribe', email);
    for (let i = 0; i < 3; i++) expect((await post(body)).statusCode).toBe(200);

    const items = await partition(contactId);
    expect(items.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({ status: 'withdrawn' });
    const withdrawals = items.filter((item) => item.eventType === 'withdrawn');
    expect(withdrawals).toEqual([
      expect.objectContaining({
        topic: '*',
        source: 'mailchimp',
        actor: 'mailchimp',
        reason: 'mailchimp_unsubscribe:manual',
      }),
    ]);
    const all = await scanAll(db, tableName);
    expect(all.find((item) => item.pk === keys.suppression(suppressionHash).pk)).toMatchObject({
      all: true,
      source: 'mailchimp',
    });
  });

  it('suppresses an address we never held, so a later soft opt-in cannot add it', async () => {
    const email = uniqueEmail('mc-unknown');
    expect((await post(delivery('cleaned', email, { 'data[reason]': 'hard' }))).statusCode).toBe(200);
    const harness = intakeHarness(db, tableName, config);
    harness.clock.now = new Date();
    const suppression = (await scanAll(db, tableName)).find(
      (item) => item.pk === keys.suppression(harness.hasher.suppressionHash(email)).pk,
    );
    expect(suppression).toMatchObject({ all: true, reason: 'mailchimp_cleaned:hard' });
    expect(await partition(harness.hasher.contactId(email))).toEqual([]);
  });

  it.each([
    ['no key', null],
    ['a wrong key', 'integration-webhook-url-key-0123456788'],
  ])('refuses a delivery with %s (401) and changes nothing', async (_label, key) => {
    const email = uniqueEmail('mc-forged');
    const { contactId } = await subscribed(email);
    const before = await scanAll(db, tableName);
    const response = await post(delivery('unsubscribe', email), key);
    expect(response.statusCode).toBe(401);
    expect(await scanAll(db, tableName)).toEqual(before);
    expect((await partition(contactId)).find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({
      status: 'consent',
    });
  });

  it('lets a subscribe only confirm a pending request, never re-subscribe a withdrawn person', async () => {
    const email = uniqueEmail('mc-resub');
    const { contactId } = await subscribed(email);
    await post(delivery('unsubscribe', email));
    await post(delivery('subscribe', email, { 'data[action]': 'sub' }));
    const topic = (await partition(contactId)).find((item) => item.sk === 'TOPIC#newsletter');
    expect(topic).toMatchObject({ status: 'withdrawn' });
    expect(topic).not.toHaveProperty('gsi1pk');
  });

  it('answers a repeat of an applied unsubscribe with 200 after the person consented again, changing nothing', async () => {
    const email = uniqueEmail('mc-repeat');
    const { contactId } = await subscribed(email);
    const body = delivery('unsubscribe', email);
    expect((await post(body)).statusCode).toBe(200);
    await subscribed(email);
    const before = await partition(contactId);
    expect(before.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({ status: 'consent' });

    expect((await post(body)).statusCode).toBe(200);
    expect(await partition(contactId)).toEqual(before);
  });

  it('changes nothing for an unsubscribe fired before a later consent of ours, however late it arrives', async () => {
    const email = uniqueEmail('mc-superseded');
    const { contactId } = await subscribed(email);
    const before = await partition(contactId);
    const body = delivery('unsubscribe', email, { fired_at: firedAt(new Date(Date.now() - 60_000)) });

    expect((await post(body)).statusCode).toBe(200);
    expect(await partition(contactId)).toEqual(before);
    expect(await deliveryMarked(body)).toBe(false);
  });

  it('answers MailChimp’s validation GET without touching anything', async () => {
    const before = await scanAll(db, tableName);
    const response = await handler(restEvent({ method: 'GET', path: '/webhooks/mailchimp' }), lambdaContext);
    expect(response.statusCode).toBe(200);
    expect(await scanAll(db, tableName)).toEqual(before);
  });
});

const contacts = createContactsRepository(db, tableName);
const hasher = intakeHarness(db, tableName, config).hasher;
const allTopics = config.topics.map((topic) => topic.id);

function upemail(from: string, to: string): string {
  return new URLSearchParams({
    type: 'upemail',
    fired_at: '2026-11-22 10:00:00',
    'data[list_id]': 'local-list',
    'data[new_id]': 'a1b2c3d4e5',
    'data[new_email]': to,
    'data[old_email]': from,
  }).toString();
}

function profileUpdate(email: string, firstName: string, lastName: string): string {
  return new URLSearchParams({
    type: 'profile',
    fired_at: '2026-11-22 10:00:00',
    'data[id]': 'a1b2c3d4e5',
    'data[email]': email,
    'data[email_type]': 'html',
    'data[merges][EMAIL]': email,
    'data[merges][FNAME]': firstName,
    'data[merges][LNAME]': lastName,
    'data[list_id]': 'local-list',
  }).toString();
}

/** A consenting contact whose history holds `1 + 2 * rounds` events: switched off and on again. */
async function withHistory(email: string, rounds: number) {
  const ids = await subscribed(email);
  for (let done = 0; done < rounds; done += 20) {
    const now = new Date();
    const state = await contacts.readContact(ids.contactId, now);
    const snapshot = { ...state.snapshot, suppression: await contacts.readSuppression(ids.suppressionHash) };
    const requests = Array.from({ length: Math.min(20, rounds - done) }).flatMap((): RequestedEvent[] => [
      { type: 'withdrawn', topic: 'newsletter' },
      { type: 'consent_given', topic: 'newsletter' },
    ]);
    const change = decideChange(snapshot, requests, {
      now,
      retention: config.retention,
      allTopics,
      source: 'preference_centre',
      actor: 'preference centre',
      statement: config.preferenceCentre.statement,
      newEventId: randomUUID,
    });
    await contacts.write({
      contact: { now, ...ids, email, name: 'Ada', snapshot, change, source: 'preference_centre' },
    });
  }
  return ids;
}

const events = (items: Record<string, unknown>[]) =>
  items.filter((item) => String(item.sk).startsWith(keys.consentEventPrefix));

async function deliveryMarked(body: string): Promise<boolean> {
  const id = (await import('../../shared/domain/mailchimp-webhook.ts')).deliveryId(Buffer.from(body));
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: keys.webhookDelivery(id) }));
  return Item !== undefined;
}

async function listed(topic: string, contactId: string): Promise<boolean> {
  const result = await db.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :sk',
      ExpressionAttributeValues: { ':pk': `TOPIC#${topic}`, ':sk': `consent#${contactId}` },
    }),
  );
  return (result.Items ?? []).length > 0;
}

/** Every MailChimp call the sync makes, by method name. */
function recordingAudience(calls: string[]): MailchimpAudience {
  return new Proxy({} as MailchimpAudience, {
    get: (_target, method) => async () => {
      calls.push(String(method));
      return undefined;
    },
  });
}

function syncDeps(audience: MailchimpAudience): MailchimpSyncDeps {
  return {
    config,
    contacts,
    audience,
    emailHasher: async () => hasher,
    clock: () => new Date(),
    newId: randomUUID,
    memberLinks: {
      mergeTag: 'PREFSURL',
      baseUrl: 'http://localhost:3000',
      ring: async () => parseKeyRing(TEST_KEY_RING),
    },
  };
}

/** What the table's stream carries for a move: the new partition's items put, the old one's removed. */
function moveRecords(before: Record<string, unknown>[], after: Record<string, unknown>[]): DynamoDBRecord[] {
  const image = (item: Record<string, unknown>) => {
    const attributes: Record<string, AttributeValue> = {};
    for (const [name, value] of Object.entries(item)) {
      if (typeof value === 'string') attributes[name] = { S: value };
      else if (typeof value === 'number') attributes[name] = { N: String(value) };
      else if (typeof value === 'boolean') attributes[name] = { BOOL: value };
    }
    return attributes;
  };
  const record = (eventName: 'INSERT' | 'REMOVE', item: Record<string, unknown>, index: number) => {
    const attributes = image(item);
    return {
      eventID: `move-${index}`,
      eventName,
      dynamodb: {
        Keys: { pk: attributes.pk ?? { S: '' }, sk: attributes.sk ?? { S: '' } },
        SequenceNumber: String(index).padStart(21, '0'),
        ...(eventName === 'REMOVE' ? { OldImage: attributes } : { NewImage: attributes }),
      },
    } as DynamoDBRecord;
  };
  return [
    ...after.map((item, index) => record('INSERT', item, index)),
    ...before.map((item, index) => record('REMOVE', item, after.length + index)),
  ];
}

describe('an address change (upemail)', () => {
  it('moves a contact with a long history to the new address, once however often it is delivered', async () => {
    const from = uniqueEmail('mc-move-from');
    const to = uniqueEmail('mc-move-to');
    const old = await withHistory(from, 60);
    const before = await partition(old.contactId);
    expect(events(before)).toHaveLength(121);
    const newId = hasher.contactId(to);

    const body = upemail(from, to);
    for (let i = 0; i < 3; i++) expect((await post(body)).statusCode).toBe(200);

    const left = await partition(old.contactId);
    expect(left).toEqual([
      expect.objectContaining({
        sk: 'MOVED',
        type: 'contact_moved',
        movedTo: newId,
        expiresAt: expect.any(Number),
      }),
    ]);
    expect(left[0]).not.toHaveProperty('historyUpTo');

    const moved = await partition(newId);
    const profile = moved.find((item) => item.sk === 'PROFILE');
    const oldProfile = before.find((item) => item.sk === 'PROFILE') ?? {};
    expect(profile).toMatchObject({
      contactId: newId,
      email: to,
      name: 'Ada',
      createdAt: oldProfile.createdAt,
      epoch: oldProfile.epoch,
      version: Number(oldProfile.version) + 1,
      source: 'mailchimp',
    });
    expect(moved.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({
      contactId: newId,
      status: 'consent',
      email: to,
      name: 'Ada',
      source: 'mailchimp',
      gsi1pk: 'TOPIC#newsletter',
      gsi1sk: `consent#${newId}`,
    });
    expect(await listed('newsletter', newId)).toBe(true);
    expect(await listed('newsletter', old.contactId)).toBe(false);

    const history = await contacts.readHistory(newId);
    expect(history.map((event) => event.eventId)).toEqual([
      ...events(before).map((event) => event.eventId),
      expect.any(String),
    ]);
    expect(history.at(-1)).toMatchObject({ type: 'address_changed', topic: '*', source: 'mailchimp' });
    expect(events(moved).every((event) => event.contactId === newId)).toBe(true);
    expect(JSON.stringify(events(moved))).not.toContain('@');
    expect(replay(history, allTopics).topics).toEqual(new Map([['newsletter', 'consent']]));
    expect(await deliveryMarked(body)).toBe(true);
  });

  it('converges when it stops half-way through the history and MailChimp retries', async () => {
    const from = uniqueEmail('mc-crash-from');
    const to = uniqueEmail('mc-crash-to');
    const old = await withHistory(from, 60);
    const history = events(await partition(old.contactId)).map((event) => event.eventId);
    const body = upemail(from, to);
    const parsed = parseDelivery(
      new Map([...new URLSearchParams(body)].map(([name, value]) => [name, [value]])),
    );
    if (!parsed) throw new Error('unparsed');

    // The second transaction (the first slice of the history) fails, as a timeout would.
    let transactions = 0;
    const inFlight: Promise<unknown>[] = [];
    const failing = Object.create(db) as DynamoDBDocumentClient;
    failing.send = ((command: unknown) => {
      if (command instanceof TransactWriteCommand && ++transactions === 2) {
        return Promise.reject(new Error('connection reset'));
      }
      const sent = db.send(command as never);
      inFlight.push(sent);
      return sent;
    }) as DynamoDBDocumentClient['send'];
    const deps = {
      config,
      contacts: createContactsRepository(failing, tableName),
      emailHasher: async () => hasher,
      clock: () => new Date(),
      newId: randomUUID,
    };
    await expect(
      applyWebhook(
        deps,
        parsed,
        (await import('../../shared/domain/mailchimp-webhook.ts')).deliveryId(Buffer.from(body)),
      ),
    ).rejects.toThrow('connection reset');
    await Promise.allSettled(inFlight);
    const newId = hasher.contactId(to);
    expect((await partition(newId)).find((item) => item.sk === 'PROFILE')).toBeDefined();
    expect(await partition(old.contactId)).toContainEqual(
      expect.objectContaining({ sk: 'MOVED', historyUpTo: expect.any(String) }),
    );

    expect((await post(body)).statusCode).toBe(200);
    expect(await partition(old.contactId)).toEqual([
      expect.not.objectContaining({ historyUpTo: expect.anything() }),
    ]);
    const moved = await contacts.readHistory(newId);
    expect(moved.map((event) => event.eventId)).toEqual([...history, expect.any(String)]);
    expect(moved.filter((event) => event.type === 'address_changed')).toHaveLength(1);
  });

  it('withdraws, and never lists, what the new address is suppressed for, and tells MailChimp', async () => {
    const from = uniqueEmail('mc-move-suppressed-from');
    const to = uniqueEmail('mc-move-suppressed-to');
    expect((await post(delivery('unsubscribe', to))).statusCode).toBe(200);
    const old = await subscribed(from);
    const before = await partition(old.contactId);

    expect((await post(upemail(from, to))).statusCode).toBe(200);

    const newId = hasher.contactId(to);
    const moved = await partition(newId);
    const topic = moved.find((item) => item.sk === 'TOPIC#newsletter');
    expect(topic).toMatchObject({ status: 'withdrawn', source: 'suppression', email: to });
    expect(topic).not.toHaveProperty('gsi1pk');
    expect(events(moved).slice(-2)).toEqual([
      expect.objectContaining({ eventType: 'address_changed', topic: '*' }),
      expect.objectContaining({
        eventType: 'withdrawn',
        topic: '*',
        source: 'mailchimp',
        reason: 'mailchimp_upemail:suppressed',
      }),
    ]);
    expect(await listed('newsletter', newId)).toBe(false);

    // The sync has MailChimp unsubscribe the member at its new address, and does nothing for the old one.
    const calls: string[] = [];
    const records = moveRecords(before, moved);
    expect(await syncRecords(syncDeps(recordingAudience(calls)), records)).toEqual({
      batchItemFailures: [],
    });
    expect(calls).toEqual(['unsubscribe']);
  });

  it('sends nothing back to MailChimp for a move it made itself', async () => {
    const from = uniqueEmail('mc-move-echo-from');
    const to = uniqueEmail('mc-move-echo-to');
    const old = await subscribed(from);
    const before = await partition(old.contactId);
    expect((await post(upemail(from, to))).statusCode).toBe(200);
    const moved = await partition(hasher.contactId(to));

    const calls: string[] = [];
    const result = await syncRecords(syncDeps(recordingAudience(calls)), moveRecords(before, moved));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([]);
  });

  it('does not merge onto a live contact: the old one withdraws, the one at the new address is untouched', async () => {
    const from = uniqueEmail('mc-move-onto-from');
    const to = uniqueEmail('mc-move-onto-to');
    const old = await subscribed(from);
    const existing = await subscribed(to);
    const existingBefore = await partition(existing.contactId);

    expect((await post(upemail(from, to))).statusCode).toBe(200);

    expect(await partition(existing.contactId)).toEqual(existingBefore);
    const left = await partition(old.contactId);
    expect(left.find((item) => item.sk === 'PROFILE')).toMatchObject({ email: from });
    expect(left.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({ status: 'withdrawn' });
    expect(left.filter((item) => item.eventType === 'withdrawn')).toEqual([
      expect.objectContaining({ topic: '*', reason: 'mailchimp_upemail:address_in_use' }),
    ]);
    expect(left.some((item) => item.sk === 'MOVED')).toBe(false);
    const { Item } = await db.send(
      new GetCommand({ TableName: tableName, Key: keys.suppression(old.suppressionHash) }),
    );
    expect(Item).toMatchObject({ all: true });
  });

  it('lets a link sent before the move act on the moved contact', async () => {
    const from = uniqueEmail('mc-move-link-from');
    const to = uniqueEmail('mc-move-link-to');
    const old = await subscribed(from);
    expect((await post(upemail(from, to))).statusCode).toBe(200);

    const result = await unsubscribe(
      {
        config,
        contacts,
        emailHasher: async () => hasher,
        linkKeys: async () => parseKeyRing(TEST_KEY_RING),
        clock: () => new Date(),
        newId: randomUUID,
        linkBaseUrl: 'http://localhost:3000',
      },
      { contactId: old.contactId, purpose: 'unsubscribe', epoch: 1, issuedAt: Math.floor(Date.now() / 1000) },
    );
    expect(result).toBe('changed');
    const moved = await partition(hasher.contactId(to));
    expect(moved.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({ status: 'withdrawn' });
    const { Item } = await db.send(
      new GetCommand({ TableName: tableName, Key: keys.suppression(hasher.suppressionHash(to)) }),
    );
    expect(Item).toMatchObject({ all: true, source: 'link' });
  });
});

describe('a profile change', () => {
  it('renames the contact and the copies on its topics, and nothing else', async () => {
    const email = uniqueEmail('mc-profile');
    const { contactId } = await subscribed(email);
    const before = await partition(contactId);
    const body = profileUpdate(email, '  Ada ', 'Lovelace');
    for (let i = 0; i < 2; i++) expect((await post(body)).statusCode).toBe(200);

    const after = await partition(contactId);
    const profileBefore = before.find((item) => item.sk === 'PROFILE') ?? {};
    expect(after.find((item) => item.sk === 'PROFILE')).toEqual({
      ...profileBefore,
      name: 'Ada Lovelace',
      version: Number(profileBefore.version) + 1,
      updatedAt: expect.any(String),
    });
    const topicBefore = before.find((item) => item.sk === 'TOPIC#newsletter') ?? {};
    expect(after.find((item) => item.sk === 'TOPIC#newsletter')).toEqual({
      ...topicBefore,
      name: 'Ada Lovelace',
      source: 'mailchimp',
    });
    expect(events(after)).toEqual(events(before));
  });

  it('changes nothing for an address we hold nothing on', async () => {
    const email = uniqueEmail('mc-profile-unknown');
    const body = profileUpdate(email, 'Ada', 'Lovelace');
    expect((await post(body)).statusCode).toBe(200);
    expect(await partition(hasher.contactId(email))).toEqual([]);
    expect(await deliveryMarked(body)).toBe(false);
  });
});

describe("a subscribe in MailChimp's own signup form", () => {
  const signup = (email: string) =>
    new URLSearchParams({
      type: 'subscribe',
      fired_at: '2026-11-22 10:00:00',
      'data[id]': 'a1b2c3d4e5',
      'data[email]': email,
      'data[email_type]': 'html',
      'data[ip_opt]': '203.0.113.9',
      'data[merges][EMAIL]': email,
      'data[merges][FNAME]': 'Grace',
      'data[merges][LNAME]': 'Hopper',
      'data[list_id]': 'local-list',
    }).toString();

  it('records express consent for the signup topics, honest about the wording, once', async () => {
    const email = uniqueEmail('mc-signup');
    const body = signup(email);
    for (let i = 0; i < 3; i++) expect((await post(body)).statusCode).toBe(200);

    const items = await partition(hasher.contactId(email));
    expect(items.find((item) => item.sk === 'PROFILE')).toMatchObject({
      email,
      name: 'Grace Hopper',
      source: 'mailchimp',
    });
    expect(items.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({
      status: 'consent',
      statementVersion: 'mailchimp-signup-form',
      source: 'mailchimp',
    });
    expect(items.some((item) => item.sk === 'TOPIC#offers')).toBe(false);
    expect(events(items)).toEqual([
      expect.objectContaining({
        eventType: 'consent_given',
        topic: 'newsletter',
        source: 'mailchimp',
        method: 'mailchimp_form',
        statementVersion: 'mailchimp-signup-form',
        statementHash: statementHash(MAILCHIMP_SIGNUP_STATEMENT.text),
      }),
    ]);
    const { Item } = await db.send(
      new GetCommand({
        TableName: tableName,
        Key: keys.statement(statementHash(MAILCHIMP_SIGNUP_STATEMENT.text)),
      }),
    );
    expect(Item).toMatchObject({ text: MAILCHIMP_SIGNUP_STATEMENT.text });

    // MailChimp has the member already: the sync sends nothing back.
    const calls: string[] = [];
    await syncRecords(syncDeps(recordingAudience(calls)), moveRecords([], items));
    expect(calls).toEqual([]);
  });

  it('records nothing for a suppressed address', async () => {
    const email = uniqueEmail('mc-signup-suppressed');
    expect((await post(delivery('cleaned', email, { 'data[reason]': 'hard' }))).statusCode).toBe(200);
    expect((await post(signup(email))).statusCode).toBe(200);
    expect(await partition(hasher.contactId(email))).toEqual([]);
  });
});
