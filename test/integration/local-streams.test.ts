/**
 * Local mode's stand-ins for DynamoDB Streams + Lambda and for DynamoDB TTL, against a DynamoDB Local of
 * their own (its own port and table), since each poller reads the whole table's stream.
 */
import {
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, GetRecordsCommand } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { clockService } from '../../local/clock.ts';
import { createTable, type DynamoDbLocal, LOCAL_AWS, startDynamoDbLocal } from '../../local/dynamodb.ts';
import type { LocalRequest, LocalService, LocalServiceContext } from '../../local/services.ts';
import {
  type DiscardedBatch,
  type StreamConsumer,
  type StreamPollerOptions,
  streamPollerService,
  TtlDeletions,
} from '../../local/stream-poller.ts';
import { ttlSweeperService } from '../../local/ttl-sweeper.ts';
import { now } from '../../shared/clock.ts';
import { log } from '../../shared/log.ts';
import { exampleConfig } from '../support/config.ts';

/** TEST_PORT_OFFSET moves it with the other test ports, so checkouts can run their tests side by side. */
const PORT =
  Number(process.env.TEST_STREAMS_DYNAMODB_PORT ?? 8301) + Number(process.env.TEST_PORT_OFFSET ?? 0);
const TABLE_NAME = 'ConsentDeskLocalStreams';
const DAY_SECONDS = 24 * 60 * 60;
const TTL_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };
const WAIT = { timeout: 5_000, interval: 25 };

let dynamo: DynamoDbLocal;
let client: DynamoDBClient;
let context: LocalServiceContext;
let streamArn: string;
const running: LocalService[] = [];

beforeAll(async () => {
  dynamo = await startDynamoDbLocal({ port: PORT });
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  await createTable(client, TABLE_NAME);
  const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE_NAME }));
  streamArn = Table?.LatestStreamArn ?? '';
  context = {
    dynamoDb: { endpoint: dynamo.endpoint, tableName: TABLE_NAME },
    clock: { now },
    config: exampleConfig,
    baseUrl: 'http://127.0.0.1:1',
  };
}, 60_000);

