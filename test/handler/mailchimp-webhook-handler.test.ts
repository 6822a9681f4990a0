import { createHmac } from 'node:crypto';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
// Registers toReceiveCommandWith and friends.
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import { createEmailHasher } from '../../shared/domain/hashing.ts';
import { runtimeConfig, TEST_HASH_KEY } from '../support/config.ts';
import { lambdaContext, restEvent } from './events.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const URL_KEY = 'handler-webhook-url-key-0123456789abc';
const SIGNING_KEY = 'handler-signing-key-0123456789';
let handler: (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', 'ConsentDeskTest');
  vi.stubEnv('APP_CONFIG', JSON.stringify(runtimeConfig()));
  vi.stubEnv('MAIL_TRANSPORT', 'outbox');
  vi.stubEnv('EMAIL_HASH_KEY', TEST_HASH_KEY);
  vi.stubEnv('MAILCHIMP_WEBHOOK_SECRET', JSON.stringify({ urlKey: URL_KEY, signingKey: SIGNING_KEY }));
  vi.stubEnv('AWS_REGION', 'eu-west-2');
  ({ handler } = await import('../../functions/mailchimp-webhook/handler.ts'));
});

beforeEach(() => {
  dynamo.reset();
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo.on(GetCommand).resolves({});
  dynamo.on(TransactWriteCommand).resolves({});
});

const BODY =
  'type=unsubscribe&fired_at=2026-11-22+10%3A00%3A00&data%5Breason%5D=manual&data%5Bemail%5D=ada%40example.com';
const now = () => Math.floor(Date.now() / 1000);
const signature = (at: number, body = BODY) =>
  `t=${at},v1=${createHmac('sha256', SIGNING_KEY).update(`${at}.`).update(body).digest('hex')}`;
const post = (headers: Record<string, string>, key = URL_KEY) => {
  const event = restEvent({
    method: 'POST',
    path: '/webhooks/mailchimp',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: BODY,
  });
  return handler({ ...event, queryStringParameters: { key } }, lambdaContext);
};

