/**
 * The links' and the register's emails go through the outbox like the intake's, against DynamoDB Local:
 * the mail service failing while a link's confirmation or a request's verification is sent loses
 * neither (each is sent once after recovery), and a replayed mailer batch sends nothing twice.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { dynamoMailQueue, dynamoOutbox } from '../../shared/adapters/dynamodb/outbox.ts';
import { createPersonalDataStore } from '../../shared/adapters/dynamodb/personal-data.ts';
import { createRelationshipStore } from '../../shared/adapters/dynamodb/relationships.ts';
import { createStaffReads } from '../../shared/adapters/dynamodb/staff-reads.ts';
import { createRequestRegister } from '../../shared/adapters/dynamodb/subject-requests.ts';
import { localMailFaults, localOutbox, outboxMailer } from '../../shared/adapters/mail/outbox.ts';
import { signedPageCursors } from '../../shared/adapters/page-cursors.ts';
import { parseKeyRing, verifyToken } from '../../shared/domain/tokens.ts';
import type { QueuedMessage } from '../../shared/ports/mailer.ts';
import { type LinkDeps, savePreferences, unsubscribe } from '../../shared/use-cases/links.ts';
import { queuedEmail } from '../../shared/use-cases/queued-email.ts';
import { type SendQueuedEmailsDeps, sendQueuedEmails } from '../../shared/use-cases/send-queued-emails.ts';
import { type RightsDeps, receiveSubjectRequest } from '../../shared/use-cases/subject-requests.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { runtimeConfig, TEST_KEY_RING } from '../support/config.ts';
import { documentClient, fields, intakeHarness, uniqueEmail } from '../support/intake.ts';

const db = documentClient(inject('dynamoDbEndpoint'));
const tableName = inject('tableName');
const ring = parseKeyRing(TEST_KEY_RING);
const LINK_BASE = 'https://api.example.co.uk/v1';
/** The contact form confirming at once, so the person is mailable straight after the intake. */
const config = runtimeConfig({
  forms: runtimeConfig().forms.map((form) =>
    form.marketing.mode === 'consent'
      ? { ...form, marketing: { ...form.marketing, confirmation: 'none' } }
      : form,
  ),
});
afterAll(() => db.destroy());
afterEach(() => {
  localMailFaults.fail = 0;
  localMailFaults.down = false;
});

const mailer: SendQueuedEmailsDeps = {
  outbox: dynamoOutbox(db, tableName),
  // The local transport, with its SES fault switch.
  mailer: outboxMailer,
  linkKeys: async () => ring,
  organisation: config.organisation.name,
  clock: () => new Date(),
};

/** As the event source mapping delivers a batch: again from the first failed record, up to `tries`. */
async function deliverLikeTheStream(ids: readonly string[], tries: number): Promise<readonly string[]> {
  let batch = ids;
  for (let attempt = 1; attempt <= tries && batch.length > 0; attempt++) {
    const report = await sendQueuedEmails(mailer, batch);
    batch = report.failedFrom === undefined ? [] : batch.slice(report.failedFrom);
  }
  return batch;
}

const sentTo = (email: string) => localOutbox.filter((sent) => sent.to === email);
const ids = (outbox: readonly QueuedMessage[] | undefined) => (outbox ?? []).map((queued) => queued.id);

