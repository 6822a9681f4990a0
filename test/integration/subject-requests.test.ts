/**
 * The data-subject rights against DynamoDB Local: each right carried out through the register's use
 * cases with the real adapters, and what the table holds afterwards (scanned, not assumed).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createTable, LOCAL_AWS } from '../../local/dynamodb.ts';
import { seedPeople } from '../../local/seed-people.ts';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { createPersonalDataStore } from '../../shared/adapters/dynamodb/personal-data.ts';
import { createRelationshipStore } from '../../shared/adapters/dynamodb/relationships.ts';
import { createStaffReads } from '../../shared/adapters/dynamodb/staff-reads.ts';
import { signedPageCursors } from '../../shared/adapters/page-cursors.ts';
import { createEmailHasher } from '../../shared/domain/hashing.ts';
import { parseKeyRing } from '../../shared/domain/tokens.ts';
import { lookUpPerson } from '../../shared/use-cases/people-lookup.ts';
import type { StaffRequest } from '../../shared/use-cases/staff-api.ts';
import {
  actOnSubjectRequest,
  checkVerificationLink,
  listSubjectRequests,
  type RightsDeps,
  readRequestExport,
  readSubjectRequest,
  receiveSubjectRequest,
  verifyByLink,
} from '../../shared/use-cases/subject-requests.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { runtimeConfig, TEST_HASH_KEY, TEST_KEY_RING } from '../support/config.ts';
import {
  contactItems,
  documentClient,
  fields,
  intakeHarness,
  scanAll,
  sendingAtOnce,
  uniqueEmail,
} from '../support/intake.ts';

const NOW = new Date('2026-11-23T10:00:00Z');
const BASE_URL = 'https://api.example.co.uk/v1';
const endpoint = inject('dynamoDbEndpoint');
const tableName = `${inject('tableName')}Rights`;
const db = documentClient(endpoint);
const hasher = createEmailHasher(TEST_HASH_KEY);
const ring = parseKeyRing(TEST_KEY_RING);
const queued = sendingAtOnce(db, tableName, runtimeConfig(), () => new Date());
const { sent } = queued;

const deps: RightsDeps = {
  config: runtimeConfig(),
  mailchimpInUse: true,
  register: queued.register,
  personalData: createPersonalDataStore(db, tableName),
  relationships: createRelationshipStore(db, tableName),
  contacts: createContactsRepository(db, tableName),
  reads: createStaffReads(db, tableName),
  emailHasher: async () => hasher,
  linkKeys: async () => ring,
  cursors: signedPageCursors(async () => ring),
  mailQueue: queued.mailQueue,
  clock: () => new Date(),
  newId: randomUUID,
};

const privacy: StaffRequest = {
  identity: { subject: 'staff-sub-1', username: 'morgan', groups: ['privacy'] },
  method: 'POST',
  route: '/subject-requests',
  requestId: undefined,
  format: 'json',
};

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  try {
    await createTable(client, tableName);
  } finally {
    client.destroy();
  }
});

afterAll(() => {
  vi.useRealTimers();
});

/**
 * An enquiry through the real intake: `contact` asks for express consent, `quote` is soft opt-in. Its
 * emails are sent at once, unless `unsent` leaves them waiting for the mailer.
 */
async function submit(
  form: 'contact' | 'quote',
  email: string,
  extra: Record<string, string> = {},
  unsent = false,
) {
  const harness = intakeHarness(db, tableName);
  harness.clock.now = new Date();
  const intake = unsent
    ? { ...harness.deps, contacts: createContactsRepository(db, tableName) }
    : harness.deps;
  return submitEnquiry(intake, {
    fields: fields({
      form,
      name: 'Robin Rights',
      email,
      phone: '01632 960000',
      message: 'hello',
      ...(form === 'contact' ? { marketing_consent: 'yes' } : {}),
      ...extra,
    }),
    method: 'html_form',
    page: 'https://www.example.co.uk/contact',
    baseUrl: BASE_URL,
  });
}

async function enquire(form: 'contact' | 'quote', email: string, extra: Record<string, string> = {}) {
  await submit(form, email, extra);
  return hasher.contactId(email);
}

const verified = { verified: true, method: 'called back on the number we hold' };

