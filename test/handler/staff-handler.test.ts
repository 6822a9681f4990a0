/**
 * The staff function's own authorization, behind API Gateway's Cognito authorizer: every route admits only
 * the groups infra/routes.ts names, and denies by default. DynamoDB is mocked; what was sent is asserted.
 */
import { DynamoDBDocumentClient, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
// Registers toReceiveCommandWith and friends.
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROUTES, type StaffRouteSpec } from '../../infra/routes.ts';
import { STAFF_GROUPS } from '../../shared/domain/staff-access.ts';
import { runtimeConfig, TEST_KEY_RING } from '../support/config.ts';
import { lambdaContext, restEvent } from './events.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
let handler: (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;
const CONTACT = '0123456789abcdef0123456789abcdef';
const nowSeconds = () => Math.floor(Date.now() / 1000);

const STAFF_ROUTES = ROUTES.filter(
  (route): route is StaffRouteSpec => route.access === 'staff' && route.function === 'staff',
);

function staffEvent(
  resource: string,
  claims: Record<string, string> | undefined,
  query: Record<string, string> = {},
  accept = 'application/json',
): APIGatewayProxyEvent {
  const path = resource.replace('{id}', CONTACT);
  const search = new URLSearchParams(query).toString();
  const event = restEvent({
    method: 'GET',
    path: `${path}${search ? `?${search}` : ''}`,
    resource,
    headers: { Accept: accept },
  });
  return {
    ...event,
    pathParameters: resource === '/contacts/{id}' ? { id: CONTACT } : null,
    requestContext: { ...event.requestContext, ...(claims ? { authorizer: { claims } } : {}) },
  };
}

const member = (groups: string) => ({ sub: 'sub-1', 'cognito:username': 'morgan', 'cognito:groups': groups });

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', 'ConsentDeskTest');
  vi.stubEnv('APP_CONFIG', JSON.stringify(runtimeConfig()));
  vi.stubEnv('MAIL_TRANSPORT', 'outbox');
  vi.stubEnv('TOKEN_SIGNING_KEYS', TEST_KEY_RING);
  vi.stubEnv('AWS_REGION', 'eu-west-2');
  vi.stubEnv('API_BASE_URL', 'https://abc123.execute-api.eu-west-2.amazonaws.com/prod');
  ({ handler } = await import('../../functions/staff/handler.ts'));
});

beforeEach(() => {
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo.on(QueryCommand, { KeyConditionExpression: 'pk = :pk AND sk >= :profile' }).resolves({
    Items: [
      {
        pk: `CONTACT#${CONTACT}`,
        sk: 'PROFILE',
        contactId: CONTACT,
        email: 'ada@example.com',
        version: 1,
        epoch: 1,
        expiresAt: nowSeconds() + 86_400,
      },
    ],
  });
});

