import { afterAll, describe, expect, inject, it } from 'vitest';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { runtimeConfig } from '../support/config.ts';
import { documentClient, fields, intakeHarness, scanAll, uniqueEmail } from '../support/intake.ts';

const db = documentClient(inject('dynamoDbEndpoint'));
const tableName = inject('tableName');
afterAll(() => db.destroy());

/** The example config with the contact form acknowledging its sender. */
const acknowledging = runtimeConfig({
  forms: runtimeConfig().forms.map((form) => (form.id === 'contact' ? { ...form, acknowledge: true } : form)),
});

const post = (harness: ReturnType<typeof intakeHarness>, record: Record<string, string | string[]>) =>
  submitEnquiry(harness.deps, {
    fields: fields(record),
    method: 'html_form',
    page: 'https://www.example.co.uk/contact',
    baseUrl: 'http://localhost:3000',
  });

describe('service messages from the intake', () => {
  it('queue the acknowledgement with the enquiry and the staff notification, and send it', async () => {
    const harness = intakeHarness(db, tableName, acknowledging);
    const email = uniqueEmail('acknowledged');
    const receipt = await post(harness, { form: 'contact', name: 'Ada', email, message: 'Acknowledge me' });

    const toSender = harness.sent.filter((sent) => sent.to.includes(email));
    expect(toSender).toEqual([
      expect.objectContaining({ subject: 'We received your enquiry to Example Ltd' }),
    ]);
    expect(toSender[0]?.text).toContain(`Your reference: ${receipt.id}`);
    expect(toSender[0]?.text).not.toContain('Acknowledge me');
    expect(harness.sent.filter((sent) => sent.subject.startsWith('New enquiry'))).toHaveLength(1);
    // Sent means deleted from the outbox: nothing of this enquiry is left waiting.
    const waiting = (await scanAll(db, tableName)).filter(
      (item) => item.type === 'outbox' && JSON.stringify(item.message).includes(email),
    );
    expect(waiting).toEqual([]);
  });

  it('acknowledge a sender who refused marketing and is suppressed', async () => {
    const harness = intakeHarness(db, tableName, acknowledging);
    const email = uniqueEmail('refuser');
    await post(harness, { form: 'quote', name: 'Joan', email, message: 'A quote', marketing_opt_out: 'on' });
    expect(harness.sent.filter((sent) => sent.to.includes(email))).toEqual([]);

    await post(harness, { form: 'contact', name: 'Joan', email, message: 'And a question' });
    expect(harness.sent.filter((sent) => sent.to.includes(email)).map((sent) => sent.subject)).toEqual([
      'We received your enquiry to Example Ltd',
    ]);
  });

  it('send nothing to the sender of a form that does not acknowledge', async () => {
    const harness = intakeHarness(db, tableName, runtimeConfig());
    const email = uniqueEmail('unacknowledged');
    await post(harness, { form: 'contact', name: 'Ada', email, message: 'No receipt please' });
    expect(harness.sent.filter((sent) => sent.to.includes(email))).toEqual([]);
  });
});
