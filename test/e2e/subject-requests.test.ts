/**
 * Data-subject rights against the running local server (`npm start`), black-box: a request logged through
 * the API, identity confirmed by the link emailed to the person (read from the local outbox), the access
 * bundle downloaded, and an erasure reaching the MailChimp emulator as a permanent deletion.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { uniqueEmail } from '../support/intake.ts';
import { onlyEmailTo } from '../support/local-server.ts';

const baseUrl = inject('baseUrl');
const ROOT = resolve(import.meta.dirname, '../..');

function token(groups: string): string {
  return execFileSync(resolve(ROOT, 'node_modules/.bin/tsx'), ['local/token.ts', '--groups', groups], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
}

const privacy = token('privacy');

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      Accept: 'application/json',
      Authorization: `Bearer ${privacy}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

async function sale(email: string): Promise<void> {
  const posted = await fetch(`${baseUrl}/enquiries`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ form: 'quote', name: 'Dana Rights', email, message: 'A quote, please' }),
  });
  expect(posted.status).toBe(201);
}

async function memberOf(email: string) {
  const members = (await (await fetch(`${baseUrl}/__local/mailchimp/members`)).json()) as {
    email_address: string;
    status: string;
  }[];
  return members.find((member) => member.email_address === email);
}

/** Confirms the request by the emailed link: GET shows the button, POST confirms. */
async function confirmByEmailedLink(email: string): Promise<void> {
  const message = await onlyEmailTo(baseUrl, email, /confirm your request/i);
  const link = /\S+\/verify-request\?token=\S+/.exec(message.text)?.[0];
  if (!link) throw new Error('no verification link in the email');
  const page = await fetch(link);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Confirm my request');
  const confirmed = await fetch(link, { method: 'POST' });
  expect(confirmed.status).toBe(200);
  expect(await confirmed.text()).toContain('Request confirmed');
}

describe('data-subject rights in local mode', () => {
  it('access: verified by the emailed link, the bundle holds the statement text', async () => {
    const email = uniqueEmail('e2e-access');
    await sale(email);
    const logged = await api('POST', '/subject-requests', {
      type: 'access',
      email,
      channel: 'email',
      identity: { verified: false },
    });
    expect(logged.status).toBe(201);
    const request = JSON.parse(logged.body) as { id: string; status: string };
    expect(request.status).toBe('awaiting_verification');
    await confirmByEmailedLink(email);
    const done = JSON.parse((await api('GET', `/subject-requests/${request.id}`)).body);
    expect(done.status).toBe('completed');
    const bundle = await api('GET', `/subject-requests/${request.id}/export`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-disposition')).toMatch(/^attachment/);
    const document = JSON.parse(bundle.body);
    expect(document.subject.email).toBe(email);
    expect(document.consentHistory.some((event: { statementText?: string }) => event.statementText)).toBe(
      true,
    );
  });

  it('erasure reaches MailChimp as a permanent deletion, and the address cannot be added again', async () => {
    const email = uniqueEmail('e2e-erasure');
    await sale(email);
    await expect
      .poll(() => memberOf(email).then((member) => member?.status), { timeout: 10_000 })
      .toBe('subscribed');
    const logged = await api('POST', '/subject-requests', {
      type: 'erasure',
      email,
      channel: 'phone',
      identity: { verified: true, method: 'called back on the number we hold' },
    });
    expect(logged.status).toBe(201);
    expect(JSON.parse(logged.body)).toMatchObject({ status: 'completed', email: null });
    await expect.poll(() => memberOf(email), { timeout: 10_000 }).toBeUndefined();
    const person = JSON.parse((await api('GET', `/people?email=${encodeURIComponent(email)}`)).body);
    expect(person).toMatchObject({
      contactId: null,
      suppressed: { all: true, reason: 'erasure' },
      enquiries: 0,
    });
  });

  it('rectification of the address moves the MailChimp member to the new address', async () => {
    const email = uniqueEmail('e2e-rectify');
    await sale(email);
    await expect
      .poll(() => memberOf(email).then((member) => member?.status), { timeout: 10_000 })
      .toBe('subscribed');
    const corrected = uniqueEmail('e2e-rectified');
    const logged = await api('POST', '/subject-requests', {
      type: 'rectification',
      email,
      channel: 'email',
      identity: { verified: true, method: 'reply from the address we hold' },
      changes: { email: corrected },
    });
    expect(logged.status).toBe(201);
    expect(JSON.parse(logged.body)).toMatchObject({ status: 'completed', result: { addressMoved: true } });
    await expect
      .poll(() => memberOf(corrected).then((member) => member?.status), { timeout: 10_000 })
      .toBe('subscribed');
    // The same member, moved: nothing is left at the old address, not even an archived copy.
    expect(await memberOf(email)).toBeUndefined();
    const members = (await (await fetch(`${baseUrl}/__local/mailchimp/members`)).json()) as {
      email_address: string;
    }[];
    expect(members.filter((member) => member.email_address === corrected)).toHaveLength(1);
  });

  it('objection, withdrawal and restriction through the API', async () => {
    const email = uniqueEmail('e2e-object');
    await sale(email);
    for (const body of [
      {
        type: 'restriction',
        email,
        channel: 'email',
        identity: { verified: true, method: 'reply from address' },
      },
      {
        type: 'restriction',
        lift: true,
        email,
        channel: 'email',
        identity: { verified: true, method: 'reply' },
      },
      {
        type: 'withdrawal',
        topics: ['offers'],
        email,
        channel: 'in_person',
        identity: { verified: true, method: 'in person' },
      },
      { type: 'objection', email, channel: 'post', identity: { verified: true, method: 'signed letter' } },
    ]) {
      const logged = await api('POST', '/subject-requests', body);
      expect(logged.status, body.type).toBe(201);
      expect(JSON.parse(logged.body).status).toBe('completed');
    }
    const person = JSON.parse((await api('GET', `/people?email=${encodeURIComponent(email)}`)).body);
    expect(person).toMatchObject({
      restricted: false,
      suppressed: { all: true },
      topics: [{ status: 'withdrawn' }],
    });
    const register = JSON.parse((await api('GET', '/subject-requests?status=completed')).body);
    expect(register.items.length).toBeGreaterThanOrEqual(4);
  });
});
