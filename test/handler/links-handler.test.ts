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
import { parseKeyRing, signToken, type TokenPurpose } from '../../shared/domain/tokens.ts';
import { PAGE_CSP } from '../../shared/http/responses.ts';
import { runtimeConfig, TEST_HASH_KEY, TEST_KEY_RING } from '../support/config.ts';
import { lambdaContext, restEvent } from './events.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
let handler: (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;
const CONTACT = '0123456789abcdef0123456789abcdef';
const now = () => Math.floor(Date.now() / 1000);
const token = (purpose: TokenPurpose, epoch = 1, ring = TEST_KEY_RING) =>
  signToken(parseKeyRing(ring), { contactId: CONTACT, purpose, epoch, issuedAt: now() });

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', 'ConsentDeskTest');
  vi.stubEnv('APP_CONFIG', JSON.stringify(runtimeConfig()));
  vi.stubEnv('MAIL_TRANSPORT', 'outbox');
  vi.stubEnv('EMAIL_HASH_KEY', TEST_HASH_KEY);
  vi.stubEnv('TOKEN_SIGNING_KEYS', TEST_KEY_RING);
  vi.stubEnv('AWS_REGION', 'eu-west-2');
  vi.stubEnv('API_BASE_URL', 'https://abc123.execute-api.eu-west-2.amazonaws.com/prod');
  ({ handler } = await import('../../functions/links/handler.ts'));
});

function holding(...topics: Array<{ topic: string; status: string; epoch: number }>) {
  const expiresAt = now() + 86_400;
  dynamo.on(QueryCommand).resolves({
    Items: [
      {
        pk: `CONTACT#${CONTACT}`,
        sk: 'PROFILE',
        contactId: CONTACT,
        email: 'ada@example.com',
        version: 3,
        epoch: Math.max(...topics.map((t) => t.epoch)),
        expiresAt,
      },
      ...topics.map((t) => ({
        pk: `CONTACT#${CONTACT}`,
        sk: `TOPIC#${t.topic}`,
        since: '2026-01-01T00:00:00Z',
        expiresAt,
        ...t,
      })),
    ],
  });
}

beforeEach(() => {
  dynamo.reset();
  dynamo.on(GetCommand).resolves({});
  dynamo.on(TransactWriteCommand).resolves({});
  holding({ topic: 'newsletter', status: 'consent', epoch: 1 });
});

const invoke = (
  method: string,
  path: string,
  query: Record<string, string>,
  body?: string,
  contentType?: string,
) => {
  const event = restEvent({
    method,
    path,
    headers: contentType ? { 'Content-Type': contentType } : {},
    body: body ?? null,
  });
  return handler({ ...event, queryStringParameters: query }, lambdaContext);
};

describe('link pages never write', () => {
  it.each(['GET', 'HEAD'])(
    '%s /unsubscribe shows a page with a POST button and touches no data',
    async (method) => {
      const response = await invoke(method, '/unsubscribe', { token: token('unsubscribe') });
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({
        'Content-Security-Policy': PAGE_CSP,
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
      });
      expect(response.body).toContain('<form method="post"');
      expect(dynamo.calls()).toHaveLength(0);
    },
  );

  it.each(['GET', 'HEAD'])(
    '%s /confirm shows a page with a POST button and touches no data',
    async (method) => {
      const response = await invoke(method, '/confirm', { token: token('confirm') });
      expect(response.body).toContain('Confirm my subscription');
      expect(dynamo.calls()).toHaveLength(0);
    },
  );

  it('GET /preferences reads but never writes', async () => {
    const response = await invoke('GET', '/preferences', { token: token('preferences') });
    expect(response.body).toContain('value="newsletter" checked');
    expect(dynamo).not.toReceiveCommand(TransactWriteCommand);
  });
});