describe('access', () => {
  it('is carried out at once when identity is verified: the bundle holds the statement text', async () => {
    const email = uniqueEmail('access');
    await enquire('contact', email);
    await enquire('quote', email);
    const request = await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'access', email, channel: 'email', identity: verified },
      BASE_URL,
    );
    expect(request).toMatchObject({ type: 'access', status: 'completed', dueAt: '2026-12-23' });
    expect(request.result).toMatchObject({ export: `/subject-requests/${request.id}/export`, enquiries: 2 });
    const bundle = JSON.parse(await readRequestExport(deps, privacy, request.id));
    expect(bundle.schema).toBe('consent-desk/access-bundle/v1');
    expect(bundle.subject).toEqual({ email, name: 'Robin Rights' });
    expect(bundle.enquiries).toHaveLength(2);
    const form = runtimeConfig().forms.find((candidate) => candidate.id === 'contact');
    const statement = form?.marketing.mode === 'consent' ? form.marketing.statement.text : 'no statement';
    expect(bundle.consentHistory.map((event: { statementText?: string }) => event.statementText)).toContain(
      statement,
    );
    expect(bundle.recipients.map((recipient: { name: string }) => recipient.name)).toContain(
      'Intuit Mailchimp',
    );
  });
});

describe('erasure', () => {
  it('leaves no item holding the address or the contact id but the suppression hash, the register and audit', async () => {
    const email = uniqueEmail('erasure');
    const contactId = await enquire('contact', email);
    await enquire('quote', email);
    const suppressionHash = hasher.suppressionHash(email);
    const request = await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'erasure', email, channel: 'mailchimp', identity: verified },
      BASE_URL,
    );
    expect(request.status).toBe('completed');
    expect(request.email).toBeNull();
    expect(request.result).toMatchObject({
      receipt: {
        requestId: request.id,
        deleted: { contact: 1, topics: 2, enquiries: 2 },
        mailchimp: 'pending',
        suppressed: true,
      },
    });
    const leftovers = (await scanAll(db, tableName)).filter((item) => {
      const text = JSON.stringify(item);
      return text.includes(email) || text.includes(contactId) || text.includes(suppressionHash);
    });
    // The audit entry of the request's receipt names the contact id, as every staff read does.
    expect(leftovers.map((item) => item.type).sort()).toEqual(['audit', 'suppression']);
    expect(leftovers.find((item) => item.type === 'suppression')).toMatchObject({
      all: true,
      reason: 'erasure',
    });
    // The register entry names nobody once the data is gone.
    const stored = await readSubjectRequest(deps, privacy, request.id);
    expect(JSON.stringify(stored)).not.toContain(email);
  });

  it('after an address correction and with mail unsent, nothing but the suppression and audit names the person', async () => {
    const oldEmail = uniqueEmail('erasure-old');
    const oldId = await enquire('quote', oldEmail);
    const email = uniqueEmail('erasure-new');
    const rectification = await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'rectification', email: oldEmail, channel: 'post', identity: verified, changes: { email } },
      BASE_URL,
    );
    const contactId = hasher.contactId(email);
    // Links sent to the old address forward to the new one.
    expect(await deps.contacts.currentContactId(oldId, new Date())).toBe(contactId);
    // An enquiry whose staff notification and confirmation are still waiting for the mailer.
    await submit('contact', email, { message: 'please call me' }, true);
    const waiting = (await scanAll(db, tableName)).filter((item) => item.type === 'outbox');
    expect(waiting.some((item) => JSON.stringify(item).includes(email))).toBe(true);

    const erasure = await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'erasure', email, channel: 'email', identity: verified },
      BASE_URL,
    );
    expect(erasure.result).toMatchObject({
      receipt: { deleted: { contact: 1, enquiries: 2, movedLinks: 1, unsentEmails: 2 } },
    });
    const names = [email, oldEmail, contactId, oldId, hasher.suppressionHash(oldEmail)];
    const suppressionHash = hasher.suppressionHash(email);
    const leftovers = (await scanAll(db, tableName)).filter((item) => {
      const text = JSON.stringify(item);
      return [...names, suppressionHash].some((name) => text.includes(name));
    });
    const kept = leftovers.map((item) =>
      item.type === 'subject_request' ? `request ${String(item.pk)}` : String(item.type),
    );
    // The register keeps the entry of the correction it carried out, but it names nobody now, as the
    // erasure's own does not; the audit entries name contact ids, as every staff read does.
    expect(new Set(kept)).toEqual(new Set(['audit', 'suppression']));
    const corrected = await readSubjectRequest(deps, privacy, rectification.id);
    expect(corrected).toMatchObject({ type: 'rectification', status: 'completed', email: null });
    const suppression = leftovers.filter((item) => item.type === 'suppression');
    expect(suppression).toEqual([expect.objectContaining({ pk: `SUPPRESSION#${suppressionHash}` })]);
  });

  it('an identical enquiry minutes after an erasure is a new enquiry, not the erased one', async () => {
    const email = uniqueEmail('erased-repeat');
    const first = await submit('quote', email);
    expect((await submit('quote', email)).id).toBe(first.id);
    await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'erasure', email, channel: 'email', identity: verified },
      BASE_URL,
    );
    const again = await submit('quote', email);
    expect(again.id).not.toBe(first.id);
    expect(await lookUpPerson(deps, privacy, { email })).toMatchObject({ enquiries: 1 });
  });

  it("finds and erases the enquiries of imported (seeded) people, as it does the intake's", async () => {
    const seed = Math.floor(Math.random() * 1_000_000_000);
    const people = [...seedPeople({ seed, now: new Date(), config: runtimeConfig(), hasher }, 0, 20)];
    await deps.contacts.importNew({
      contacts: people.flatMap((person) => (person.contact ? [person.contact] : [])),
      enquiries: people.flatMap((person) => person.enquiries),
    });
    const person = people.find((candidate) => candidate.contact && candidate.enquiries.length > 0);
    const email = person?.contact?.email;
    if (!person || !email) throw new Error('the seed made nobody with enquiries');
    expect(await lookUpPerson(deps, privacy, { email })).toMatchObject({
      enquiries: person.enquiries.length,
    });
    const erasure = await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'erasure', email, channel: 'email', identity: verified },
      BASE_URL,
    );
    expect(erasure.result).toMatchObject({ receipt: { deleted: { enquiries: person.enquiries.length } } });
    const left = (await scanAll(db, tableName)).filter((item) =>
      person.enquiries.some((enquiry) => item.pk === `ENQUIRY#${enquiry.enquiryId}`),
    );
    expect(left).toEqual([]);
  });

  it('a later soft opt-in enquiry from the erased address does not add it back', async () => {
    const email = uniqueEmail('erased-again');
    const contactId = await enquire('quote', email);
    await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'erasure', email, channel: 'phone', identity: verified },
      BASE_URL,
    );
    // A new enquiry (another message: the same one within minutes would be answered as a repeat).
    await enquire('quote', email, { message: 'a new quote, please' });
    const items = await contactItems(db, tableName, contactId);
    expect(items.map((item) => item.type)).toEqual(['enquiry_ref']);
  });
});

