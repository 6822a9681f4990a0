/** The local API gateway's request handling, around stub functions on an ephemeral port. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FunctionSpec, RouteSpec } from '../../infra/routes.ts';
import { createRequestListener, type ProxyHandler } from '../../local/server.ts';
import type { LocalService } from '../../local/services.ts';

const spec: FunctionSpec = { entry: 'x.ts', description: 'stub', memorySize: 128, timeoutSeconds: 0.2 };
const throttle = { rateLimit: 1, burstLimit: 1 };
const routes: RouteSpec[] = [
  { method: 'POST', path: '/enquiries', function: 'enquiry', access: 'public', throttle },
  { method: 'GET', path: '/enquiries/thank-you', function: 'enquiry', access: 'public', throttle },
  {
    method: 'GET',
    path: '/contacts/{id}',
    function: 'enquiry',
    access: 'staff',
    groups: ['marketing'],
    throttle,
  },
];

let respondWith: ProxyHandler = async () => ({ statusCode: 200, body: 'ok' });
const received: APIGatewayProxyEvent[] = [];
const handler: ProxyHandler = (event, context) => {
  received.push(event);
  return respondWith(event, context);
};

function startServer(services: LocalService[]): Promise<{ server: Server; url: string }> {
  const listener = createRequestListener({
    routes,
    functions: { enquiry: { spec, handler } },
    services,
    allowedOrigins: ['https://www.example.co.uk'],
    maxBodyBytes: 1024,
  });
  const server = createServer(listener);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

const echoService: LocalService = {
  name: 'echo',
  routes: [
    {
      method: 'GET',
      path: '/__local/echo/{word}',
      handle: (r) => ({ statusCode: 200, body: r.pathParameters?.word }),
    },
  ],
};

let base: string;
let server: Server;
const logs = { error: vi.spyOn(console, 'error'), info: vi.spyOn(console, 'log') };

beforeAll(async () => {
  logs.error.mockImplementation(() => {});
  logs.info.mockImplementation(() => {});
  ({ server, url: base } = await startServer([echoService]));
});

afterEach(() => {
  received.length = 0;
  respondWith = async () => ({ statusCode: 200, body: 'ok' });
});

afterAll(() => {
  server.close();
  vi.restoreAllMocks();
});

describe('the local API gateway', () => {
  it('answers 502 with a generic body when the function throws, logging no request data', async () => {
    respondWith = async (event) => {
      throw new Error(`could not handle ${event.body}`);
    };
    const response = await fetch(`${base}/enquiries`, { method: 'POST', body: 'email=ada@example.com' });

    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ message: 'Internal server error' });
    const logged = JSON.stringify([...logs.error.mock.calls, ...logs.info.mock.calls]);
    expect(logged).toContain('local.function_failed');
    expect(logged).not.toContain('ada@example.com');
  });

  it('answers 502 when the function returns something API Gateway would refuse', async () => {
    respondWith = async () => ({ body: 'no status' });

    expect((await fetch(`${base}/enquiries`, { method: 'POST', body: 'x' })).status).toBe(502);
  });

  it('answers 502 when the function runs past its timeout', async () => {
    respondWith = () =>
      new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: '' }), 1000));

    expect((await fetch(`${base}/enquiries`, { method: 'POST', body: 'x' })).status).toBe(502);
  });

  it('refuses a body over the local limit with 413 without calling the function', async () => {
    const response = await fetch(`${base}/enquiries`, { method: 'POST', body: 'x'.repeat(2048) });

    expect(response.status).toBe(413);
    expect(received).toEqual([]);
  });

  it('hands a multipart body over base64-encoded, byte for byte', async () => {
    const form = new FormData();
    form.append('message', 'Zoë');
    await fetch(`${base}/enquiries`, { method: 'POST', body: form });

    const [event] = received;
    expect(event?.isBase64Encoded).toBe(true);
    expect(Buffer.from(event?.body ?? '', 'base64').toString()).toContain('Zoë');
  });

  it('writes the result back: status, every header, decoded body and the request id', async () => {
    respondWith = async () => ({
      statusCode: 201,
      headers: { 'Content-Type': 'text/plain' },
      multiValueHeaders: { Vary: ['Origin', 'Accept'] },
      body: Buffer.from('made').toString('base64'),
      isBase64Encoded: true,
    });
    const response = await fetch(`${base}/enquiries`, { method: 'POST', body: 'x' });

    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('vary')).toBe('Origin, Accept');
    expect(response.headers.get('x-amzn-requestid')).toBe(received[0]?.requestContext.requestId);
    expect(await response.text()).toBe('made');
  });

  it('routes HEAD to the GET route and sends no body', async () => {
    const response = await fetch(`${base}/enquiries/thank-you`, { method: 'HEAD' });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(received[0]).toMatchObject({ httpMethod: 'HEAD', resource: '/enquiries/thank-you' });
  });

  it('refuses staff routes with 401 when no authorizer is running', async () => {
    const response = await fetch(`${base}/contacts/c-1`);

    expect(response.status).toBe(401);
    expect(received).toEqual([]);
  });

  it('serves the local services’ routes and 404s anything else', async () => {
    expect(await (await fetch(`${base}/__local/echo/hello`)).text()).toBe('hello');
    const missing = await fetch(`${base}/enquiries`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'Not Found' });
  });

  it('answers a preflight with CORS headers for allowed origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${base}/enquiries`, { method: 'OPTIONS', headers: { Origin: origin } });

    const allowed = await preflight('https://www.example.co.uk');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://www.example.co.uk');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('POST,OPTIONS');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('a staff authorizer service', () => {
  it('puts its claims in the event, or refuses with 401', async () => {
    const authorizer: LocalService = {
      name: 'staff authorizer',
      authorizeStaff: async (event) =>
        event.headers.Authorization === 'Bearer good' || event.headers.authorization === 'Bearer good'
          ? { claims: { 'cognito:groups': 'marketing' } }
          : undefined,
    };
    const { server: withAuth, url } = await startServer([authorizer]);
    try {
      const refused = await fetch(`${url}/contacts/c-1`, { headers: { Authorization: 'Bearer bad' } });
      const allowed = await fetch(`${url}/contacts/c-1`, { headers: { Authorization: 'Bearer good' } });

      expect(refused.status).toBe(401);
      expect(allowed.status).toBe(200);
      expect(received).toEqual([
        expect.objectContaining({
          pathParameters: { id: 'c-1' },
          requestContext: expect.objectContaining({
            authorizer: { claims: { 'cognito:groups': 'marketing' } },
          }),
        }),
      ]);
    } finally {
      withAuth.close();
    }
  });
});

describe('route set-up', () => {
  it('refuses a local route that clashes with an API route', () => {
    const clash: LocalService = {
      name: 'clash',
      routes: [{ method: 'POST', path: '/enquiries', handle: () => ({ statusCode: 200 }) }],
    };

    expect(() =>
      createRequestListener({ routes, functions: {}, services: [clash], allowedOrigins: [] }),
    ).toThrow(/clashes/);
  });
});
