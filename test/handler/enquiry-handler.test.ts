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
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PAGE_CSP } from '../../shared/http/responses.ts';
import { exampleConfig, TEST_HASH_KEY, TEST_KEY_RING } from '../support/config.ts';
import { formBody, lambdaContext, restEvent } from './events.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const verify = vi.fn<(url: string, init: RequestInit) => Promise<Response>>();
let handler: (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  const config = structuredClone(exampleConfig);
  config.forms.push(
    {
      id: 'protected',
      store: true,
      keep: ['email', 'message'],
      required: ['email'],
      honeypot: 'website',
      turnstile: true,
      acknowledge: false,
      marketing: { mode: 'none' },
    },
    {
      id: 'redirecting',
      store: true,
      keep: ['email'],
      required: [],
      honeypot: 'website',
      turnstile: false,
      acknowledge: false,
      marketing: { mode: 'none' },
      successUrl: 'https://www.example.co.uk/thank-you',
    },
  );
  vi.stubEnv('TABLE_NAME', 'ConsentDeskTest');
  vi.stubEnv('APP_CONFIG', JSON.stringify(config));
  vi.stubEnv('MAIL_TRANSPORT', 'outbox');
  vi.stubEnv('EMAIL_HASH_KEY', TEST_HASH_KEY);
  vi.stubEnv('TOKEN_SIGNING_KEYS', TEST_KEY_RING);
  vi.stubEnv('TURNSTILE_SECRET', 'turnstile-test-secret');
  vi.stubEnv('TURNSTILE_VERIFY_URL', 'https://turnstile.test/siteverify');
  vi.stubEnv('AWS_REGION', 'eu-west-2');
  vi.stubEnv('API_BASE_URL', 'https://abc123.execute-api.eu-west-2.amazonaws.com/prod');
  vi.stubGlobal('fetch', (url: string, init: RequestInit) => verify(url, init));
  ({ handler } = await import('../../functions/enquiry/handler.ts'));
});

beforeEach(() => {
  dynamo.reset();
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo.on(GetCommand).resolves({});
  dynamo.on(TransactWriteCommand).resolves({});
  verify.mockReset();
});
afterEach(() => vi.useRealTimers());

const invoke = (event: APIGatewayProxyEvent) => handler(event, lambdaContext);
const json = { 'Content-Type': 'application/json', Accept: 'application/json' };
const form = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' };
const baseHeaders = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

