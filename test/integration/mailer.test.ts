/**
 * The outbox and the mailer against DynamoDB Local: an enquiry's emails survive the mail service failing,
 * and are sent once however often their batch is delivered.
 */
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { dynamoOutbox } from '../../shared/adapters/dynamodb/outbox.ts';
import { localMailFaults, localOutbox, outboxMailer } from '../../shared/adapters/mail/outbox.ts';
import { parseKeyRing } from '../../shared/domain/tokens.ts';
import type { QueuedMessage } from '../../shared/ports/mailer.ts';
import {
  type SendQueuedEmailsDeps,
  sendQueuedEmails,
  sendWaitingEmails,
} from '../../shared/use-cases/send-queued-emails.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { runtimeConfig, TEST_KEY_RING } from '../support/config.ts';
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
afterEach(() => {
  localMailFaults.fail = 0;
  localMailFaults.down = false;
});

/** The intake as deployed: the write queues the emails and nothing sends them until the mailer runs. */
function intakeWithOutbox() {
  const harness = intakeHarness(db, tableName);
  const queued: string[] = [];
  const contacts = createContactsRepository(db, tableName);
  const deps = {
    ...harness.deps,
    contacts: {
      ...contacts,
      async write(write: Parameters<typeof contacts.write>[0]) {
        await contacts.write(write);
        queued.push(...(write.outbox ?? []).map((message: QueuedMessage) => message.id));
      },
    },
  };
  const mailer: SendQueuedEmailsDeps = {
    outbox: dynamoOutbox(db, tableName),
    // The local transport, with its SES fault switch.
    mailer: outboxMailer,
    linkKeys: async () => parseKeyRing(TEST_KEY_RING),
    organisation: 'Example Ltd',
    clock: () => harness.clock.now,
  };
  const submit = (email: string, message: string) =>
    submitEnquiry(deps, {
      fields: fields({ form: 'contact', name: 'Ada', email, message, marketing_consent: 'yes' }),
      method: 'html_form',
      page: 'https://www.example.co.uk/contact',
      baseUrl: 'http://localhost:3000',
    });
  return { submit, queued, mailer };
}

/** As the event source mapping delivers a batch: again from the first failed record, up to `tries`. */
async function deliverLikeTheStream(deps: SendQueuedEmailsDeps, ids: string[], tries: number) {
  let batch = ids;
  for (let attempt = 1; attempt <= tries && batch.length > 0; attempt++) {
    const report = await sendQueuedEmails(deps, batch);
    batch = report.failedFrom === undefined ? [] : batch.slice(report.failedFrom);
  }
  return batch;
}

const sentMentioning = (text: string) => localOutbox.filter((email) => email.text.includes(text));

describe('the outbox and the mailer against DynamoDB Local', () => {
  it('loses no email when the mail service fails during an enquiry: each is sent once after recovery', async () => {
    const { submit, queued, mailer } = intakeWithOutbox();
    const email = uniqueEmail('ses-failure');
    const message = `ses-failure-${email}`;
    localMailFaults.fail = 3;
    await submit(email, message);
    // The enquiry was answered and both emails wait in the table while SES refuses them.
    expect(queued).toHaveLength(2);
    expect(await deliverLikeTheStream(mailer, queued, 3)).toHaveLength(2);
    expect(sentMentioning(message)).toEqual([]);
    // Recovered: the next delivery sends each exactly once.
    expect(await deliverLikeTheStream(mailer, queued, 1)).toEqual([]);
    expect(sentMentioning(message)).toEqual([expect.objectContaining({ to: 'sales@example.co.uk' })]);
    expect(localOutbox.filter((sent) => sent.to === email)).toEqual([
      expect.objectContaining({ subject: 'Please confirm your subscription to Example Ltd' }),
    ]);
  });

  it('sends what its stream delivery gave up on when redriven, once', async () => {
    const { submit, queued, mailer } = intakeWithOutbox();
    const email = uniqueEmail('ses-down');
    const message = `ses-down-${email}`;
    localMailFaults.down = true;
    await submit(email, message);
    // Retries used up: the stream position goes to the dead-letter queue, the messages stay queued.
    expect(await deliverLikeTheStream(mailer, queued, 4)).toHaveLength(2);
    localMailFaults.down = false;
    const later = { ...mailer, clock: () => new Date(Date.now() + 3_600_000) };
    const report = await sendWaitingEmails(later, 0);
    expect(report.failedFrom).toBeUndefined();
    expect(sentMentioning(message)).toHaveLength(1);
    expect(localOutbox.filter((sent) => sent.to === email)).toHaveLength(1);
    // A second redrive finds nothing left of it.
    await sendWaitingEmails(later, 0);
    expect(sentMentioning(message)).toHaveLength(1);
  });

  it('sends nothing twice when a batch is replayed', async () => {
    const { submit, queued, mailer } = intakeWithOutbox();
    const email = uniqueEmail('replay');
    const message = `replay-${email}`;
    await submit(email, message);
    const first = await sendQueuedEmails(mailer, queued);
    const replay = await sendQueuedEmails(mailer, queued);
    expect(first).toEqual({ sent: 2, alreadySent: 0, failedFrom: undefined });
    expect(replay).toEqual({ sent: 0, alreadySent: 2, failedFrom: undefined });
    expect(sentMentioning(message)).toHaveLength(1);
    expect(localOutbox.filter((sent) => sent.to === email)).toHaveLength(1);
  });
});

