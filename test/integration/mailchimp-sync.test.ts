/**
 * The stream -> MailChimp sync against DynamoDB Local and the MailChimp emulator (driven through the
 * official client on an ephemeral port), with stream records shaped as Lambda delivers them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { preferencesMergeField } from '../../infra/commands/mailchimp-setup.ts';
import { DEFAULT_EMULATOR_LIST_ID, mailchimpEmulatorService } from '../../local/mailchimp-emulator/index.ts';
import { createRequestListener } from '../../local/server.ts';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { decodeContactChanges } from '../../shared/adapters/dynamodb/stream-records.ts';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import { createMailchimpAudience } from '../../shared/adapters/mailchimp/index.ts';
import { ALL_TOPICS } from '../../shared/domain/consent.ts';
import { decideChange } from '../../shared/domain/contact-change.ts';
import { decideEmailChange } from '../../shared/domain/contact-move.ts';
import { toEpochSeconds } from '../../shared/domain/retention.ts';
import { parseKeyRing, verifyToken } from '../../shared/domain/tokens.ts';
import { type MailchimpSyncDeps, syncStreamBatch } from '../../shared/use-cases/mailchimp-sync.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { exampleConfig, runtimeConfig, TEST_KEY_RING } from '../support/config.ts';
import { contactItems, documentClient, fields, intakeHarness, uniqueEmail } from '../support/intake.ts';
import { listenOnEphemeralPort } from '../support/servers.ts';

/** The sync as its function runs it: the stream records decoded, then synced. */
const syncRecords = (deps: MailchimpSyncDeps, records: readonly DynamoDBRecord[]) =>
  syncStreamBatch(deps, decodeContactChanges(records));

const db = documentClient(inject('dynamoDbEndpoint'));
const tableName = inject('tableName');
const API_KEY = 'integration-emulator-key-us1';
const TTL_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };
const ring = parseKeyRing(TEST_KEY_RING);
const LINK_BASE = 'https://consent.example.co.uk';
const MERGE_TAG = 'PREFSURL';

/** The contact form giving consent at once, so people are mailable straight after the intake. */
const config = runtimeConfig({
  forms: runtimeConfig().forms.map((form) =>
    form.marketing.mode === 'consent'
      ? { ...form, marketing: { ...form.marketing, confirmation: 'none' } }
      : form,
  ),
});

const service = mailchimpEmulatorService({ apiKey: API_KEY });
const { emulator } = service;
/** Every API call the emulator received, as `METHOD /path`. */
const calls: string[] = [];
let server: Server;

const harness = intakeHarness(db, tableName, config);
let deps: MailchimpSyncDeps;
let audience: ReturnType<typeof createMailchimpAudience>;
let sequence = 0;

beforeAll(async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  const listener = createRequestListener({
    routes: [],
    functions: {},
    services: [service],
    allowedOrigins: [],
  });
  server = createServer((request, response) => {
    if (request.url?.startsWith('/mailchimp/')) calls.push(`${request.method} ${request.url.split('?')[0]}`);
    listener(request, response);
  });
  const base = await listenOnEphemeralPort(server);
  await service.start?.({
    dynamoDb: { endpoint: inject('dynamoDbEndpoint'), tableName },
    clock: { now: () => harness.clock.now },
    config: exampleConfig,
    baseUrl: base,
  });
  audience = createMailchimpAudience({
    apiKey: API_KEY,
    server: 'us1',
    listId: DEFAULT_EMULATOR_LIST_ID,
    basePath: service.apiBaseUrl,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  deps = {
    config,
    contacts: createContactsRepository(db, tableName),
    audience,
    emailHasher: harness.deps.emailHasher,
    clock: () => harness.clock.now,
    newId: randomUUID,
    memberLinks: { mergeTag: MERGE_TAG, baseUrl: LINK_BASE, ring: async () => ring },
  };
});

beforeEach(async () => {
  emulator.reset();
  // As `npm run mailchimp:setup` leaves the audience.
  await audience.createMergeField(preferencesMergeField(MERGE_TAG));
  calls.length = 0;
});

afterAll(async () => {
  await service.stop?.();
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
  db.destroy();
  vi.restoreAllMocks();
});

function post(record: Record<string, string | string[]>) {
  return submitEnquiry(harness.deps, {
    fields: fields(record),
    method: 'html_form',
    page: 'https://www.example.co.uk/contact',
    baseUrl: 'http://localhost:3000',
  });
}

/** A flat item as a stream image: strings and numbers are all the sync reads. */
function image(item: Record<string, unknown>): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(item)) {
    if (typeof value === 'string') attributes[name] = { S: value };
    else if (typeof value === 'number') attributes[name] = { N: String(value) };
    else if (typeof value === 'boolean') attributes[name] = { BOOL: value };
  }
  return attributes;
}

