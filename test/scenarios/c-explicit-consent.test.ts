/**
 * Policy C: marketing only with explicit consent; identity confirmed before acting on a subject request;
 * withdrawal of consent stops that processing. The local system runs with
 * examples/policies/c-explicit-consent.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../support/intake.ts';
import { linkIn, onlyEmailTo } from '../support/local-server.ts';
import { type PolicyServer, startPolicyServer } from '../support/policy-server.ts';
import { confirmRequestByLink, mailchimpStatus, postForm } from '../support/scenario-steps.ts';
import { staffClient } from '../support/staff-client.ts';

let server: PolicyServer;
beforeAll(async () => {
  server = await startPolicyServer('c-explicit-consent.json');
});
afterAll(() => server?.stop());

const onList = async (staff: ReturnType<typeof staffClient>, email: string) =>
  (await staff.call(['marketing'], 'GET', '/contacts?topic=newsletter&limit=1000')).text.includes(email);

describe('policy C: explicit consent, identity confirmed first', () => {
  it('markets only after a ticked box is confirmed, and acts on a withdrawal only once identity is confirmed', async () => {
    const staff = staffClient(server.baseUrl);
    const email = uniqueEmail('consenting');
    const unticked = uniqueEmail('unticked');
    expect(
      await postForm(server.baseUrl, { form: 'contact', name: 'Un', email: unticked, message: 'Hi' }),
    ).toBe(201);
    expect(
      await postForm(server.baseUrl, {
        form: 'contact',
        name: 'Co',
        email,
        message: 'Hello',
        marketing_consent: 'yes',
      }),
    ).toBe(201);
    expect(await onList(staff, email)).toBe(false);
    const confirmation = await onlyEmailTo(server.baseUrl, email, /confirm your subscription/i);
    expect((await fetch(linkIn(confirmation, 'confirm'), { method: 'POST' })).status).toBe(200);
    expect(await onList(staff, email)).toBe(true);
    expect(await onList(staff, unticked)).toBe(false);
    await expect.poll(() => mailchimpStatus(server.baseUrl, email), { timeout: 20_000 }).toBe('subscribed');

    const logged = await staff.call(['privacy'], 'POST', '/subject-requests', {
      type: 'withdrawal',
      email,
      channel: 'email',
      identity: { verified: false },
    });
    expect(logged.json()).toMatchObject({ status: 'awaiting_verification' });
    // Nothing is done before the person confirms the request is theirs.
    expect(await onList(staff, email)).toBe(true);

    await confirmRequestByLink(server.baseUrl, email);
    expect(await onList(staff, email)).toBe(false);
    await expect.poll(() => mailchimpStatus(server.baseUrl, email), { timeout: 20_000 }).toBe('unsubscribed');
  });
});
