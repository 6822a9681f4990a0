/** Staff groups, the route table's admitted groups, and the function-level check behind the authorizer. */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ROUTES } from '../../infra/routes.ts';
import { ForbiddenError, UnauthorizedError } from '../../shared/domain/errors.ts';
import { parseGroupsClaim, STAFF_GROUPS, type StaffGroup } from '../../shared/domain/staff-access.ts';
import { admittedGroups } from '../../shared/domain/staff-routes.ts';
import { httpEdge } from '../../shared/http/edge.ts';
import { requireStaff } from '../../shared/http/staff-auth.ts';
import { restEvent } from '../handler/events.ts';

const SUBJECT = '3f6c1d2e-1111-4222-8333-944455556666';

/** A GET event on `resource` carrying `authorizer`, as the REST API's Cognito authorizer leaves it. */
function staffEvent(authorizer: unknown, resource = '/contacts', headers: Record<string, string> = {}) {
  const event = restEvent({ method: 'GET', path: resource, resource, headers });
  event.requestContext.authorizer = authorizer as APIGatewayProxyEvent['requestContext']['authorizer'];
  return event;
}

const claims = (overrides: Record<string, string> = {}) => ({
  claims: {
    sub: SUBJECT,
    'cognito:username': 'alice',
    'cognito:groups': 'marketing,privacy',
    token_use: 'id',
    ...overrides,
  },
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseGroupsClaim', () => {
  it('reads the comma-separated string API Gateway passes', () => {
    expect(parseGroupsClaim('marketing,privacy')).toEqual(['marketing', 'privacy']);
    expect(parseGroupsClaim('sales')).toEqual(['sales']);
    expect(parseGroupsClaim(' sales , privacy ')).toEqual(['sales', 'privacy']);
  });

  it('reads a bracketed, space-separated list and a real array', () => {
    expect(parseGroupsClaim('[marketing privacy]')).toEqual(['marketing', 'privacy']);
    expect(parseGroupsClaim('[sales]')).toEqual(['sales']);
    expect(parseGroupsClaim(['privacy', 'sales'])).toEqual(['privacy', 'sales']);
  });

  it('ignores unknown groups, repeats and near misses', () => {
    expect(parseGroupsClaim('admin,marketing,Marketing,marketing')).toEqual(['marketing']);
    expect(parseGroupsClaim(['admins', 'privacy ', 'sales', 42, null])).toEqual(['sales']);
    expect(parseGroupsClaim('marketingprivacy')).toEqual([]);
  });

  it('reads anything that is not a string or an array as no groups', () => {
    for (const value of [undefined, null, 7, true, { marketing: true }, '', '[]', ','])
      expect(parseGroupsClaim(value)).toEqual([]);
  });

  it('never throws, and only ever answers known groups, each once', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.array(fc.string())), (value) => {
        const groups = parseGroupsClaim(value);
        for (const group of groups) expect(STAFF_GROUPS).toContain(group);
        expect(new Set(groups).size).toBe(groups.length);
      }),
    );
  });

  it('finds every known group in any mix of separators and unknown names', () => {
    const name = fc.oneof(fc.constantFrom<string>(...STAFF_GROUPS), fc.stringMatching(/^[a-z]{1,12}$/));
    const separator = fc.constantFrom(',', ' ', ', ', '  ');
    fc.assert(
      fc.property(
        fc.array(name, { minLength: 1, maxLength: 6 }),
        separator,
        fc.boolean(),
        (names, sep, br) => {
          const text = names.join(sep);
          const known = [
            ...new Set(names.filter((n): n is StaffGroup => STAFF_GROUPS.includes(n as StaffGroup))),
          ];
          expect(parseGroupsClaim(br ? `[${text}]` : text)).toEqual(known);
        },
      ),
    );
  });
});

