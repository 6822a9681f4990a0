/**
 * DynamoDB Streams in local mode: reads the table's stream on DynamoDB Local and hands batches to the same
 * stream handlers an event source mapping invokes in AWS, in Lambda's event shape and with its failure
 * handling: `ReportBatchItemFailures`, bounded retries with back-off, then an on-failure destination.
 *
 * No Streams client is installed; the Streams API is plain JSON over HTTP, and DynamoDB Local answers it
 * in exactly the wire shape Lambda puts in its events (attribute values, epoch-second times).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { TABLE_DEFINITION } from '../shared/adapters/dynamodb/table.ts';
import { describeError, log } from '../shared/log.ts';
import { LOCAL_AWS } from './dynamodb.ts';
import type { LocalService, LocalServiceContext } from './services.ts';

/** A stream handler as Lambda calls it; a `batchItemFailures` answer is honoured (`ReportBatchItemFailures`). */
export type StreamHandler = (
  event: DynamoDBStreamEvent,
) => Promise<DynamoDBBatchResponse | undefined> | Promise<void>;

/** What the on-failure destination receives once a batch has used up its retries. */
export interface DiscardedBatch {
  readonly consumer: string;
  readonly shardId: string;
  /** Deliveries of the batch's first record, the last included. */
  readonly attempts: number;
  readonly records: readonly DynamoDBRecord[];
}

/** One event source mapping: a handler and its batch and failure settings. */
export interface StreamConsumer {
  /** Names the consumer in logs, as the function name does in AWS. */
  readonly name: string;
  readonly handle: StreamHandler;
  /** Records per invocation, at most 100. */
  readonly batchSize?: number;
  /** Stands in for the mapping's SQS on-failure destination. Without one, the discard is only logged. */
  readonly onDiscard?: (batch: DiscardedBatch) => void | Promise<void>;
}

export interface StreamPollerOptions {
  readonly consumers: readonly StreamConsumer[];
  /** Where the TTL sweeper notes its deletions, so their REMOVE records name the DynamoDB service. */
  readonly ttlDeletions?: TtlDeletions;
  readonly pollIntervalMs?: number;
  /** Retries after a failed delivery (Lambda's `MaximumRetryAttempts`), counted afresh whenever the checkpoint advances. */
  readonly maxRetryAttempts?: number;
  /** The first back-off; it doubles on each retry, up to 10 s. */
  readonly retryDelayMs?: number;
  /** The region Lambda reports in `awsRegion` (DynamoDB Local says `ddblocal`). */
  readonly region?: string;
}

const MAX_BATCH_SIZE = 100;
const MAX_RETRY_DELAY_MS = 10_000;
/** New shards appear when DynamoDB rolls a shard over; look for them this often, and whenever one closes. */
const SHARD_DISCOVERY_MS = 5_000;
const TTL_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

/**
 * DynamoDB Local's stream record for a delete never says who deleted, while AWS marks a TTL deletion's
 * REMOVE record with the DynamoDB service identity. The sweeper notes each key, with the expiry it acted
 * on, just before deleting; the poller claims the note when the matching REMOVE record arrives.
 */
export class TtlDeletions {
  readonly #pending = new Map<string, { expiresAt: string; deadline: number }>();

  /** @param holdMs how long an unclaimed note stays valid (wall-clock time, which the local clock does not move) */
  constructor(private readonly holdMs = 60_000) {}

  /** Notes a coming TTL deletion; call the returned function if the delete did not happen after all. */
  expect(keys: KeyAttributes, expiresAt: string): () => void {
    this.#prune();
    const key = keyString(keys);
    const note = { expiresAt, deadline: Date.now() + this.holdMs };
    this.#pending.set(key, note);
    return () => {
      if (this.#pending.get(key) === note) this.#pending.delete(key);
    };
  }

  /** True, once, for the REMOVE record of a noted deletion. */
  claim(record: DynamoDBRecord): boolean {
    this.#prune();
    const keys = record.dynamodb?.Keys;
    if (record.eventName !== 'REMOVE' || !keys) return false;
    const key = keyString(keys);
    const note = this.#pending.get(key);
    if (!note) return false;
    // Without an old image (a KEYS_ONLY stream) the key alone has to do.
    const oldExpiry = record.dynamodb?.OldImage?.[TABLE_DEFINITION.timeToLiveAttribute]?.N;
    if (record.dynamodb?.OldImage && oldExpiry !== note.expiresAt) return false;
    this.#pending.delete(key);
    return true;
  }

  #prune(): void {
    const now = Date.now();
    for (const [key, note] of this.#pending) if (note.deadline < now) this.#pending.delete(key);
  }
}

type KeyAttributes = Readonly<Record<string, { readonly S?: string; readonly N?: string } | undefined>>;

function keyString(keys: KeyAttributes): string {
  const part = (name: string) => keys[name]?.S ?? keys[name]?.N ?? '';
  return JSON.stringify([part(TABLE_DEFINITION.partitionKey), part(TABLE_DEFINITION.sortKey)]);
}

export function streamPollerService(options: StreamPollerOptions): LocalService {
  return new StreamPoller(options);
}

interface Shard {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  /** Where reading starts: the open shards at start from now on, shards created later from their beginning. */
  readonly startAt: 'LATEST' | 'TRIM_HORIZON';
  iterator: string | undefined;
  lastSequenceNumber: string | undefined;
  /** Read to its end (or closed before the poller started). */
  finished: boolean;
}

class StreamPoller implements LocalService {
  readonly name = 'stream-poller';
  readonly #options: StreamPollerOptions;
  readonly #abort = new AbortController();
  readonly #shards = new Map<string, Shard>();
  readonly #subscriptions: Subscription[];
  #api: StreamsApi | undefined;
  #streamArn = '';
  #running: Promise<void> | undefined;
  #lastDiscovery = 0;
  #discoveryDue = false;