function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  item: Record<string, unknown>,
  extra: Partial<DynamoDBRecord> = {},
): DynamoDBRecord {
  sequence++;
  const attributes = image(item);
  return {
    eventID: `event-${sequence}`,
    eventName,
    eventSource: 'aws:dynamodb',
    eventVersion: '1.1',
    awsRegion: 'eu-west-2',
    dynamodb: {
      Keys: { pk: attributes.pk ?? { S: '' }, sk: attributes.sk ?? { S: '' } },
      SequenceNumber: String(sequence).padStart(21, '0'),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...(eventName === 'REMOVE' ? { OldImage: attributes } : { NewImage: attributes }),
    },
    ...extra,
  };
}

/** A MODIFY with both images, as the table's NEW_AND_OLD_IMAGES stream carries it. */
function modifyRecord(before: Record<string, unknown>, after: Record<string, unknown>): DynamoDBRecord {
  const record = streamRecord('MODIFY', after);
  return { ...record, dynamodb: { ...record.dynamodb, OldImage: image(before) } };
}

/** Moves the shared clock on, so what happens next is later than what happened before. */
function advance(ms: number) {
  harness.clock.now = new Date(harness.clock.now.getTime() + ms);
}

const partition = (contactId: string) => contactItems(db, tableName, contactId);

/** The records the stream would carry for the contact's current items, as if each was just written. */
async function recordsOf(contactId: string, eventName: 'INSERT' | 'MODIFY' = 'MODIFY') {
  return (await partition(contactId)).map((item) => streamRecord(eventName, item));
}

function member(email: string) {
  return emulator.listMembers().find((entry) => entry.email_address === email);
}

function activeTags(email: string) {
  return (member(email)?.tags ?? []).map((tag) => tag.name).sort();
}

async function consentingContact(label: string) {
  const email = uniqueEmail(label);
  await post({
    form: 'contact',
    name: 'Ada',
    email,
    message: 'Hello',
    marketing_consent: 'on',
    topics: 'newsletter',
  });
  return { email, contactId: harness.hasher.contactId(email) };
}

/** A withdrawal from everything, as the unsubscribe link records it. */
async function withdrawEverything(contactId: string, email: string) {
  const contacts = createContactsRepository(db, tableName);
  const now = harness.clock.now;
  const state = await contacts.readContact(contactId, now);
  const suppressionHash = harness.hasher.suppressionHash(email);
  const snapshot = { ...state.snapshot, suppression: await contacts.readSuppression(suppressionHash) };
  const change = decideChange(snapshot, [{ type: 'withdrawn', topic: ALL_TOPICS }], {
    now,
    retention: config.retention,
    allTopics: config.topics.map((topic) => topic.id),
    source: 'link',
    actor: 'link',
    newEventId: randomUUID,
  });
  await contacts.write({
    contact: { now, contactId, suppressionHash, snapshot, change, source: 'link' },
  });
}

/**
 * Moves the contact to `newEmail` as a rectification (`staff`) or MailChimp's `upemail` (`mailchimp`)
 * does, and answers the records the stream carries for it: the old profile's removal, then the new items.
 */
async function moveTo(from: { email: string; contactId: string }, newEmail: string, source: string) {
  const contacts = createContactsRepository(db, tableName);
  const now = harness.clock.now;
  const { hasher } = harness;
  const to = { contactId: hasher.contactId(newEmail), suppressionHash: hasher.suppressionHash(newEmail) };
  const oldProfile = (await partition(from.contactId)).find((item) => item.sk === 'PROFILE') ?? {};
  const fromState = await contacts.readContact(from.contactId, now);
  const toSuppression = await contacts.readSuppression(to.suppressionHash);
  const decision = decideEmailChange(
    {
      ...fromState.snapshot,
      suppression: await contacts.readSuppression(hasher.suppressionHash(from.email)),
    },
    { ...(await contacts.readContact(to.contactId, now)).snapshot, suppression: toSuppression },
    { now, retention: config.retention, reason: 'moved:suppressed', newEventId: randomUUID },
  );
  if (decision.kind !== 'move') throw new Error(`Expected a move, got ${decision.kind}`);
  await contacts.moveContact({
    now,
    from: { contactId: from.contactId, version: fromState.snapshot.contact?.version ?? 0 },
    to: { ...to, email: newEmail, suppression: toSuppression },
    plan: decision.plan,
    source,
    withdrawalSource: 'suppression',
    reason: 'moved',
    forwardUntil: toEpochSeconds(now) + 3600,
  });
  return [streamRecord('REMOVE', oldProfile), ...(await recordsOf(to.contactId, 'INSERT'))];
}

