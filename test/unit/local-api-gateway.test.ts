import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../infra/routes.ts';
import {
  createLambdaContext,
  fromProxyResult,
  InvalidProxyResultError,
  isBinaryMediaType,
  parseQueryString,
  type RawRequest,
  toProxyEvent,
} from '../../local/api-gateway.ts';
import { findRoute, matchPath, methodsForPath } from '../../local/routing.ts';

const receivedAt = new Date('2026-11-22T10:04:05.123Z');
const target = { resource: '/enquiries', pathParameters: null, requestId: 'req-1', receivedAt };

function request(overrides: Partial<RawRequest> = {}): RawRequest {
  return {
    method: 'POST',
    url: '/enquiries',
    rawHeaders: ['Host', '127.0.0.1:3000', 'Content-Type', 'application/x-www-form-urlencoded'],
    body: Buffer.from('name=Ada'),
    sourceIp: '127.0.0.1',
    ...overrides,
  };
}

describe('toProxyEvent', () => {
  it('builds the REST proxy event API Gateway would send', () => {
    const event = toProxyEvent(
      request({
        rawHeaders: [
          'Host',
          '127.0.0.1:3000',
          'Content-Type',
          'application/x-www-form-urlencoded',
          'User-Agent',
          'curl/8',
        ],
      }),
      target,
    );

    expect(event).toEqual({
      resource: '/enquiries',
      path: '/enquiries',
      httpMethod: 'POST',
      headers: {
        Host: '127.0.0.1:3000',
        'Content-Type': 'application/x-www-form-urlencoded',
        'User-Agent': 'curl/8',
      },
      multiValueHeaders: {
        Host: ['127.0.0.1:3000'],
        'Content-Type': ['application/x-www-form-urlencoded'],
        'User-Agent': ['curl/8'],
      },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        authorizer: undefined,
        domainName: '127.0.0.1:3000',
        extendedRequestId: 'req-1',
        httpMethod: 'POST',
        identity: {
          accessKey: null,
          accountId: null,
          apiKey: null,
          apiKeyId: null,
          caller: null,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp: '127.0.0.1',
          user: null,
          userAgent: 'curl/8',
          userArn: null,
        },
        path: '/enquiries',
        protocol: 'HTTP/1.1',
        requestId: 'req-1',
        requestTime: '22/Nov/2026:10:04:05 +0000',
        requestTimeEpoch: receivedAt.getTime(),
        resourceId: 'local',
        resourcePath: '/enquiries',
        stage: 'local',
      },
      body: 'name=Ada',
      isBase64Encoded: false,
    });
  });

  it('keeps the last value of a repeated header in headers and all of them in multiValueHeaders', () => {
    const event = toProxyEvent(
      request({ rawHeaders: ['Accept', 'text/html', 'accept', 'application/json'] }),
      target,
    );

    expect(event.headers).toEqual({ Accept: 'application/json' });
    expect(event.multiValueHeaders).toEqual({ Accept: ['text/html', 'application/json'] });
  });

  it('base64-encodes a multipart body byte for byte', () => {
    const body = Buffer.from([0x2d, 0x2d, 0xff, 0x00, 0xc3, 0xa9]);
    const event = toProxyEvent(
      request({ rawHeaders: ['content-type', 'multipart/form-data; boundary=x'], body }),
      target,
    );

    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(body);
  });

  it('passes other bodies as UTF-8 text', () => {
    const event = toProxyEvent(
      request({ rawHeaders: ['content-type', 'application/json'], body: Buffer.from('{"name":"Zoë"}') }),
      target,
    );

    expect(event).toMatchObject({ body: '{"name":"Zoë"}', isBase64Encoded: false });
  });

  it('passes a null body when there is none', () => {
    const event = toProxyEvent(request({ method: 'GET', body: Buffer.alloc(0) }), target);

    expect(event).toMatchObject({ body: null, isBase64Encoded: false });
  });

  it('decodes the query string into single- and multi-value maps', () => {
    const event = toProxyEvent(
      request({ method: 'GET', url: '/unsubscribe?token=a%2Bb&topic=x&topic=y+z', body: Buffer.alloc(0) }),
      { ...target, resource: '/unsubscribe' },
    );

    expect(event.path).toBe('/unsubscribe');
    expect(event.queryStringParameters).toEqual({ token: 'a+b', topic: 'y+z' });
    expect(event.multiValueQueryStringParameters).toEqual({ token: ['a+b'], topic: ['x', 'y+z'] });
  });

  it('copies path parameters and the authorizer result', () => {
    const event = toProxyEvent(request({ method: 'GET', url: '/contacts/c-1', body: Buffer.alloc(0) }), {
      ...target,
      resource: '/contacts/{id}',
      pathParameters: { id: 'c-1' },
      authorizer: { claims: { 'cognito:groups': 'marketing' } },
    });

    expect(event.pathParameters).toEqual({ id: 'c-1' });
    expect(event.requestContext).toMatchObject({
      resourcePath: '/contacts/{id}',
      authorizer: { claims: { 'cognito:groups': 'marketing' } },
    });
  });
});

