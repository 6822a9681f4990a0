/**
 * An unsubscribe made inside MailChimp, end to end against the running local server: the emulator
 * unsubscribes the member and fires its webhook exactly as MailChimp does; our contact ends withdrawn and
 * suppressed, and a later soft-opt-in enquiry does not re-add them.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { documentClient, uniqueEmail } from '../support/intake.ts';
import { contactIdOf, contactPartition, emailsTo, suppressionItems } from '../support/local-server.ts';

const baseUrl = inject('baseUrl');
const tableName = inject('tableName');
const db = documentClient(inject('dynamoDbEndpoint'));
afterAll(() => db.destroy());

const post = (path: string, body: URLSearchParams | string, contentType?: string) =>
  fetch(`${baseUrl}${path}`, {
    method: 'POST',
    body,
    redirect: 'manual',
    ...(contentType ? { headers: { 'Content-Type': contentType } } : {}),
  });

async function localMember(email: string) {
  const members = (await (await fetch(`${baseUrl}/__local/mailchimp/members`)).json()) as {
    email_address: string;
    status: string;
    merge_fields: Record<string, unknown>;
  }[];
  return members.find((entry) => entry.email_address === email);
}

async function memberStatus(email: string): Promise<string | undefined> {
  return (await localMember(email))?.status;
}

describe('our changes reach MailChimp through the stream', () => {
  it('adds a soft opt-in customer, then shows our unsubscribe link as unsubscribed within 5 s', async () => {
    const email = uniqueEmail('e2e-sync');
    expect(
      (await post('/enquiries', new URLSearchParams({ form: 'quote', name: 'Sam', email, message: 'Quote' })))
        .status,
    ).toBe(303);
    await expect.poll(() => memberStatus(email), { timeout: 5_000, interval: 100 }).toBe('subscribed');
    // Campaigns link to the person's preference centre through the merge field the sync fills.
    const preferencesUrl = String((await localMember(email))?.merge_fields.PREFSURL);
    expect(preferencesUrl.startsWith(`${baseUrl}/preferences?token=`)).toBe(true);
    const page = await fetch(preferencesUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Unsubscribe from everything');

    const welcome = (await emailsTo(baseUrl, email)).find((sent) => sent.subject.startsWith('Welcome'));
    const unsubscribeUrl = welcome?.text.match(/Unsubscribe: (\S+)/)?.[1];
    expect(unsubscribeUrl).toBeDefined();
    const started = Date.now();
    const response = await fetch(String(unsubscribeUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    await expect.poll(() => memberStatus(email), { timeout: 5_000, interval: 100 }).toBe('unsubscribed');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('an unsubscribe made in MailChimp', () => {
  it('withdraws and suppresses our contact, and no later soft opt-in brings them back', async () => {
    const email = uniqueEmail('e2e-mailchimp');
    // A soft opt-in customer, already on the MailChimp audience.
    expect(
      (await post('/enquiries', new URLSearchParams({ form: 'quote', name: 'Mo', email, message: 'Quote' })))
        .status,
    ).toBe(303);
    const hash = createHash('md5').update(email).digest('hex');
    const member = await fetch(`${baseUrl}/mailchimp/3.0/lists/local-list/members/${hash}`, {
      method: 'PUT',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Basic ${Buffer.from('local:local-emulator-key-us1').toString('base64')}`,
      },
      body: JSON.stringify({ email_address: email, status_if_new: 'subscribed' }),
    });
    expect(member.status).toBe(200);

    const unsubscribed = await post(
      '/__local/mailchimp/unsubscribe',
      JSON.stringify({ email }),
      'application/json',
    );
    expect(unsubscribed.status).toBe(200);
    const { deliveries } = (await unsubscribed.json()) as { deliveries: { status?: number }[] };
    expect(deliveries.map((delivery) => delivery.status)).toEqual([200]);

    const contactId = await contactIdOf(db, tableName, email);
    const items = await contactPartition(db, tableName, contactId);
    expect(items.find((item) => item.sk === 'TOPIC#offers')).toMatchObject({
      status: 'withdrawn',
      source: 'mailchimp',
    });
    expect(items.filter((item) => item.eventType === 'withdrawn')).toEqual([
      expect.objectContaining({ topic: '*', source: 'mailchimp' }),
    ]);
    const suppressionsBefore = await suppressionItems(db, tableName);
    expect(suppressionsBefore.some((item) => item.all === true && item.source === 'mailchimp')).toBe(true);

    const welcomesBefore = (await emailsTo(baseUrl, email)).length;
    expect(
      (await post('/enquiries', new URLSearchParams({ form: 'quote', name: 'Mo', email, message: 'Again' })))
        .status,
    ).toBe(303);
    const after = await contactPartition(db, tableName, contactId);
    expect(after.find((item) => item.sk === 'TOPIC#offers')).toMatchObject({ status: 'withdrawn' });
    expect(after.filter((item) => item.eventType === 'soft_opt_in_granted')).toHaveLength(1);
    expect(await emailsTo(baseUrl, email)).toHaveLength(welcomesBefore);
    const members = (await (await fetch(`${baseUrl}/__local/mailchimp/members`)).json()) as {
      email_address: string;
      status: string;
    }[];
    expect(members.find((entry) => entry.email_address === email)?.status).toBe('unsubscribed');
  });

  it('refuses a forged delivery without the URL key', async () => {
    const response = await post(
      '/webhooks/mailchimp',
      new URLSearchParams({ type: 'unsubscribe', 'data[email]': 'someone@example.com' }),
    );
    expect(response.status).toBe(401);
  });
});

describe('an address and a name changed in MailChimp', () => {
  const members = async () =>
    (await (await fetch(`${baseUrl}/__local/mailchimp/members`)).json()) as {
      email_address: string;
      status: string;
    }[];

  it('moves our contact to the new address and renames it, and MailChimp is left as it is', async () => {
    const email = uniqueEmail('e2e-move-from');
    const newEmail = uniqueEmail('e2e-move-to');
    expect(
      (await post('/enquiries', new URLSearchParams({ form: 'quote', name: 'Mo', email, message: 'Quote' })))
        .status,
    ).toBe(303);
    await expect.poll(() => memberStatus(email), { timeout: 5_000, interval: 100 }).toBe('subscribed');
    const oldId = await contactIdOf(db, tableName, email);

    const changed = await post(
      '/__local/mailchimp/change-email',
      JSON.stringify({ email, newEmail }),
      'application/json',
    );
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { deliveries: { status?: number }[] }).deliveries).toEqual([
      expect.objectContaining({ status: 200 }),
    ]);

    const newId = await contactIdOf(db, tableName, newEmail);
    const moved = await contactPartition(db, tableName, newId);
    expect(moved.find((item) => item.sk === 'TOPIC#offers')).toMatchObject({
      status: 'soft_opt_in',
      email: newEmail,
      source: 'mailchimp',
    });
    expect(moved.filter((item) => item.eventType === 'address_changed')).toHaveLength(1);
    expect(await contactPartition(db, tableName, oldId)).toEqual([
      expect.objectContaining({ sk: 'MOVED', movedTo: newId }),
    ]);

    const renamed = await post(
      '/__local/mailchimp/profile',
      JSON.stringify({ email: newEmail, firstName: 'Mo', lastName: 'Farah' }),
      'application/json',
    );
    expect(renamed.status).toBe(200);
    const after = await contactPartition(db, tableName, newId);
    expect(after.find((item) => item.sk === 'PROFILE')).toMatchObject({ name: 'Mo Farah' });
    expect(after.find((item) => item.sk === 'TOPIC#offers')).toMatchObject({ name: 'Mo Farah' });

    // Give the stream poller time to run the sync over all of that: nothing may bring the old address back.
    await new Promise((done) => setTimeout(done, 2_000));
    const audience = await members();
    expect(audience.filter((member) => member.email_address === email)).toEqual([]);
    expect(audience.find((member) => member.email_address === newEmail)?.status).toBe('subscribed');
  });
});
