/**
 * POST /enquiries against the running local server (`npm start`), black-box: what a website or a
 * browser sends, what comes back, what lands in the outbox and in the table.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { exampleConfig } from '../support/config.ts';
import { documentClient, scanAll, uniqueEmail } from '../support/intake.ts';
import { emailsTo, linkIn, mailSettled, type OutboxEntry, onlyEmailTo } from '../support/local-server.ts';

const baseUrl = inject('baseUrl');
const tableName = inject('tableName');
const db = documentClient(inject('dynamoDbEndpoint'));

afterAll(() => db.destroy());

type Item = Record<string, unknown>;

/** A value only this test sends, so its traces can be told apart from every other test's. */
const marker = () => `e2e-marker-${randomUUID()}`;

function post(body: RequestInit['body'], headers: Record<string, string> = {}) {
  return fetch(`${baseUrl}/enquiries`, { method: 'POST', body, headers, redirect: 'manual' });
}

const postJson = (fields: Record<string, unknown>) =>
  post(JSON.stringify(fields), { 'Content-Type': 'application/json' });

async function itemsMentioning(text: string): Promise<Item[]> {
  return (await scanAll(db, tableName)).filter((item) => JSON.stringify(item).includes(text));
}

async function emailsMentioning(text: string): Promise<OutboxEntry[]> {
  await mailSettled(baseUrl);
  const response = await fetch(`${baseUrl}/__local/outbox`);
  expect(response.status).toBe(200);
  return ((await response.json()) as OutboxEntry[]).filter((email) => email.text.includes(text));
}

async function topicsOf(email: string): Promise<Item[]> {
  return (await scanAll(db, tableName)).filter((item) => item.type === 'topic' && item.email === email);
}

describe('the demo page', () => {
  it('serves both marketing forms as plain HTML with a script-free policy', async () => {
    const response = await fetch(`${baseUrl}/`);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(response.headers.get('content-security-policy')).not.toMatch(/script-src|unsafe-inline/);
    expect(html).toContain('<html lang="en-GB">');
    expect(html).not.toContain('<script');
    expect(html).toContain('<input type="hidden" name="form" value="contact">');
    expect(html).toContain('<input type="hidden" name="form" value="quote">');
    expect(html).toMatch(
      /<input type="checkbox" id="contact-marketing_consent" name="marketing_consent" value="yes">/,
    );
    expect(html).toMatch(
      /<input type="checkbox" id="quote-marketing_opt_out" name="marketing_opt_out" value="yes">/,
    );
    expect(html).toContain('tabindex="-1" autocomplete="off" aria-hidden="true"');
  });

  it('answers HEAD like GET, without a body', async () => {
    const response = await fetch(`${baseUrl}/`, { method: 'HEAD' });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });
});