describe('MailChimp sync of address moves', () => {
  it('moves the member to the corrected address, keeping it one member', async () => {
    const person = await consentingContact('sync-move');
    await syncRecords(deps, await recordsOf(person.contactId, 'INSERT'));
    const corrected = uniqueEmail('sync-moved');

    const result = await syncRecords(deps, await moveTo(person, corrected, 'staff'));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(member(person.email)).toBeUndefined();
    expect(member(corrected)).toMatchObject({ status: 'subscribed' });
    expect(activeTags(corrected)).toEqual(['topic:newsletter']);
  });

  it('archives the old member and keeps the new one when MailChimp refuses the move', async () => {
    const person = await consentingContact('sync-move-refused');
    await syncRecords(deps, await recordsOf(person.contactId, 'INSERT'));
    const corrected = uniqueEmail('sync-moved-refused');
    // The corrected address is already in the audience, unsubscribed: the move cannot make it mailable.
    await audience.upsertMember(corrected, { statusIfNew: 'unsubscribed' });

    const result = await syncRecords(deps, await moveTo(person, corrected, 'staff'));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(member(person.email)).toMatchObject({ status: 'archived' });
    expect(member(corrected)).toMatchObject({ status: 'unsubscribed' });
  });

  it("does not echo MailChimp's own address change", async () => {
    const person = await consentingContact('sync-upemail');
    await syncRecords(deps, await recordsOf(person.contactId, 'INSERT'));
    const changed = uniqueEmail('sync-upemailed');
    await emulator.changeEmail(person.email, changed);
    calls.length = 0;

    const result = await syncRecords(deps, await moveTo(person, changed, 'mailchimp'));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([]);
    expect(member(changed)).toMatchObject({ status: 'subscribed' });
  });
});