describe('POST /enquiries', () => {
  it('answers a JSON caller 201 with the id, and writes the enquiry and consent in one conditional transaction', async () => {
    const response = await invoke(
      restEvent({
        headers: { ...json, Origin: 'https://www.example.co.uk' },
        body: JSON.stringify({
          form: 'contact',
          name: 'Ada',
          email: 'ada@example.com',
          message: 'Hi',
          marketing_consent: true,
        }),
      }),
    );
    expect(response).toEqual({
      statusCode: 201,
      headers: {
        ...baseHeaders,
        'Content-Type': 'application/json; charset=utf-8',
        'Access-Control-Allow-Origin': 'https://www.example.co.uk',
        Vary: 'Origin',
      },
      body: expect.stringMatching(/^\{"id":"[0-9a-f-]{36}","status":"received"\}$/),
    });
    expect(dynamo).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: expect.arrayContaining([
        expect.objectContaining({
          Put: expect.objectContaining({
            ConditionExpression: 'attribute_not_exists(pk)',
            Item: expect.objectContaining({ type: 'enquiry' }),
          }),
        }),
        expect.objectContaining({
          Put: expect.objectContaining({
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
            Item: expect.objectContaining({ type: 'contact', email: 'ada@example.com' }),
          }),
        }),
        expect.objectContaining({
          Put: expect.objectContaining({
            Item: expect.objectContaining({
              type: 'consent_event',
              eventType: 'consent_requested',
              method: 'json',
            }),
          }),
        }),
      ]),
    });
    // The emails are queued in the same transaction; the mailer sends them (test/handler/mailer-handler.test.ts).
    expect(dynamo).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: expect.arrayContaining([
        {
          Put: expect.objectContaining({
            ConditionExpression: 'attribute_not_exists(pk)',
            Item: expect.objectContaining({
              type: 'outbox',
              gsi1pk: 'OUTBOX#WAITING',
              message: {
                kind: 'staff_notification',
                email: expect.objectContaining({
                  to: ['sales@example.co.uk'],
                  subject: 'New enquiry (contact form)',
                }),
              },
            }),
          }),
        },
        // The contact form uses double opt-in; links point back at this API, under its stage.
        {
          Put: expect.objectContaining({
            ConditionExpression: 'attribute_not_exists(pk)',
            Item: expect.objectContaining({
              type: 'outbox',
              message: expect.objectContaining({
                kind: 'confirmation',
                to: 'ada@example.com',
                baseUrl: 'https://abc123.execute-api.eu-west-2.amazonaws.com/prod',
              }),
            }),
          }),
        },
      ]),
    });
  });

  it('links emails to the API URL the deployment set, never to the Host or X-Forwarded-Proto sent', async () => {
    const event = restEvent({
      headers: { ...json, Host: 'evil.example:443', 'X-Forwarded-Proto': 'javascript:alert(1)//' },
      body: JSON.stringify({
        form: 'contact',
        name: 'Ada',
        email: 'ada@example.com',
        message: 'Hi',
        marketing_consent: true,
      }),
    });
    const response = await invoke({
      ...event,
      requestContext: { ...event.requestContext, domainName: 'evil.example:443' },
    });
    expect(response.statusCode).toBe(201);
    // The confirmation is queued with the base its links start from: the deployment's, not the request's.
    const written = JSON.stringify(dynamo.commandCalls(TransactWriteCommand).at(-1)?.args[0].input);
    expect(written).toContain('"baseUrl":"https://abc123.execute-api.eu-west-2.amazonaws.com/prod"');
    expect(written).not.toMatch(/evil\.example|javascript:/);
  });

  it('redirects an HTML form post with 303 to the built-in thank-you page under the stage', async () => {
    const response = await invoke(
      restEvent({ headers: form, body: formBody({ name: 'Ada', email: 'ada@example.com', message: 'Hi' }) }),
    );
    expect(response).toEqual({
      statusCode: 303,
      headers: { ...baseHeaders, Location: '/prod/enquiries/thank-you' },
      body: '',
    });
  });

  it('redirects only to the configured success URL, whatever the request asks for', async () => {
    const response = await invoke(
      restEvent({
        headers: form,
        body: formBody({
          form: 'redirecting',
          email: 'ada@example.com',
          redirect: 'https://evil.example/',
          success_url: 'https://evil.example/',
          next: '//evil.example',
        }),
      }),
    );
    expect(response.headers?.Location).toBe('https://www.example.co.uk/thank-you');
  });

  it('takes multipart/form-data fields (base64-encoded by API Gateway) and ignores files', async () => {
    const data = new FormData();
    data.append('form', 'contact');
    data.append('name', 'Ada');
    data.append('email', 'ada@example.com');
    data.append('message', 'Hi');
    data.append('attachment', new Blob(['secret']), 'cv.pdf');
    const request = new Request('http://x', { method: 'POST', body: data });
    const body = Buffer.from(await request.arrayBuffer()).toString('base64');
    const response = await invoke(
      restEvent({
        headers: { 'Content-Type': request.headers.get('content-type') ?? '', Accept: 'application/json' },
        body,
        isBase64Encoded: true,
      }),
    );
    expect(response.statusCode).toBe(201);
    expect(JSON.stringify(dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input)).not.toContain(
      'attachment',
    );
  });

  it.each([
    ['text/plain', 'hello', 415, 'unsupported_media_type'],
    ['application/xml', '<a/>', 415, 'unsupported_media_type'],
    ['application/json; charset=iso-8859-1', '{}', 415, 'unsupported_media_type'],
    ['application/json', `{"message":"${'x'.repeat(16 * 1024)}"}`, 413, 'payload_too_large'],
  ])('refuses %s bodies (%i)', async (contentType, body, status, code) => {
    const response = await invoke(
      restEvent({ headers: { 'Content-Type': contentType, Accept: 'application/json' }, body }),
    );
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body)).toEqual({ error: code });
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('refuses a request without Content-Type (415)', async () => {
    const response = await invoke(restEvent({ headers: { Accept: 'application/json' }, body: 'x' }));
    expect(response.statusCode).toBe(415);
  });

  it.each([
    ['application/json', '{"name": '],
    ['application/json', '["an", "array"]'],
    ['application/x-www-form-urlencoded', 'name=%E0%A4%A&email=a'],
    ['multipart/form-data; boundary=zzz', '--zzz\r\nbroken'],
  ])('answers a malformed %s body with 400 and no detail', async (contentType, body) => {
    const response = await invoke(
      restEvent({ headers: { 'Content-Type': contentType, Accept: 'application/json' }, body }),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_request', fields: { body: 'invalid' } });
  });

  it('names invalid fields with reasons and never echoes what was sent', async () => {
    const secret = 'not-an-email-7c1f';
    const response = await invoke(
      restEvent({
        headers: json,
        body: JSON.stringify({ form: 'contact', email: secret, name: 'x'.repeat(300), topics: ['sweets'] }),
      }),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: 'invalid_request',
      fields: { email: 'invalid_email', name: 'too_long', message: 'required', topics: 'unknown_topic' },
    });
    expect(response.body).not.toContain(secret);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('shows an HTML error page to a browser, without the submitted values', async () => {
    const secret = 'bad@@example';
    const response = await invoke(
      restEvent({ headers: form, body: formBody({ email: secret, name: 'Ada' }) }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['Content-Type']).toBe('text/html; charset=utf-8');
    expect(response.headers?.['Content-Security-Policy']).toBe(PAGE_CSP);
    expect(response.body).toContain('Email address: this does not look like an email address');
    expect(response.body).toContain('Message: this is required');
    expect(response.body).not.toContain(secret);
  });

  it('refuses an unknown form with 400', async () => {
    const response = await invoke(
      restEvent({ headers: json, body: JSON.stringify({ form: 'nope', email: 'a@example.com' }) }),
    );
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_request', fields: { form: 'unknown_form' } });
  });

  it('answers a filled honeypot exactly like a success, and stores and sends nothing', async () => {
    const genuine = await invoke(
      restEvent({ headers: form, body: formBody({ name: 'Ada', email: 'ada@example.com', message: 'Hi' }) }),
    );
    dynamo.resetHistory();
    const bot = await invoke(
      restEvent({
        headers: form,
        body: formBody({ name: 'Bot', email: 'bot@example.com', message: 'Buy', website: 'http://spam' }),
      }),
    );
    expect(bot).toEqual(genuine);
    const botJson = await invoke(
      restEvent({
        headers: json,
        body: JSON.stringify({ name: 'Bot', email: 'bot@example.com', message: 'Buy', website: 'x' }),
      }),
    );
    expect(botJson.statusCode).toBe(201);
    expect(JSON.parse(botJson.body)).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'received',
    });
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers a 5xx with a generic body when storage fails', async () => {
    dynamo.on(TransactWriteCommand).rejects(new Error('ada@example.com broke the table'));
    const response = await invoke(
      restEvent({
        headers: json,
        body: JSON.stringify({ name: 'Ada', email: 'ada@example.com', message: 'Hi' }),
      }),
    );
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: 'internal_error' });
  });
});