describe('POST /enquiries', () => {
  it('takes an HTML form post with the consent box ticked: 303 to the thank-you page, consent pending confirmation', async () => {
    const email = uniqueEmail('e2e-consent');
    const message = marker();
    const response = await post(
      new URLSearchParams({
        form: 'contact',
        name: 'Ada Example',
        email,
        message,
        marketing_consent: 'yes',
        statement_version: '2026-11',
        website: '',
      }),
    );

    expect(response.status).toBe(303);
    const location = response.headers.get('location') ?? '';
    const target = new URL(location, baseUrl);
    expect(target.origin).toBe(baseUrl);
    const thankYou = await fetch(target);
    expect(thankYou.status).toBe(200);
    expect(thankYou.headers.get('content-type')).toMatch(/^text\/html/);

    const [enquiry] = (await itemsMentioning(message)).filter((item) => item.type === 'enquiry');
    expect(enquiry).toMatchObject({ formId: 'contact', fields: { email, message, name: 'Ada Example' } });
    // Double opt-in: not mailable, and so not in the list index, until the person confirms.
    const topics = await topicsOf(email);
    expect(topics).toEqual([
      expect.objectContaining({
        topic: 'newsletter',
        status: 'pending',
        formId: 'contact',
        statementVersion: '2026-11',
      }),
    ]);
    expect(topics[0]).not.toHaveProperty('gsi1pk');
    const events = (await scanAll(db, tableName)).filter(
      (item) => item.type === 'consent_event' && item.contactId === enquiry?.contactId,
    );
    expect(events).toEqual([
      expect.objectContaining({
        eventType: 'consent_requested',
        method: 'html_form',
        statementVersion: '2026-11',
      }),
    ]);
    expect(await emailsMentioning(message)).toEqual([expect.objectContaining({ to: 'sales@example.co.uk' })]);

    const confirmation = await onlyEmailTo(baseUrl, email, /confirm/i);
    const links = {
      confirm: linkIn(confirmation, 'confirm'),
      unsubscribe: linkIn(confirmation, 'unsubscribe'),
      preferences: linkIn(confirmation, 'preferences'),
    };
    expect(links).toEqual({
      confirm: expect.stringMatching(new RegExp(`^${baseUrl}/confirm\\?token=v1\\.`)),
      unsubscribe: expect.stringMatching(new RegExp(`^${baseUrl}/unsubscribe\\?token=v1\\.`)),
      preferences: expect.stringMatching(new RegExp(`^${baseUrl}/preferences\\?token=v1\\.`)),
    });
    // The enquiry's free text never goes into a marketing email.
    expect(confirmation.text).not.toContain(message);
    expect(confirmation.headers).toEqual({
      'List-Unsubscribe': `<${links.unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expect(await emailsTo(baseUrl, email)).toHaveLength(1);
  });

  it('takes JSON: 201 with the id, soft opt-in recorded for a sales enquiry without the opt-out', async () => {
    const email = uniqueEmail('e2e-soft');
    const message = marker();
    const response = await postJson({ form: 'quote', name: 'Bo Example', email, message });

    expect(response.status).toBe(201);
    const body = (await response.json()) as { id: string; status: string };
    expect(body).toEqual({ id: expect.any(String), status: 'received' });
    const enquiries = (await itemsMentioning(message)).filter((item) => item.type === 'enquiry');
    expect(enquiries).toEqual([expect.objectContaining({ enquiryId: body.id, formId: 'quote' })]);
    expect(await topicsOf(email)).toEqual([
      expect.objectContaining({ topic: 'offers', status: 'soft_opt_in', formId: 'quote' }),
    ]);
    const [notification] = await emailsMentioning(message);
    expect(notification).toMatchObject({ to: 'sales@example.co.uk' });

    // Soft opt-in needs no confirmation; the welcome email offers the way out straight away.
    const welcome = await onlyEmailTo(baseUrl, email, /welcome/i);
    expect(welcome.text).not.toContain('Confirm:');
    expect(welcome.text).not.toContain(message);
    const unsubscribe = linkIn(welcome, 'unsubscribe');
    expect(unsubscribe).toMatch(new RegExp(`^${baseUrl}/unsubscribe\\?token=v1\\.`));
    expect(linkIn(welcome, 'preferences')).toMatch(new RegExp(`^${baseUrl}/preferences\\?token=v1\\.`));
    expect(welcome.headers).toEqual({
      'List-Unsubscribe': `<${unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expect(await emailsTo(baseUrl, email)).toHaveLength(1);
  });

  it('takes multipart form data; a taken opt-out gives no marketing permission', async () => {
    const email = uniqueEmail('e2e-multipart');
    const message = marker();
    const form = new FormData();
    for (const [name, value] of Object.entries({ form: 'quote', name: 'Cy Example', email, message })) {
      form.append(name, value);
    }
    form.append('marketing_opt_out', 'yes');
    const response = await post(form, { Accept: 'application/json' });

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: expect.any(String), status: 'received' });
    expect((await itemsMentioning(message)).filter((item) => item.type === 'enquiry')).toHaveLength(1);
    expect((await topicsOf(email)).filter((item) => item.status === 'soft_opt_in')).toEqual([]);
    expect(await emailsMentioning(message)).toHaveLength(1);
    expect(await emailsTo(baseUrl, email)).toEqual([]);
  });

  it('delivers a store:false form to staff and keeps nothing of it', async () => {
    const message = marker();
    const response = await postJson({
      form: 'callback',
      name: 'Di Example',
      phone: '020 7946 0000',
      message,
    });

    expect(response.status).toBe(201);
    expect(await emailsMentioning(message)).toHaveLength(1);
    expect(await itemsMentioning(message)).toEqual([]);
  });

  it('answers a filled honeypot exactly like a success, and stores and sends nothing', async () => {
    const email = uniqueEmail('e2e-bot');
    const message = marker();
    const fields = { form: 'contact', name: 'Bot', email, message, website: 'https://spam.example' };

    const json = await postJson(fields);
    expect(json.status).toBe(201);
    expect(await json.json()).toEqual({ id: expect.any(String), status: 'received' });
    const html = await post(new URLSearchParams(fields));
    expect(html.status).toBe(303);
    expect(html.headers.get('location')).toBe(
      (await post(new URLSearchParams({ ...fields, website: '', message: marker() }))).headers.get(
        'location',
      ),
    );

    expect(await itemsMentioning(message)).toEqual([]);
    expect(await emailsMentioning(message)).toEqual([]);
    expect(await emailsTo(baseUrl, email)).toEqual([]);
  });

  it('refuses a content type it does not take with 415', async () => {
    const response = await post('name=x', { 'Content-Type': 'text/plain' });

    expect(response.status).toBe(415);
  });

  it('refuses a body over 16 KiB with 413', async () => {
    const message = 'x'.repeat(17 * 1024);
    const response = await postJson({ form: 'contact', name: 'Ed', email: uniqueEmail('e2e-big'), message });

    expect(response.status).toBe(413);
  });

  it('answers an unknown form with 400 and echoes nothing back', async () => {
    const email = uniqueEmail('e2e-unknown');
    const response = await postJson({ form: 'no-such-form', name: 'Fi', email, message: 'hello' });

    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'invalid_request' });
    expect(text).not.toContain(email);
  });
});

describe('the local API gateway', () => {
  it('answers a CORS preflight for an allowed origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${baseUrl}/enquiries`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });

    const allowedOrigin = exampleConfig.allowedOrigins.at(-1) ?? '';
    const allowed = await preflight(allowedOrigin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers an unknown route with a JSON 404', async () => {
    const response = await fetch(`${baseUrl}/no-such-route`);

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });

  it('lists the outbox as JSON', async () => {
    const response = await fetch(`${baseUrl}/__local/outbox`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Array.isArray(await response.json())).toBe(true);
  });
});
