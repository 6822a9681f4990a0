/**
 * The privacy centre against the running local server (`npm start`), black-box: the link is asked for on
 * the page and taken from the local outbox, and each action is a button on the page (a form POST), as a
 * person without JavaScript would use it. Each action lands in the register with channel `web`.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { documentClient, scanAll, uniqueEmail } from '../support/intake.ts';
import { emailsTo, linkIn } from '../support/local-server.ts';

const baseUrl = inject('baseUrl');
const ROOT = resolve(import.meta.dirname, '../..');
const db = documentClient(inject('dynamoDbEndpoint'));
const tableName = inject('tableName');
afterAll(() => db.destroy());
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' };

async function sale(email: string, name: string): Promise<void> {
  const posted = await fetch(`${baseUrl}/enquiries`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ form: 'quote', name, email, message: `A quote for ${email}, please` }),
  });
  expect(posted.status).toBe(201);
}

async function askForLink(email: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${baseUrl}/privacy-centre`, {
    method: 'POST',
    headers: FORM,
    body: new URLSearchParams({ email }),
  });
  return { status: response.status, body: await response.text() };
}

/** The latest privacy centre link emailed to the address. */
async function linkFor(email: string): Promise<string> {
  await askForLink(email);
  const sent = (await emailsTo(baseUrl, email)).filter((message) =>
    /privacy centre link/.test(message.subject),
  );
  const link = /\S+\/privacy-centre\?token=\S+/.exec(sent.at(-1)?.text ?? '')?.[0];
  if (!link) throw new Error('no privacy centre link in the email');
  return link;
}

async function press(
  link: string,
  fields: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const response = await fetch(link, { method: 'POST', headers: FORM, body: new URLSearchParams(fields) });
  return { status: response.status, body: await response.text() };
}

const page = async (link: string) => (await fetch(link, { headers: { Accept: 'text/html' } })).text();

