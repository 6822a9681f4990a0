/**
 * The people-facing pages of the rights function against DynamoDB Local: GET and HEAD never write, for
 * any token; an expired or altered privacy centre link gets the same 400 page as every other link; and
 * the link request answers the same whether or not the address is known.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { dynamoOutbox } from '../../shared/adapters/dynamodb/outbox.ts';
import { localOutbox, outboxMailer } from '../../shared/adapters/mail/outbox.ts';
import { parseKeyRing, signToken, TOKEN_LIFETIME_SECONDS } from '../../shared/domain/tokens.ts';
import { invalidLinkPage } from '../../shared/http/link-pages.ts';
import { sendQueuedEmails } from '../../shared/use-cases/send-queued-emails.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { lambdaContext, restEvent } from '../handler/events.ts';
import { TEST_KEY_RING } from '../support/config.ts';
import { stubLocalFunctionEnv } from '../support/function-env.ts';
import { documentClient, fields, intakeHarness, scanAll, uniqueEmail } from '../support/intake.ts';

const NOW = new Date('2026-11-22T10:00:00Z');
const endpoint = inject('dynamoDbEndpoint');
const tableName = `${inject('tableName')}PeoplePages`;
const db = documentClient(endpoint);
const ring = parseKeyRing(TEST_KEY_RING);
const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

let handler: (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;
const known = { email: uniqueEmail('people-known'), contactId: '' };

const invoke = (method: 'GET' | 'HEAD' | 'POST', resource: string, query = '', body: string | null = null) =>
  handler(
    restEvent({
      method,
      path: `${resource}${query}`,
      resource,
      headers:
        method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded' } : { Accept: 'text/html' },
      body,
    }),
    lambdaContext,
  );

/** What the mailer does from the table's stream: sends every email still waiting in the outbox. */
async function deliverQueued(): Promise<void> {
  const outbox = dynamoOutbox(db, tableName);
  const ids = await outbox.waitingSince(new Date(NOW.getTime() + 60_000));
  await sendQueuedEmails(
    {
      outbox,
      mailer: outboxMailer,
      linkKeys: async () => ring,
      organisation: 'Example Ltd',
      clock: () => NOW,
    },
    ids,
  );
}

const sign = (contactId: string, issuedAt = epochSeconds(NOW), purpose: 'privacy' | 'verify' = 'privacy') =>
  signToken(ring, { contactId, purpose, epoch: 0, issuedAt });

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  await stubLocalFunctionEnv({ endpoint, tableName });
  const rights = await import('../../functions/rights/handler.ts');
  // API Gateway events always get an API Gateway answer (only the schedule gets the digest's counts).
  handler = rights.handler as typeof handler;
  const harness = intakeHarness(db, tableName);
  harness.clock.now = NOW;
  await submitEnquiry(harness.deps, {
    fields: fields({ form: 'quote', name: 'Page Scanner', email: known.email, message: 'A quote, please' }),
    method: 'html_form',
    page: 'https://www.example.co.uk/quote',
    baseUrl: 'https://api.example.co.uk',
  });
  known.contactId = harness.hasher.contactId(known.email);
}, 60_000);

afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  db.destroy();
});

