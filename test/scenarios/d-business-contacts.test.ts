/**
 * Policy D: "a contacts list kept under legitimate interest and not used for mass mailing; people can see,
 * correct or delete what is held". The local system runs with examples/policies/d-business-contacts.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../support/intake.ts';
import { type PolicyServer, startPolicyServer } from '../support/policy-server.ts';
import { staffClient } from '../support/staff-client.ts';

let server: PolicyServer;
let staff: ReturnType<typeof staffClient>;
beforeAll(async () => {
  server = await startPolicyServer('d-business-contacts.json');
  staff = staffClient(server.baseUrl);
});
afterAll(() => server?.stop());

const request = (body: Record<string, unknown>) =>
  staff.call(['privacy'], 'POST', '/subject-requests', {
    channel: 'email',
    identity: { verified: true, method: 'reply from the address we hold' },
    ...body,
  });

describe('policy D: business contacts under legitimate interest', () => {
  it('holds a business contact outside every marketing list, and lets them see, correct and delete it', async () => {
    const email = uniqueEmail('partner');
    const added = await staff.call(['sales'], 'POST', '/relationships', {
      email,
      name: 'Pat Partner',
      basis: 'legitimate_interest',
      company: 'Partner Ltd',
      job_title: 'Buyer',
    });
    expect(added.status).toBe(201);
    expect(added.json()).toMatchObject({
      created: true,
      relationship: { basis: 'legitimate_interest', reference: 'LIA-2026-01 business contacts' },
    });
    expect(added.text).not.toContain(email);

    // Never on a marketing list, in its CSV, or in MailChimp.
    const list = await staff.call(['marketing'], 'GET', '/contacts?topic=newsletter&basis=any');
    expect(list.text).not.toContain(email);
    await new Promise((done) => setTimeout(done, 3000));
    const members = await (await fetch(`${server.baseUrl}/__local/mailchimp/members`)).text();
    expect(members).not.toContain(email);

    const person = await staff.call(['privacy'], 'GET', `/people?email=${encodeURIComponent(email)}`);
    expect(person.json()).toMatchObject({ topics: [], relationship: { basis: 'legitimate_interest' } });

    // See: the access bundle holds the relationship and its details.
    const access = (await request({ type: 'access', email })).json() as { id: string };
    const bundle = (await staff.call(['privacy'], 'GET', `/subject-requests/${access.id}/export`)).json();
    expect(bundle).toMatchObject({
      relationship: { basis: 'legitimate_interest', details: { company: 'Partner Ltd', job_title: 'Buyer' } },
    });

    // Correct: the company they work for changed.
    const corrected = await request({ type: 'rectification', email, changes: { company: 'New Co' } });
    expect(corrected.status).toBe(201);
    const again = (await request({ type: 'access', email })).json() as { id: string };
    expect(
      (await staff.call(['privacy'], 'GET', `/subject-requests/${again.id}/export`)).json(),
    ).toMatchObject({
      relationship: { details: { company: 'New Co' } },
    });

    // Delete: erasure leaves nothing but the suppression hash.
    expect((await request({ type: 'erasure', email })).status).toBe(201);
    const gone = await staff.call(['privacy'], 'GET', `/people?email=${encodeURIComponent(email)}`);
    expect(gone.json()).toMatchObject({ contactId: null, relationship: null });
  });

  it('ends the relationship on an objection, and does not take the person back under legitimate interest', async () => {
    const email = uniqueEmail('objector');
    await staff.call(['sales'], 'POST', '/relationships', { email, basis: 'legitimate_interest' });
    expect((await request({ type: 'objection', email })).json()).toMatchObject({
      result: { relationshipEnded: true },
    });
    const person = await staff.call(['privacy'], 'GET', `/people?email=${encodeURIComponent(email)}`);
    expect(person.json()).toMatchObject({ relationship: null, suppressed: { all: true } });
    const again = await staff.call(['sales'], 'POST', '/relationships', {
      email,
      basis: 'legitimate_interest',
    });
    expect(again.status).toBe(409);
  });

  it('refuses marketing staff, unknown details and a contract without its reference, naming no value', async () => {
    const email = uniqueEmail('refused');
    expect(
      (await staff.call(['marketing'], 'POST', '/relationships', { email, basis: 'contract' })).status,
    ).toBe(403);
    const bad = await staff.call(['sales'], 'POST', '/relationships', {
      email,
      basis: 'contract',
      shoe_size: '9',
    });
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({
      error: 'invalid_request',
      fields: { shoe_size: 'not_allowed', contractReference: 'required' },
    });
  });
});