  constructor(options: StreamPollerOptions) {
    this.#options = options;
    const retry = {
      maxRetryAttempts: options.maxRetryAttempts ?? 3,
      retryDelayMs: options.retryDelayMs ?? 500,
    };
    this.#subscriptions = options.consumers.map((consumer) => {
      const batchSize = consumer.batchSize ?? MAX_BATCH_SIZE;
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE)
        throw new Error(`The ${consumer.name} stream consumer's batch size must be 1 to ${MAX_BATCH_SIZE}`);
      return new Subscription(consumer, batchSize, retry, this.#abort.signal);
    });
  }

  async start(context: LocalServiceContext): Promise<void> {
    if (this.#running) throw new Error('The stream poller is already running');
    const client = new DynamoDBClient({ endpoint: context.dynamoDb.endpoint, ...LOCAL_AWS });
    try {
      const { Table } = await client.send(
        new DescribeTableCommand({ TableName: context.dynamoDb.tableName }),
      );
      if (!Table?.LatestStreamArn || !Table.StreamSpecification?.StreamEnabled)
        throw new Error(`The table ${context.dynamoDb.tableName} has no stream`);
      this.#streamArn = Table.LatestStreamArn;
    } finally {
      client.destroy();
    }
    this.#api = new StreamsApi(context.dynamoDb.endpoint, this.#abort.signal);
    // Iterators are taken before start() returns, so every write after it is delivered.
    await this.#discoverShards(true);
    for (const shard of this.#readableShards()) await this.#openIterator(shard);
    log.info('local.stream.started', { shards: this.#shards.size, consumers: this.#subscriptions.length });
    this.#running = this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
    // A handler already running is let finish; nothing further is delivered.
    await Promise.all(this.#subscriptions.map((subscription) => subscription.idle()));
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      let moreWaiting = false;
      try {
        if (this.#discoveryDue || Date.now() - this.#lastDiscovery >= SHARD_DISCOVERY_MS)
          await this.#discoverShards(false);
        for (const shard of this.#readableShards()) {
          if (signal.aborted) break;
          moreWaiting = (await this.#read(shard)) || moreWaiting;
        }
      } catch (error) {
        if (signal.aborted) break;
        log.warn('local.stream.poll_failed', describeError(error));
      }
      if (!moreWaiting) await sleep(this.#options.pollIntervalMs ?? 250, signal);
    }
  }

  #streams(): StreamsApi {
    if (!this.#api) throw new Error('The stream poller has not started');
    return this.#api;
  }

  /** Unfinished shards whose parent (if still tracked) has been read to its end, as Lambda keeps order. */
  #readableShards(): Shard[] {
    return [...this.#shards.values()].filter((shard) => {
      if (shard.finished) return false;
      const parent = shard.parentShardId ? this.#shards.get(shard.parentShardId) : undefined;
      return !parent || parent.finished;
    });
  }

  /** Reads one page of a shard; true when more records may be waiting. */
  async #read(shard: Shard): Promise<boolean> {
    if (!shard.iterator) await this.#openIterator(shard);
    if (!shard.iterator) return false;
    let page: GetRecordsOutput;
    try {
      page = await this.#streams().call<GetRecordsOutput>('GetRecords', {
        ShardIterator: shard.iterator,
        Limit: 1000,
      });
    } catch (error) {
      if (!(error instanceof StreamsApiError)) throw error;
      if (error.name === 'ResourceNotFoundException') {
        shard.finished = true;
        return false;
      }
      if (
        ['ExpiredIteratorException', 'TrimmedDataAccessException', 'ValidationException'].includes(error.name)
      ) {
        // Start again just after the last record seen; a trimmed shard restarts at its oldest record.
        log.warn('local.stream.iterator_reset', { shardId: shard.shardId, reason: error.name });
        shard.iterator = undefined;
        if (error.name === 'TrimmedDataAccessException') shard.lastSequenceNumber = undefined;
        return false;
      }
      throw error;
    }
    const records = (page.Records ?? []).map((record) => this.#toLambdaRecord(record));
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) shard.lastSequenceNumber = last;
    shard.iterator = page.NextShardIterator;
    if (!shard.iterator) {
      shard.finished = true;
      this.#discoveryDue = true;
      log.info('local.stream.shard_closed', { shardId: shard.shardId });
    }
    if (records.length > 0)
      for (const subscription of this.#subscriptions) subscription.push(shard.shardId, records);
    return records.length > 0 || shard.finished;
  }

  async #openIterator(shard: Shard): Promise<void> {
    const input = shard.lastSequenceNumber
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSequenceNumber }
      : { ShardIteratorType: shard.startAt };
    try {
      const { ShardIterator } = await this.#streams().call<{ ShardIterator?: string }>('GetShardIterator', {
        StreamArn: this.#streamArn,
        ShardId: shard.shardId,
        ...input,
      });
      shard.iterator = ShardIterator;
      if (!ShardIterator) shard.finished = true;
    } catch (error) {
      if (error instanceof StreamsApiError && error.name === 'ResourceNotFoundException')
        shard.finished = true;
      else throw error;
    }
  }

  async #discoverShards(atStart: boolean): Promise<void> {
    this.#lastDiscovery = Date.now();
    this.#discoveryDue = false;
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.#streams().call<DescribeStreamOutput>('DescribeStream', {
        StreamArn: this.#streamArn,
        ...(exclusiveStartShardId ? { ExclusiveStartShardId: exclusiveStartShardId } : {}),
      });
      for (const shard of StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || this.#shards.has(shard.ShardId)) continue;
        const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
        this.#shards.set(shard.ShardId, {
          shardId: shard.ShardId,
          parentShardId: shard.ParentShardId,
          startAt: atStart ? 'LATEST' : 'TRIM_HORIZON',
          iterator: undefined,
          lastSequenceNumber: undefined,
          // What was written before the start is not replayed, as with a new mapping at LATEST.
          finished: atStart && closed,
        });
      }
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
  }

  #toLambdaRecord(record: DynamoDBRecord): DynamoDBRecord {
    const lambdaRecord: DynamoDBRecord = {
      eventID: record.eventID,
      eventName: record.eventName,
      eventVersion: record.eventVersion,
      eventSource: 'aws:dynamodb',
      awsRegion: this.#options.region ?? LOCAL_AWS.region,
      dynamodb: record.dynamodb,
      eventSourceARN: this.#streamArn,
    };
    if (this.#options.ttlDeletions?.claim(lambdaRecord)) lambdaRecord.userIdentity = { ...TTL_IDENTITY };
    return lambdaRecord;
  }
}

