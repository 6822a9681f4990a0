/**
 * Time spent inside a handler per request, with DynamoDB answered in process (aws-sdk-client-mock) so
 * only our code, middy and the SDK's own middleware stack are measured.
 */
import { readFileSync } from 'node:fs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { FUNCTIONS } from '../infra/routes.ts';
import { createLambdaContext } from '../local/api-gateway.ts';
import { localOutbox } from '../shared/adapters/mail/outbox.ts';
import { parseAppConfig, toRuntimeConfig } from '../shared/config/schema.ts';
import { BENCH_KEY_RING, createBenchEvent } from './bench-event.ts';
import { percentile } from './stats.ts';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export async function measureEnquiryOverhead(iterations: number): Promise<{ p50: number; p99: number }> {
  const config = parseAppConfig(JSON.parse(readFileSync('consent-desk.config.json', 'utf8')));
  Object.assign(process.env, {
    TABLE_NAME: 'ConsentDeskBench',
    APP_CONFIG: JSON.stringify(toRuntimeConfig(config)),
    MAIL_TRANSPORT: 'outbox',
    EMAIL_HASH_KEY: 'bench-email-hash-key-0123456789abcdef0123',
    TOKEN_SIGNING_KEYS: BENCH_KEY_RING,
    AWS_REGION: 'eu-west-2',
    API_BASE_URL: 'https://abc123.execute-api.eu-west-2.amazonaws.com/prod',
  });
  const dynamo = mockClient(DynamoDBDocumentClient);
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo.on(GetCommand).resolves({});
  dynamo.on(TransactWriteCommand).resolves({});
  const { handler } = (await import('../functions/enquiry/handler.ts')) as { handler: Handler };

  const timings: number[] = [];
  // The handler logs one line per request; thousands of them would drown the report.
  const { log: consoleLog } = console;
  console.log = () => {};
  try {
    for (let i = 0; i < iterations + 200; i++) {
      const request = createBenchEvent('enquiry');
      const context = createLambdaContext('enquiry', FUNCTIONS.enquiry, 'bench', Date.now());
      const started = process.hrtime.bigint();
      const response = await handler(request, context);
      const elapsed = Number(process.hrtime.bigint() - started) / 1000;
      if (response.statusCode !== 201) throw new Error(`Unexpected status ${response.statusCode}`);
      if (i >= 200) timings.push(elapsed); // the first calls warm the JIT and lazy imports
      localOutbox.length = 0;
    }
  } finally {
    console.log = consoleLog;
    dynamo.restore();
  }
  return { p50: Math.round(percentile(timings, 50)), p99: Math.round(percentile(timings, 99)) };
}