afterEach(async () => {
  vi.restoreAllMocks();
  for (const service of running.splice(0).reverse()) await service.stop?.();
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

async function started<T extends LocalService>(service: T): Promise<T> {
  await service.start?.(context);
  running.push(service);
  return service;
}

const poller = (consumers: StreamConsumer[], options: Partial<StreamPollerOptions> = {}) =>
  started(streamPollerService({ consumers, pollIntervalMs: 50, retryDelayMs: 20, ...options }));

/** A consumer that keeps every event it is given. */
function recorder(name = 'recorder', batchSize?: number) {
  const events: DynamoDBStreamEvent[] = [];
  const consumer: StreamConsumer = {
    name,
    ...(batchSize ? { batchSize } : {}),
    handle: async (event) => void events.push(event),
  };
  return { consumer, events, records: () => events.flatMap((event) => event.Records) };
}

const pkOf = (record: DynamoDBRecord) => record.dynamodb?.Keys?.pk?.S;
const item = (pk: string, attributes: Record<string, { S: string } | { N: string }> = {}) => ({
  pk: { S: pk },
  sk: { S: 'ITEM' },
  ...attributes,
});
const key = (pk: string) => ({ pk: { S: pk }, sk: { S: 'ITEM' } });
const put = (pk: string, attributes?: Record<string, { S: string } | { N: string }>) =>
  client.send(new PutItemCommand({ TableName: TABLE_NAME, Item: item(pk, attributes) }));
const remove = (pk: string) => client.send(new DeleteItemCommand({ TableName: TABLE_NAME, Key: key(pk) }));

describe('stream poller', () => {
  it('delivers INSERT, MODIFY and REMOVE in order, in the event shape Lambda gives', async () => {
    const { consumer, records } = recorder();
    await poller([consumer]);

    await put('shape#1', { note: { S: 'first' } });
    await client.send(
      new UpdateItemCommand({
        TableName: TABLE_NAME,
        Key: key('shape#1'),
        UpdateExpression: 'SET note = :note',
        ExpressionAttributeValues: { ':note': { S: 'second' } },
      }),
    );
    await remove('shape#1');

    await vi.waitFor(() => expect(records()).toHaveLength(3), WAIT);
    const [insert, modify, removal] = records();
    expect(insert).toEqual({
      eventID: expect.any(String),
      eventName: 'INSERT',
      eventVersion: expect.any(String),
      eventSource: 'aws:dynamodb',
      awsRegion: LOCAL_AWS.region,
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: key('shape#1'),
        NewImage: item('shape#1', { note: { S: 'first' } }),
        SequenceNumber: expect.any(String),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: streamArn,
    });
    expect(modify?.eventName).toBe('MODIFY');
    expect(modify?.dynamodb?.OldImage).toEqual(item('shape#1', { note: { S: 'first' } }));
    expect(modify?.dynamodb?.NewImage).toEqual(item('shape#1', { note: { S: 'second' } }));
    expect(removal?.eventName).toBe('REMOVE');
    expect(removal?.dynamodb?.OldImage).toEqual(item('shape#1', { note: { S: 'second' } }));
    expect(removal?.dynamodb?.NewImage).toBeUndefined();
    expect(removal).not.toHaveProperty('userIdentity');
    const sequence = records().map((record) => BigInt(record.dynamodb?.SequenceNumber ?? '0'));
    expect([...sequence].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequence);
  });

  it('gives each consumer batches of at most its batch size, in order', async () => {
    const small = recorder('small', 7);
    const large = recorder('large');
    await poller([small.consumer, large.consumer]);

    const pks = Array.from({ length: 30 }, (_, index) => `batch#${String(index).padStart(2, '0')}`);
    for (const pk of pks) await put(pk);

    await vi.waitFor(() => {
      expect(small.records()).toHaveLength(30);
      expect(large.records()).toHaveLength(30);
    }, WAIT);
    expect(small.records().map(pkOf)).toEqual(pks);
    expect(large.records().map(pkOf)).toEqual(pks);
    expect(Math.max(...small.events.map((event) => event.Records.length))).toBeLessThanOrEqual(7);
  });

  it('re-delivers from the first failed record, then hands the batch to onDiscard and moves on', async () => {
    const deliveries: string[][] = [];
    const discarded: DiscardedBatch[] = [];
    await poller(
      [
        {
          name: 'fails-on-bad',
          handle: async (event) => {
            deliveries.push(event.Records.map((record) => pkOf(record) ?? ''));
            const bad = event.Records.filter((record) => pkOf(record) === 'retry#bad');
            return {
              batchItemFailures: bad.map((record) => ({
                itemIdentifier: record.dynamodb?.SequenceNumber ?? '',
              })),
            };
          },
          onDiscard: (batch) => void discarded.push(batch),
        },
      ],
      { maxRetryAttempts: 2 },
    );

    // One transaction, so the three records reach the stream together and travel in one batch.
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: ['retry#a', 'retry#bad', 'retry#c'].map((pk) => ({
          Put: { TableName: TABLE_NAME, Item: item(pk) },
        })),
      }),
    );
    await vi.waitFor(() => expect(discarded).toHaveLength(1), WAIT);
    await put('retry#later');
    await vi.waitFor(() => expect(deliveries.flat()).toContain('retry#later'), WAIT);

    expect(deliveries).toEqual([
      ['retry#a', 'retry#bad', 'retry#c'],
      ['retry#bad', 'retry#c'],
      ['retry#bad', 'retry#c'],
      ['retry#later'],
    ]);
    expect(discarded[0]).toMatchObject({
      consumer: 'fails-on-bad',
      attempts: 3,
      shardId: expect.any(String),
    });
    expect(discarded[0]?.records.map(pkOf)).toEqual(['retry#bad', 'retry#c']);
  });

  it('retries the whole batch when the handler throws, and an unknown item identifier fails it all', async () => {
    const deliveries: string[][] = [];
    let calls = 0;
    await poller([
      {
        name: 'flaky',
        handle: async (event) => {
          deliveries.push(event.Records.map((record) => pkOf(record) ?? ''));
          calls += 1;
          if (calls === 1) throw new Error('temporary');
          if (calls === 2) return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
          return { batchItemFailures: [] };
        },
      },
    ]);

    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: ['throw#a', 'throw#b'].map((pk) => ({
          Put: { TableName: TABLE_NAME, Item: item(pk) },
        })),
      }),
    );
    await vi.waitFor(() => expect(deliveries).toHaveLength(3), WAIT);
    expect(deliveries).toEqual([
      ['throw#a', 'throw#b'],
      ['throw#a', 'throw#b'],
      ['throw#a', 'throw#b'],
    ]);
  });
  it("stops reading while a consumer's backlog is over its bound, and reads on once it has caught up", async () => {
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const delivered: string[] = [];
    await poller(
      [
        {
          name: 'slow',
          batchSize: 1,
          handle: async (event) => {
            await blocked;
            delivered.push(...event.Records.map((record) => pkOf(record) ?? ''));
          },
        },
      ],
      { maxBacklog: 3 },
    );
    const reads = vi.spyOn(DynamoDBStreamsClient.prototype, 'send');
    const logged = vi.spyOn(log, 'info');
    const getRecordsCalls = () =>
      reads.mock.calls.filter(([command]) => command instanceof GetRecordsCommand).length;

    const pks = Array.from({ length: 10 }, (_, index) => `backlog#${index}`);
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: pks.map((pk) => ({ Put: { TableName: TABLE_NAME, Item: item(pk) } })),
      }),
    );
    // Once nine records wait behind the busy handler, reading stops until it catches up.
    await vi.waitFor(
      () => expect(logged).toHaveBeenCalledWith('local.stream.reading_paused', expect.anything()),
      WAIT,
    );
    const readsWhilePaused = getRecordsCalls();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(getRecordsCalls()).toBe(readsWhilePaused);

    release();
    await vi.waitFor(() => expect(delivered).toEqual(pks), WAIT);
    await put('backlog#after');
    await vi.waitFor(() => expect(delivered).toContain('backlog#after'), WAIT);
  });
});

