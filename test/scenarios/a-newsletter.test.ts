/**
 * Policy A: opt-in newsletter only; consent withdrawable by any channel; contacts reviewed and defunct
 * ones deleted about every 18 months; subject rights answered within a month. The local system runs with
 * examples/policies/a-newsletter.json. The 18-month review is the retention review (GET /review), and
 * retention (`consentMonths: 18`) deletes whoever nobody renewed, watched by moving the local clock.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAppConfig } from '../../shared/config/schema.ts';
import { uniqueEmail } from '../support/intake.ts';
import { linkIn, onlyEmailTo } from '../support/local-server.ts';
import { policyExamplePath } from '../support/policy-examples.ts';
import { type PolicyServer, startPolicyServer } from '../support/policy-server.ts';
import { postForm } from '../support/scenario-steps.ts';
import { staffClient } from '../support/staff-client.ts';

let server: PolicyServer;
beforeAll(async () => {
  server = await startPolicyServer('a-newsletter.json');
});
afterAll(() => server?.stop());

const DAY = 86_400_000;

async function subscribe(email: string) {
  await postForm(server.baseUrl, { form: 'newsletter', email, marketing_consent: 'yes' });
  const confirmation = await onlyEmailTo(server.baseUrl, email, /confirm your subscription/i);
  await fetch(linkIn(confirmation, 'confirm'), { method: 'POST' });
}

describe('policy A: an opt-in newsletter', () => {
  it('keeps 7 days of backups, reviewed every 18 months, and says so in an erasure receipt', async () => {
    const config = parseAppConfig(JSON.parse(readFileSync(policyExamplePath('a-newsletter.json'), 'utf8')));
    expect(config.retention).toMatchObject({ backupDays: 7, consentMonths: 18, reviewMonths: 18 });
    const staff = staffClient(server.baseUrl);
    const email = uniqueEmail('erased');
    await subscribe(email);
    const erased = await staff.call(['privacy'], 'POST', '/subject-requests', {
      type: 'erasure',
      email,
      channel: 'email',
      identity: { verified: true, method: 'reply from the address we hold' },
    });
    const { result } = erased.json() as { result: { receipt: { backupsClearAt: string; erasedAt: string } } };
    const days = (Date.parse(result.receipt.backupsClearAt) - Date.parse(result.receipt.erasedAt)) / DAY;
    expect(days).toBe(7);
  });

  it('takes a withdrawal by phone, and lets a contact lapse once 18 months pass without interaction', async () => {
    const staff = staffClient(server.baseUrl);
    const byPhone = uniqueEmail('by-phone');
    const quiet = uniqueEmail('quiet');
    await subscribe(byPhone);
    await subscribe(quiet);
    const list = async () =>
      (await staff.call(['marketing'], 'GET', '/contacts?topic=newsletter&limit=1000')).text;
    expect(await list()).toContain(quiet);

    const phoned = await staff.call(['privacy'], 'POST', '/subject-requests', {
      type: 'withdrawal',
      email: byPhone,
      channel: 'phone',
      identity: { verified: true, method: 'called back on the number we hold' },
    });
    expect(phoned.status).toBe(201);
    expect(await list()).not.toContain(byPhone);

    // The review, 17 months on: the privacy lead sees who lapses within the next months, and why.
    await fetch(`${server.baseUrl}/__local/clock`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ advanceDays: 17 * 30 }),
    });
    const reviewed: { email: string; basis: string }[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ withinDays: '90', limit: '100', ...(cursor ? { cursor } : {}) });
      const page = await staff.call(['privacy'], 'GET', `/review?${query}`);
      expect(page.status).toBe(200);
      const body = page.json() as { items: { email: string; basis: string }[]; next: string | null };
      reviewed.push(...body.items);
      cursor = body.next;
    } while (cursor);
    expect(reviewed).toContainEqual(expect.objectContaining({ email: quiet, basis: 'consent' }));
    expect(reviewed.map((row) => row.email)).not.toContain(byPhone);

    // 18 months on, a contact who never interacted again is gone, and so is their data.
    await fetch(`${server.baseUrl}/__local/clock`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ advanceDays: 18 * 31 - 17 * 30 }),
    });
    expect(await list()).not.toContain(quiet);
    const person = await staff.call(['privacy'], 'GET', `/people?email=${encodeURIComponent(quiet)}`);
    expect(person.json()).toMatchObject({ contactId: null });
  });
});
