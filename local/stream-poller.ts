/**
 * DynamoDB Streams in local mode: reads the table's stream on DynamoDB Local with the DynamoDB Streams
 * client and hands the records to each consumer's delivery (stream-delivery.ts), as an event source
 * mapping does in AWS. Reading pauses while any consumer's backlog is over its bound, so a bulk load
 * (seeding 100,000 people) waits in the stream instead of in memory.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { describeError, log } from '../shared/log.ts';
import { LOCAL_AWS } from './dynamodb.ts';
import type { LocalService, LocalServiceContext } from './services.ts';
import { MAX_BATCH_SIZE, type StreamConsumer, Subscription, sleep } from './stream-delivery.ts';
import { toLambdaRecord } from './stream-records.ts';
import { TtlDeletions } from './ttl-deletions.ts';

export type { DiscardedBatch, StreamConsumer, StreamHandler } from './stream-delivery.ts';
export { TtlDeletions };

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
  /**
   * Records buffered for a consumer before reading stops until it catches up. A read can add one page
   * (RECORDS_PER_READ) beyond it.
   */
  readonly maxBacklog?: number;
}

/** GetRecords' own maximum. */
const RECORDS_PER_READ = 1000;
const DEFAULT_MAX_BACKLOG = 10_000;
/** New shards appear when DynamoDB rolls a shard over; look for them this often, and whenever one closes. */
const SHARD_DISCOVERY_MS = 5_000;
const TTL_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;
/** Answers after which a shard's iterator is opened again, after the last record seen. */
const ITERATOR_RESETS = new Set([
  'ExpiredIteratorException',
  'TrimmedDataAccessException',
  'ValidationException',
]);

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

interface RecordsPage {
  readonly Records: DynamoDBRecord[] | undefined;
  readonly NextShardIterator: string | undefined;
}

class StreamPoller implements LocalService {
  readonly name = 'stream-poller';
  readonly #options: StreamPollerOptions;
  readonly #abort = new AbortController();
  readonly #shards = new Map<string, Shard>();
  readonly #subscriptions: Subscription[];
  readonly #maxBacklog: number;
  #client: DynamoDBStreamsClient | undefined;
  #streamArn = '';
  #running: Promise<void> | undefined;
  #lastDiscovery = 0;
  #discoveryDue = false;
  #paused = false;

  constructor(options: StreamPollerOptions) {
    this.#options = options;
    this.#maxBacklog = options.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    if (!Number.isInteger(this.#maxBacklog) || this.#maxBacklog < 1)
      throw new Error('The stream poller needs a positive whole maxBacklog');
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
    this.#client = new DynamoDBStreamsClient({
      endpoint: context.dynamoDb.endpoint,
      ...LOCAL_AWS,
      requestHandler: { requestTimeout: 10_000 },
    });
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
    this.#client?.destroy();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      let moreWaiting = false;
      try {
        if (this.#discoveryDue || Date.now() - this.#lastDiscovery >= SHARD_DISCOVERY_MS)
          await this.#discoverShards(false);
        for (const shard of this.#readableShards()) {
          if (signal.aborted || this.#backlogFull()) break;
          moreWaiting = (await this.#read(shard)) || moreWaiting;
        }
      } catch (error) {
        if (signal.aborted) break;
        log.warn('local.stream.poll_failed', describeError(error));
      }
      if (!moreWaiting || this.#backlogFull()) await sleep(this.#options.pollIntervalMs ?? 250, signal);
    }
  }

  /** True while some consumer has more undelivered records than the bound; logged when that changes. */
  #backlogFull(): boolean {
    const backlog = Math.max(0, ...this.#subscriptions.map((subscription) => subscription.backlog));
    const full = backlog > this.#maxBacklog;
    if (full !== this.#paused) {
      this.#paused = full;
      log.info(full ? 'local.stream.reading_paused' : 'local.stream.reading_resumed', { backlog });
    }
    return full;
  }

  #streams(): DynamoDBStreamsClient {
    if (!this.#client) throw new Error('The stream poller has not started');
    return this.#client;
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
    let page: RecordsPage;
    try {
      page = await this.#getRecords(shard.iterator);
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'ResourceNotFoundException') {
        shard.finished = true;
        return false;
      }
      if (ITERATOR_RESETS.has(name)) {
        // Start again just after the last record seen; a trimmed shard restarts at its oldest record.
        log.warn('local.stream.iterator_reset', { shardId: shard.shardId, reason: name });
        shard.iterator = undefined;
        if (name === 'TrimmedDataAccessException') shard.lastSequenceNumber = undefined;
        return false;
      }
      throw error;
    }
    const records = (page.Records ?? []).map((record) => this.#withTtlIdentity(record));
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

  async #getRecords(iterator: string): Promise<RecordsPage> {
    const { Records, NextShardIterator } = await this.#streams().send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: RECORDS_PER_READ }),
      { abortSignal: this.#abort.signal },
    );
    const source = { streamArn: this.#streamArn, region: this.#options.region ?? LOCAL_AWS.region };
    return { Records: Records?.map((record) => toLambdaRecord(record, source)), NextShardIterator };
  }

  async #openIterator(shard: Shard): Promise<void> {
    const position: { ShardIteratorType: ShardIteratorType; SequenceNumber?: string } =
      shard.lastSequenceNumber
        ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSequenceNumber }
        : { ShardIteratorType: shard.startAt };
    try {
      const { ShardIterator } = await this.#streams().send(
        new GetShardIteratorCommand({ StreamArn: this.#streamArn, ShardId: shard.shardId, ...position }),
        { abortSignal: this.#abort.signal },
      );
      shard.iterator = ShardIterator;
      if (!ShardIterator) shard.finished = true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') shard.finished = true;
      else throw error;
    }
  }

  async #discoverShards(atStart: boolean): Promise<void> {
    this.#lastDiscovery = Date.now();
    this.#discoveryDue = false;
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.#streams().send(
        new DescribeStreamCommand({
          StreamArn: this.#streamArn,
          ExclusiveStartShardId: exclusiveStartShardId,
        }),
        { abortSignal: this.#abort.signal },
      );
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

  /** AWS marks a TTL deletion's REMOVE record with the DynamoDB service; DynamoDB Local does not. */
  #withTtlIdentity(record: DynamoDBRecord): DynamoDBRecord {
    if (this.#options.ttlDeletions?.claim(record)) record.userIdentity = { ...TTL_IDENTITY };
    return record;
  }
}
