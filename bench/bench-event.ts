/** A typical request for each function, as API Gateway delivers it. */
import type { APIGatewayProxyEvent, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import type { FunctionName } from '../infra/routes.ts';
import { toProxyEvent } from '../local/api-gateway.ts';
import { parseKeyRing, signToken } from '../shared/domain/tokens.ts';

type BenchEvent = APIGatewayProxyEvent | DynamoDBStreamEvent | ScheduledEvent;

/** The link-signing key ring the cold-start stub hands out, so benchmark links verify. */
export const BENCH_KEY_RING = JSON.stringify({
  current: 'k1',
  k1: 'bench-link-signing-key-0123456789abcdefghij',
});

/** The MailChimp webhook secret the cold-start stub hands out. */
export const BENCH_WEBHOOK_SECRET = JSON.stringify({ urlKey: 'bench-webhook-url-key-0123456789abcdef' });

export function createBenchEvent(name: 'mailchimpSync' | 'mailer'): DynamoDBStreamEvent;
export function createBenchEvent(name: 'mailchimpReconcile'): ScheduledEvent;
export function createBenchEvent(
  name: Exclude<FunctionName, 'mailchimpSync' | 'mailchimpReconcile' | 'mailer'>,
): APIGatewayProxyEvent;
export function createBenchEvent(name: FunctionName): BenchEvent;
export function createBenchEvent(name: FunctionName): BenchEvent {
  switch (name) {
    case 'enquiry':
      // A JSON consent-form submission.
      return request(
        'POST',
        '/enquiries',
        '/enquiries',
        JSON.stringify({
          form: 'contact',
          name: 'Bench Person',
          email: 'bench@example.com',
          message: 'Hello',
          marketing_consent: 'yes',
        }),
        'application/json',
      );
    case 'links': {
      // An RFC 8058 one-click unsubscribe.
      const token = signToken(parseKeyRing(BENCH_KEY_RING), {
        contactId: '0123456789abcdef0123456789abcdef',
        purpose: 'unsubscribe',
        epoch: 1,
        issuedAt: Math.floor(Date.now() / 1000),
      });
      return request(
        'POST',
        `/unsubscribe?token=${token}`,
        '/unsubscribe',
        'List-Unsubscribe=One-Click',
        'application/x-www-form-urlencoded',
      );
    }
    case 'mailchimpWebhook': {
      // An unsubscribe made in a MailChimp email.
      const { urlKey } = JSON.parse(BENCH_WEBHOOK_SECRET) as { urlKey: string };
      const body = new URLSearchParams({
        type: 'unsubscribe',
        fired_at: '2026-11-22 10:00:00',
        'data[action]': 'unsub',
        'data[reason]': 'manual',
        'data[email]': 'bench@example.com',
        'data[list_id]': 'bench',
      }).toString();
      return request(
        'POST',
        `/webhooks/mailchimp?key=${urlKey}`,
        '/webhooks/mailchimp',
        body,
        'application/x-www-form-urlencoded',
      );
    }
    case 'staff': {
      // A marketing list query, with the claims the Cognito authorizer passes on.
      const event = request('GET', '/contacts?topic=newsletter', '/contacts', '', 'application/json');
      event.requestContext.authorizer = {
        claims: { sub: 'bench-staff', 'cognito:username': 'bench', 'cognito:groups': 'marketing' },
      };
      return event;
    }
    case 'rights': {
      // A person looked up by address, as the privacy team does before logging a request.
      const event = request('GET', '/people?email=bench%40example.com', '/people', '', 'application/json');
      event.requestContext.authorizer = {
        claims: { sub: 'bench-staff', 'cognito:username': 'bench', 'cognito:groups': 'privacy' },
      };
      return event;
    }
    case 'mailchimpReconcile':
      // The quarter-hourly EventBridge schedule.
      return {
        version: '0',
        id: 'bench-schedule',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '123456789012',
        time: '2026-11-22T10:00:00Z',
        region: 'eu-west-2',
        resources: ['arn:aws:events:eu-west-2:123456789012:rule/ConsentDeskBench-MailchimpReconcile'],
        detail: {},
      };
    case 'mailchimpSync':
      // A stream record: a topic permission granted through a form.
      return {
        Records: [
          {
            eventID: 'bench-1',
            eventName: 'INSERT',
            eventSource: 'aws:dynamodb',
            awsRegion: 'eu-west-2',
            dynamodb: {
              Keys: { pk: { S: 'CONTACT#0123456789abcdef0123456789abcdef' }, sk: { S: 'TOPIC#newsletter' } },
              NewImage: {
                pk: { S: 'CONTACT#0123456789abcdef0123456789abcdef' },
                sk: { S: 'TOPIC#newsletter' },
                status: { S: 'consent' },
                source: { S: 'form' },
              },
              SequenceNumber: '100',
              SizeBytes: 100,
              StreamViewType: 'NEW_AND_OLD_IMAGES',
            },
            eventSourceARN: 'arn:aws:dynamodb:eu-west-2:123456789012:table/ConsentDeskBench/stream/bench',
          },
        ],
      };
    case 'mailer':
      // A staff notification queued in the outbox.
      return {
        Records: [
          {
            eventID: 'bench-2',
            eventName: 'INSERT',
            eventSource: 'aws:dynamodb',
            awsRegion: 'eu-west-2',
            dynamodb: {
              Keys: { pk: { S: 'OUTBOX#bench-message' }, sk: { S: 'OUTBOX' } },
              SequenceNumber: '101',
              SizeBytes: 100,
              StreamViewType: 'NEW_AND_OLD_IMAGES',
            },
            eventSourceARN: 'arn:aws:dynamodb:eu-west-2:123456789012:table/ConsentDeskBench/stream/bench',
          },
        ],
      };
  }
}

function request(
  method: string,
  url: string,
  resource: string,
  body: string,
  contentType: string,
): APIGatewayProxyEvent {
  return toProxyEvent(
    {
      method,
      url,
      rawHeaders: ['Content-Type', contentType, 'Accept', 'application/json'],
      body: Buffer.from(body),
      sourceIp: '127.0.0.1',
    },
    { resource, pathParameters: null, requestId: 'bench', receivedAt: new Date() },
  );
}
