/**
 * Time spent inside a handler per request, with the document client's `send` answered in process by a
 * plain function, so only our code and middy are measured (not the network, nor a mocking library's
 * argument matching, which aws-sdk-client-mock's sinon stubs add to every call).
 */
import { readFileSync } from 'node:fs';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { FUNCTIONS } from '../infra/routes.ts';
import { createLambdaContext } from '../local/api-gateway.ts';
import { localOutbox } from '../shared/adapters/mail/outbox.ts';
import { parseAppConfig, toRuntimeConfig } from '../shared/config/schema.ts';
import { BENCH_KEY_RING, createBenchEvent } from './bench-event.ts';
import { percentile } from './stats.ts';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
export type MeasuredHandler = 'enquiry' | 'links';

const ENTRIES: Record<MeasuredHandler, string> = {
  enquiry: '../functions/enquiry/handler.ts',
  links: '../functions/links/handler.ts',
};

/** The handler module, loaded in this process with the environment local mode would give it. */
async function loadHandler(name: MeasuredHandler): Promise<Handler> {
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
  return ((await import(ENTRIES[name])) as { handler: Handler }).handler;
}

/** Runs `body` with DynamoDB answered in process: no items, every write accepted. */
async function withMockedTable<T>(
  body: (transactions: TransactWriteCommandInput[]) => Promise<T>,
): Promise<T> {
  const transactions: TransactWriteCommandInput[] = [];
  const { send } = DynamoDBDocumentClient.prototype;
  const answer = async (command: unknown) => {
    if (command instanceof TransactWriteCommand) transactions.push(command.input);
    return command instanceof QueryCommand ? { Items: [] } : {};
  };
  DynamoDBDocumentClient.prototype.send = answer as typeof send;
  // The handlers log one line per request; thousands of them would drown the report.
  const { log: consoleLog } = console;
  console.log = () => {};
  try {
    return await body(transactions);
  } finally {
    console.log = consoleLog;
    DynamoDBDocumentClient.prototype.send = send;
  }
}

async function invoke(handler: Handler, name: MeasuredHandler, event: APIGatewayProxyEvent) {
  const context = createLambdaContext(name, FUNCTIONS[name], 'bench', Date.now());
  const response = await handler(event, context);
  if (response.statusCode >= 400) throw new Error(`Unexpected status ${response.statusCode}`);
  localOutbox.length = 0;
}

export async function measureHandlerOverhead(
  name: MeasuredHandler,
  iterations: number,
): Promise<{ p50: number; p99: number }> {
  const handler = await loadHandler(name);
  return withMockedTable(async () => {
    const timings: number[] = [];
    for (let i = 0; i < iterations + 200; i++) {
      const event = createBenchEvent(name);
      const started = process.hrtime.bigint();
      await invoke(handler, name, event);
      const elapsed = Number(process.hrtime.bigint() - started) / 1000;
      if (i >= 200) timings.push(elapsed); // the first calls warm the JIT and lazy imports
    }
    return { p50: Math.round(percentile(timings, 50)), p99: Math.round(percentile(timings, 99)) };
  });
}

/**
 * The transactions the enquiry handler writes for `count` consent-form posts from different people, as
 * it would send them to DynamoDB: the raw-write baseline of the throughput bench replays them.
 */
export async function recordEnquiryTransactions(
  count: number,
  prefix: string,
): Promise<TransactWriteCommandInput[]> {
  const handler = await loadHandler('enquiry');
  return withMockedTable(async (transactions) => {
    for (let n = 0; n < count; n++) {
      const event = createBenchEvent('enquiry');
      event.body = JSON.stringify({
        form: 'contact',
        name: `Load ${n}`,
        email: `${prefix}-${n}@example.com`,
        message: `Hello ${n}`,
        marketing_consent: 'yes',
      });
      await invoke(handler, 'enquiry', event);
    }
    return transactions;
  });
}
