/**
 * Reading a contact: its current state (profile and permissions, with expired items treated as gone), its
 * suppression entry, its consent history, whether a webhook delivery was applied already, and which
 * contacts changed in a span of time (the outward reconciliation's list).
 */
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { HistoryEventType } from '../../domain/consent.ts';
import type { TopicPermission } from '../../domain/contact-change.ts';
import { isExpired } from '../../domain/retention.ts';
import type { ContactsRepository, StoredEvent } from '../../ports/contacts-store.ts';
import {
  type ProfileItem,
  type SuppressionItem,
  type TopicItem,
  toTopicPermission,
} from './contact-items.ts';
import { queryAll } from './paging.ts';
import { keys, TABLE_DEFINITION } from './table.ts';

export type ContactReads = Pick<
  ContactsRepository,
  'readContact' | 'readSuppression' | 'readHistory' | 'hasDelivery' | 'changedContacts'
>;

const CHANGED = keys.contactChanged('', '').gsi1pk;

export function contactReads(db: DynamoDBDocumentClient, tableName: string): ContactReads {
  return {
    async readContact(contactId, now) {
      const contactKey = keys.contact(contactId);
      const result = await db.send(
        new QueryCommand({
          TableName: tableName,
          // PROFILE and TOPIC#… sort after EVENT#…, so the history is not read here.
          KeyConditionExpression: 'pk = :pk AND sk >= :profile',
          ExpressionAttributeValues: { ':pk': contactKey.pk, ':profile': contactKey.sk },
          ConsistentRead: true,
        }),
      );
      const items = result.Items ?? [];
      const profile = items.find((item) => item.sk === contactKey.sk) as ProfileItem | undefined;
      // DynamoDB deletes expired items days late: an expired contact is already gone.
      const live = profile && !isExpired(profile.expiresAt, now) ? profile : undefined;
      const topics = new Map<string, TopicPermission>();
      if (live) {
        for (const item of items as TopicItem[]) {
          if (!item.sk.startsWith(keys.topicPrefix) || isExpired(item.expiresAt, now)) continue;
          topics.set(item.topic, toTopicPermission(item));
        }
      }
      return {
        snapshot: {
          contact: live
            ? { version: live.version, epoch: live.epoch ?? 0, restricted: live.restricted === true }
            : undefined,
          topics,
          suppression: undefined,
        },
        contact: live
          ? { contactId, email: live.email, name: live.name, restricted: live.restricted === true }
          : undefined,
      };
    },

    async readSuppression(suppressionHash) {
      const { Item } = await db.send(
        new GetCommand({
          TableName: tableName,
          Key: keys.suppression(suppressionHash),
          ConsistentRead: true,
        }),
      );
      if (!Item) return undefined;
      const item = Item as SuppressionItem;
      return { all: item.all ?? false, topics: new Set(item.topics ?? []), version: item.version ?? 0 };
    },

    async changedContacts(after, until, limit) {
      const result = await db.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: TABLE_DEFINITION.globalSecondaryIndexes[0].indexName,
          // Inclusive at both ends: the item at `after` itself was compared already and is left out below.
          KeyConditionExpression: 'gsi1pk = :changed AND gsi1sk BETWEEN :after AND :until',
          ExpressionAttributeValues: { ':changed': CHANGED, ':after': after, ':until': until },
          ProjectionExpression: 'contactId, gsi1sk',
          Limit: limit + 1,
        }),
      );
      return (result.Items ?? [])
        .filter((item) => item.gsi1sk !== after)
        .slice(0, limit)
        .map((item) => {
          const position = String(item.gsi1sk);
          return {
            contactId: String(item.contactId),
            changedAt: position.slice(0, position.lastIndexOf('#')),
            position,
          };
        });
    },

    async readHistory(contactId) {
      const items = await queryAll(db, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
        ExpressionAttributeValues: {
          ':pk': keys.contact(contactId).pk,
          ':events': keys.consentEventPrefix,
        },
      });
      return items.map((item) => {
        const { eventType, ...rest } = item as { eventType: HistoryEventType } & Record<string, unknown>;
        return { ...(rest as unknown as StoredEvent), type: eventType };
      });
    },

    async hasDelivery(deliveryId, now) {
      const { Item } = await db.send(
        new GetCommand({ TableName: tableName, Key: keys.webhookDelivery(deliveryId), ConsistentRead: true }),
      );
      return Item !== undefined && !isExpired(Item.expiresAt as number | undefined, now);
    },
  };
}