function staffToken(): string {
  return execFileSync(resolve(ROOT, 'node_modules/.bin/tsx'), ['local/token.ts', '--groups', 'privacy'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
}

/** The finished requests the register holds for the address (newest first). */
async function registerFor(email: string): Promise<{ type: string; channel: string; status: string }[]> {
  const token = staffToken();
  const response = await fetch(`${baseUrl}/subject-requests?status=completed`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  });
  const { items } = (await response.json()) as { items: { id: string }[] };
  const found = [];
  for (const item of items) {
    const full = await fetch(`${baseUrl}/subject-requests/${item.id}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    });
    const request = (await full.json()) as {
      email: string | null;
      type: string;
      channel: string;
      status: string;
    };
    if (request.email === email) found.push(request);
  }
  return found;
}

async function doneEmails(email: string): Promise<number> {
  return (await emailsTo(baseUrl, email)).filter((message) => message.subject.startsWith('Done:')).length;
}

describe('the privacy centre in local mode', () => {
  it('answers the link request the same for a known and an unknown address', async () => {
    const knownAddress = uniqueEmail('pc-known');
    await sale(knownAddress, 'Kim Known');
    const known = await askForLink(knownAddress);
    const unknown = await askForLink(uniqueEmail('pc-unknown'));
    expect(unknown).toEqual(known);
    expect(known.status).toBe(200);
    expect(known.body).toContain('Check your email');
  });

  it('shows what we hold, and downloads it by GET (read only) and by the button (an access request)', async () => {
    const email = uniqueEmail('pc-view');
    await sale(email, 'Vera View');
    const link = await linkFor(email);
    const shown = await page(link);
    expect(shown).toContain('Vera View');
    expect(shown).toContain('Offers on services like the ones you asked about');
    expect(shown).toContain('We may email you about these because you asked us about our services');

    const exportUrl = link.replace('/privacy-centre?', '/privacy-centre/export?');
    const download = await fetch(exportUrl);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="my-data.json"');
    const bundle = (await download.json()) as { schema: string; subject: { email: string } };
    expect(bundle).toMatchObject({ schema: 'consent-desk/access-bundle/v1', subject: { email } });
    expect(await registerFor(email)).toEqual([]);

    const pressed = await fetch(exportUrl, { method: 'POST' });
    expect(pressed.status).toBe(200);
    expect(((await pressed.json()) as { subject: { email: string } }).subject.email).toBe(email);
    expect(await registerFor(email)).toEqual([
      expect.objectContaining({ type: 'access', channel: 'web', status: 'completed' }),
    ]);
    expect(await doneEmails(email)).toBe(1);
  });

  it('corrects details, restricts and lifts, and stops marketing: each in the register, each confirmed', async () => {
    const email = uniqueEmail('pc-actions');
    await sale(email, 'Ann Actions');
    const link = await linkFor(email);

    const corrected = await press(link, { action: 'correct', name: 'Ann Corrected' });
    expect(corrected.status).toBe(200);
    expect(corrected.body).toContain('Your details are corrected');
    expect(corrected.body).toContain('Ann Corrected');

    const restricted = await press(link, { action: 'restrict' });
    expect(restricted.body).toContain('Lift the restriction');
    const lifted = await press(link, { action: 'lift_restriction' });
    expect(lifted.body).toContain('Restrict the use of my data');

    const stopped = await press(link, { action: 'stop_marketing' });
    expect(stopped.body).toContain('You asked us never to send you marketing emails');
    expect(stopped.body).toContain('You stopped these emails');

    const types = (await registerFor(email)).map((request) => [
      request.type,
      request.channel,
      request.status,
    ]);
    expect(types.sort()).toEqual(
      [
        ['objection', 'web', 'completed'],
        ['rectification', 'web', 'completed'],
        ['restriction', 'web', 'completed'],
        ['restriction', 'web', 'completed'],
      ].sort(),
    );
    expect(await doneEmails(email)).toBe(4);
  });

  it('changes the address only once the new address confirms by its own link', async () => {
    const email = uniqueEmail('pc-move-from');
    const newEmail = uniqueEmail('pc-move-to');
    await sale(email, 'Mo Move');
    const link = await linkFor(email);
    const asked = await press(link, { action: 'change_email', email: newEmail });
    expect(asked.body).toContain('Confirm your new address');
    // Nothing has moved yet.
    expect(await page(link)).toContain(email);

    const [confirmation] = (await emailsTo(baseUrl, newEmail)).filter((message) =>
      /confirm your new email address/i.test(message.subject),
    );
    const verify = /\S+\/verify-request\?token=\S+/.exec(confirmation?.text ?? '')?.[0];
    if (!verify) throw new Error('no confirmation link sent to the new address');
    expect((await fetch(verify, { method: 'POST' })).status).toBe(200);

    expect(await page(link)).toContain('holds no personal data');
    const moved = await page(await linkFor(newEmail));
    expect(moved).toContain(newEmail);
    expect(moved).toContain('Mo Move');
  });

  it('deletes everything only after the check, and the link then finds nothing', async () => {
    const email = uniqueEmail('pc-delete');
    await sale(email, 'Del Ete');
    const link = await linkFor(email);
    const check = await press(link, { action: 'delete' });
    expect(check.body).toContain('Are you sure you want to delete all your data?');
    expect(await page(link)).toContain('Del Ete');

    const deleted = await press(link, { action: 'delete', confirm: 'yes' });
    expect(deleted.body).toContain('Your data is deleted');
    expect(await page(link)).toContain('holds no personal data');
    expect(await doneEmails(email)).toBe(1);
  });

  it('never writes on GET or HEAD, as mail scanners send them', async () => {
    const email = uniqueEmail('pc-scanner');
    await sale(email, 'Scan Ner');
    const link = await linkFor(email);
    const pages = [
      link,
      link.replace('/privacy-centre?', '/privacy-centre/export?'),
      `${baseUrl}/privacy-centre`,
      `${baseUrl}/complaints`,
    ];
    const before = await scanAll(db, tableName);
    for (const url of pages) {
      for (const method of ['HEAD', 'GET']) {
        const response = await fetch(url, { method, redirect: 'manual' });
        expect(response.status, `${method} ${url}`).toBe(200);
      }
    }
    expect(await scanAll(db, tableName)).toEqual(before);
  });

  it('answers an altered link with the same 400 page as an altered unsubscribe link', async () => {
    const email = uniqueEmail('pc-altered');
    await sale(email, 'Al Tered');
    const link = await linkFor(email);
    const altered = `${link.slice(0, -1)}${link.endsWith('A') ? 'B' : 'A'}`;
    const response = await fetch(altered);
    const welcome = (await emailsTo(baseUrl, email)).find((message) => /Welcome/.test(message.subject));
    if (!welcome) throw new Error('no welcome email');
    const unsubscribe = linkIn(welcome, 'unsubscribe');
    const standard = await fetch(`${unsubscribe.slice(0, -1)}${unsubscribe.endsWith('A') ? 'B' : 'A'}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(await standard.text());
    expect(welcome.text).toContain(`Your personal data: ${baseUrl}/privacy-centre`);
  });
});

describe('the complaint form in local mode', () => {
  it('logs the complaint and acknowledges it at once', async () => {
    const email = uniqueEmail('complaint');
    const response = await fetch(`${baseUrl}/complaints`, {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({ email, about: 'data_handling', details: 'You kept my data too long.' }),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Complaint received');
    const acknowledgement = (await emailsTo(baseUrl, email)).filter((message) =>
      /received your complaint/.test(message.subject),
    );
    expect(acknowledgement).toHaveLength(1);
  });
});
