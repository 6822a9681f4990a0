/**
 * The staff API against the running local server (`npm start`), black-box: a token from `npm run token`,
 * a sale through the public form, the marketing list (JSON and CSV), and an unsubscribe taking the person
 * off it.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { uniqueEmail } from '../support/intake.ts';
import { linkIn, onlyEmailTo } from '../support/local-server.ts';

const baseUrl = inject('baseUrl');
const ROOT = resolve(import.meta.dirname, '../..');

/** What a developer runs: `npm run token -- --groups …`, here without npm's banner. */
function token(groups: string): string {
  return execFileSync(resolve(ROOT, 'node_modules/.bin/tsx'), ['local/token.ts', '--groups', groups], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
}

const asStaff = (path: string, bearer: string | undefined, accept = 'application/json') =>
  fetch(`${baseUrl}${path}`, {
    headers: { Accept: accept, ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
  });

/** Every row of the `offers` list, following `next` to the end. */
async function offersList(bearer: string): Promise<string[]> {
  const emails: string[] = [];
  let url: string | null = '/contacts?topic=offers&limit=1000';
  while (url) {
    const response = await asStaff(url, bearer);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: { email: string }[]; next: string | null };
    emails.push(...body.items.map((item) => item.email));
    url = body.next ? `/contacts?topic=offers&limit=1000&cursor=${encodeURIComponent(body.next)}` : null;
  }
  return emails;
}

describe('the staff API in local mode', () => {
  const marketing = token('marketing');

  it('refuses requests without a valid token, and the wrong group', async () => {
    expect((await asStaff('/contacts?topic=offers', undefined)).status).toBe(401);
    expect((await asStaff('/contacts?topic=offers', `${marketing.slice(0, -3)}abc`)).status).toBe(401);
    expect((await asStaff('/contacts?topic=offers', 'not-a-jwt')).status).toBe(401);
    const sales = token('sales');
    expect((await asStaff('/contacts?topic=offers', sales)).status).toBe(403);
    expect((await asStaff('/enquiries', marketing)).status).toBe(403);
    expect((await asStaff('/enquiries', sales)).status).toBe(200);
  });

  it('lists a soft opt-in from a sale, exports it as CSV, and drops it after an unsubscribe', async () => {
    const email = uniqueEmail('e2e-staff');
    const posted = await fetch(`${baseUrl}/enquiries`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ form: 'quote', name: 'Pat Lister', email, message: 'A quote, please' }),
    });
    expect(posted.status).toBe(201);
    expect(await offersList(marketing)).toContain(email);

    const csv = await asStaff('/contacts?topic=offers&basis=soft_opt_in&limit=5000', marketing, 'text/csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toBe('contact_id,email,name,topic,basis,since,source,form');
    expect(text).toMatch(
      new RegExp(`,${email.replace('.', '\\.')},Pat Lister,offers,soft_opt_in,[^,]+,form,quote\\r\\n`),
    );

    // The welcome email's one-click unsubscribe takes the person off the list at once.
    const welcome = await onlyEmailTo(baseUrl, email, /welcome/i);
    const unsubscribed = await fetch(linkIn(welcome, 'unsubscribe'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(unsubscribed.status).toBe(200);
    expect(await offersList(marketing)).not.toContain(email);
  });

  it('shows a contact with its history to the privacy group, and records the read', async () => {
    const email = uniqueEmail('e2e-staff-detail');
    await fetch(`${baseUrl}/enquiries`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ form: 'quote', name: 'Kim Detail', email, message: 'Hello' }),
    });
    const list = (await (await asStaff('/contacts?topic=offers&limit=1000', marketing)).json()) as {
      items: { email: string; contactId: string }[];
    };
    const row = list.items.find((item) => item.email === email);
    const privacy = token('privacy');
    const detail = await asStaff(`/contacts/${row?.contactId}`, privacy);
    expect(detail.status).toBe(200);
    const body = (await detail.json()) as { history: unknown[]; preferencesUrl: string };
    expect(body).toMatchObject({ email, name: 'Kim Detail', restricted: false });
    expect(body.history).toEqual([
      expect.objectContaining({
        type: 'soft_opt_in_granted',
        topic: 'offers',
        statementText: expect.any(String),
      }),
    ]);
    expect(body.preferencesUrl).toMatch(`${baseUrl}/preferences?token=`);

    const trail = (await (await asStaff('/audit?limit=20', privacy)).json()) as {
      items: { route: string; subject?: string }[];
    };
    expect(trail.items).toContainEqual(
      expect.objectContaining({ route: '/contacts/{id}', subject: row?.contactId }),
    );
    expect(JSON.stringify(trail)).not.toContain(email);
  });
});