describe('MailChimp sync from the stream', () => {
  it('subscribes a consenting person with their topic tag', async () => {
    const { email, contactId } = await consentingContact('sync-consent');

    const result = await syncRecords(deps, await recordsOf(contactId, 'INSERT'));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(member(email)).toMatchObject({ status: 'subscribed' });
    expect(activeTags(email)).toEqual(['topic:newsletter']);
  });

  it('subscribes a soft opt-in person and tags them so campaigns offer the opt-out', async () => {
    const email = uniqueEmail('sync-soft');
    await post({ form: 'quote', name: 'Grace', email, message: 'A quote please' });
    const contactId = harness.hasher.contactId(email);
    expect((await partition(contactId)).find((item) => item.sk === 'TOPIC#offers')).toMatchObject({
      status: 'soft_opt_in',
    });

    await syncRecords(deps, await recordsOf(contactId, 'INSERT'));

    expect(member(email)).toMatchObject({ status: 'subscribed' });
    expect(activeTags(email)).toEqual(['soft-opt-in', 'topic:offers']);
  });

  it('unsubscribes a person who withdrew here', async () => {
    const { email, contactId } = await consentingContact('sync-withdraw');
    await syncRecords(deps, await recordsOf(contactId, 'INSERT'));

    await withdrawEverything(contactId, email);
    calls.length = 0;
    await syncRecords(deps, await recordsOf(contactId));

    expect(member(email)).toMatchObject({ status: 'unsubscribed' });
    // One read of the contact and one call, however many of its records the batch carried.
    expect(calls).toEqual([expect.stringMatching(/^PATCH \/mailchimp\/3\.0\/lists\/local-list\/members\//)]);
  });

  it('archives the member when DynamoDB TTL deletes the profile, and not for any other removal', async () => {
    const { email, contactId } = await consentingContact('sync-ttl');
    await syncRecords(deps, await recordsOf(contactId, 'INSERT'));
    const profile = { ...keys.contact(contactId), email };

    await syncRecords(deps, [streamRecord('REMOVE', profile)]);
    expect(member(email)).toMatchObject({ status: 'subscribed' });

    await syncRecords(deps, [streamRecord('REMOVE', profile, { userIdentity: TTL_IDENTITY })]);
    expect(member(email)).toMatchObject({ status: 'archived' });
  });

  it("never echoes MailChimp's own changes back to it", async () => {
    const { contactId } = await consentingContact('sync-echo');
    const topic = (await partition(contactId)).find((item) => item.sk === 'TOPIC#newsletter') ?? {};

    const result = await syncRecords(deps, [
      streamRecord('MODIFY', { ...topic, status: 'withdrawn', source: 'mailchimp' }),
      streamRecord('INSERT', { pk: keys.contact(contactId).pk, sk: 'EVENT#x', source: 'mailchimp' }),
    ]);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([]);
  });

  it('converges on the same MailChimp state when a batch is delivered twice', async () => {
    const first = await consentingContact('sync-twice-a');
    const second = await consentingContact('sync-twice-b');
    await withdrawEverything(second.contactId, second.email);
    const batch = [...(await recordsOf(first.contactId)), ...(await recordsOf(second.contactId))];

    await syncRecords(deps, batch);
    const afterFirst = emulator.listMembers();
    const callsFirst = calls.splice(0);
    await syncRecords(deps, batch);

    expect(emulator.listMembers()).toEqual(afterFirst);
    expect(calls.sort()).toEqual(callsFirst.sort());
    expect(member(first.email)).toMatchObject({ status: 'subscribed' });
    // Never in MailChimp, so nothing to unsubscribe: the adapter takes "not found" as done.
    expect(member(second.email)).toBeUndefined();
  });

  it("absorbs MailChimp's brief 503s with the adapter's retries", async () => {
    const { email, contactId } = await consentingContact('sync-503-brief');
    emulator.injectFault('503', 2);

    const result = await syncRecords(deps, await recordsOf(contactId, 'INSERT'));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(member(email)).toMatchObject({ status: 'subscribed' });
  });

  it('hands back the records of a contact MailChimp cannot take yet, and a later delivery applies them', async () => {
    const failing = await consentingContact('sync-503-long');
    const fine = await consentingContact('sync-503-other');
    const failingRecords = await recordsOf(failing.contactId, 'INSERT');
    await syncRecords(deps, await recordsOf(fine.contactId, 'INSERT'));
    emulator.injectFault('503', 3);

    const result = await syncRecords(deps, failingRecords);

    expect(result.batchItemFailures).toEqual(
      failingRecords.map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber })),
    );
    expect(member(failing.email)).toBeUndefined();

    expect(await syncRecords(deps, failingRecords)).toEqual({ batchItemFailures: [] });
    expect(member(failing.email)).toMatchObject({ status: 'subscribed' });
  });

  it('withdraws and suppresses here someone who unsubscribed in MailChimp after consenting here, once, without retrying', async () => {
    const { email, contactId } = await consentingContact('sync-compliance');
    await syncRecords(deps, await recordsOf(contactId, 'INSERT'));
    advance(60_000);
    // Unsubscribed in MailChimp; the webhook never reached us. A sales enquiry then grants a soft opt-in,
    // which never re-subscribes anyone.
    await emulator.unsubscribe(email);
    advance(60_000);
    await post({ form: 'quote', name: 'Ada', email, message: 'A quote please' });
    calls.length = 0;

    const result = await syncRecords(deps, await recordsOf(contactId));

    expect(result).toEqual({ batchItemFailures: [] });
    const items = await partition(contactId);
    expect(items.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({
      status: 'withdrawn',
      source: 'mailchimp',
    });
    expect(items.find((item) => item.sk === 'TOPIC#offers')).toMatchObject({ status: 'withdrawn' });
    expect(items.filter((item) => item.reason === 'mailchimp_compliance_state')).toHaveLength(1);
    const suppression = await db.send(
      new GetCommand({ TableName: tableName, Key: keys.suppression(harness.hasher.suppressionHash(email)) }),
    );
    expect(suppression.Item).toMatchObject({ all: true, reason: 'mailchimp_compliance_state' });
    expect(member(email)).toMatchObject({ status: 'unsubscribed' });
    expect(calls.filter((call) => call.startsWith('PUT'))).toEqual([]);

    // What that withdrawal wrote comes back through the stream: it is not sent to MailChimp.
    calls.length = 0;
    const echo = (await partition(contactId)).filter((item) => item.source === 'mailchimp');
    await syncRecords(
      deps,
      echo.map((item) => streamRecord('MODIFY', item)),
    );
    expect(calls).toEqual([]);
  });

  it('re-subscribes as pending, never as subscribed, someone who consents here again after unsubscribing in MailChimp', async () => {
    const { email, contactId } = await consentingContact('sync-resubscribe');
    await syncRecords(deps, await recordsOf(contactId, 'INSERT'));
    advance(60_000);
    await emulator.unsubscribe(email);
    advance(60_000);
    await post({ form: 'contact', name: 'Ada', email, message: 'Again', marketing_consent: 'on' });

    const result = await syncRecords(deps, await recordsOf(contactId));

    expect(result).toEqual({ batchItemFailures: [] });
    // MailChimp emails its own confirmation and mails the person once they confirm.
    expect(member(email)).toMatchObject({ status: 'pending' });
    expect(activeTags(email)).toEqual(['topic:newsletter']);
    const items = await partition(contactId);
    expect(items.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({ status: 'consent' });
    expect(items.filter((item) => item.reason === 'mailchimp_compliance_state')).toEqual([]);

    // Delivered again, the member stays pending: MailChimp's confirmation is not asked for twice.
    await syncRecords(deps, await recordsOf(contactId));
    expect(member(email)).toMatchObject({ status: 'pending' });
  });

  it('withdraws here an unsubscribe in MailChimp made in the same second as the consent: the refusal wins', async () => {
    const { email, contactId } = await consentingContact('sync-same-second');
    await syncRecords(deps, await recordsOf(contactId, 'INSERT'));
    await emulator.unsubscribe(email);
    await post({ form: 'contact', name: 'Ada', email, message: 'Again', marketing_consent: 'on' });

    await syncRecords(deps, await recordsOf(contactId));

    expect((await partition(contactId)).find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({
      status: 'withdrawn',
    });
    expect(member(email)).toMatchObject({ status: 'unsubscribed' });
  });

  it('never undoes a consent given again moments after an unsubscribe of ours that MailChimp has just taken', async () => {
    const { email, contactId } = await consentingContact('sync-race');
    await syncRecords(deps, await recordsOf(contactId, 'INSERT'));
    advance(60_000);
    // Unsubscribed here at hh:mm:46.289, which the sync passes on to MailChimp (its time counts whole seconds)…
    harness.clock.now = new Date(Math.floor(harness.clock.now.getTime() / 1000) * 1000 + 289);
    await withdrawEverything(contactId, email);
    await syncRecords(deps, await recordsOf(contactId));
    expect(member(email)).toMatchObject({ status: 'unsubscribed' });
    // …consent given again at 46.575, and the sync acts on it at 46.641.
    advance(286);
    await post({ form: 'contact', name: 'Ada', email, message: 'Again', marketing_consent: 'on' });
    advance(66);

    await syncRecords(deps, await recordsOf(contactId));

    const items = await partition(contactId);
    expect(items.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({ status: 'consent' });
    expect(items.filter((item) => item.reason === 'mailchimp_compliance_state')).toEqual([]);
    // MailChimp takes an unsubscribed member back only through its own confirmation email.
    expect(member(email)).toMatchObject({ status: 'pending' });
  });

  it('withdraws here someone MailChimp has permanently forgotten', async () => {
    const { email, contactId } = await consentingContact('sync-forgotten');
    await syncRecords(deps, await recordsOf(contactId, 'INSERT'));
    await deps.audience.forget(email);

    const result = await syncRecords(deps, await recordsOf(contactId));

    expect(result).toEqual({ batchItemFailures: [] });
    const items = await partition(contactId);
    expect(items.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({ status: 'withdrawn' });
    expect(items.filter((item) => item.reason === 'mailchimp_forgotten')).toHaveLength(1);
  });

  it('gives each member their signed preferences link, the same on every delivery of the same state', async () => {
    const { email, contactId } = await consentingContact('sync-prefs-link');
    const records = await recordsOf(contactId, 'INSERT');

    await syncRecords(deps, records);
    const link = String(member(email)?.merge_fields[MERGE_TAG]);
    const url = new URL(link);
    expect(`${url.origin}${url.pathname}`).toBe(`${LINK_BASE}/preferences`);
    const check = verifyToken(ring, url.searchParams.get('token'), 'preferences', harness.clock.now);
    expect(check).toMatchObject({ ok: true, claims: { contactId, purpose: 'preferences', epoch: 1 } });

    advance(3_600_000);
    await syncRecords(deps, records);
    expect(member(email)?.merge_fields[MERGE_TAG]).toBe(link);
  });

  it('archives the member while the contact is restricted, and subscribes it again when that is lifted', async () => {
    const { email, contactId } = await consentingContact('sync-restricted');
    await syncRecords(deps, await recordsOf(contactId, 'INSERT'));
    const contacts = createContactsRepository(db, tableName);
    const profileOf = async () => (await partition(contactId)).find((item) => item.sk === 'PROFILE') ?? {};

    const unrestricted = await profileOf();
    expect(await contacts.setRestriction(contactId, true, harness.clock.now)).toBe(true);
    const restricted = await profileOf();
    await syncRecords(deps, [modifyRecord(unrestricted, restricted)]);
    expect(member(email)).toMatchObject({ status: 'archived' });

    // Any other change while restricted leaves the member archived.
    await syncRecords(deps, await recordsOf(contactId));
    expect(member(email)).toMatchObject({ status: 'archived' });

    expect(await contacts.setRestriction(contactId, false, harness.clock.now)).toBe(true);
    await syncRecords(deps, [modifyRecord(restricted, await profileOf())]);
    expect(member(email)).toMatchObject({ status: 'subscribed' });
    expect(activeTags(email)).toEqual(['topic:newsletter']);
  });

  it('brings an archived member back as subscribed when the person is mailable here', async () => {
    const { email, contactId } = await consentingContact('sync-unarchive');
    await syncRecords(deps, await recordsOf(contactId, 'INSERT'));
    await syncRecords(deps, [
      streamRecord('REMOVE', { ...keys.contact(contactId), email }, { userIdentity: TTL_IDENTITY }),
    ]);
    expect(member(email)).toMatchObject({ status: 'archived' });

    await syncRecords(deps, await recordsOf(contactId));

    expect(member(email)).toMatchObject({ status: 'subscribed' });
  });

  it('forgets the member when the profile is marked erased, whatever else the batch carries', async () => {
    const { email, contactId } = await consentingContact('sync-erased');
    await syncRecords(deps, await recordsOf(contactId, 'INSERT'));
    const items = await partition(contactId);
    const profile = items.find((item) => item.sk === 'PROFILE') ?? {};
    const erasedAt = harness.clock.now.toISOString();
    calls.length = 0;

    const result = await syncRecords(deps, [
      modifyRecord(profile, { ...profile, erasedAt }),
      ...items.filter((item) => item.sk !== 'PROFILE').map((item) => streamRecord('REMOVE', item)),
    ]);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([
      expect.stringMatching(
        /^POST \/mailchimp\/3\.0\/lists\/local-list\/members\/\w+\/actions\/delete-permanent$/,
      ),
    ]);
    expect(member(email)).toBeUndefined();

    // The profile's own deletion comes next: forgetting again is harmless.
    const removal = await syncRecords(deps, [streamRecord('REMOVE', { ...profile, erasedAt })]);
    expect(removal).toEqual({ batchItemFailures: [] });
    expect(calls).toHaveLength(2);
  });

  it('forgets on the removal of an erased profile, but only archives when DynamoDB TTL removes it', async () => {
    const first = await consentingContact('sync-erased-remove');
    const second = await consentingContact('sync-erased-ttl');
    await syncRecords(deps, [
      ...(await recordsOf(first.contactId, 'INSERT')),
      ...(await recordsOf(second.contactId, 'INSERT')),
    ]);
    const erasedAt = harness.clock.now.toISOString();
    const erased = (contactId: string, email: string) => ({ ...keys.contact(contactId), email, erasedAt });

    await syncRecords(deps, [
      streamRecord('REMOVE', erased(first.contactId, first.email)),
      streamRecord('REMOVE', erased(second.contactId, second.email), { userIdentity: TTL_IDENTITY }),
    ]);

    expect(member(first.email)).toBeUndefined();
    expect(member(second.email)).toMatchObject({ status: 'archived' });
  });
});
