/**
 * What staff read: who may be emailed about a topic, recent enquiries, one contact with its history and
 * statements, and the audit trail of those reads. Every list is a Query on gsi1, paged by the position of
 * the last item returned; nothing here scans the table.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { toEpochSeconds } from '../../domain/retention.ts';
import type {
  AuditEntry,
  EnquirySummary,
  ExpiringPermission,
  ListPosition,
  MailableContact,
  Page,
  StaffReads,
  StoredStatement,
} from '../../ports/staff-reads.ts';
import { keys, type MarketingBasis, TABLE_DEFINITION } from './table.ts';

/** Items read per query round: over-reading is cheap, and the page is cut at the caller's limit. */
const MIN_ROUND = 100;
/** Query rounds per page: a list full of expired-but-undeleted items returns a short page, not a timeout. */
const MAX_ROUNDS = 10;
const KEY_ATTRIBUTES: readonly string[] = [
  TABLE_DEFINITION.partitionKey,
  TABLE_DEFINITION.sortKey,
  ...TABLE_DEFINITION.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
];
const INDEX = TABLE_DEFINITION.globalSecondaryIndexes[0].indexName;

export function createStaffReads(db: DynamoDBDocumentClient, tableName: string): StaffReads {
  /**
   * Pages through one gsi1 partition, keeping items that `filter` (a FilterExpression on `:now`) lets
   * through. `after` must lie in the same partition: a position from elsewhere is refused, not followed.
   */
  async function pageOf<T>(
    input: {
      readonly partition: string;
      readonly sortPrefix?: string | undefined;
      readonly newestFirst: boolean;
      readonly filter: string;
      readonly names?: Record<string, string>;
      readonly values?: Record<string, unknown>;
      readonly limit: number;
      readonly after: ListPosition | undefined;
      readonly now: Date;
    },
    map: (item: Record<string, unknown>) => T,
  ): Promise<Page<T>> {
    const { after } = input;
    if (after) {
      const inPartition =
        after.gsi1pk === input.partition &&
        typeof after.gsi1sk === 'string' &&
        (input.sortPrefix === undefined || after.gsi1sk.startsWith(input.sortPrefix)) &&
        Object.keys(after).every((name) => KEY_ATTRIBUTES.includes(name));
      if (!inPartition) throw new RangeError('The list position does not belong to this list');
    }
    const items: T[] = [];
    let next: ListPosition | undefined = after;
    let readUnits = 0;
    for (let round = 0; round < MAX_ROUNDS && items.length < input.limit; round++) {
      const query: QueryCommandInput = {
        TableName: tableName,
        IndexName: INDEX,
        KeyConditionExpression:
          input.sortPrefix === undefined
            ? 'gsi1pk = :partition'
            : 'gsi1pk = :partition AND begins_with(gsi1sk, :prefix)',
        FilterExpression: input.filter,
        ExpressionAttributeNames: input.names,
        ExpressionAttributeValues: {
          ':partition': input.partition,
          ...(input.sortPrefix === undefined ? {} : { ':prefix': input.sortPrefix }),
          // DynamoDB deletes expired items days late: the read leaves them out itself.
          ':now': toEpochSeconds(input.now),
          ...input.values,
        },
        ScanIndexForward: !input.newestFirst,
        Limit: Math.max(MIN_ROUND, input.limit - items.length),
        ExclusiveStartKey: next,
        ReturnConsumedCapacity: 'TOTAL',
      };
      const result = await db.send(new QueryCommand(query));
      readUnits += result.ConsumedCapacity?.CapacityUnits ?? 0;
      const found = result.Items ?? [];
      const room = input.limit - items.length;
      if (found.length > room) {
        // Cut the page here and resume right after its last item.
        const kept = found.slice(0, room);
        items.push(...kept.map(map));
        return { items, next: positionOf(kept.at(-1)), readUnits };
      }
      items.push(...found.map(map));
      next = result.LastEvaluatedKey as ListPosition | undefined;
      if (!next) break;
    }
    return { items, next, readUnits };
  }

  /** A dated gsi1 partition, newest first, leaving out what has expired. */
  function newestFirst<T>(
    partition: string,
    query: { readonly limit: number; readonly after: ListPosition | undefined; readonly now: Date },
    map: (item: Record<string, unknown>) => T,
  ): Promise<Page<T>> {
    return pageOf({ partition, newestFirst: true, filter: 'expiresAt > :now', ...query }, map);
  }

  return {
    listMailable({ topic, basis, limit, after, now }) {
      const partition = keys.mailableByTopic(topic, 'consent', '').gsi1pk;
      return pageOf(
        {
          partition,
          sortPrefix: basis === 'any' ? undefined : keys.mailableByTopic(topic, basis, '').gsi1sk,
          newestFirst: false,
          // The index holds only mailable permissions of unrestricted contacts; these conditions restate
          // it, so an item that ever slipped in with another status is still not listed.
          filter:
            'expiresAt > :now AND #status IN (:consent, :soft) AND attribute_not_exists(restricted) ' +
            'AND attribute_exists(email)',
          names: { '#status': 'status' },
          values: { ':consent': 'consent', ':soft': 'soft_opt_in' },
          limit,
          after,
          now,
        },
        (item): MailableContact => ({
          contactId: String(item.contactId),
          email: String(item.email),
          name: optionalString(item.name),
          topic: String(item.topic),
          basis: item.status as MarketingBasis,
          since: String(item.since),
          source: optionalString(item.source),
          formId: optionalString(item.formId),
        }),
      );
    },

    listExpiring({ topic, until, limit, after, now }) {
      return pageOf(
        {
          partition: keys.mailableByTopic(topic, 'consent', '').gsi1pk,
          sortPrefix: undefined,
          newestFirst: false,
          // The list index, read with the same restated rules, narrowed to what lapses by `until`.
          filter:
            'expiresAt > :now AND expiresAt <= :until AND #status IN (:consent, :soft) AND ' +
            'attribute_not_exists(restricted) AND attribute_exists(email)',
          names: { '#status': 'status' },
          values: { ':consent': 'consent', ':soft': 'soft_opt_in', ':until': toEpochSeconds(until) },
          limit,
          after,
          now,
        },
        (item): ExpiringPermission => ({
          contactId: String(item.contactId),
          email: String(item.email),
          name: optionalString(item.name),
          topic: String(item.topic),
          basis: item.status as MarketingBasis,
          since: String(item.since),
          source: optionalString(item.source),
          formId: optionalString(item.formId),
          expiresAt: Number(item.expiresAt),
        }),
      );
    },

    listEnquiries(query) {
      return newestFirst(
        keys.enquiryByDate('', '').gsi1pk,
        query,
        (item): EnquirySummary => ({
          enquiryId: String(item.enquiryId),
          formId: String(item.formId),
          receivedAt: String(item.receivedAt),
          fields: (item.fields ?? {}) as Record<string, string>,
          contactId: optionalString(item.contactId),
        }),
      );
    },

    listAudit(query) {
      return newestFirst(
        keys.auditByDate('', '').gsi1pk,
        query,
        (item): AuditEntry => ({
          auditId: String(item.auditId),
          at: String(item.at),
          actor: item.actor as AuditEntry['actor'],
          groups: (item.groups ?? []) as string[],
          method: String(item.method),
          route: String(item.route),
          filter: (item.filter ?? {}) as AuditEntry['filter'],
          subject: optionalString(item.subject),
          rows: Number(item.rows ?? 0),
          format: item.format === 'csv' ? 'csv' : 'json',
          requestId: optionalString(item.requestId),
        }),
      );
    },

    async readStatements(hashes) {
      const statements = new Map<string, StoredStatement>();
      const unique = [...new Set(hashes)];
      // BatchGetItem takes at most 100 keys per request.
      for (let start = 0; start < unique.length; start += 100) {
        let requested: Record<string, unknown>[] | undefined = unique
          .slice(start, start + 100)
          .map((hash) => keys.statement(hash));
        for (let attempt = 0; requested && requested.length > 0 && attempt < 5; attempt++) {
          const result: BatchGetCommandOutput = await db.send(
            new BatchGetCommand({ RequestItems: { [tableName]: { Keys: requested } } }),
          );
          for (const item of result.Responses?.[tableName] ?? []) {
            statements.set(String(item.hash), {
              hash: String(item.hash),
              version: String(item.version),
              text: String(item.text),
            });
          }
          requested = result.UnprocessedKeys?.[tableName]?.Keys;
          if (requested?.length) await new Promise((done) => setTimeout(done, 50 * 2 ** attempt));
        }
        if (requested?.length) throw new Error('DynamoDB left statement reads unprocessed');
      }
      return statements;
    },

    async recordAudit(entry, expiresAt) {
      await db.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...keys.audit(entry.auditId),
            ...keys.auditByDate(entry.at, entry.auditId),
            type: 'audit',
            ...entry,
            expiresAt,
          },
          // Append-only: an audit entry is never overwritten.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },
  };
}

function positionOf(item: Record<string, unknown> | undefined): ListPosition | undefined {
  if (!item) return undefined;
  return Object.fromEntries(KEY_ATTRIBUTES.map((name) => [name, String(item[name])]));
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
