/**
 * What an erasure deletes outside the person's own partition, found from what that partition holds:
 * the `MOVED` items at the person's earlier addresses that still forward to them (and, back along the
 * chain, the `FORWARDED#` items that lead further), and the emails still waiting for the mailer that
 * are to or about them.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { queryAll } from './paging.ts';
import { keys, TABLE_DEFINITION } from './table.ts';

type Key = { readonly pk: string; readonly sk: string };

/** A chain of moves is followed no further back than links are (see address-moves.ts). */
const MAX_FORWARDS = 5;

/**
 * The forwarding to `contactId` from earlier addresses: each `MOVED` item that still names the next
 * address of the chain, and the `FORWARDED#` items of those earlier partitions. An address moved away
 * from and since taken up by someone else forwards elsewhere, and is left alone.
 */
export async function forwardingTo(
  db: DynamoDBDocumentClient,
  tableName: string,
  contactId: string,
  partition: readonly Record<string, unknown>[],
): Promise<{ readonly keys: Key[]; readonly movedLinks: number }> {
  const found: Key[] = [];
  let movedLinks = 0;
  let level = [{ to: contactId, refs: partition }];
  const seen = new Set([contactId]);
  for (let hop = 0; hop < MAX_FORWARDS && level.length > 0; hop++) {
    const next: typeof level = [];
    for (const { to, refs } of level) {
      for (const ref of refs) {
        const sk = String(ref.sk);
        if (!sk.startsWith(keys.forwardedFromPrefix)) continue;
        const from = sk.slice(keys.forwardedFromPrefix.length);
        if (seen.has(from)) continue;
        seen.add(from);
        const movedKey = keys.contactMoved(from);
        const { Item: moved } = await db.send(
          new GetCommand({ TableName: tableName, Key: movedKey, ConsistentRead: true }),
        );
        if (moved?.movedTo !== to) continue;
        found.push(movedKey);
        movedLinks += 1;
        const earlier = await queryAll(db, {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :forwarded)',
          ExpressionAttributeValues: { ':pk': movedKey.pk, ':forwarded': keys.forwardedFromPrefix },
          ConsistentRead: true,
        });
        found.push(...earlier.map((item) => ({ pk: String(item.pk), sk: String(item.sk) })));
        next.push({ to: from, refs: earlier });
      }
    }
    level = next;
  }
  return { keys: found, movedLinks };
}

/** Emails still waiting for the mailer that are to or about the contact (a query of the unsent list). */
export async function unsentMailFor(
  db: DynamoDBDocumentClient,
  tableName: string,
  contactId: string,
): Promise<Key[]> {
  const { gsi1pk } = keys.outboxWaiting('', '');
  const items = await queryAll(db, {
    TableName: tableName,
    IndexName: TABLE_DEFINITION.globalSecondaryIndexes[0].indexName,
    KeyConditionExpression: 'gsi1pk = :waiting',
    // `concerns` names the person; a confirmation or welcome also names them in its message.
    FilterExpression: 'concerns = :contactId OR #message.contactId = :contactId',
    ExpressionAttributeNames: { '#message': 'message' },
    ExpressionAttributeValues: { ':waiting': gsi1pk, ':contactId': contactId },
    ProjectionExpression: 'pk, sk',
  });
  return items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
}
