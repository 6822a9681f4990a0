/**
 * DynamoDB TTL in local mode (DynamoDB Local stores the TTL setting but never deletes anything): deletes
 * items whose `expiresAt` has passed by the local clock, every so often and on demand after the clock
 * moves. Like the real thing it deletes an item only if its expiry is still the one that had passed, and
 * its deletions reach the stream as REMOVE records marked with the DynamoDB service identity.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_DEFINITION } from '../shared/adapters/dynamodb/table.ts';
import { describeError, log } from '../shared/log.ts';
import { LOCAL_AWS } from './dynamodb.ts';
import type { LocalClock, LocalService, LocalServiceContext } from './services.ts';
import type { TtlDeletions } from './ttl-deletions.ts';

export interface TtlSweeperOptions {
  /** Shared with the stream poller, which marks the REMOVE records of these deletions. */
  readonly ttlDeletions?: TtlDeletions;
  /** AWS sweeps within days; locally expiry should show promptly. */
  readonly intervalSeconds?: number;
  /** A client of the caller's own (tests observe its requests); one is made from the context otherwise. */
  readonly client?: DynamoDBClient;
}

export interface TtlSweeper extends LocalService {
  /** Deletes every item expired by now; answers how many it deleted. Sweeps run one at a time. */
  sweep(): Promise<number>;
}

export function ttlSweeperService(options: TtlSweeperOptions = {}): TtlSweeper {
  return new Sweeper(options);
}

const { partitionKey, sortKey, timeToLiveAttribute } = TABLE_DEFINITION;
/**
 * DynamoDB Local's work per Scan page grows with the range scanned, so one sequential scan of a large
 * table costs time in the square of its size (about 20 minutes for 470,000 items, holding its one
 * database thread throughout). Segments keep each page's range small: the same table in about 10 s.
 */
const SCAN_SEGMENTS = 128;

interface SweepTarget {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly clock: LocalClock;
}

class Sweeper implements TtlSweeper {
  readonly name = 'ttl-sweeper';
  readonly #options: TtlSweeperOptions;
  readonly #abort = new AbortController();
  #target: SweepTarget | undefined;
  #ownsClient = false;
  /** The latest sweep, queued behind the one before it. */
  #latest: Promise<unknown> = Promise.resolve();
  #running: Promise<void> | undefined;

  constructor(options: TtlSweeperOptions) {
    this.#options = options;
  }

  async start(context: LocalServiceContext): Promise<void> {
    if (this.#running) throw new Error('The TTL sweeper is already running');
    this.#ownsClient = !this.#options.client;
    const client =
      this.#options.client ?? new DynamoDBClient({ endpoint: context.dynamoDb.endpoint, ...LOCAL_AWS });
    this.#target = { client, tableName: context.dynamoDb.tableName, clock: context.clock };
    this.#running = this.#run((this.#options.intervalSeconds ?? 60) * 1000);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
    await this.#latest.catch(() => {});
    if (this.#ownsClient) this.#target?.client.destroy();
  }

  sweep(): Promise<number> {
    const target = this.#target;
    if (!target) return Promise.reject(new Error('The TTL sweeper has not started'));
    const sweep = this.#latest
      .catch(() => {})
      .then(() => (this.#abort.signal.aborted ? 0 : this.#sweep(target)));
    this.#latest = sweep;
    return sweep;
  }

  async #run(intervalMs: number): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      // Also sweeps once at start, for items a persisted table kept from an earlier run.
      await this.sweep().catch((error: unknown) => {
        if (!signal.aborted) log.warn('local.ttl.sweep_failed', describeError(error));
      });
      await delay(intervalMs, undefined, { signal }).catch(() => {});
    }
  }

  async #sweep({ client, tableName, clock }: SweepTarget): Promise<number> {
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    let deleted = 0;
    let renewed = 0;
    const stopped = this.#abort.signal;
    for (let segment = 0; segment < SCAN_SEGMENTS && !stopped.aborted; segment++) {
      let exclusiveStartKey: Record<string, AttributeValue> | undefined;
      do {
        // Only a Number attribute counts as an expiry, as with DynamoDB TTL; the comparison skips any other type.
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            ConsistentRead: true,
            ProjectionExpression: '#pk, #sk, #ttl',
            FilterExpression: '#ttl <= :now',
            ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey, '#ttl': timeToLiveAttribute },
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
            ExclusiveStartKey: exclusiveStartKey,
            Segment: segment,
            TotalSegments: SCAN_SEGMENTS,
          }),
        );
        for (const item of page.Items ?? []) {
          const expiresAt = item[timeToLiveAttribute]?.N;
          const pk = item[partitionKey];
          const sk = item[sortKey];
          if (expiresAt === undefined || !pk || !sk) continue;
          const key = { [partitionKey]: pk, [sortKey]: sk };
          // Noted before the delete, so the poller can never read the REMOVE record first.
          const cancel = this.#options.ttlDeletions?.expect(key, expiresAt);
          try {
            await client.send(
              new DeleteItemCommand({
                TableName: tableName,
                Key: key,
                // An item renewed since the scan keeps living.
                ConditionExpression: '#ttl = :seen',
                ExpressionAttributeNames: { '#ttl': timeToLiveAttribute },
                ExpressionAttributeValues: { ':seen': { N: expiresAt } },
              }),
            );
            deleted += 1;
          } catch (error) {
            cancel?.();
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
            renewed += 1;
          }
        }
        exclusiveStartKey = page.LastEvaluatedKey;
        // Stopping waits for the sweep in progress: leave between pages, not after the whole table.
      } while (exclusiveStartKey && !stopped.aborted);
    }
    if (deleted > 0 || renewed > 0) log.info('local.ttl.swept', { deleted, renewed, nowSeconds });
    return deleted;
  }
}
