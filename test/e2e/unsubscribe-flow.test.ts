/**
 * The links in our emails against the running local server, black-box: double opt-in confirmation,
 * scanner-safe pages (GET and HEAD change nothing), RFC 8058 one-click unsubscribe, and the suppression
 * that keeps an unsubscribed address from coming back through a later soft opt-in.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { documentClient, uniqueEmail } from '../support/intake.ts';
import {
  contactIdOf,
  contactPartition,
  emailsTo,
  type Item,
  linkIn,
  onlyEmailTo,
  suppressionItems,
} from '../support/local-server.ts';

const baseUrl = inject('baseUrl');
const tableName = inject('tableName');
const db = documentClient(inject('dynamoDbEndpoint'));

afterAll(() => db.destroy());

const ONE_CLICK = 'List-Unsubscribe=One-Click';

async function submitConsentForm(email: string): Promise<void> {
  const response = await fetch(`${baseUrl}/enquiries`, {
    method: 'POST',
    body: new URLSearchParams({
      form: 'contact',
      name: 'Link Example',
      email,
      message: 'Please send me the newsletter.',
      marketing_consent: 'yes',
      website: '',
    }),
    redirect: 'manual',
  });
  expect(response.status).toBe(303);
}

async function submitQuoteForm(email: string): Promise<void> {
  const response = await fetch(`${baseUrl}/enquiries`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ form: 'quote', name: 'Link Example', email, message: 'A quote, please.' }),
  });
  expect(response.status).toBe(201);
}

/** What a mail provider sends for RFC 8058: no cookies, no credentials, no redirect following. */
const oneClick = (url: string, body: URLSearchParams | FormData = new URLSearchParams(ONE_CLICK)) =>
  fetch(url, { method: 'POST', body, redirect: 'manual', credentials: 'omit' });

/** A press of the page's button: the form's own fields, posted back to the same URL. */
const pressButton = (url: string, fields: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });

const topicItems = (partition: Item[]) => partition.filter((item) => item.type === 'topic');
const eventItems = (partition: Item[]) => partition.filter((item) => item.type === 'consent_event');

/** Everything that could change: the contact's partition and every suppression entry. */
async function stateOf(contactId: string) {
  return {
    partition: await contactPartition(db, tableName, contactId),
    suppressions: await suppressionItems(db, tableName),
  };
}

function expectSafePage(response: Response) {
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toMatch(/default-src 'none'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/script-src|unsafe-inline/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('set-cookie')).toBeNull();
}