describe('the people-facing pages against DynamoDB Local', () => {
  const variants = (): [string, string | undefined, number][] => {
    const valid = sign(known.contactId);
    return [
      ['no token', undefined, 200],
      ['valid', valid, 200],
      ['unknown address', sign('ffffffffffffffffffffffffffffffff'), 200],
      ['expired', sign(known.contactId, epochSeconds(NOW) - TOKEN_LIFETIME_SECONDS.privacy - 1), 400],
      ['altered', `${valid.slice(0, -1)}${valid.endsWith('A') ? 'B' : 'A'}`, 400],
      ['for another purpose', sign(known.contactId, epochSeconds(NOW), 'verify'), 400],
      ['malformed', 'not-a-token', 400],
    ];
  };

  /** The complaint form needs no token; the export and the verification page need theirs. */
  const expectedStatus = (resource: string, variant: string, status: number) => {
    if (resource === '/complaints') return 200;
    if (resource === '/verify-request') return variant === 'for another purpose' ? 200 : 400;
    if (resource === '/privacy-centre/export' && variant === 'no token') return 400;
    return status;
  };

  it('can see a write: a POST from the page changes the table', async () => {
    const before = await scanAll(db, tableName);
    const response = await invoke(
      'POST',
      '/privacy-centre',
      `?token=${sign(known.contactId)}`,
      'action=correct&phone=01632960001',
    );
    expect(response.statusCode).toBe(200);
    expect(await scanAll(db, tableName)).not.toEqual(before);
  });

  it.each(['GET', 'HEAD'] as const)('%s never writes, on any page, for any token', async (method) => {
    const before = await scanAll(db, tableName);
    for (const resource of ['/privacy-centre', '/privacy-centre/export', '/complaints', '/verify-request']) {
      for (const [variant, token, status] of variants()) {
        const response = await invoke(method, resource, token === undefined ? '' : `?token=${token}`);
        expect(response.statusCode, `${method} ${resource}, ${variant}`).toBe(
          expectedStatus(resource, variant, status),
        );
        expect(response.headers?.['Content-Type'], `${method} ${resource}, ${variant}`).toMatch(
          resource === '/privacy-centre/export' && status === 200 && token
            ? /^application\/json/
            : /^text\/html/,
        );
      }
    }
    expect(await scanAll(db, tableName)).toEqual(before);
  });

  it('answers an expired or altered link with the same 400 page as every other link', async () => {
    const standard = invalidLinkPage();
    for (const [variant, token, status] of variants()) {
      if (status !== 400) continue;
      for (const method of ['GET', 'POST'] as const) {
        const response = await invoke(method, '/privacy-centre', `?token=${token}`, 'action=stop_marketing');
        expect(response.statusCode, `${method} ${variant}`).toBe(400);
        expect(response.body, `${method} ${variant}`).toBe(standard.body);
      }
    }
  });

  it('answers a link request the same for a known and an unknown address, and emails both', async () => {
    const unknown = uniqueEmail('people-unknown');
    await deliverQueued(); // what earlier tests queued
    const sentBefore = localOutbox.length;
    const forKnown = await invoke('POST', '/privacy-centre', '', `email=${encodeURIComponent(known.email)}`);
    const forUnknown = await invoke('POST', '/privacy-centre', '', `email=${encodeURIComponent(unknown)}`);
    expect(forUnknown).toEqual(forKnown);
    expect(forKnown.statusCode).toBe(200);
    await deliverQueued();
    const sent = localOutbox.slice(sentBefore);
    expect(sent.map((email) => email.to).sort()).toEqual([known.email, unknown].sort());
    for (const email of sent) expect(email.text).toMatch(/\/privacy-centre\?token=v1\./);
    // A filled honeypot gets the same page, and nothing is sent.
    const bot = await invoke('POST', '/privacy-centre', '', `email=${encodeURIComponent(unknown)}&website=x`);
    expect(bot).toEqual(forKnown);
    await deliverQueued();
    expect(localOutbox.length).toBe(sentBefore + 2);
  });

  it('never acts on another address: a link for an address we do not hold changes nothing', async () => {
    const before = await scanAll(db, tableName);
    const token = sign('ffffffffffffffffffffffffffffffff');
    const response = await invoke('POST', '/privacy-centre', `?token=${token}`, 'action=delete&confirm=yes');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('holds no personal data');
    expect(await scanAll(db, tableName)).toEqual(before);
  });

  it('logs a complaint in the register, acknowledged at once', async () => {
    const email = uniqueEmail('people-complaint');
    await deliverQueued(); // what earlier tests queued
    const sentBefore = localOutbox.length;
    const response = await invoke(
      'POST',
      '/complaints',
      '',
      `email=${encodeURIComponent(email)}&about=marketing_emails&details=${encodeURIComponent('Too many emails')}`,
    );
    expect(response.statusCode).toBe(200);
    const requests = (await scanAll(db, tableName)).filter(
      (item) => item.type === 'subject_request' && (item.request as { type: string }).type === 'complaint',
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      email,
      request: { type: 'complaint', status: 'open', channel: 'web', acknowledgeBy: '2026-12-22' },
      input: { about: 'marketing_emails', details: 'Too many emails' },
    });
    await deliverQueued();
    expect(localOutbox.slice(sentBefore).map((sent) => [sent.to, sent.subject])).toEqual([
      [email, 'We have received your complaint'],
    ]);
  });
});
