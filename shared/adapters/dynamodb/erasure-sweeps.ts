/**
 * What an erasure deletes outside the person's own partition, found from what that partition holds:
 * the `MOVED` items at the person's earlier addresses that still forward to them (and, back along the
 * chain, the `FORWARDED#` items that lead further), the emails still waiting for the mailer that
 * are to or about them, and what the request register holds on them.
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
): Promise<{ readonly keys: Key[]; readonly movedLinks: number; readonly earlierContactIds: string[] }> {
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
  return { keys: found, movedLinks, earlierContactIds: [...seen].filter((id) => id !== contactId) };
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

/**
 * The register entries naming the person (at this address or an earlier one), open or finished, forget
 * the address, the contact id and what was asked (it may quote them), and their access exports go. The
 * entries stay, naming nobody: the register is the record of how requests were handled. Answers how many.
 */
export async function forgetInRegister(
  db: DynamoDBDocumentClient,
  tableName: string,
  contactIds: readonly string[],
): Promise<number> {
  let forgotten = 0;
  const names = Object.fromEntries(contactIds.map((id, index) => [`:c${index}`, id]));
  for (const partition of ['REQUESTS#OPEN', 'REQUESTS#DONE']) {
    // A business's register is small: a filtered read of both lists is enough to find the person's.
    const items = await queryAll(db, {
      TableName: tableName,
      IndexName: TABLE_DEFINITION.globalSecondaryIndexes[0].indexName,
      KeyConditionExpression: 'gsi1pk = :partition',
      FilterExpression: `contactId IN (${Object.keys(names).join(', ')})`,
      ExpressionAttributeValues: { ':partition': partition, ...names },
      ProjectionExpression: 'pk',
    });
    for (const item of items) {
      const requestId = String(item.pk).slice(keys.subjectRequest('').pk.length);
      await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.subjectRequest(requestId),
          UpdateExpression: 'REMOVE email, contactId, #input',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#input': 'input' },
        }),
      );
      await db.send(new DeleteCommand({ TableName: tableName, Key: keys.requestExport(requestId) }));
      forgotten += 1;
    }
  }
  return forgotten;
}
