/**
 * The rights function behind API Gateway's Cognito authorizer: only the privacy team reaches the register
 * (marketing may look a person up), bad input is a 400 that never echoes a value, an action on a finished
 * request is a 409, and the public verification page answers a bad link without touching the table.
 */
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
// Registers toReceiveCommandWith and friends.
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROUTES, type StaffRouteSpec } from '../../infra/routes.ts';
import { STAFF_GROUPS } from '../../shared/domain/staff-access.ts';
import { runtimeConfig, TEST_HASH_KEY, TEST_KEY_RING } from '../support/config.ts';
import { lambdaContext, restEvent } from './events.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
let handler: (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<unknown>;
const REQUEST_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const RIGHTS_ROUTES = ROUTES.filter(
  (route): route is StaffRouteSpec => route.access === 'staff' && route.function === 'rights',
);

function staffEvent(options: {
  method: string;
  resource: string;
  groups?: string;
  body?: unknown;
  query?: Record<string, string>;
}): APIGatewayProxyEvent {
  const path = options.resource.replace('{id}', REQUEST_ID);
  const search = new URLSearchParams(options.query ?? {}).toString();
  const event = restEvent({
    method: options.method,
    path: `${path}${search ? `?${search}` : ''}`,
    resource: options.resource,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  return {
    ...event,
    pathParameters: options.resource.includes('{id}') ? { id: REQUEST_ID } : null,
    requestContext: {
      ...event.requestContext,
      ...(options.groups
        ? {
            authorizer: {
              claims: { sub: 'sub-1', 'cognito:username': 'morgan', 'cognito:groups': options.groups },
            },
          }
        : {}),
    },
  };
}

async function call(options: Parameters<typeof staffEvent>[0]) {
  const response = (await handler(staffEvent(options), lambdaContext)) as APIGatewayProxyResult;
  return { ...response, json: () => JSON.parse(response.body) };
}

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', 'ConsentDeskTest');
  vi.stubEnv('APP_CONFIG', JSON.stringify(runtimeConfig()));
  vi.stubEnv('MAIL_TRANSPORT', 'outbox');
  vi.stubEnv('EMAIL_HASH_KEY', TEST_HASH_KEY);
  vi.stubEnv('TOKEN_SIGNING_KEYS', TEST_KEY_RING);
  vi.stubEnv('AWS_REGION', 'eu-west-2');
  vi.stubEnv('API_BASE_URL', 'https://abc123.execute-api.eu-west-2.amazonaws.com/prod');
  ({ handler } = await import('../../functions/rights/handler.ts'));
});

beforeEach(() => {
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo.on(GetCommand).resolves({});
});

describe('rights authorization', () => {
  const cases = RIGHTS_ROUTES.flatMap((route) =>
    STAFF_GROUPS.filter((group) => !route.groups.includes(group)).map(
      (group) => [`${route.method} ${route.path}`, group, route] as const,
    ),
  );
  it.each(cases)('%s as %s -> 403, nothing read', async (_name, group, route) => {
    const response = await call({ method: route.method, resource: route.path, groups: group, body: {} });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ error: 'forbidden' });
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('admits only privacy to the register, privacy and marketing to GET /people and imports, sales and privacy to relationships', () => {
    const expected: Record<string, string[]> = {
      '/people': ['privacy', 'marketing'],
      '/imports': ['privacy', 'marketing'],
      '/relationships': ['sales', 'privacy'],
    };
    for (const route of RIGHTS_ROUTES) {
      expect(route.groups, `${route.method} ${route.path}`).toEqual(expected[route.path] ?? ['privacy']);
    }
  });

  it('answers a call without claims with 401', async () => {
    const response = await call({ method: 'GET', resource: '/subject-requests' });
    expect(response.statusCode).toBe(401);
  });
});

describe('bad input', () => {
  it('is a 400 naming the fields and their rules, never the values', async () => {
    const response = await call({
      method: 'POST',
      resource: '/subject-requests',
      groups: 'privacy',
      body: {
        type: 'erasure',
        email: 'not-an-address-secret-value',
        channel: 'carrier pigeon',
        receivedAt: '2999-01-01T00:00:00Z',
        identity: { verified: true },
        details: 'only for complaints',
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: 'invalid_request',
      fields: {
        email: 'invalid',
        channel: 'invalid',
        receivedAt: 'in_the_future',
        'identity.method': 'required',
        details: 'not_allowed',
      },
    });
    expect(response.body).not.toContain('secret-value');
    expect(response.body).not.toContain('pigeon');
    expect(dynamo).not.toReceiveCommand(PutCommand);
  });

  it('GET /people needs a valid address', async () => {
    const response = await call({
      method: 'GET',
      resource: '/people',
      groups: 'marketing',
      query: { email: 'x' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ fields: { email: 'invalid' } });
  });
});

describe('actions on a finished request', () => {
  it('are a 409 conflict, and nothing is written', async () => {
    dynamo.on(GetCommand).resolves({
      Item: {
        pk: `REQUEST#${REQUEST_ID}`,
        sk: 'REQUEST',
        request: {
          id: REQUEST_ID,
          type: 'access',
          channel: 'email',
          status: 'completed',
          receivedAt: '2026-11-01T10:00:00.000Z',
          clockStartedAt: '2026-11-01T10:00:00.000Z',
          dueAt: '2026-12-01',
          extended: false,
          acknowledgeBy: null,
          log: [],
          version: 3,
        },
        input: {},
        version: 3,
        expiresAt: Math.floor(Date.now() / 1000) + 86_400,
      },
    });
    for (const action of ['cancel', 'extend', 'refuse'] as const) {
      const response = await call({
        method: 'POST',
        resource: `/subject-requests/{id}/${action}`,
        groups: 'privacy',
        body: action === 'cancel' ? {} : { reason: action === 'refuse' ? 'excessive' : 'complex' },
      });
      expect(response.statusCode, action).toBe(409);
      expect(response.json()).toEqual({ error: 'conflict' });
    }
    expect(dynamo).not.toReceiveCommand(PutCommand);
  });
});

describe('the verification link', () => {
  it.each(['GET', 'HEAD', 'POST'])(
    '%s with a bad token shows the same page and reads nothing',
    async (method) => {
      const event = restEvent({
        method,
        path: '/verify-request?token=v1.k1.bad.bad',
        resource: '/verify-request',
        headers: { Accept: 'text/html' },
      });
      const response = (await handler(event, lambdaContext)) as APIGatewayProxyResult;
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('This link does not work');
      expect(dynamo.calls()).toHaveLength(0);
    },
  );
});