describe('the staff routes', () => {
  it('admit the groups each was declared with', () => {
    expect(admittedGroups('GET', '/contacts')).toEqual(['marketing']);
    expect(admittedGroups('GET', '/contacts/{id}')).toEqual(['marketing', 'privacy']);
    expect(admittedGroups('GET', '/enquiries')).toEqual(['sales', 'privacy']);
    expect(admittedGroups('GET', '/audit')).toEqual(['privacy']);
  });

  it('answer HEAD with the GET route, as the local server routes it', () => {
    expect(admittedGroups('HEAD', '/contacts')).toEqual(['marketing']);
  });

  it('admit nobody on public, unknown or differently cased routes', () => {
    expect(admittedGroups('POST', '/enquiries')).toEqual([]);
    expect(admittedGroups('GET', '/unsubscribe')).toEqual([]);
    expect(admittedGroups('POST', '/contacts')).toEqual([]);
    expect(admittedGroups('GET', '/contacts/c-1')).toEqual([]);
    expect(admittedGroups('get', '/contacts')).toEqual([]);
    expect(admittedGroups('GET', '/Contacts')).toEqual([]);
  });

  it('are served by the staff function and throttled at 10 per second, burst 20', () => {
    const staff = ROUTES.filter((route) => route.access === 'staff' && route.function === 'staff');
    expect(staff.map((route) => `${route.method} ${route.path}`).sort()).toEqual([
      'GET /audit',
      'GET /contacts',
      'GET /contacts/{id}',
      'GET /enquiries',
      'GET /review',
    ]);
    for (const route of staff) {
      expect(route.function).toBe('staff');
      expect(route.throttle).toEqual({ rateLimit: 10, burstLimit: 20 });
    }
    expect(ROUTES.filter((route) => route.function === 'staff' && route.access !== 'staff')).toEqual([]);
    // The rights function's staff routes are throttled alike.
    for (const route of ROUTES.filter((r) => r.access === 'staff')) {
      expect(route.throttle).toEqual({ rateLimit: 10, burstLimit: 20 });
    }
  });
});

describe('requireStaff', () => {
  it('answers the caller: subject, user name and groups', () => {
    expect(requireStaff(staffEvent(claims()), ['privacy'])).toEqual({
      subject: SUBJECT,
      username: 'alice',
      groups: ['marketing', 'privacy'],
    });
  });

  it('names the caller by subject when the token has no user name', () => {
    const { 'cognito:username': _, ...withoutUsername } = claims().claims;
    expect(requireStaff(staffEvent({ claims: withoutUsername }), ['marketing']).username).toBe(SUBJECT);
  });

  it.each([
    ['no authorizer', undefined],
    ['no claims', {}],
    ['claims that are not an object', { claims: 'sub=x' }],
    ['no sub', { claims: { 'cognito:groups': 'marketing' } }],
    ['an empty sub', claims({ sub: '' })],
    ['a sub that is not a string', { claims: { sub: 42, 'cognito:groups': 'marketing' } }],
  ])('refuses %s with UnauthorizedError', (_, authorizer) => {
    expect(() => requireStaff(staffEvent(authorizer), ['marketing'])).toThrow(UnauthorizedError);
  });

  it.each([
    ['another group', claims({ 'cognito:groups': 'sales' }), ['marketing']],
    ['no groups claim', { claims: { sub: SUBJECT } }, ['marketing']],
    ['only unknown groups', claims({ 'cognito:groups': 'admin,root' }), ['marketing']],
    ['a route admitting nobody', claims(), []],
  ] as const)('refuses %s with ForbiddenError', (_, authorizer, admitted) => {
    expect(() => requireStaff(staffEvent(authorizer), admitted)).toThrow(ForbiddenError);
  });
});

describe('a staff handler refusing a caller', () => {
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpEdge({ allowedOrigins: ['https://staff.example.co.uk'] }))
    .handler(async (event) => {
      const staff = requireStaff(event, admittedGroups(event.httpMethod, event.resource));
      return { statusCode: 200, body: JSON.stringify({ groups: staff.groups }) };
    });
  const json = { Accept: 'application/json', Origin: 'https://staff.example.co.uk' };

  it('answers 403 forbidden for a group the route does not admit, with CORS headers, logging nothing', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = await handler(
      staffEvent(claims({ 'cognito:groups': 'sales' }), '/audit', json),
      {} as never,
    );

    expect(response).toMatchObject({
      statusCode: 403,
      headers: expect.objectContaining({ 'Access-Control-Allow-Origin': 'https://staff.example.co.uk' }),
    });
    expect(JSON.parse(response.body)).toEqual({ error: 'forbidden' });
    expect(logged).not.toHaveBeenCalled();
  });

  it('answers 401 unauthorized without claims', async () => {
    const response = await handler(staffEvent(undefined, '/contacts', json), {} as never);

    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'unauthorized' });
  });

  it('lets an admitted group through', async () => {
    const response = await handler(staffEvent(claims(), '/audit', json), {} as never);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ groups: ['marketing', 'privacy'] });
  });
});