describe('parseQueryString', () => {
  it('is undefined for an empty query', () => {
    expect(parseQueryString('')).toBeUndefined();
    expect(parseQueryString('?')).toBeUndefined();
  });

  it('keeps a malformed escape as sent rather than failing', () => {
    expect(parseQueryString('?a=%E0%A4%A&flag')).toEqual({
      single: { a: '%E0%A4%A', flag: '' },
      multi: { a: ['%E0%A4%A'], flag: [''] },
    });
  });
});

describe('isBinaryMediaType', () => {
  it('matches the configured binary media types, ignoring parameters and case', () => {
    expect(isBinaryMediaType('multipart/form-data; boundary=abc')).toBe(true);
    expect(isBinaryMediaType('Multipart/Form-Data')).toBe(true);
    expect(isBinaryMediaType('application/x-www-form-urlencoded')).toBe(false);
    expect(isBinaryMediaType('application/json')).toBe(false);
  });
});

describe('fromProxyResult', () => {
  it('merges single- and multi-value headers, the multi-value list winning for a name in both', () => {
    const response = fromProxyResult({
      statusCode: 303,
      headers: { Location: '/enquiries/thank-you', 'Set-Cookie': 'a=1' },
      multiValueHeaders: { 'Set-Cookie': ['b=2'], Vary: ['Origin', 'Accept'] },
      body: '',
    });

    expect(response).toEqual({
      statusCode: 303,
      headers: [
        ['Location', '/enquiries/thank-you'],
        ['Set-Cookie', 'b=2'],
        ['Vary', 'Origin'],
        ['Vary', 'Accept'],
        ['Content-Type', 'application/json'],
      ],
      body: Buffer.alloc(0),
    });
  });

  it('decodes a base64 body', () => {
    const response = fromProxyResult({
      statusCode: 200,
      headers: { 'Content-Type': 'text/csv' },
      body: Buffer.from('a,b\n').toString('base64'),
      isBase64Encoded: true,
    });

    expect(response.body.toString()).toBe('a,b\n');
    expect(response.headers).toEqual([['Content-Type', 'text/csv']]);
  });

  it.each([
    ['no object', undefined],
    ['no status', { body: '' }],
    ['a status out of range', { statusCode: 42, body: '' }],
    ['a body that is not a string', { statusCode: 200, body: { ok: true } }],
    ['a header that is an object', { statusCode: 200, headers: { X: {} }, body: '' }],
  ])('rejects a result with %s, as API Gateway does', (_, result) => {
    expect(() => fromProxyResult(result)).toThrow(InvalidProxyResultError);
  });
});

describe('createLambdaContext', () => {
  it('describes the function and counts down to its timeout', () => {
    const context = createLambdaContext('consent-desk-enquiry', FUNCTIONS.enquiry, 'req-1', Date.now());

    expect(context).toMatchObject({
      functionName: 'consent-desk-enquiry',
      awsRequestId: 'req-1',
      memoryLimitInMB: String(FUNCTIONS.enquiry.memorySize),
    });
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(
      FUNCTIONS.enquiry.timeoutSeconds * 1000 - 1000,
    );
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(FUNCTIONS.enquiry.timeoutSeconds * 1000);
  });
});

describe('routing', () => {
  const routes = [
    { method: 'POST', path: '/enquiries' },
    { method: 'GET', path: '/enquiries/thank-you' },
    { method: 'GET', path: '/contacts/{id}' },
    { method: 'GET', path: '/files/{path+}' },
  ];

  it('matches literal and parameter paths', () => {
    expect(findRoute(routes, 'POST', '/enquiries')).toEqual({ route: routes[0], pathParameters: null });
    expect(findRoute(routes, 'GET', '/contacts/c%201')).toEqual({
      route: routes[2],
      pathParameters: { id: 'c 1' },
    });
    expect(findRoute(routes, 'GET', '/files/a/b.csv')).toEqual({
      route: routes[3],
      pathParameters: { path: 'a/b.csv' },
    });
  });

  it('sends HEAD to the GET route', () => {
    expect(findRoute(routes, 'HEAD', '/enquiries/thank-you')?.route).toBe(routes[1]);
    expect(findRoute(routes, 'HEAD', '/enquiries')).toBeUndefined();
  });

  it('matches nothing for another method, a longer path or an empty parameter', () => {
    expect(findRoute(routes, 'GET', '/enquiries')).toBeUndefined();
    expect(findRoute(routes, 'POST', '/enquiries/extra')).toBeUndefined();
    expect(matchPath('/contacts/{id}', '/contacts/')).toBeUndefined();
    expect(matchPath('/files/{path+}', '/files')).toBeUndefined();
  });

  it('lists the methods routed for a path', () => {
    expect(methodsForPath(routes, '/enquiries')).toEqual(['POST']);
    expect(methodsForPath(routes, '/nowhere')).toEqual([]);
  });
});
