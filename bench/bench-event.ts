/** A typical enquiry as API Gateway delivers it: a JSON consent-form submission. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { toProxyEvent } from '../local/api-gateway.ts';

export function createBenchEvent(): APIGatewayProxyEvent {
  const body = JSON.stringify({
    form: 'contact',
    name: 'Bench Person',
    email: 'bench@example.com',
    message: 'Hello',
    marketing_consent: 'yes',
  });
  return toProxyEvent(
    {
      method: 'POST',
      url: '/enquiries',
      rawHeaders: ['Content-Type', 'application/json', 'Accept', 'application/json'],
      body: Buffer.from(body),
      sourceIp: '127.0.0.1',
    },
    { resource: '/enquiries', pathParameters: null, requestId: 'bench', receivedAt: new Date() },
  );
}