/** One consumer's queue and delivery loop, so a failing consumer holds up only itself. */
class Subscription {
  readonly #queue: { shardId: string; record: DynamoDBRecord }[] = [];
  #draining: Promise<void> | undefined;

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly batchSize: number,
    private readonly retry: { readonly maxRetryAttempts: number; readonly retryDelayMs: number },
    private readonly signal: AbortSignal,
  ) {}

  push(shardId: string, records: readonly DynamoDBRecord[]): void {
    for (const record of records) this.#queue.push({ shardId, record });
    this.#kick();
  }

  idle(): Promise<void> {
    return this.#draining ?? Promise.resolve();
  }

  #kick(): void {
    if (this.#draining || this.signal.aborted || this.#queue.length === 0) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && !this.signal.aborted) {
      // A batch never spans shards, as in Lambda.
      const shardId = this.#queue[0]?.shardId ?? '';
      let size = 0;
      while (size < this.batchSize && this.#queue[size]?.shardId === shardId) size += 1;
      await this.#deliver(
        shardId,
        this.#queue.splice(0, size).map((entry) => entry.record),
      );
    }
  }

  async #deliver(shardId: string, records: DynamoDBRecord[]): Promise<void> {
    let batch = records;
    let attempts = 0;
    while (!this.signal.aborted) {
      attempts += 1;
      const failedFrom = await this.#invoke(batch, attempts);
      if (failedFrom === undefined) return;
      if (failedFrom > 0) {
        // The checkpoint moves to the first failed record: a new batch, with its own retries.
        batch = batch.slice(failedFrom);
        attempts = 1;
      }
      if (attempts > this.retry.maxRetryAttempts) {
        await this.#discard({ consumer: this.consumer.name, shardId, attempts, records: batch });
        return;
      }
      await sleep(Math.min(this.retry.retryDelayMs * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS), this.signal);
    }
  }

  /** Calls the handler; answers the position to retry from, or undefined when the whole batch succeeded. */
  async #invoke(batch: DynamoDBRecord[], attempt: number): Promise<number | undefined> {
    const summary = { consumer: this.consumer.name, attempt, ...describeBatch(batch) };
    let response: unknown;
    try {
      // Each invocation gets its own copy, as each Lambda invocation parses its own event.
      response = await this.consumer.handle({ Records: structuredClone(batch) });
    } catch (error) {
      log.warn('local.stream.handler_failed', { ...summary, ...describeError(error) });
      return 0;
    }
    const failures = (response as Partial<DynamoDBBatchResponse> | null | undefined)?.batchItemFailures;
    if (!Array.isArray(failures) || failures.length === 0) {
      log.info('local.stream.delivered', summary);
      return undefined;
    }
    // As in Lambda: retry from the earliest failed record; an identifier that names no record fails the batch.
    const positions = failures.map((failure: unknown) => {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      return typeof id === 'string' && id !== ''
        ? batch.findIndex((record) => record.dynamodb?.SequenceNumber === id)
        : -1;
    });
    const failedFrom = positions.includes(-1) ? 0 : Math.min(...positions);
    log.warn('local.stream.batch_item_failures', {
      ...summary,
      failures: failures.length,
      retryFrom: batch[failedFrom]?.dynamodb?.SequenceNumber,
    });
    return failedFrom;
  }

  async #discard(discarded: DiscardedBatch): Promise<void> {
    log.warn('local.stream.batch_discarded', {
      consumer: discarded.consumer,
      shardId: discarded.shardId,
      attempts: discarded.attempts,
      ...describeBatch(discarded.records),
    });
    try {
      await this.consumer.onDiscard?.(structuredClone(discarded));
    } catch (error) {
      log.error('local.stream.discard_failed', { consumer: discarded.consumer, ...describeError(error) });
    }
  }
}

