/** Typed API Gateway REST proxy events for handler tests. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

export function restEvent(overrides: {
  method?: string;
  path?: string;
  resource?: string;
  headers?: Record<string, string>;
  body?: string | null;
  isBase64Encoded?: boolean;
  stage?: string;
}): APIGatewayProxyEvent {
  const path = overrides.path ?? '/enquiries';
  const stage = overrides.stage ?? 'prod';
  return {
    httpMethod: overrides.method ?? 'POST',
    path,
    resource: overrides.resource ?? path,
    headers: overrides.headers ?? {},
    multiValueHeaders: Object.fromEntries(Object.entries(overrides.headers ?? {}).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: overrides.body ?? null,
    isBase64Encoded: overrides.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      authorizer: null,
      httpMethod: overrides.method ?? 'POST',
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
        sourceIp: '203.0.113.9',
        user: null,
        userAgent: 'test',
        userArn: null,
      },
      path: `/${stage}${path}`,
      protocol: 'HTTP/1.1',
      requestId: 'request-1',
      requestTimeEpoch: 0,
      resourceId: 'resource',
      resourcePath: overrides.resource ?? path,
      stage,
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
