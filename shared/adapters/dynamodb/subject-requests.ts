/**
 * The register of subject requests in the table: each request item with its `gsi1` place in the open or
 * finished list, the open-request reference in the person's partition (each written with the emails it
 * calls for), and the access exports.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../domain/errors.ts';
import { isExpired } from '../../domain/retention.ts';
import { FINISHED, registerDate } from '../../domain/subject-request.ts';
import { ContactConflictError } from '../../ports/contacts-store.ts';
import type { ListPosition } from '../../ports/staff-reads.ts';
import type { RegisterEntry, RequestRegister } from '../../ports/subject-requests.ts';
import type { TransactItem } from './contact-items.ts';
import { transactOrConflict } from './contact-writes.ts';
import { putOutboxMessage } from './outbox.ts';
import { queryAll } from './paging.ts';
import { keys, TABLE_DEFINITION } from './table.ts';

const INDEX = TABLE_DEFINITION.globalSecondaryIndexes[0].indexName;
/** Bundles larger than this are stored gzipped, well inside DynamoDB's 400 KB item limit. */
const GZIP_OVER_BYTES = 100_000;
const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk'];

export function createRequestRegister(db: DynamoDBDocumentClient, tableName: string): RequestRegister {
  const isFinished = (entry: RegisterEntry) => FINISHED.has(entry.request.status);

  function requestItem(entry: RegisterEntry, expiresAt: number): Record<string, unknown> {
    const { request } = entry;
    const listKeys =
      isFinished(entry) && entry.finishedAt
        ? keys.finishedRequestByDate(entry.finishedAt, request.id)
        : keys.openRequestByDue(registerDate(request), request.receivedAt, request.id);
    return {
      ...keys.subjectRequest(request.id),
      ...listKeys,
      type: 'subject_request',
      // No NULL attributes: absent means none (the local stream's decoding refuses NULL values).
      request: Object.fromEntries(Object.entries(request).filter(([, value]) => value !== null)),
      email: entry.email,
      contactId: entry.contactId,
      // No empty maps either: the local stream's decoding refuses them too.
      ...(Object.keys(entry.input).length > 0 ? { input: entry.input } : {}),
      result: entry.result,
      finishedAt: entry.finishedAt,
      version: request.version,
      expiresAt,
    };
  }

  /** The person's open-request reference: present while the request is unfinished and names a contact. */
  function referenceItems(entry: RegisterEntry, before: RegisterEntry | undefined, expiresAt: number) {
    const items: TransactItem[] = [];
    const wanted = entry.contactId !== undefined && !isFinished(entry) ? entry.contactId : undefined;
    const had = before?.contactId !== undefined && !isFinished(before) ? before.contactId : undefined;
    if (had && had !== wanted)
      items.push({ Delete: { TableName: tableName, Key: keys.requestRef(had, entry.request.id) } });
    if (wanted && wanted !== had)
      items.push({
        Put: {
          TableName: tableName,
          Item: { ...keys.requestRef(wanted, entry.request.id), type: 'request_ref', expiresAt },
        },
      });
    return items;
  }

  function toEntry(item: Record<string, unknown>): RegisterEntry {
    const request = item.request as RegisterEntry['request'];
    return {
      request: {
        ...request,
        clockStartedAt: request.clockStartedAt ?? null,
        dueAt: request.dueAt ?? null,
        acknowledgeBy: request.acknowledgeBy ?? null,
      },
      email: item.email as string | undefined,
      contactId: item.contactId as string | undefined,
      input: (item.input ?? {}) as RegisterEntry['input'],
      result: item.result as RegisterEntry['result'],
      finishedAt: item.finishedAt as string | undefined,
    };
  }

  async function readItem(requestId: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await db.send(
      new GetCommand({ TableName: tableName, Key: keys.subjectRequest(requestId), ConsistentRead: true }),
    );
    return Item;
  }

  return {
    async add(entry, expiresAt, outbox = []) {
      await conflictAsCore(() =>
        transactOrConflict(
          db,
          [
            {
              Put: {
                TableName: tableName,
                Item: requestItem(entry, expiresAt),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...referenceItems(entry, undefined, expiresAt),
            ...outbox.flatMap((queued) => putOutboxMessage(tableName, queued)),
          ],
          'A request with this id exists',
        ),
      );
    },

    async read(requestId, now) {
      const item = await readItem(requestId);
      if (!item || isExpired(item.expiresAt as number | undefined, now)) return undefined;
      return toEntry(item);
    },

    async replace(entry, seenVersion, expiresAt, outbox = []) {
      const stored = await readItem(entry.request.id);
      const before = stored ? toEntry(stored) : undefined;
      await conflictAsCore(() =>
        transactOrConflict(
          db,
          [
            {
              Put: {
                TableName: tableName,
                Item: requestItem(entry, expiresAt),
                // Optimistic locking: the action was decided on this version.
                ConditionExpression: 'version = :seen',
                ExpressionAttributeValues: { ':seen': seenVersion },
              },
            },
            ...referenceItems(entry, before, expiresAt),
            ...outbox.flatMap((queued) => putOutboxMessage(tableName, queued)),
          ],
          'The request changed meanwhile',
        ),
      );
    },

    async list({ list, limit, after }) {
      const partition = list === 'open' ? 'REQUESTS#OPEN' : 'REQUESTS#DONE';
      if (
        after &&
        (after.gsi1pk !== partition || !Object.keys(after).every((k) => KEY_ATTRIBUTES.includes(k)))
      )
        throw new RangeError('The list position does not belong to this list');
      const result = await db.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: INDEX,
          KeyConditionExpression: 'gsi1pk = :partition',
          ExpressionAttributeValues: { ':partition': partition },
          ScanIndexForward: list === 'open',
          Limit: limit,
          ExclusiveStartKey: after,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      return {
        items: (result.Items ?? []).map(toEntry),
        next: result.LastEvaluatedKey as ListPosition | undefined,
        readUnits: result.ConsumedCapacity?.CapacityUnits ?? 0,
      };
    },

    async openRequestsOf(contactId) {
      const items = await queryAll(db, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :refs)',
        ExpressionAttributeValues: { ':pk': keys.contact(contactId).pk, ':refs': keys.requestRefPrefix },
      });
      return items.map((item) => String(item.sk).slice(keys.requestRefPrefix.length));
    },

    async saveExport(requestId, bundle, expiresAt) {
      const large = Buffer.byteLength(bundle) > GZIP_OVER_BYTES;
      await db.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...keys.requestExport(requestId),
            type: 'request_export',
            ...(large ? { gzip: gzipSync(bundle) } : { bundle }),
            expiresAt,
          },
        }),
      );
    },

    async readExport(requestId, now) {
      const { Item } = await db.send(
        new GetCommand({ TableName: tableName, Key: keys.requestExport(requestId), ConsistentRead: true }),
      );
      if (!Item || isExpired(Item.expiresAt as number | undefined, now)) return undefined;
      if (typeof Item.bundle === 'string') return Item.bundle;
      return Item.gzip instanceof Uint8Array ? gunzipSync(Item.gzip).toString('utf8') : undefined;
    },
  };
}

async function conflictAsCore(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (error instanceof ContactConflictError) throw new ConflictError({ cause: error });
    throw error;
  }
}
