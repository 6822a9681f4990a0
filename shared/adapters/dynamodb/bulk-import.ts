/**
 * Bulk import of new contacts: the items `write` would give each (and their enquiries with the references
 * the intake writes), put through BatchWriteItem 25 at a time, a few requests in flight, with what DynamoDB leaves unprocessed retried with back-off.
 */
import { isDeepStrictEqual } from 'node:util';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ContactsRepository } from '../../ports/contacts-store.ts';
import { mapConcurrently } from '../../support/concurrency.ts';
import { retryWithBackOff } from '../../support/retry.ts';
import { putEnquiry, putEnquiryRef } from './contact-items.ts';
import { changeItems } from './contact-writes.ts';

export function bulkImport(
  db: DynamoDBDocumentClient,
  tableName: string,
): Pick<ContactsRepository, 'importNew'> {
  return {
    async importNew({ contacts, enquiries = [] }) {
      const items = new Map<string, Record<string, unknown>>();
      const add = (item: Record<string, unknown>) => {
        const key = JSON.stringify([item.pk, item.sk]);
        const seen = items.get(key);
        // BatchWriteItem refuses a key twice in one request; only identical items (a statement) may repeat.
        if (seen && !isDeepStrictEqual(seen, item))
          throw new Error('importNew got two different items for one key');
        items.set(key, item);
      };
      for (const contact of contacts) {
        if (contact.snapshot.contact) throw new Error('importNew only creates new contacts');
        for (const item of changeItems(tableName, contact)) {
          // A condition check guards a write against concurrent change; an import vouches there is none.
          if (item.ConditionCheck) continue;
          if (!item.Put?.Item) throw new Error('importNew only writes new items, never updates or deletes');
          add(item.Put.Item);
        }
      }
      for (const { sender, ...enquiry } of enquiries) {
        const item = putEnquiry(tableName, enquiry).Put?.Item;
        if (item) add(item);
        // As the intake does: the reference in the sender's partition finds it for their rights.
        const ref = sender === undefined ? undefined : putEnquiryRef(tableName, sender, enquiry).Put?.Item;
        if (ref) add(ref);
      }
      await batchPut(db, tableName, [...items.values()]);
      return { items: items.size };
    },
  };
}

/** BatchWriteItem's limit per request. */
const BATCH_SIZE = 25;
/** Enough to keep DynamoDB busy without starving other callers of the client's sockets. */
const BATCHES_IN_FLIGHT = 4;
/** Unprocessed items mean DynamoDB is throttling: back off exponentially (100 ms, 200 ms, … 5 s), jittered. */
const UNPROCESSED_RETRY = { attempts: 10, baseDelayMs: 100, maxDelayMs: 5_000 };

/** Puts every item, 25 a request, a few requests at once, retrying what DynamoDB leaves unprocessed. */
async function batchPut(
  db: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += BATCH_SIZE)
    batches.push(items.slice(start, start + BATCH_SIZE));
  await mapConcurrently(batches, BATCHES_IN_FLIGHT, (batch) => putBatch(db, tableName, batch));
}

/** DynamoDB took only part of a batch: it is throttling, and the rest is tried again after a pause. */
class UnprocessedItemsError extends Error {
  override readonly name = 'UnprocessedItemsError';
}

async function putBatch(
  db: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
): Promise<void> {
  let requests = items.map((Item) => ({ PutRequest: { Item } }));
  await retryWithBackOff(
    async (attempt) => {
      const { UnprocessedItems } = await db.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
      );
      const left = UnprocessedItems?.[tableName] ?? [];
      if (left.length === 0) return;
      requests = left.map((request) => ({ PutRequest: { Item: request.PutRequest?.Item ?? {} } }));
      throw new UnprocessedItemsError(
        `DynamoDB left ${left.length} items unprocessed after ${attempt} attempts`,
      );
    },
    { policy: UNPROCESSED_RETRY, retryable: (error) => error instanceof UnprocessedItemsError },
  );
}