describe('confirmation-email bombing', () => {
  it('sends one confirmation per address per window, keeping the pending request its link confirms', async () => {
    const harness = intakeHarness(db, tableName);
    const email = uniqueEmail('bombing');
    const contactId = harness.hasher.contactId(email);
    let posts = 0;
    // Each with its own message, so none is taken for a retry of another.
    const post = () =>
      submitEnquiry(harness.deps, {
        fields: fields({
          form: 'contact',
          name: 'Ada',
          email,
          message: `Hi ${++posts}`,
          marketing_consent: 'yes',
        }),
        method: 'html_form',
        page: 'https://www.example.co.uk/contact',
        baseUrl: 'http://localhost:3000',
      });
    const confirmations = () => harness.sent.filter((sent) => sent.to.includes(email));

    const first = await post();
    for (let posted = 1; posted < 15; posted++) {
      harness.clock.now = new Date(harness.clock.now.getTime() + 60_000);
      // Every post gets the same answer as the first.
      expect(await post()).toEqual({ id: expect.any(String), formId: first.formId });
    }
    expect(confirmations()).toHaveLength(1);
    // Still pending at the epoch of the one link sent, so that link still confirms it.
    const topic = (await contactItems(db, tableName, contactId)).find(
      (item) => item.sk === 'TOPIC#newsletter',
    );
    expect(topic).toMatchObject({ status: 'pending', epoch: 1 });

    // Once the window (24 h by default) has passed, a new request gets a new email.
    harness.clock.now = new Date(harness.clock.now.getTime() + 25 * 3_600_000);
    await post();
    expect(confirmations()).toHaveLength(2);
  });
});

describe('confirmation windows, topic by topic', () => {
  it('holds back only the topics still pending: a newly asked-for topic gets its confirmation', async () => {
    // The contact form offering both topics.
    const config = runtimeConfig({
      forms: runtimeConfig().forms.map((form) =>
        form.id === 'contact' && form.marketing.mode === 'consent'
          ? { ...form, marketing: { ...form.marketing, topics: ['newsletter', 'offers'] } }
          : form,
      ),
    });
    const harness = intakeHarness(db, tableName, config);
    const email = uniqueEmail('window-topics');
    const contactId = harness.hasher.contactId(email);
    let posts = 0;
    const post = (topics: string[]) =>
      submitEnquiry(harness.deps, {
        fields: fields({
          form: 'contact',
          name: 'Ada',
          email,
          message: `Hi ${++posts}`,
          marketing_consent: 'yes',
          topics,
        }),
        method: 'html_form',
        page: 'https://www.example.co.uk/contact',
        baseUrl: 'http://localhost:3000',
      });
    const confirmations = () => harness.sent.filter((sent) => sent.to.includes(email));
    const topic = async (id: string) =>
      (await contactItems(db, tableName, contactId)).find((item) => item.sk === `TOPIC#${id}`);

    await post(['newsletter']);
    harness.clock.now = new Date(harness.clock.now.getTime() + 60_000);
    await post(['newsletter', 'offers']);

    // The newsletter request stays at the epoch of the link already sent, which still confirms it.
    expect(await topic('newsletter')).toMatchObject({ status: 'pending', epoch: 1 });
    expect(await topic('offers')).toMatchObject({ status: 'pending', epoch: 2 });
    expect(confirmations()).toHaveLength(2);
    expect(confirmations()[1]?.text).toContain('Offers on services');
    expect(confirmations()[1]?.text).not.toContain('Monthly newsletter');

    // Both pending now: nothing new to confirm within the window.
    harness.clock.now = new Date(harness.clock.now.getTime() + 60_000);
    await post(['newsletter', 'offers']);
    expect(confirmations()).toHaveLength(2);
  });
});

describe('a repeated submission', () => {
  it('gets the first answer within minutes: no second enquiry and no second email', async () => {
    const harness = intakeHarness(db, tableName);
    const email = uniqueEmail('repeat');
    const message = `repeat-${email}`;
    const post = (text: string) =>
      submitEnquiry(harness.deps, {
        fields: fields({ form: 'contact', name: 'Ada', email, message: text, marketing_consent: 'yes' }),
        method: 'html_form',
        page: 'https://www.example.co.uk/contact',
        baseUrl: 'http://localhost:3000',
      });
    const enquiries = async () =>
      (await scanAll(db, tableName)).filter(
        (item) => item.type === 'enquiry' && JSON.stringify(item).includes(message),
      );

    const first = await post(message);
    harness.clock.now = new Date(harness.clock.now.getTime() + 2 * 60_000);
    expect(await post(message)).toEqual(first);
    expect(await enquiries()).toHaveLength(1);
    expect(harness.sent.filter((sent) => sent.text.includes(message))).toHaveLength(1);
    expect(harness.sent.filter((sent) => sent.to.includes(email))).toHaveLength(1);

    // Other content is another enquiry; the same content after the window is too.
    expect((await post(`${message} again`)).id).not.toBe(first.id);
    harness.clock.now = new Date(harness.clock.now.getTime() + 11 * 60_000);
    expect((await post(message)).id).not.toBe(first.id);
    expect(await enquiries()).toHaveLength(3);
  });

  it('lands once when two identical submissions race', async () => {
    const harness = intakeHarness(db, tableName);
    const email = uniqueEmail('race');
    const message = `race-${email}`;
    const post = () =>
      submitEnquiry(harness.deps, {
        fields: fields({ form: 'contact', name: 'Ada', email, message, marketing_consent: 'yes' }),
        method: 'json',
        page: 'https://www.example.co.uk/contact',
        baseUrl: 'http://localhost:3000',
      });
    const [a, b] = await Promise.all([post(), post()]);
    expect(a).toEqual(b);
    expect(harness.sent.filter((sent) => sent.text.includes(message))).toHaveLength(1);
  });
});
