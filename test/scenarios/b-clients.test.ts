/**
 * Policy B: the contact form keeps nothing; existing clients get marketing under soft opt-in with an
 * unsubscribe in every email; MailChimp is the platform; marketing data kept until consent is withdrawn.
 * The local system runs with examples/policies/b-clients.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../support/intake.ts';
import { type PolicyServer, startPolicyServer } from '../support/policy-server.ts';
import { mailchimpStatus, postForm } from '../support/scenario-steps.ts';
import { staffClient } from '../support/staff-client.ts';

let server: PolicyServer;
beforeAll(async () => {
  server = await startPolicyServer('b-clients.json');
});
afterAll(() => server?.stop());

const HEADER = 'email,name,basis,topics,evidence_date,refusal_offered,method,statement';
const lastMonth = () => new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);

describe('policy B: existing clients under soft opt-in, MailChimp', () => {
  it('keeps nothing typed into the contact form', async () => {
    const staff = staffClient(server.baseUrl);
    const email = uniqueEmail('visitor');
    expect(await postForm(server.baseUrl, { form: 'contact', name: 'Vi', email, message: 'Call me' })).toBe(
      201,
    );
    expect((await staff.call(['sales'], 'GET', '/enquiries')).text).not.toContain(email);
    const person = await staff.call(['privacy'], 'GET', `/people?email=${encodeURIComponent(email)}`);
    expect(person.json()).toMatchObject({ contactId: null, enquiries: 0 });
  });

  it('imports clients under soft opt-in, refuses a suppressed one, and syncs a staff-recorded opt-out', async () => {
    const staff = staffClient(server.baseUrl);
    const client = uniqueEmail('client');
    const suppressed = uniqueEmail('suppressed-client');
    await staff.call(['privacy'], 'POST', '/subject-requests', {
      type: 'objection',
      email: suppressed,
      channel: 'post',
      identity: { verified: true, method: 'signed letter' },
    });
    const csv = [
      HEADER,
      `${client},Client One,soft_opt_in,client-updates,${lastMonth()},yes,sale,`,
      `${suppressed},Client Two,soft_opt_in,client-updates,${lastMonth()},yes,sale,`,
    ].join('\n');
    const imported = await staff.call(['marketing'], 'POST', '/imports', csv, 'text/csv');
    expect(imported.json()).toMatchObject({
      imported: 1,
      results: [
        { row: 2, outcome: 'imported' },
        { row: 3, outcome: 'refused', reason: 'suppressed' },
      ],
    });
    await expect.poll(() => mailchimpStatus(server.baseUrl, client), { timeout: 20_000 }).toBe('subscribed');
    expect(await mailchimpStatus(server.baseUrl, suppressed)).toBeUndefined();

    // Kept until withdrawn: the permission carries no TTL expiry (the access bundle says when it goes).
    const access = await staff.call(['privacy'], 'POST', '/subject-requests', {
      type: 'access',
      email: client,
      channel: 'email',
      identity: { verified: true, method: 'from the address we hold' },
    });
    const bundle = (
      await staff.call(['privacy'], 'GET', `/subject-requests/${(access.json() as { id: string }).id}/export`)
    ).json();
    expect(bundle).toMatchObject({
      topics: [{ topic: 'client-updates', status: 'soft_opt_in', deletedAt: '9999-12-31T23:59:59.000Z' }],
      consentHistory: [{ type: 'soft_opt_in_granted', source: 'import', method: 'sale' }],
    });

    // The client emails to opt out; staff record it and MailChimp follows.
    const withdrawal = await staff.call(['privacy'], 'POST', '/subject-requests', {
      type: 'withdrawal',
      email: client,
      channel: 'email',
      identity: { verified: true, method: 'from the address we hold' },
    });
    expect(withdrawal.status).toBe(201);
    await expect
      .poll(() => mailchimpStatus(server.baseUrl, client), { timeout: 20_000 })
      .toBe('unsubscribed');
    const after = await staff.call(['marketing'], 'GET', '/contacts?topic=client-updates&limit=1000');
    expect(after.text).not.toContain(client);
  });
});