describe('a confirmation asked for through a link', () => {
  it('is queued with the change: sent once after the mail service recovers, never twice on a replay', async () => {
    const harness = intakeHarness(db, tableName, config);
    const queued: string[] = [];
    const contacts = createContactsRepository(db, tableName);
    const deps: LinkDeps = {
      ...harness.deps,
      contacts: {
        ...contacts,
        async write(write) {
          await contacts.write(write);
          queued.push(...ids(write.outbox));
        },
      },
      linkKeys: async () => ring,
      linkBaseUrl: LINK_BASE,
    };
    const email = uniqueEmail('link-confirmation');
    await submitEnquiry(harness.deps, {
      fields: fields({
        form: 'contact',
        name: 'Ada',
        email,
        message: `Hi ${email}`,
        marketing_consent: 'on',
      }),
      method: 'json',
      page: undefined,
      baseUrl: LINK_BASE,
    });
    const contactId = harness.hasher.contactId(email);
    const sentAt = Math.floor(harness.clock.now.getTime() / 1000);
    const claims = (purpose: 'preferences' | 'unsubscribe') => ({
      contactId,
      purpose,
      epoch: 1,
      issuedAt: sentAt,
    });
    harness.clock.now = new Date(harness.clock.now.getTime() + 86_400_000);
    await unsubscribe(deps, claims('unsubscribe'));
    expect(queued).toEqual([]);
    harness.clock.now = new Date(harness.clock.now.getTime() + 60_000);

    // SES refuses while the link asks for consent again: the change lands, its email waits.
    localMailFaults.fail = 3;
    await savePreferences(deps, claims('preferences'), {
      everything: false,
      ticked: new Set(['newsletter']),
    });
    expect(queued).toHaveLength(1);
    expect(await deliverLikeTheStream(queued, 3)).toEqual(queued);
    expect(sentTo(email)).toEqual([]);

    expect(await deliverLikeTheStream(queued, 1)).toEqual([]);
    expect(sentTo(email)).toEqual([expect.objectContaining({ subject: expect.stringMatching(/confirm/i) })]);
    const confirmUrl = /Confirm: (\S+)/.exec(sentTo(email)[0]?.text ?? '')?.[1] ?? '';
    expect(confirmUrl.startsWith(`${LINK_BASE}/confirm?token=`)).toBe(true);
    const token = new URL(confirmUrl).searchParams.get('token') ?? undefined;
    expect(verifyToken(ring, token, 'confirm', harness.clock.now).ok).toBe(true);

    expect(await sendQueuedEmails(mailer, queued)).toEqual({
      sent: 0,
      alreadySent: 1,
      failedFrom: undefined,
    });
    expect(sentTo(email)).toHaveLength(1);
  });
});

describe("a subject request's verification", () => {
  it('is queued with the register entry: sent once after the mail service recovers, never twice on a replay', async () => {
    const queued: string[] = [];
    const register = createRequestRegister(db, tableName);
    const deps: RightsDeps = {
      config,
      mailchimpInUse: false,
      register: {
        ...register,
        async add(entry, expiresAt, outbox) {
          await register.add(entry, expiresAt, outbox);
          queued.push(...ids(outbox));
        },
      },
      personalData: createPersonalDataStore(db, tableName),
      relationships: createRelationshipStore(db, tableName),
      contacts: createContactsRepository(db, tableName),
      reads: createStaffReads(db, tableName),
      emailHasher: intakeHarness(db, tableName).deps.emailHasher,
      linkKeys: async () => ring,
      cursors: signedPageCursors(async () => ring),
      mailQueue: dynamoMailQueue(db, tableName),
      clock: () => new Date(),
      newId: randomUUID,
    };
    const email = uniqueEmail('verification');
    localMailFaults.down = true;
    const request = await receiveSubjectRequest(
      deps,
      {
        identity: { subject: 'staff-1', username: 'morgan', groups: ['privacy'] },
        method: 'POST',
        route: '/subject-requests',
        requestId: undefined,
        format: 'json',
      },
      { type: 'access', email, channel: 'web', identity: { verified: false } },
      LINK_BASE,
    );
    expect(request.status).toBe('awaiting_verification');
    expect(queued).toHaveLength(1);
    expect(await deliverLikeTheStream(queued, 5)).toEqual(queued);
    expect(sentTo(email)).toEqual([]);

    localMailFaults.down = false;
    expect(await deliverLikeTheStream(queued, 1)).toEqual([]);
    expect(sentTo(email)).toEqual([expect.objectContaining({ subject: expect.stringMatching(/confirm/i) })]);
    const link = /https:\S+verify-request\S+/.exec(sentTo(email)[0]?.text ?? '')?.[0] ?? 'https://x';
    const check = verifyToken(
      ring,
      new URL(link).searchParams.get('token') ?? undefined,
      'verify',
      new Date(),
    );
    expect(check.ok && check.claims.contactId).toBe(request.id);

    expect(await sendQueuedEmails(mailer, queued)).toEqual({
      sent: 0,
      alreadySent: 1,
      failedFrom: undefined,
    });
    expect(sentTo(email)).toHaveLength(1);
  });
});

describe('the mail queue', () => {
  it('takes the same id queued again (a retried digest run) without failing, and it is sent once', async () => {
    const queue = dynamoMailQueue(db, tableName);
    const id = `request-digest-${randomUUID()}`;
    const email = uniqueEmail('digest');
    const digest = queuedEmail(id, new Date(), {
      kind: 'request_digest',
      email: { to: [email], subject: 'Subject requests due', text: 'due', html: '<p>due</p>' },
    });
    await queue.queue([digest]);
    await queue.queue([digest]);
    expect(await deliverLikeTheStream([id, id], 1)).toEqual([]);
    expect(sentTo(email)).toHaveLength(1);
  });
});
