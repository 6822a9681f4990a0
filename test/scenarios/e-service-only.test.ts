/**
 * Policy E: "if you email us we keep the content of your message, your email address and your contact
 * details to respond; service messages about an account are not marketing". The local system runs with
 * examples/policies/e-service-only.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../support/intake.ts';
import { emailsTo } from '../support/local-server.ts';
import { type PolicyServer, startPolicyServer } from '../support/policy-server.ts';
import { postForm } from '../support/scenario-steps.ts';
import { staffClient } from '../support/staff-client.ts';

let server: PolicyServer;
beforeAll(async () => {
  server = await startPolicyServer('e-service-only.json');
});
afterAll(() => server?.stop());

describe('policy E: service messages are not marketing', () => {
  it('keeps the enquiry to respond, acknowledges it with a service message, and markets nothing', async () => {
    const staff = staffClient(server.baseUrl);
    const email = uniqueEmail('customer');
    const fields = { form: 'contact', name: 'Cy', email, phone: '01632 960001', company: 'Cy Ltd' };
    expect(await postForm(server.baseUrl, { ...fields, message: 'My printer is broken' })).toBe(201);

    const received = await emailsTo(server.baseUrl, email);
    expect(received.map((message) => message.subject)).toEqual([
      'We received your enquiry to Elm Support Ltd',
    ]);
    const [acknowledgement] = received;
    expect(acknowledgement?.text).toMatch(/service message/);
    expect(acknowledgement?.text).not.toMatch(/https?:\/\/|unsubscribe|news/i);
    expect(acknowledgement?.headers ?? {}).not.toHaveProperty('List-Unsubscribe');

    const enquiries = await staff.call(['sales'], 'GET', '/enquiries');
    const kept = (enquiries.json() as { items: { fields: Record<string, string> }[] }).items.find(
      (item) => item.fields.email === email,
    );
    expect(kept?.fields).toEqual({ ...fields, message: 'My printer is broken', form: undefined });

    const person = await staff.call(['privacy'], 'GET', `/people?email=${encodeURIComponent(email)}`);
    expect(person.json()).toMatchObject({ topics: [], enquiries: 1 });
    const list = await staff.call(['marketing'], 'GET', '/contacts?topic=news');
    expect(list.text).not.toContain(email);
  });

  it('acknowledges even someone who unsubscribed from everything', async () => {
    const email = uniqueEmail('unsubscribed');
    const staff = staffClient(server.baseUrl);
    await staff.call(['privacy'], 'POST', '/subject-requests', {
      type: 'objection',
      email,
      channel: 'phone',
      identity: { verified: true, method: 'called back on the number we hold' },
    });
    expect(
      await postForm(server.baseUrl, { form: 'contact', name: 'Ob', email, message: 'Still a question' }),
    ).toBe(201);
    const subjects = (await emailsTo(server.baseUrl, email)).map((message) => message.subject);
    expect(subjects).toContain('We received your enquiry to Elm Support Ltd');
  });
});
