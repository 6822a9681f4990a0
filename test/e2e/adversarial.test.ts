/**
 * What an attacker (or a confused client) tried against the running local server, and what it gets now:
 * a MailChimp delivery replayed after the person consented again, links steered by Host and
 * X-Forwarded-Proto, a form posted again and again to flood someone's inbox, and JSON bodies that say one
 * thing twice or carry text that is no Unicode.
 */
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { documentClient, uniqueEmail } from '../support/intake.ts';
import { contactIdOf, contactPartition, emailsTo, linkIn } from '../support/local-server.ts';

const baseUrl = inject('baseUrl');
const tableName = inject('tableName');
const db = documentClient(inject('dynamoDbEndpoint'));
afterAll(() => db.destroy());

const EMULATOR_AUTH = `Basic ${Buffer.from('local:local-emulator-key-us1').toString('base64')}`;

/** A raw HTTP request, so Host and the body's exact bytes are what we say (fetch would fix both). */
function raw(
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(path, baseUrl);
  return new Promise((done, fail) => {
    const sent = request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: body ? 'POST' : 'GET',
        headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          done({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    sent.on('error', fail);
    sent.end(body);
  });
}

const postJson = (body: string | Buffer, headers: Record<string, string> = {}) => {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return raw(
    '/enquiries',
    { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    bytes,
  );
};

/** Asks for the newsletter on the contact form and confirms from the mailbox, as the person would. */
async function consentConfirmed(email: string): Promise<void> {
  const before = (await emailsTo(baseUrl, email)).length;
  const submitted = await postJson(
    // Its own message each time: the same post within minutes would be answered as a repeat.
    JSON.stringify({
      form: 'contact',
      name: 'Ada',
      email,
      message: `Hi (${before})`,
      marketing_consent: true,
    }),
  );
  expect(submitted.status).toBe(201);
  const confirmation = (await emailsTo(baseUrl, email))
    .slice(before)
    .find((sent) => /confirm/i.test(sent.subject));
  if (!confirmation) throw new Error('no confirmation email');
  const confirmed = await fetch(linkIn(confirmation, 'confirm'), { method: 'POST', redirect: 'manual' });
  expect(confirmed.status).toBe(200);
}

async function newsletterStatus(email: string): Promise<unknown> {
  const items = await contactPartition(db, tableName, await contactIdOf(db, tableName, email));
  return items.find((item) => item.sk === 'TOPIC#newsletter')?.status;
}

describe('a MailChimp delivery replayed after the person consented again', () => {
  it('answers 200 every time and leaves the newer consent standing', async () => {
    const email = uniqueEmail('e2e-replay');
    await consentConfirmed(email);
    const hooks = (await (
      await fetch(`${baseUrl}/mailchimp/3.0/lists/local-list/webhooks`, {
        headers: { Authorization: EMULATOR_AUTH },
      })
    ).json()) as { webhooks: { url: string }[] };
    const hook = hooks.webhooks[0]?.url;
    if (!hook) throw new Error('no webhook registered with the emulator');
    const delivery = new URLSearchParams({
      type: 'unsubscribe',
      fired_at: new Date().toISOString().slice(0, 19).replace('T', ' '),
      'data[action]': 'unsub',
      'data[reason]': 'manual',
      'data[email]': email,
      'data[list_id]': 'local-list',
    }).toString();
    const deliver = () =>
      fetch(hook, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: delivery,
      });

    expect((await deliver()).status).toBe(200);
    expect(await newsletterStatus(email)).toBe('withdrawn');
    await consentConfirmed(email);
    expect(await newsletterStatus(email)).toBe('consent');

    expect((await deliver()).status).toBe(200);
    expect((await deliver()).status).toBe(200);
    expect(await newsletterStatus(email)).toBe('consent');
  });
});

describe('links in emails', () => {
  it('point at the configured base, whatever Host and X-Forwarded-Proto the request carried', async () => {
    const email = uniqueEmail('e2e-host');
    const response = await postJson(
      JSON.stringify({ form: 'contact', name: 'Ada', email, message: 'Hi', marketing_consent: true }),
      { Host: 'evil.example:443', 'X-Forwarded-Proto': 'javascript:alert(1)//' },
    );
    expect(response.status).toBe(201);
    const [confirmation] = await emailsTo(baseUrl, email);
    expect(linkIn(confirmation ?? ({} as never), 'confirm').startsWith(`${baseUrl}/confirm?token=`)).toBe(
      true,
    );
    expect(JSON.stringify(confirmation)).not.toMatch(/evil\.example|javascript:/);
  });
});

describe('confirmation emails', () => {
  it('go to an address at most once in the window, however often a stranger posts its form', async () => {
    const email = uniqueEmail('e2e-bomb');
    for (let post = 0; post < 15; post++) {
      const response = await postJson(
        JSON.stringify({
          form: 'contact',
          name: 'Ada',
          email,
          message: `Hi ${post}`,
          marketing_consent: true,
        }),
      );
      // Every post is answered alike, so the sender learns nothing from the suppressed sends.
      expect(response.status).toBe(201);
      expect(Object.keys(JSON.parse(response.body) as object).sort()).toEqual(['id', 'status']);
    }
    expect(await emailsTo(baseUrl, email)).toHaveLength(1);
  });
});

describe('staff answers', () => {
  it('name the next page by the configured base, whatever Host the request carried', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const bearer = execFileSync(
      resolve(root, 'node_modules/.bin/tsx'),
      ['local/token.ts', '--groups', 'sales'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    ).trim();
    await postJson(
      JSON.stringify({ form: 'contact', name: 'Ada', email: uniqueEmail('e2e-staff-host'), message: 'Hi' }),
    );
    await postJson(
      JSON.stringify({ form: 'contact', name: 'Ada', email: uniqueEmail('e2e-staff-host'), message: 'Hi' }),
    );
    const response = await raw('/enquiries?limit=1', {
      Accept: 'application/json',
      Authorization: `Bearer ${bearer}`,
      Host: 'evil.example:443',
      'X-Forwarded-Proto': 'javascript:alert(1)//',
    });
    expect(response.status).toBe(200);
    expect(String(response.headers.link)).toMatch(new RegExp(`^<${baseUrl}/enquiries\\?`));
  });
});

describe('JSON bodies', () => {
  const enquiry = (email: string) => `"form":"contact","name":"Ada","message":"Hi","email":"${email}"`;

  it.each([
    ['a key named twice', (email: string) => `{${enquiry(email)},"email":"other@example.com"}`],
    ['an escaped lone surrogate', (email: string) => `{${enquiry(email)},"company":"\\ud800"}`],
  ])('with %s are refused with 400 and store nothing', async (_label, body) => {
    const email = uniqueEmail('e2e-json');
    const response = await postJson(body(email));
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_request', fields: { body: 'invalid' } });
    expect(await emailsTo(baseUrl, email)).toEqual([]);
  });

  it('of invalid UTF-8 are refused with 400', async () => {
    const email = uniqueEmail('e2e-utf8');
    const bytes = Buffer.concat([
      Buffer.from(`{${enquiry(email)},"company":"A`),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    const response = await postJson(bytes);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_request', fields: { body: 'invalid' } });
  });
});