describe('invalid links', () => {
  it.each([
    ['no token', {}],
    ['a garbled token', { token: 'v1.k1.abc.def' }],
    ['a token for another purpose', { token: token('preferences') }],
    [
      'a token signed with another key',
      {
        token: token(
          'unsubscribe',
          1,
          JSON.stringify({ current: 'k1', k1: 'another-key-0123456789abcdefghijklmnop' }),
        ),
      },
    ],
  ])('answers %s with the same 400 page, naming no one', async (_label, query) => {
    const response = await invoke(
      'POST',
      '/unsubscribe',
      query,
      'List-Unsubscribe=One-Click',
      'application/x-www-form-urlencoded',
    );
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('This link does not work');
    expect(response.body).not.toContain('ada@example.com');
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('POST /unsubscribe', () => {
  it('withdraws everything in one event and suppresses the address, answering one-click with a plain 200', async () => {
    const response = await invoke(
      'POST',
      '/unsubscribe',
      { token: token('unsubscribe') },
      'List-Unsubscribe=One-Click',
      'application/x-www-form-urlencoded',
    );
    expect(response).toEqual({
      statusCode: 200,
      headers: {
        'Content-Type': 'text/plain; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
      },
      body: 'Unsubscribed.\n',
    });
    expect(dynamo).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: expect.arrayContaining([
        expect.objectContaining({
          Update: expect.objectContaining({ ConditionExpression: '#version = :expected' }),
        }),
        expect.objectContaining({
          Put: expect.objectContaining({
            Item: expect.objectContaining({ sk: 'TOPIC#newsletter', status: 'withdrawn' }),
          }),
        }),
        expect.objectContaining({
          Put: expect.objectContaining({
            Item: expect.objectContaining({
              eventType: 'withdrawn',
              topic: '*',
              source: 'link',
              reason: 'unsubscribe_link',
            }),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        }),
        expect.objectContaining({
          Put: expect.objectContaining({
            Item: expect.objectContaining({ type: 'suppression', all: true, topics: [] }),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        }),
      ]),
    });
  });

  it('answers a browser with a page, and the same again on a repeat without writing', async () => {
    const first = await invoke(
      'POST',
      '/unsubscribe',
      { token: token('unsubscribe') },
      'confirm=yes',
      'application/x-www-form-urlencoded',
    );
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('You are unsubscribed');
    expect(first.headers).not.toHaveProperty('Location');
    dynamo.reset();
    holding({ topic: 'newsletter', status: 'withdrawn', epoch: 1 });
    dynamo.on(GetCommand).resolves({ Item: { all: true, topics: [], version: 1 } });
    const again = await invoke(
      'POST',
      '/unsubscribe',
      { token: token('unsubscribe') },
      'confirm=yes',
      'application/x-www-form-urlencoded',
    );
    expect(again).toEqual(first);
    expect(dynamo).not.toReceiveCommand(TransactWriteCommand);
  });

  it('answers exactly the same for a contact we no longer hold', async () => {
    const known = await invoke(
      'POST',
      '/unsubscribe',
      { token: token('unsubscribe') },
      'confirm=yes',
      'application/x-www-form-urlencoded',
    );
    dynamo.on(QueryCommand).resolves({ Items: [] });
    const unknown = await invoke(
      'POST',
      '/unsubscribe',
      { token: token('unsubscribe') },
      'confirm=yes',
      'application/x-www-form-urlencoded',
    );
    expect(unknown).toEqual(known);
  });

  it('leaves alone a consent given after the link was sent', async () => {
    holding(
      { topic: 'newsletter', status: 'consent', epoch: 1 },
      { topic: 'offers', status: 'consent', epoch: 2 },
    );
    await invoke(
      'POST',
      '/unsubscribe',
      { token: token('unsubscribe', 1) },
      'List-Unsubscribe=One-Click',
      'application/x-www-form-urlencoded',
    );
    const items = (dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []).map(
      (item) => item.Put?.Item,
    );
    expect(items.find((item) => item?.sk === 'TOPIC#newsletter')).toMatchObject({ status: 'withdrawn' });
    expect(items.find((item) => item?.sk === 'TOPIC#offers')).toBeUndefined();
  });

  it('takes a multipart one-click body', async () => {
    const data = new FormData();
    data.append('List-Unsubscribe', 'One-Click');
    const request = new Request('http://x', { method: 'POST', body: data });
    const body = Buffer.from(await request.arrayBuffer()).toString('base64');
    const event = restEvent({
      method: 'POST',
      path: '/unsubscribe',
      headers: { 'Content-Type': request.headers.get('content-type') ?? '' },
      body,
      isBase64Encoded: true,
    });
    const response = await handler(
      { ...event, queryStringParameters: { token: token('unsubscribe') } },
      lambdaContext,
    );
    expect(response.body).toBe('Unsubscribed.\n');
  });
});

describe('POST /confirm', () => {
  it('turns the pending request the link was sent for into consent', async () => {
    holding({ topic: 'newsletter', status: 'pending', epoch: 1 });
    const response = await invoke(
      'POST',
      '/confirm',
      { token: token('confirm') },
      'confirm=yes',
      'application/x-www-form-urlencoded',
    );
    expect(response.body).toContain('Subscription confirmed');
    expect(dynamo).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: expect.arrayContaining([
        expect.objectContaining({
          Put: expect.objectContaining({
            Item: expect.objectContaining({
              sk: 'TOPIC#newsletter',
              status: 'consent',
              gsi1pk: 'TOPIC#newsletter',
              email: 'ada@example.com',
            }),
          }),
        }),
        expect.objectContaining({
          Put: expect.objectContaining({ Item: expect.objectContaining({ eventType: 'consent_confirmed' }) }),
        }),
      ]),
    });
  });

  it('says there is nothing to confirm once the request is gone', async () => {
    holding({ topic: 'newsletter', status: 'withdrawn', epoch: 1 });
    const response = await invoke(
      'POST',
      '/confirm',
      { token: token('confirm') },
      'confirm=yes',
      'application/x-www-form-urlencoded',
    );
    expect(response.body).toContain('Nothing to confirm');
    expect(dynamo).not.toReceiveCommand(TransactWriteCommand);
  });
});

describe('POST /preferences', () => {
  it('records a topic switched on as express consent with the centre statement, and one switched off as a withdrawal', async () => {
    const response = await invoke(
      'POST',
      '/preferences',
      { token: token('preferences') },
      'topics=offers&save=yes',
      'application/x-www-form-urlencoded',
    );
    expect(response.body).toContain('Your choices are saved');
    const items = (dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []).map(
      (item) => item.Put?.Item,
    );
    const events = items.filter((item) => item?.type === 'consent_event');
    expect(events.map((event) => [event?.eventType, event?.topic, event?.source])).toEqual([
      ['withdrawn', 'newsletter', 'preference_centre'],
      ['consent_given', 'offers', 'preference_centre'],
    ]);
    expect(events[1]?.statementVersion).toBe(runtimeConfig().preferenceCentre.statement.version);
  });
});
