/** Typed API Gateway REST proxy events for handler tests, made the way the local API Gateway makes them. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { toProxyEvent } from '../../local/api-gateway.ts';

export function restEvent(options: {
  method?: string;
  path?: string;
  resource?: string;
  headers?: Record<string, string>;
  body?: string | null;
  isBase64Encoded?: boolean;
  stage?: string;
}): APIGatewayProxyEvent {
  const { method = 'POST', path = '/enquiries', headers = {}, body = null, stage = 'prod' } = options;
  const event = toProxyEvent(
    {
      method,
      url: path,
      rawHeaders: Object.entries(headers).flat(),
      body: Buffer.from(body ?? '', options.isBase64Encoded ? 'base64' : 'utf8'),
      sourceIp: '203.0.113.9',
    },
    {
      resource: options.resource ?? path,
      pathParameters: null,
      requestId: 'request-1',
      receivedAt: new Date(0),
    },
  );
  // Deployed, API Gateway reports the path with the stage in front of it.
  return {
    ...event,
    requestContext: {
      ...event.requestContext,
      stage,
      path: `/${stage}${path}`,
      domainName: 'abc123.execute-api.eu-west-2.amazonaws.com',
    },
  };
}

export const lambdaContext = {
  functionName: 'enquiry',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

export function formBody(record: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(record)) for (const v of [value].flat()) params.append(name, v);
  return params.toString();
}
