/**
 * One stream consumer's delivery, with the failure handling of a Lambda event source mapping: batches
 * that never span shards, `ReportBatchItemFailures` (the checkpoint moves to the first failed record),
 * bounded retries with back-off, then the on-failure destination.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describeError, log } from '../shared/log.ts';

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

export interface RetryPolicy {
  /** Retries after a failed delivery (Lambda's `MaximumRetryAttempts`). */
  readonly maxRetryAttempts: number;
  /** The first back-off; it doubles on each retry, up to MAX_RETRY_DELAY_MS. */
  readonly retryDelayMs: number;
}

export const MAX_BATCH_SIZE = 100;
const MAX_RETRY_DELAY_MS = 10_000;

/**
 * Delivers one batch until it succeeds, or its retries are used up (then answers what is left to discard).
 * `invoke` answers the position to retry from, or undefined when the whole batch succeeded; a retry from
 * a later position is a new batch with its retries counted afresh, as when Lambda's checkpoint advances.
 * The project-wide retry helper can take this loop's place: only the checkpoint rule is stream-specific.
 */
export async function deliverWithRetries(
  records: DynamoDBRecord[],
  invoke: (batch: DynamoDBRecord[], attempt: number) => Promise<number | undefined>,
  retry: RetryPolicy,
  signal: AbortSignal,
): Promise<{ readonly batch: DynamoDBRecord[]; readonly attempts: number } | undefined> {
  let batch = records;
  let attempts = 0;
  while (!signal.aborted) {
    attempts += 1;
    const failedFrom = await invoke(batch, attempts);
    if (failedFrom === undefined) return undefined;
    if (failedFrom > 0) {
      batch = batch.slice(failedFrom);
      attempts = 1;
    }
    if (attempts > retry.maxRetryAttempts) return { batch, attempts };
    await sleep(Math.min(retry.retryDelayMs * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS), signal);
  }
  return undefined;
}

/** One consumer's queue and delivery loop, so a failing consumer holds up only itself. */
export class Subscription {
  readonly #queue: { shardId: string; record: DynamoDBRecord }[] = [];
  #draining: Promise<void> | undefined;

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly batchSize: number,
    private readonly retry: RetryPolicy,
    private readonly signal: AbortSignal,
  ) {}

  /** Records read but not yet delivered. */
  get backlog(): number {
    return this.#queue.length;
  }

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
      const records = this.#queue.splice(0, size).map((entry) => entry.record);
      const left = await deliverWithRetries(
        records,
        (batch, attempt) => this.#invoke(batch, attempt),
        this.retry,
        this.signal,
      );
      if (left)
        await this.#discard({
          consumer: this.consumer.name,
          shardId,
          attempts: left.attempts,
          records: left.batch,
        });
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
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => {});
}