describe('rectification', () => {
  it('moves the contact to a corrected address with its consent history, and corrects the enquiries', async () => {
    const email = uniqueEmail('rectify');
    const contactId = await enquire('quote', email, { company: 'Wrong Ltd' });
    const before = (await contactItems(db, tableName, contactId)).filter(
      (item) => item.type === 'consent_event',
    );
    const corrected = uniqueEmail('rectified');
    const request = await receiveSubjectRequest(
      deps,
      privacy,
      {
        type: 'rectification',
        email,
        channel: 'post',
        identity: verified,
        changes: { email: corrected, name: 'Robin Right', company: 'Right Ltd' },
      },
      BASE_URL,
    );
    expect(request.result).toMatchObject({ fieldsChanged: ['name', 'company', 'email'], addressMoved: true });
    const newId = hasher.contactId(corrected);
    const moved = await contactItems(db, tableName, newId);
    expect(moved.find((item) => item.sk === 'PROFILE')).toMatchObject({
      email: corrected,
      name: 'Robin Right',
    });
    const events = moved.filter((item) => item.type === 'consent_event');
    // The history came along, and records the move without naming either address.
    expect(events.length).toBeGreaterThan(before.length);
    expect(events.map((event) => event.eventType)).toContain('address_changed');
    expect(JSON.stringify(events)).not.toContain(email);
    const person = await lookUpPerson(deps, privacy, { email: corrected });
    expect(person).toMatchObject({ contactId: newId, enquiries: 1 });
    const bundle = (await deps.personalData.findHeld(newId, hasher.suppressionHash(corrected))).enquiries;
    expect(bundle[0]?.fields).toMatchObject({ email: corrected, name: 'Robin Right', company: 'Right Ltd' });
  });
  it('records in the history which details were corrected, never the values, and the bundle shows it', async () => {
    const email = uniqueEmail('rectify-details');
    const contactId = await enquire('quote', email, { company: 'Wrong Ltd' });
    await receiveSubjectRequest(
      deps,
      privacy,
      {
        type: 'rectification',
        email,
        channel: 'post',
        identity: verified,
        changes: { name: 'Robin Corrected', phone: '01632 960999', company: 'Corrected Ltd' },
      },
      BASE_URL,
    );
    await receiveSubjectRequest(
      deps,
      privacy,
      {
        type: 'rectification',
        email,
        channel: 'email',
        identity: verified,
        changes: { company: 'Corrected Again Ltd' },
      },
      BASE_URL,
    );
    const events = (await contactItems(db, tableName, contactId)).filter(
      (item) => item.eventType === 'details_rectified',
    );
    expect(events).toEqual([
      expect.objectContaining({
        fields: ['name', 'phone', 'company'],
        source: 'staff',
        actor: 'morgan',
        method: 'post',
      }),
      expect.objectContaining({ fields: ['company'], method: 'email' }),
    ]);
    const recorded = JSON.stringify(events);
    for (const value of ['Robin Corrected', '01632 960999', 'Corrected Ltd']) {
      expect(recorded).not.toContain(value);
    }
    const access = await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'access', email, channel: 'email', identity: verified },
      BASE_URL,
    );
    const bundle = JSON.parse(await readRequestExport(deps, privacy, access.id));
    expect(
      bundle.consentHistory
        .filter((event: { type: string }) => event.type === 'details_rectified')
        .map((event: { fields: string[] }) => event.fields),
    ).toEqual([['name', 'phone', 'company'], ['company']]);
  });

  it('a corrected address with no contact but a suppression entry carries the suppression to it', async () => {
    const email = uniqueEmail('rectify-suppressed');
    // The opt-out taken at collection: a suppression entry and no contact.
    await enquire('quote', email, { marketing_opt_out: 'on' });
    expect(await lookUpPerson(deps, privacy, { email })).toMatchObject({ contactId: null });
    const corrected = uniqueEmail('rectified-suppressed');
    await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'rectification', email, channel: 'post', identity: verified, changes: { email: corrected } },
      BASE_URL,
    );
    const carried = await deps.contacts.readSuppression(hasher.suppressionHash(corrected));
    expect(carried?.all === true || carried?.topics.has('offers')).toBe(true);
    // A later soft opt-in from the corrected address is refused, as it would have been from the old one.
    const newId = await enquire('quote', corrected, { message: 'a quote from my new address' });
    expect((await contactItems(db, tableName, newId)).map((item) => item.type)).toEqual(['enquiry_ref']);
  });
});