describe('TTL sweeper and the local clock', () => {
  it('deletes only what has expired by the moved clock, never an item renewed meanwhile', async () => {
    const ttlDeletions = new TtlDeletions();
    const { consumer, records } = recorder();
    await poller([consumer], { ttlDeletions });

    // The sweeper's own client renews one item just before the sweeper's delete reaches it.
    const sweeperClient = new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
    const base = Math.floor(now().getTime() / 1000);
    sweeperClient.middlewareStack.add(
      (next, { commandName }) =>
        async (args) => {
          const input = args.input as { Key?: { pk?: { S?: string } } };
          if (commandName === 'DeleteItemCommand' && input.Key?.pk?.S === 'ttl#raced')
            await put('ttl#raced', { expiresAt: { N: String(base + 90 * DAY_SECONDS) } });
          return next(args);
        },
      { step: 'initialize' },
    );
    const sweeper = await started(
      ttlSweeperService({ ttlDeletions, client: sweeperClient, intervalSeconds: 3600 }),
    );
    const clock = clockService({ sweep: () => sweeper.sweep() });

    await put('ttl#expired', { expiresAt: { N: String(base + DAY_SECONDS) } });
    await put('ttl#renewed', { expiresAt: { N: String(base + DAY_SECONDS) } });
    await put('ttl#raced', { expiresAt: { N: String(base + DAY_SECONDS) } });
    await put('ttl#future', { expiresAt: { N: String(base + 30 * DAY_SECONDS) } });
    await put('ttl#not-a-number', { expiresAt: { S: String(base) } });
    await put('ttl#no-expiry');
    await put('ttl#renewed', { expiresAt: { N: String(base + 60 * DAY_SECONDS) } });

    expect(await sweeper.sweep()).toBe(0);
    const response = await call(clock, 'POST', '/__local/clock', { advanceDays: 2 });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toEqual({ now: expect.any(String), expiredItemsDeleted: 1 });

    const left = await Promise.all(
      ['ttl#expired', 'ttl#renewed', 'ttl#raced', 'ttl#future', 'ttl#not-a-number', 'ttl#no-expiry'].map(
        async (pk) => [pk, await exists(pk)] as const,
      ),
    );
    expect(Object.fromEntries(left)).toEqual({
      'ttl#expired': false,
      'ttl#renewed': true,
      'ttl#raced': true,
      'ttl#future': true,
      'ttl#not-a-number': true,
      'ttl#no-expiry': true,
    });

    // An ordinary delete of an item the sweeper once meant to delete carries no TTL identity.
    await remove('ttl#raced');
    await remove('ttl#future');
    const removals = () => records().filter((record) => record.eventName === 'REMOVE');
    await vi.waitFor(() => expect(removals()).toHaveLength(3), WAIT);
    expect(removals().map((record) => [pkOf(record), record.userIdentity])).toEqual([
      ['ttl#expired', TTL_IDENTITY],
      ['ttl#raced', undefined],
      ['ttl#future', undefined],
    ]);
    sweeperClient.destroy();
  });

  it('answers the time, and moves it only forward by a valid number of days', async () => {
    let sweeps = 0;
    const clock = clockService({
      sweep: async () => {
        sweeps += 1;
        return 0;
      },
    });
    const before = now().getTime();
    const read = async () =>
      Date.parse(JSON.parse(String((await call(clock, 'GET', '/__local/clock')).body)).now);
    expect((await read()) - before).toBeLessThan(1_000);

    for (const body of [
      { advanceDays: -1 },
      { advanceDays: '2' },
      {},
      { advanceDays: null },
      { advanceDays: 1e9 },
      'soon',
    ])
      expect((await call(clock, 'POST', '/__local/clock', body)).statusCode).toBe(400);
    expect((await call(clock, 'POST', '/__local/clock', '{"advanceDays":')).statusCode).toBe(400);
    expect(sweeps).toBe(0);
    expect((await read()) - before).toBeLessThan(1_000);

    const moved = await call(clock, 'POST', '/__local/clock', { advanceDays: 1.5 });
    expect(moved.statusCode).toBe(200);
    const movedBy = Date.parse(JSON.parse(String(moved.body)).now) - before;
    expect(movedBy).toBeGreaterThanOrEqual(1.5 * DAY_SECONDS * 1000);
    expect(movedBy).toBeLessThan(1.5 * DAY_SECONDS * 1000 + 1_000);
    expect(sweeps).toBe(1);
  });
});

async function exists(pk: string): Promise<boolean> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: TABLE_NAME, Key: key(pk), ConsistentRead: true }),
  );
  return Item !== undefined;
}

/** Calls a local route as the local server would, with a JSON body (a string is sent as it is). */
async function call(service: LocalService, method: 'GET' | 'POST', path: string, body?: unknown) {
  const route = service.routes?.find((candidate) => candidate.method === method && candidate.path === path);
  if (!route) throw new Error(`No ${method} ${path}`);
  const request: LocalRequest = {
    method,
    pathname: path,
    query: new URLSearchParams(),
    pathParameters: null,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)),
  };
  return route.handle(request);
}