describe('staff authorization', () => {
  it.each(STAFF_ROUTES.map((route) => [route.path, route]))('%s: no claims -> 401', async (_path, route) => {
    const response = await handler(staffEvent(route.path, undefined, { topic: 'newsletter' }), lambdaContext);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'unauthorized' });
    expect(dynamo.calls()).toHaveLength(0);
  });

  const cases = STAFF_ROUTES.flatMap((route) =>
    STAFF_GROUPS.map((group) => [route.path, group, route.groups.includes(group)] as const),
  );
  it.each(cases)('%s as %s: admitted %s', async (path, group, admitted) => {
    const response = await handler(staffEvent(path, member(group), { topic: 'newsletter' }), lambdaContext);
    if (admitted) {
      expect(response.statusCode).toBe(200);
      // Every admitted read of personal data leaves one audit entry, written so it never overwrites.
      expect(dynamo).toReceiveCommandTimes(PutCommand, 1);
      expect(dynamo).toReceiveCommandWith(PutCommand, {
        TableName: 'ConsentDeskTest',
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: expect.objectContaining({ pk: expect.stringMatching(/^AUDIT#/), route: path, method: 'GET' }),
      });
    } else {
      expect(response.statusCode).toBe(403);
      expect(JSON.parse(response.body)).toEqual({ error: 'forbidden' });
      expect(dynamo.calls()).toHaveLength(0);
    }
  });

  it('marketing cannot read enquiries, and sales cannot export lists', async () => {
    const enquiries = await handler(staffEvent('/enquiries', member('marketing')), lambdaContext);
    expect(enquiries.statusCode).toBe(403);
    const exported = await handler(
      staffEvent('/contacts', member('sales'), { topic: 'newsletter' }, 'text/csv'),
      lambdaContext,
    );
    expect(exported.statusCode).toBe(403);
  });

  it('denies claims without a subject, unknown groups, and groups in odd shapes it cannot read', async () => {
    for (const claims of [
      { 'cognito:groups': 'marketing' } as Record<string, string>,
      member('admin'),
      member(''),
      { sub: 'sub-1', 'cognito:groups': 'marketing-team' },
    ]) {
      const response = await handler(staffEvent('/contacts', claims, { topic: 'newsletter' }), lambdaContext);
      expect([401, 403]).toContain(response.statusCode);
    }
  });
});

describe('GET /contacts', () => {
  it('reads the list index with a query, never a scan, leaving out expired and restricted items', async () => {
    const response = await handler(
      staffEvent('/contacts', member('marketing'), { topic: 'offers', basis: 'soft_opt_in', limit: '10' }),
      lambdaContext,
    );
    expect(response.statusCode).toBe(200);
    expect(dynamo).not.toReceiveCommand(ScanCommand);
    expect(dynamo).toReceiveCommandWith(QueryCommand, {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :partition AND begins_with(gsi1sk, :prefix)',
      FilterExpression:
        'expiresAt > :now AND #status IN (:consent, :soft) AND attribute_not_exists(restricted) ' +
        'AND attribute_exists(email)',
      ExpressionAttributeValues: expect.objectContaining({
        ':partition': 'TOPIC#offers',
        ':prefix': 'soft_opt_in#',
        ':now': expect.any(Number),
      }),
      ReturnConsumedCapacity: 'TOTAL',
    });
  });

  it('answers CSV with a header row and formula-safe cells', async () => {
    dynamo.on(QueryCommand, { IndexName: 'gsi1' }).resolves({
      Items: [
        {
          pk: `CONTACT#${CONTACT}`,
          sk: 'TOPIC#offers',
          gsi1pk: 'TOPIC#offers',
          gsi1sk: `soft_opt_in#${CONTACT}`,
          contactId: CONTACT,
          email: 'ada@example.com',
          name: '=HYPERLINK("http://evil.example","Click")',
          topic: 'offers',
          status: 'soft_opt_in',
          since: '2026-11-01T09:00:00.000Z',
          source: 'form',
          formId: 'quote',
          expiresAt: nowSeconds() + 86_400,
        },
      ],
    });
    const response = await handler(
      staffEvent('/contacts', member('marketing'), { topic: 'offers' }, 'text/csv'),
      lambdaContext,
    );
    expect(response).toEqual({
      statusCode: 200,
      headers: expect.objectContaining({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': 'attachment; filename="contacts.csv"',
        'Cache-Control': 'no-store',
      }),
      body:
        'contact_id,email,name,topic,basis,since,source,form\r\n' +
        `${CONTACT},ada@example.com,"'=HYPERLINK(""http://evil.example"",""Click"")",offers,soft_opt_in,` +
        '2026-11-01T09:00:00.000Z,form,quote\r\n',
    });
  });

  it('fails without an audit entry rather than return data unaudited', async () => {
    dynamo.on(PutCommand).rejects(new Error('throttled'));
    const response = await handler(
      staffEvent('/contacts', member('marketing'), { topic: 'offers' }),
      lambdaContext,
    );
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: 'internal_error' });
  });
});

describe('absolute URLs in staff answers', () => {
  /** As local mode's gateway passes them on, and as a proxy in front of the API might. */
  const spoofed = (event: APIGatewayProxyEvent): APIGatewayProxyEvent => ({
    ...event,
    headers: { ...event.headers, host: 'evil.example:443', 'x-forwarded-proto': 'javascript:alert(1)//' },
    requestContext: { ...event.requestContext, domainName: 'evil.example:443' },
  });

  it('point at the API URL the deployment set, never at the Host or X-Forwarded-Proto sent', async () => {
    const detail = await handler(spoofed(staffEvent('/contacts/{id}', member('marketing'))), lambdaContext);
    expect(detail.statusCode).toBe(200);
    const { unsubscribeUrl, preferencesUrl } = JSON.parse(detail.body);
    expect(unsubscribeUrl).toMatch(
      /^https:\/\/abc123\.execute-api\.eu-west-2\.amazonaws\.com\/prod\/unsubscribe\?/,
    );
    expect(preferencesUrl).toMatch(
      /^https:\/\/abc123\.execute-api\.eu-west-2\.amazonaws\.com\/prod\/preferences\?/,
    );

    dynamo.on(QueryCommand, { IndexName: 'gsi1' }).resolves({
      Items: [],
      LastEvaluatedKey: { pk: 'ENQUIRY#e1', sk: 'ENQUIRY', gsi1pk: 'ENQUIRIES', gsi1sk: 'x' },
    });
    const list = await handler(spoofed(staffEvent('/enquiries', member('sales'))), lambdaContext);
    expect(list.headers?.Link).toMatch(
      /^<https:\/\/abc123\.execute-api\.eu-west-2\.amazonaws\.com\/prod\/enquiries\?cursor=[^>]+>; rel="next"$/,
    );
  });
});