describe('restriction, objection and withdrawal', () => {
  it('a restricted person leaves the marketing list until the restriction is lifted', async () => {
    const email = uniqueEmail('restrict');
    const contactId = await enquire('quote', email);
    const onList = async () => {
      const list = await createStaffReads(db, tableName).listMailable({
        topic: 'offers',
        basis: 'any',
        limit: 1000,
        after: undefined,
        now: new Date(),
      });
      return list.items.some((item) => item.contactId === contactId);
    };
    expect(await onList()).toBe(true);
    await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'restriction', email, channel: 'email', identity: verified },
      BASE_URL,
    );
    expect(await onList()).toBe(false);
    expect(await lookUpPerson(deps, privacy, { email })).toMatchObject({ restricted: true });
    await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'restriction', lift: true, email, channel: 'phone', identity: verified },
      BASE_URL,
    );
    expect(await onList()).toBe(true);
    const history = await deps.contacts.readHistory(contactId);
    expect(history.filter((event) => event.topic === '*')).toEqual([
      expect.objectContaining({ type: 'processing_restricted', source: 'staff', method: 'email' }),
      expect.objectContaining({ type: 'restriction_lifted', source: 'staff', method: 'phone' }),
    ]);
    const access = await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'access', email, channel: 'email', identity: verified },
      BASE_URL,
    );
    const bundle = JSON.parse(await readRequestExport(deps, privacy, access.id));
    expect(bundle.consentHistory.map((event: { type: string }) => event.type)).toEqual(
      expect.arrayContaining(['processing_restricted', 'restriction_lifted']),
    );
  });

  it('an objection withdraws everything and suppresses the address; a withdrawal names the staff member', async () => {
    const objecting = uniqueEmail('object');
    await enquire('quote', objecting);
    await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'objection', email: objecting, channel: 'phone', identity: verified },
      BASE_URL,
    );
    expect(await lookUpPerson(deps, privacy, { email: objecting })).toMatchObject({
      topics: [{ topic: 'offers', status: 'withdrawn' }],
      suppressed: { all: true },
    });

    const withdrawing = uniqueEmail('withdraw');
    const contactId = await enquire('quote', withdrawing);
    await receiveSubjectRequest(
      deps,
      privacy,
      {
        type: 'withdrawal',
        topics: ['offers'],
        email: withdrawing,
        channel: 'in_person',
        identity: verified,
      },
      BASE_URL,
    );
    const events = (await contactItems(db, tableName, contactId)).filter(
      (item) => item.eventType === 'withdrawn',
    );
    expect(events).toEqual([
      expect.objectContaining({ source: 'staff', actor: 'morgan', method: 'in_person' }),
    ]);
  });
});