describe('a double opt-in, confirmed and then unsubscribed through the email links', () => {
  it('confirms on POST only, unsubscribes in one click, and keeps the address from coming back', async () => {
    const email = uniqueEmail('e2e-links');
    await submitConsentForm(email);
    const contactId = await contactIdOf(db, tableName, email);
    const confirmation = await onlyEmailTo(baseUrl, email, /confirm/i);
    const confirmUrl = linkIn(confirmation, 'confirm');

    // Opening the confirmation link shows a page and changes nothing.
    const pending = await stateOf(contactId);
    expect(topicItems(pending.partition)).toEqual([
      expect.objectContaining({ topic: 'newsletter', status: 'pending' }),
    ]);
    const confirmPage = await fetch(confirmUrl, { redirect: 'manual' });
    expect(confirmPage.status).toBe(200);
    expectSafePage(confirmPage);
    const confirmHtml = await confirmPage.text();
    expect(confirmHtml).toMatch(/<form method="post"/);
    expect(confirmHtml).toMatch(/<button type="submit">[^<]*Confirm/);
    expect(confirmHtml).not.toContain(email);
    expect(await stateOf(contactId)).toEqual(pending);

    // Pressing Confirm turns the pending request into consent, listed for its topic.
    const confirmed = await pressButton(confirmUrl, { confirm: 'yes' });
    expect(confirmed.status).toBe(200);
    expectSafePage(confirmed);
    expect(await confirmed.text()).toContain('Subscription confirmed');
    const afterConfirm = await stateOf(contactId);
    expect(topicItems(afterConfirm.partition)).toEqual([
      expect.objectContaining({
        topic: 'newsletter',
        status: 'consent',
        gsi1pk: 'TOPIC#newsletter',
        gsi1sk: `consent#${contactId}`,
        email,
      }),
    ]);
    expect(eventItems(afterConfirm.partition).map((event) => event.eventType)).toEqual([
      'consent_requested',
      'consent_confirmed',
    ]);
    expect(afterConfirm.suppressions).toEqual(pending.suppressions);

    // HEAD and GET on the unsubscribe link, as mail scanners send them, change nothing either.
    const unsubscribeUrl = linkIn(confirmation, 'unsubscribe');
    expect(confirmation.headers?.['List-Unsubscribe']).toBe(`<${unsubscribeUrl}>`);
    const head = await fetch(unsubscribeUrl, { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const page = await fetch(unsubscribeUrl, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expectSafePage(page);
    const pageHtml = await page.text();
    expect(pageHtml).toMatch(/<form method="post"/);
    expect(pageHtml).toMatch(/<button type="submit">/);
    expect(pageHtml).not.toContain(email);
    expect(await stateOf(contactId)).toEqual(afterConfirm);

    // RFC 8058 one-click: 200, no redirect, no cookie; everything withdrawn and the address suppressed.
    const first = await oneClick(unsubscribeUrl);
    const firstBody = await first.text();
    expect(first.status).toBe(200);
    expect(first.headers.get('location')).toBeNull();
    expect(first.headers.get('set-cookie')).toBeNull();
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(firstBody).not.toContain(email);
    const unsubscribed = await stateOf(contactId);
    const [topic] = topicItems(unsubscribed.partition);
    expect(topic).toMatchObject({ topic: 'newsletter', status: 'withdrawn' });
    // Withdrawn permissions drop out of the list index.
    expect(topic).not.toHaveProperty('gsi1pk');
    expect(eventItems(unsubscribed.partition).map((event) => event.eventType)).toEqual([
      'consent_requested',
      'consent_confirmed',
      'withdrawn',
    ]);
    const added = unsubscribed.suppressions.filter(
      (item) => !afterConfirm.suppressions.some((before) => before.pk === item.pk),
    );
    expect(added).toEqual([
      expect.objectContaining({
        pk: expect.stringMatching(/^SUPPRESSION#[0-9a-f]{64}$/),
        sk: 'SUPPRESSION',
        all: true,
      }),
    ]);
    // Only a keyed hash of the address is kept.
    expect(JSON.stringify(added)).not.toContain(email);

    // A repeat (providers retry) gets the same answer and writes nothing.
    const again = await oneClick(unsubscribeUrl);
    expect(again.status).toBe(first.status);
    expect(await again.text()).toBe(firstBody);
    expect(again.headers.get('location')).toBeNull();
    expect(await stateOf(contactId)).toEqual(unsubscribed);

    // A later sales enquiry from the same address gives no soft opt-in, and so no welcome email.
    await submitQuoteForm(email);
    const offers = topicItems(await contactPartition(db, tableName, contactId)).filter(
      (item) => item.topic === 'offers',
    );
    for (const item of offers) expect(item.status).not.toBe('soft_opt_in');
    expect(offers.filter((item) => 'gsi1pk' in item)).toEqual([]);
    expect(
      eventItems(await contactPartition(db, tableName, contactId)).map((event) => event.eventType),
    ).not.toContain('soft_opt_in_granted');
    expect((await emailsTo(baseUrl, email)).map((sent) => sent.subject)).toEqual([confirmation.subject]);
  });
});

describe('the link routes', () => {
  it('take a multipart one-click body too', async () => {
    const email = uniqueEmail('e2e-multipart-click');
    await submitQuoteForm(email);
    const contactId = await contactIdOf(db, tableName, email);
    const welcome = await onlyEmailTo(baseUrl, email, /welcome/i);
    const before = await stateOf(contactId);
    expect(topicItems(before.partition)).toEqual([
      expect.objectContaining({ topic: 'offers', status: 'soft_opt_in' }),
    ]);

    const body = new FormData();
    body.append('List-Unsubscribe', 'One-Click');
    const response = await oneClick(linkIn(welcome, 'unsubscribe'), body);

    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    const after = await stateOf(contactId);
    expect(topicItems(after.partition)).toEqual([
      expect.objectContaining({ topic: 'offers', status: 'withdrawn' }),
    ]);
    const added = after.suppressions.filter(
      (item) => !before.suppressions.some((known) => known.pk === item.pk),
    );
    expect(added).toEqual([expect.objectContaining({ all: true })]);
  });

  it('answer a tampered link with a 400 page that reveals nothing, and change nothing', async () => {
    const email = uniqueEmail('e2e-tampered');
    await submitConsentForm(email);
    const contactId = await contactIdOf(db, tableName, email);
    const confirmation = await onlyEmailTo(baseUrl, email, /confirm/i);
    const before = await stateOf(contactId);

    const tamperings = (['confirm', 'unsubscribe', 'preferences'] as const).flatMap((kind) => {
      const url = linkIn(confirmation, kind);
      const payloadAt = url.indexOf('.', url.indexOf('token=v1.') + 'token=v1.'.length) + 3;
      // One character changed: the signature's last (whose low bits base64url leaves unused) or the payload's.
      return [url.length - 1, payloadAt].map((at) => ({
        kind,
        tampered: `${url.slice(0, at)}${url[at] === 'A' ? 'B' : 'A'}${url.slice(at + 1)}`,
      }));
    });
    for (const { kind, tampered } of tamperings) {
      for (const method of ['GET', 'HEAD', 'POST'] as const) {
        const response = await fetch(tampered, {
          method,
          redirect: 'manual',
          ...(method === 'POST' ? { body: new URLSearchParams(ONE_CLICK) } : {}),
        });
        expect(response.status, `${method} ${kind}`).toBe(400);
        expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(response.headers.get('location')).toBeNull();
        if (method === 'HEAD') continue;
        const html = await response.text();
        expect(html).toContain('This link does not work');
        expect(html).not.toContain(email);
        expect(html).not.toContain(contactId);
        expect(html).not.toMatch(/@/);
      }
    }
    expect(await stateOf(contactId)).toEqual(before);
  });
});
