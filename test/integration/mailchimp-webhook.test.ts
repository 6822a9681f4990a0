/**
 * MailChimp's webhook against DynamoDB Local, through the real handler: an unsubscribe made in MailChimp
 * withdraws and suppresses the person here, once however often it is delivered; forged deliveries
 * change nothing; no webhook can make anyone mailable.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import { lambdaContext, restEvent } from '../handler/events.ts';
import { runtimeConfig, TEST_HASH_KEY, TEST_KEY_RING } from '../support/config.ts';
import { documentClient, intakeHarness, scanAll, uniqueEmail } from '../support/intake.ts';

const tableName = inject('tableName');
const db = documentClient(inject('dynamoDbEndpoint'));
const URL_KEY = 'integration-webhook-url-key-0123456789';
/** The contact form confirming at once, so people are mailable before MailChimp tells us otherwise. */
const config = runtimeConfig({
  forms: runtimeConfig().forms.map((form) =>
    form.marketing.mode === 'consent'
      ? { ...form, marketing: { ...form.marketing, confirmation: 'none' } }
      : form,
  ),
});

let handler: (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', tableName);
  vi.stubEnv('DYNAMODB_ENDPOINT', inject('dynamoDbEndpoint'));
  vi.stubEnv('APP_CONFIG', JSON.stringify(config));
  vi.stubEnv('MAIL_TRANSPORT', 'outbox');
  vi.stubEnv('EMAIL_HASH_KEY', TEST_HASH_KEY);
  vi.stubEnv('TOKEN_SIGNING_KEYS', TEST_KEY_RING);
  vi.stubEnv('MAILCHIMP_WEBHOOK_SECRET', JSON.stringify({ urlKey: URL_KEY }));
  vi.stubEnv('AWS_REGION', 'eu-west-2');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  ({ handler } = await import('../../functions/mailchimp-webhook/handler.ts'));
});
afterAll(() => db.destroy());

function delivery(type: string, email: string, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    type,
    fired_at: '2026-11-22 10:00:00',
    'data[action]': 'unsub',
    'data[reason]': 'manual',
    'data[email]': email,
    'data[list_id]': 'local-list',
    ...extra,
  }).toString();
}

const post = (body: string, key: string | null = URL_KEY, headers: Record<string, string> = {}) => {
  const event = restEvent({
    method: 'POST',
    path: '/webhooks/mailchimp',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return handler({ ...event, queryStringParameters: key === null ? null : { key } }, lambdaContext);
};

async function subscribed(email: string) {
  const harness = intakeHarness(db, tableName, config);
  harness.clock.now = new Date();
  await (await import('../../shared/use-cases/submit-enquiry.ts')).submitEnquiry(harness.deps, {
    fields: new Map(
      Object.entries({
        form: ['contact'],
        name: ['Ada'],
        email: [email],
        message: ['Hi'],
        marketing_consent: ['yes'],
      }),
    ),
    method: 'json',
    page: undefined,
    baseUrl: 'http://localhost:3000',
  });
  return {
    contactId: harness.hasher.contactId(email),
    suppressionHash: harness.hasher.suppressionHash(email),
  };
}

async function partition(contactId: string) {
  const result = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.contact(contactId).pk },
      ConsistentRead: true,
    }),
  );
  return result.Items ?? [];
}

describe('POST /webhooks/mailchimp', () => {
  it('withdraws and suppresses on an unsubscribe, once however often MailChimp delivers it', async () => {
    const email = uniqueEmail('mc-unsub');
    const { contactId, suppressionHash } = await subscribed(email);
    const body = delivery('unsubscribe', email);
    for (let i = 0; i < 3; i++) expect((await post(body)).statusCode).toBe(200);

    const items = await partition(contactId);
    expect(items.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({ status: 'withdrawn' });
    const withdrawals = items.filter((item) => item.eventType === 'withdrawn');
    expect(withdrawals).toEqual([
      expect.objectContaining({
        topic: '*',
        source: 'mailchimp',
        actor: 'mailchimp',
        reason: 'mailchimp_unsubscribe:manual',
      }),
    ]);
    const all = await scanAll(db, tableName);
    expect(all.find((item) => item.pk === keys.suppression(suppressionHash).pk)).toMatchObject({
      all: true,
      source: 'mailchimp',
    });
  });

  it('suppresses an address we never held, so a later soft opt-in cannot add it', async () => {
    const email = uniqueEmail('mc-unknown');
    expect((await post(delivery('cleaned', email, { 'data[reason]': 'hard' }))).statusCode).toBe(200);
    const harness = intakeHarness(db, tableName, config);
    harness.clock.now = new Date();
    const suppression = (await scanAll(db, tableName)).find(
      (item) => item.pk === keys.suppression(harness.hasher.suppressionHash(email)).pk,
    );
    expect(suppression).toMatchObject({ all: true, reason: 'mailchimp_cleaned:hard' });
    expect(await partition(harness.hasher.contactId(email))).toEqual([]);
  });

  it.each([
    ['no key', null],
    ['a wrong key', 'integration-webhook-url-key-0123456788'],
  ])('refuses a delivery with %s (401) and changes nothing', async (_label, key) => {
    const email = uniqueEmail('mc-forged');
    const { contactId } = await subscribed(email);
    const before = await scanAll(db, tableName);
    const response = await post(delivery('unsubscribe', email), key);
    expect(response.statusCode).toBe(401);
    expect(await scanAll(db, tableName)).toEqual(before);
    expect((await partition(contactId)).find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({
      status: 'consent',
    });
  });

  it('lets a subscribe only confirm a pending request, never re-subscribe a withdrawn person', async () => {
    const email = uniqueEmail('mc-resub');
    const { contactId } = await subscribed(email);
    await post(delivery('unsubscribe', email));
    await post(delivery('subscribe', email, { 'data[action]': 'sub' }));
    const topic = (await partition(contactId)).find((item) => item.sk === 'TOPIC#newsletter');
    expect(topic).toMatchObject({ status: 'withdrawn' });
    expect(topic).not.toHaveProperty('gsi1pk');
  });

  it('answers MailChimp’s validation GET without touching anything', async () => {
    const before = await scanAll(db, tableName);
    const response = await handler(restEvent({ method: 'GET', path: '/webhooks/mailchimp' }), lambdaContext);
    expect(response.statusCode).toBe(200);
    expect(await scanAll(db, tableName)).toEqual(before);
  });
});