describe('Turnstile', () => {
  const body = JSON.stringify({
    form: 'protected',
    email: 'ada@example.com',
    'cf-turnstile-response': 'token-1',
  });

  it('passes a verified token and sends the secret and token to the verifier', async () => {
    verify.mockResolvedValue(Response.json({ success: true }));
    const response = await invoke(restEvent({ headers: json, body }));
    expect(response.statusCode).toBe(201);
    const [url, init] = verify.mock.calls[0] ?? [];
    expect(url).toBe('https://turnstile.test/siteverify');
    expect(String(init?.body)).toBe('secret=turnstile-test-secret&response=token-1');
  });

  it('refuses a failed verification with 400 and stores nothing', async () => {
    verify.mockResolvedValue(Response.json({ success: false, 'error-codes': ['invalid-input-response'] }));
    const response = await invoke(restEvent({ headers: json, body }));
    expect(JSON.parse(response.body)).toEqual({
      error: 'invalid_request',
      fields: { 'cf-turnstile-response': 'failed' },
    });
    // Only the read that recognises a repeated submission; nothing written.
    expect(dynamo).not.toReceiveCommand(TransactWriteCommand);
  });

  it('fails closed when the verifier times out or answers non-200', async () => {
    verify.mockRejectedValueOnce(new DOMException('The operation timed out', 'TimeoutError'));
    verify.mockResolvedValueOnce(new Response('oops', { status: 502 }));
    for (let i = 0; i < 2; i++) {
      const response = await invoke(restEvent({ headers: json, body }));
      expect(response.statusCode).toBe(503);
      expect(JSON.parse(response.body)).toEqual({ error: 'verification_unavailable' });
    }
    // Only the read that recognises a repeated submission; nothing written.
    expect(dynamo).not.toReceiveCommand(TransactWriteCommand);
  });

  it('requires the token field', async () => {
    const response = await invoke(
      restEvent({ headers: json, body: JSON.stringify({ form: 'protected', email: 'ada@example.com' }) }),
    );
    expect(JSON.parse(response.body)).toEqual({
      error: 'invalid_request',
      fields: { 'cf-turnstile-response': 'required' },
    });
    expect(verify).not.toHaveBeenCalled();
  });
});

describe('GET /enquiries/thank-you', () => {
  it('serves the built-in thank-you page with strict headers', async () => {
    const response = await invoke(restEvent({ method: 'GET', path: '/enquiries/thank-you' }));
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ ...baseHeaders, 'Content-Security-Policy': PAGE_CSP });
    expect(response.body).toContain('<html lang="en-GB">');
    expect(response.body).not.toContain('<script');
  });
});
