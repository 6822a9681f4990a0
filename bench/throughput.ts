/**
 * Local throughput: the real `npm start` runner (DynamoDB Local, API Gateway-style events, the same
 * handlers) under a bounded burst of enquiries from this process, on loopback only; then, as the
 * baseline, the same number of the intake's own transactions written straight to the same DynamoDB
 * Local with `TransactWriteItems` at the same concurrency. `ratioToRaw` is the first rate over the second.
 */
import { spawn } from 'node:child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS, LOCAL_TABLE_NAME } from '../local/dynamodb.ts';
import { recordEnquiryTransactions } from './handler-overhead.ts';
import { stopServer, waitForServer } from './local-server.ts';
import { percentile } from './stats.ts';

export interface ThroughputResult {
  readonly requests: number;
  readonly concurrency: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The same transactions written directly, without the API, the handler or its reads. */
  readonly rawTransactionsPerSecond: number;
  readonly ratioToRaw: number;
}

const PORT = 3190;
const DYNAMODB_PORT = 8190;

export async function measureLocalThroughput(
  requests: number,
  concurrency: number,
): Promise<ThroughputResult> {
  // Recorded before the server starts: the handler runs in this process with DynamoDB mocked.
  const recorded = await recordEnquiryTransactions(requests, 'raw');
  const server = spawn('./node_modules/.bin/tsx', ['local/start.ts'], {
    env: {
      ...process.env,
      PORT: String(PORT),
      DYNAMODB_PORT: String(DYNAMODB_PORT),
      // Never the real audience, whatever the developer's shell has set.
      MAILCHIMP_API_KEY: '',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${PORT}`;
    await waitForServer(base, server);
    const latencies: number[] = [];
    let next = 0;
    const post = async (n: number) => {
      const started = performance.now();
      const response = await fetch(`${base}/enquiries`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          form: 'contact',
          name: `Load ${n}`,
          email: `load-${n}@example.com`,
          message: 'Hello',
          marketing_consent: 'yes',
        }),
      });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`Unexpected status ${response.status}`);
      latencies.push(performance.now() - started);
    };
    for (let i = 0; i < 50; i++) await post(-i - 1); // warm-up
    latencies.length = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) await post(next++);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const rawSeconds = await writeRaw(recorded, concurrency);
    const requestsPerSecond = requests / seconds;
    const rawTransactionsPerSecond = recorded.length / rawSeconds;
    return {
      requests,
      concurrency,
      requestsPerSecond: Math.round(requestsPerSecond),
      p50Ms: Number(percentile(latencies, 50).toFixed(1)),
      p99Ms: Number(percentile(latencies, 99).toFixed(1)),
      rawTransactionsPerSecond: Math.round(rawTransactionsPerSecond),
      ratioToRaw: Number((requestsPerSecond / rawTransactionsPerSecond).toFixed(2)),
    };
  } finally {
    await stopServer(server);
  }
}

/** Seconds to write the recorded transactions to the local table, `concurrency` at a time. */
async function writeRaw(transactions: TransactWriteCommandInput[], concurrency: number): Promise<number> {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...LOCAL_AWS, endpoint: `http://127.0.0.1:${DYNAMODB_PORT}` }),
  );
  const toLocalTable = (input: TransactWriteCommandInput): TransactWriteCommandInput =>
    JSON.parse(
      JSON.stringify(input).replaceAll('"TableName":"ConsentDeskBench"', `"TableName":"${LOCAL_TABLE_NAME}"`),
    );
  const pending = transactions.map(toLocalTable);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < pending.length) {
        const input = pending[next++];
        if (input) await db.send(new TransactWriteCommand(input));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  db.destroy();
  return seconds;
}
