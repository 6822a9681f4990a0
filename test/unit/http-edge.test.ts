import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NotFoundError } from '../../shared/domain/errors.ts';
import { httpEdge } from '../../shared/http/edge.ts';
import { asHttpError, HttpError, InvalidRequestError } from '../../shared/http/errors.ts';
import { jsonResponse } from '../../shared/http/responses.ts';
import { routeByResource } from '../../shared/http/router.ts';
import { lambdaContext, restEvent } from '../handler/events.ts';

const ALLOWED = 'https://www.example.co.uk';
const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(httpEdge({ allowedOrigins: [ALLOWED, 'http://localhost:3000'] }))
  .handler(
    routeByResource([
      {
        method: 'GET',
        resource: '/items/{id}',
        handler: async (event) => jsonResponse(200, event.pathParameters),
      },
      {
        method: 'POST',
        resource: '/items',
        handler: async () => {
          throw new InvalidRequestError({ email: 'invalid_email' });
        },
      },
      {
        method: 'GET',
        resource: '/broken',
        handler: async () => {
          throw new Error('secret detail ada@example.com');
        },
      },
    ]),
  );
const get = (resource: string, path: string, headers: Record<string, string> = {}) => {
  const event = restEvent({ method: 'GET', path, resource, headers });
  return handler(event, lambdaContext);
};
const json = { Accept: 'application/json' };
const security = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the HTTP edge', () => {
  it('routes on the resource API Gateway matched, whatever path a custom domain adds', async () => {
    const event = restEvent({ method: 'GET', path: '/api/items/42', resource: '/items/{id}', headers: json });
    event.pathParameters = { id: '42' };
    const response = await handler(event, lambdaContext);
    expect(response).toEqual({
      statusCode: 200,
      headers: {
        ...security,
        'Cache-Control': 'no-store',
        'Content-Type': 'application/json; charset=utf-8',
      },
      body: '{"id":"42"}',
    });
  });

  it('echoes an allowed origin with Vary: Origin, and adds nothing for any other origin', async () => {
    const event = (origin: string) => {
      const e = restEvent({
        method: 'GET',
        path: '/items/1',
        resource: '/items/{id}',
        headers: { Origin: origin },
      });
      e.pathParameters = { id: '1' };
      return e;
    };
    const allowed = await handler(event(ALLOWED), lambdaContext);
    expect(allowed.headers).toMatchObject({ 'Access-Control-Allow-Origin': ALLOWED, Vary: 'Origin' });
    for (const origin of ['https://evil.example', 'HTTPS://WWW.EXAMPLE.CO.UK', 'null']) {
      const other = await handler(event(origin), lambdaContext);
      expect(other.headers).not.toHaveProperty('Access-Control-Allow-Origin');
      expect(other.headers).not.toHaveProperty('Vary');
    }
  });

  it('answers an unknown route with our 404 body, JSON or the HTML page', async () => {
    const asJson = await get('/nowhere', '/nowhere', json);
    expect(asJson.statusCode).toBe(404);
    expect(JSON.parse(asJson.body)).toEqual({ error: 'not_found' });
    const asHtml = await get('/nowhere', '/nowhere', { Accept: 'text/html' });
    expect(asHtml.statusCode).toBe(404);
    expect(asHtml.headers?.['Content-Type']).toBe('text/html; charset=utf-8');
  });

  it('answers invalid fields with their reasons, and anything unexpected with a generic 500 logged without its message', async () => {
    const invalid = await handler(
      restEvent({ method: 'POST', path: '/items', headers: json }),
      lambdaContext,
    );
    expect(invalid.statusCode).toBe(400);
    expect(JSON.parse(invalid.body)).toEqual({
      error: 'invalid_request',
      fields: { email: 'invalid_email' },
    });

    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const broken = await get('/broken', '/broken', json);
    expect(broken).toMatchObject({ statusCode: 500, headers: security });
    expect(JSON.parse(broken.body)).toEqual({ error: 'internal_error' });
    expect(JSON.stringify(logged.mock.calls)).toContain('request_failed');
    expect(JSON.stringify(logged.mock.calls)).not.toContain('ada@example.com');
  });
});

describe('asHttpError', () => {
  it('gives our HTTP errors their meaning and leaves anything else to be a 500', () => {
    const invalid = new InvalidRequestError({ email: 'required' });
    expect(asHttpError(invalid)).toBe(invalid);
    expect(asHttpError(new NotFoundError())).toBeInstanceOf(HttpError);
    expect(asHttpError(new NotFoundError())).toMatchObject({
      statusCode: 404,
      code: 'not_found',
      expose: true,
    });
    expect(asHttpError(new Error('x'))).toBeUndefined();
    expect(asHttpError('text')).toBeUndefined();
  });
});