describe('the register', () => {
  it('waits for the emailed link when identity is not verified; showing the link changes nothing', async () => {
    const email = uniqueEmail('unverified');
    await enquire('quote', email);
    sent.length = 0;
    const request = await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'objection', email, channel: 'web', identity: { verified: false } },
      BASE_URL,
    );
    expect(request).toMatchObject({ status: 'awaiting_verification', clockStartedAt: null, dueAt: null });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.to).toEqual([email]);
    const token = new URL(
      /https:\S+verify-request\S+/.exec(sent[0]?.text ?? '')?.[0] ?? 'https://x',
    ).searchParams.get('token');
    expect(await checkVerificationLink(deps, token)).toBe(request.id);
    expect((await readSubjectRequest(deps, privacy, request.id)).status).toBe('awaiting_verification');
    expect(await verifyByLink(deps, token)).toBe('verified');
    expect(await verifyByLink(deps, token)).toBe('already');
    const done = await readSubjectRequest(deps, privacy, request.id);
    expect(done).toMatchObject({ status: 'completed', clockStartedAt: NOW.toISOString() });
    expect(done.log.map((entry) => entry.kind)).toEqual([
      'received',
      'verification_sent',
      'verified',
      'carried_out',
    ]);
  });

  it('refuses actions on a finished request with a conflict; a complaint is open until closed', async () => {
    const complaint = await receiveSubjectRequest(
      deps,
      privacy,
      {
        type: 'complaint',
        email: uniqueEmail('complaint'),
        channel: 'post',
        details: 'You emailed me twice.',
      },
      BASE_URL,
    );
    expect(complaint).toMatchObject({ status: 'open', acknowledgeBy: '2026-12-23' });
    const open = await listSubjectRequests(deps, privacy, { status: 'open' });
    expect(open.items.map((item) => item.id)).toContain(complaint.id);
    const closed = await actOnSubjectRequest(deps, privacy, complaint.id, 'close', {
      outcome: 'Apologised.',
    });
    expect(closed.status).toBe('closed');
    await expect(actOnSubjectRequest(deps, privacy, complaint.id, 'cancel', {})).rejects.toThrow(
      expect.objectContaining({ name: 'ConflictError' }),
    );
    const finished = await listSubjectRequests(deps, privacy, { status: 'completed' });
    expect(finished.items.map((item) => item.id)).toContain(complaint.id);
  });

  it('a refusal tells the person why and of their right to complain; a finished request takes no extension', async () => {
    sent.length = 0;
    const email = uniqueEmail('refuse');
    const request = await receiveSubjectRequest(
      deps,
      privacy,
      { type: 'erasure', email, channel: 'email', identity: { verified: false } },
      BASE_URL,
    );
    const refused = await actOnSubjectRequest(deps, privacy, request.id, 'refuse', {
      reason: 'identity_not_confirmed',
    });
    expect(refused).toMatchObject({ status: 'refused', finishedAt: NOW.toISOString() });
    expect(sent.at(-1)?.to).toEqual([email]);
    expect(sent.at(-1)?.text).toContain('Information Commissioner');
    await expect(
      actOnSubjectRequest(deps, privacy, request.id, 'extend', { reason: 'complex' }),
    ).rejects.toThrow(expect.objectContaining({ name: 'ConflictError' }));
  });
});