describe('a webhook with a signing key configured', () => {
  it('applies a delivery with the URL key and a fresh signature over the raw body', async () => {
    const response = await post({ 'X-Mailchimp-Signature': signature(now()) });
    expect(response.statusCode).toBe(200);
    expect(dynamo).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: expect.arrayContaining([
        expect.objectContaining({
          Put: expect.objectContaining({
            Item: expect.objectContaining({ type: 'webhook_delivery' }),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        }),
        expect.objectContaining({
          Put: expect.objectContaining({
            Item: expect.objectContaining({ type: 'suppression', all: true, source: 'mailchimp' }),
          }),
        }),
      ]),
    });
  });

  it.each([
    ['no signature', {}],
    ['a stale signature', { 'X-Mailchimp-Signature': signature(now() - 301) }],
    ['a signature over another body', { 'X-Mailchimp-Signature': signature(now(), `${BODY}&x=1`) }],
  ])('refuses %s with 401 and reads nothing', async (_label, headers) => {
    const response = await post(headers);
    expect(response.statusCode).toBe(401);
    expect(response.body).not.toContain('ada@example.com');
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('refuses a valid signature without the URL key', async () => {
    const response = await post(
      { 'X-Mailchimp-Signature': signature(now()) },
      'wrong-key-0123456789abcdefghij',
    );
    expect(response.statusCode).toBe(401);
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('address and profile changes', () => {
  const hasher = createEmailHasher(TEST_HASH_KEY);
  const OLD = 'ada@example.com';
  const NEW = 'ada@example.org';
  const oldPk = keys.contact(hasher.contactId(OLD)).pk;
  const future = Math.floor(Date.now() / 1000) + 86_400;

  const deliver = (fields: Record<string, string>) => {
    const body = new URLSearchParams({ fired_at: '2026-11-22 10:00:00', ...fields }).toString();
    const at = now();
    const event = restEvent({
      method: 'POST',
      path: '/webhooks/mailchimp',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Mailchimp-Signature': signature(at, body),
      },
      body,
    });
    return handler({ ...event, queryStringParameters: { key: URL_KEY } }, lambdaContext);
  };

  beforeEach(() => {
    dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': oldPk } }).resolves({
      Items: [
        { pk: oldPk, sk: 'PROFILE', email: OLD, name: 'Ada', version: 3, epoch: 1, expiresAt: future },
        {
          pk: oldPk,
          sk: 'TOPIC#newsletter',
          topic: 'newsletter',
          status: 'consent',
          since: '2026-01-01T00:00:00.000Z',
          epoch: 1,
          expiresAt: future,
          source: 'form',
        },
      ],
    });
  });

  it('moves the contact in one conditional transaction, logging no address', async () => {
    const logged = vi.spyOn(console, 'log');
    const response = await deliver({
      type: 'upemail',
      'data[list_id]': 'abc',
      'data[new_id]': 'a1b2c3d4e5',
      'data[new_email]': NEW,
      'data[old_email]': OLD,
    });

    expect(response).toMatchObject({ statusCode: 200, body: 'OK\n' });
    const newId = hasher.contactId(NEW);
    expect(dynamo).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: expect.arrayContaining([
        {
          Put: expect.objectContaining({
            Item: expect.objectContaining({
              ...keys.contact(newId),
              email: NEW,
              version: 4,
              source: 'mailchimp',
            }),
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          }),
        },
        {
          Put: expect.objectContaining({
            Item: expect.objectContaining({
              ...keys.topic(newId, 'newsletter'),
              gsi1sk: `consent#${newId}`,
              email: NEW,
              source: 'mailchimp',
            }),
          }),
        },
        {
          ConditionCheck: expect.objectContaining({
            Key: keys.suppression(hasher.suppressionHash(NEW)),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        },
        {
          Delete: expect.objectContaining({
            Key: { pk: oldPk, sk: 'PROFILE' },
            ConditionExpression: 'version = :version',
            ExpressionAttributeValues: { ':version': 3 },
          }),
        },
        { Delete: expect.objectContaining({ Key: { pk: oldPk, sk: 'TOPIC#newsletter' } }) },
        {
          Put: expect.objectContaining({
            Item: expect.objectContaining({ type: 'webhook_delivery' }),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        },
      ]),
    });
    const lines = logged.mock.calls.map(([line]) => String(line)).join('\n');
    expect(lines).toContain('mailchimp_upemail_moved');
    expect(lines).not.toContain('@');
    logged.mockRestore();
  });

  it('renames on a profile delivery: the profile at the version read, and the copy on each topic', async () => {
    const response = await deliver({
      type: 'profile',
      'data[email]': OLD,
      'data[merges][FNAME]': 'Ada',
      'data[merges][LNAME]': 'Lovelace',
    });

    expect(response.statusCode).toBe(200);
    expect(dynamo).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: [
        {
          Update: expect.objectContaining({
            Key: { pk: oldPk, sk: 'PROFILE' },
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: expect.objectContaining({ ':name': 'Ada Lovelace', ':expected': 3 }),
          }),
        },
        {
          Update: expect.objectContaining({
            Key: { pk: oldPk, sk: 'TOPIC#newsletter' },
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':name': 'Ada Lovelace', ':source': 'mailchimp' },
          }),
        },
        {
          Put: expect.objectContaining({
            Item: expect.objectContaining({ type: 'webhook_delivery' }),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        },
      ],
    });
  });

  it('answers 200 and writes nothing for a profile delivery about someone we do not hold', async () => {
    const response = await deliver({
      type: 'profile',
      'data[email]': 'someone@example.net',
      'data[merges][FNAME]': 'Someone',
    });
    expect(response.statusCode).toBe(200);
    expect(dynamo).not.toHaveReceivedCommand(TransactWriteCommand);
  });
});