/** Counts, event names and sequence numbers only: the images hold personal data. */
function describeBatch(records: readonly DynamoDBRecord[]): Record<string, string | number | undefined> {
  const names = new Map<string, number>();
  for (const record of records)
    names.set(record.eventName ?? '?', (names.get(record.eventName ?? '?') ?? 0) + 1);
  return {
    records: records.length,
    eventNames: [...names].map(([name, count]) => `${name}:${count}`).join(','),
    firstSequenceNumber: records[0]?.dynamodb?.SequenceNumber,
    lastSequenceNumber: records.at(-1)?.dynamodb?.SequenceNumber,
  };
}

/** Resolves after `ms`, or at once when stopped. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => {});
}

interface GetRecordsOutput {
  readonly Records?: DynamoDBRecord[];
  readonly NextShardIterator?: string;
}

interface DescribeStreamOutput {
  readonly StreamDescription?: {
    readonly Shards?: {
      readonly ShardId?: string;
      readonly ParentShardId?: string;
      readonly SequenceNumberRange?: { readonly EndingSequenceNumber?: string };
    }[];
    readonly LastEvaluatedShardId?: string;
  };
}

/** An error answer from the Streams API, named by its exception type so callers can switch on it. */
class StreamsApiError extends Error {
  constructor(type: string, status: number) {
    super(`DynamoDB Streams answered ${status} ${type}`);
    this.name = type;
  }
}

/** The DynamoDB Streams JSON protocol, enough for DescribeStream, GetShardIterator and GetRecords. */
class StreamsApi {
  constructor(
    private readonly endpoint: string,
    private readonly signal: AbortSignal,
  ) {}

  async call<T>(operation: string, input: Record<string, unknown>): Promise<T> {
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': `DynamoDBStreams_20120810.${operation}`,
        // DynamoDB Local wants an access key named but never checks the signature.
        Authorization: `AWS4-HMAC-SHA256 Credential=${LOCAL_AWS.credentials.accessKeyId}/20200101/${LOCAL_AWS.region}/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-target, Signature=0`,
      },
      body: JSON.stringify(input),
      signal: AbortSignal.any([this.signal, AbortSignal.timeout(10_000)]),
    });
    const body = (await response.json().catch(() => ({}))) as { __type?: string };
    if (!response.ok)
      throw new StreamsApiError(body.__type?.split('#').at(-1) ?? 'UnknownError', response.status);
    return body as T;
  }
}
