/**
 * Reads items by key through BatchGetItem, 100 keys a request and a few requests at once, consistently,
 * retrying what DynamoDB leaves unprocessed with back-off. Items that do not exist are simply absent.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapConcurrently } from '../../support/concurrency.ts';
import { retryWithBackOff } from '../../support/retry.ts';

export type Item = Record<string, unknown>;
export type ItemKey = { readonly pk: string; readonly sk: string };

/** BatchGetItem's limit per request. */
const GET_BATCH = 100;

/** Keys DynamoDB left unprocessed under throttling: tried again with back-off (100 ms doubling to 5 s). */
export class UnprocessedKeysError extends Error {
  override readonly name = 'UnprocessedKeysError';
}

export async function batchGetAll(
  db: DynamoDBDocumentClient,
  tableName: string,
  itemKeys: readonly ItemKey[],
  { inFlight = 1 }: { readonly inFlight?: number } = {},
): Promise<Item[]> {
  const chunks: ItemKey[][] = [];
  for (let start = 0; start < itemKeys.length; start += GET_BATCH)
    chunks.push(itemKeys.slice(start, start + GET_BATCH));
  const found = await mapConcurrently(chunks, inFlight, async (chunk) => {
    const items: Item[] = [];
    let pending: ItemKey[] = chunk;
    await retryWithBackOff(
      async () => {
        const result = await db.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        items.push(...(result.Responses?.[tableName] ?? []));
        pending = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as ItemKey[];
        if (pending.length > 0) throw new UnprocessedKeysError('Unprocessed keys remain');
      },
      {
        policy: { attempts: 10, baseDelayMs: 100, maxDelayMs: 5000 },
        retryable: (error: unknown) => error instanceof UnprocessedKeysError,
      },
    );
    return items;
  });
  return found.flat();
}
