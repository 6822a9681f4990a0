/**
 * Reads what we hold for an address and writes an enquiry with its marketing change in one transaction:
 * the enquiry, the contact, its topic permissions, the append-only consent events and the suppression
 * entry either all land or none do.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { KeptFields } from '../../domain/enquiry.ts';
import {
  type ConsentEvent,
  isMailable,
  type MarketingDecision,
  type MarketingSnapshot,
  type TopicPermission,
  type TopicStatus,
} from '../../domain/marketing.ts';
import { isExpired, toEpochSeconds } from '../../domain/retention.ts';
import { keys } from './table.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface StoredEnquiry {
  readonly enquiryId: string;
  readonly formId: string;
  readonly receivedAt: string;
  readonly fields: KeptFields;
  readonly contactId: string | undefined;
  readonly expiresAt: number;
}

export interface ContactChange {
  readonly contactId: string;
  readonly suppressionHash: string;
  readonly email: string;
  readonly name: string | undefined;
  /** The version read; `undefined` when no live contact existed. */
  readonly expectedVersion: number | undefined;
  readonly decision: MarketingDecision;
}

export interface IntakeWrite {
  readonly now: Date;
  readonly enquiry: StoredEnquiry | undefined;
  readonly contact: ContactChange | undefined;
}

/** Another request changed the same contact between our read and our write; read again and retry. */
export class IntakeConflictError extends Error {
  override readonly name = 'IntakeConflictError';
}

export interface IntakeRepository {
  readMarketingSnapshot(contactId: string, suppressionHash: string, now: Date): Promise<MarketingSnapshot>;
  record(write: IntakeWrite): Promise<void>;
}

interface ProfileItem {
  readonly version: number;
  readonly createdAt: string;
  readonly expiresAt?: number;
}

interface TopicItem {
  readonly sk: string;
  readonly topic: string;
  readonly status: TopicStatus;
  readonly since: string;
  readonly formId: string;
  readonly statementVersion?: string;
  readonly expiresAt: number;
}

export function createIntakeRepository(db: DynamoDBDocumentClient, tableName: string): IntakeRepository {
  return {
    async readMarketingSnapshot(contactId, suppressionHash, now) {
      const contactKey = keys.contact(contactId);
      const [partition, suppression] = await Promise.all([
        db.send(
          new QueryCommand({
            TableName: tableName,
            // PROFILE and TOPIC#… sort after EVENT#…, so the history is not read here.
            KeyConditionExpression: 'pk = :pk AND sk >= :profile',
            ExpressionAttributeValues: { ':pk': contactKey.pk, ':profile': contactKey.sk },
            ConsistentRead: true,
          }),
        ),
        db.send(
          new GetCommand({
            TableName: tableName,
            Key: keys.suppression(suppressionHash),
            ConsistentRead: true,
          }),
        ),
      ]);
      const items = partition.Items ?? [];
      const profile = items.find((item) => item.sk === contactKey.sk) as ProfileItem | undefined;
      const live = profile && !isExpired(profile.expiresAt, now) ? profile : undefined;
      const topics = new Map<string, TopicPermission>();
      if (live) {
        for (const item of items as TopicItem[]) {
          if (!item.sk.startsWith(keys.topicPrefix) || isExpired(item.expiresAt, now)) continue;
          topics.set(item.topic, {
            topic: item.topic,
            status: item.status,
            since: item.since,
            formId: item.formId,
            statementVersion: item.statementVersion,
            expiresAt: item.expiresAt,
          });
        }
      }
      return {
        contact: live ? { version: live.version, createdAt: live.createdAt } : undefined,
        topics,
        suppressed: suppression.Item !== undefined,
      };
    },

    async record(write) {
      const items: TransactItem[] = [];
      if (write.enquiry) items.push(putEnquiry(tableName, write.enquiry));
      if (write.contact) items.push(...contactItems(tableName, write.contact, write.now));
      if (items.length === 0) return;
      try {
        await db.send(new TransactWriteCommand({ TransactItems: items }));
      } catch (error) {
        const conflict =
          error instanceof TransactionCanceledException &&
          error.CancellationReasons?.some((reason) => reason.Code === 'ConditionalCheckFailed');
        if (conflict)
          throw new IntakeConflictError('The contact changed while the enquiry was processed', {
            cause: error,
          });
        throw error;
      }
    },
  };
}

function putEnquiry(tableName: string, enquiry: StoredEnquiry): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.enquiry(enquiry.enquiryId),
        ...keys.enquiryByDate(enquiry.receivedAt, enquiry.enquiryId),
        type: 'enquiry',
        ...enquiry,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

function contactItems(tableName: string, change: ContactChange, now: Date): TransactItem[] {
  const { contactId, decision } = change;
  const at = now.toISOString();
  const items: TransactItem[] = [];
  const contactKey = keys.contact(contactId);

  // A refusal from someone we hold nothing on leaves only the suppression entry: no contact is created.
  const touchesProfile = decision.topics.length > 0;
  if (!touchesProfile) {
    // Nothing to write on the contact itself.
  } else if (change.expectedVersion === undefined) {
    items.push({
      Put: {
        TableName: tableName,
        Item: {
          ...contactKey,
          type: 'contact',
          contactId,
          email: change.email,
          name: change.name,
          createdAt: at,
          updatedAt: at,
          lastInteractionAt: at,
          version: 1,
          expiresAt: decision.contactExpiresAt,
        },
        // A new contact may replace only an expired one that DynamoDB has not deleted yet.
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': toEpochSeconds(now) },
      },
    });
  } else {
    items.push({
      Update: {
        TableName: tableName,
        Key: contactKey,
        UpdateExpression: `SET email = :email, ${change.name ? '#name = :name, ' : ''}updatedAt = :at, lastInteractionAt = :at, expiresAt = :expiresAt, version = :next`,
        // Optimistic locking: the decision was made on this version.
        ConditionExpression: 'version = :version',
        ExpressionAttributeNames: change.name ? { '#name': 'name' } : undefined,
        ExpressionAttributeValues: {
          ':email': change.email,
          ...(change.name ? { ':name': change.name } : {}),
          ':at': at,
          ':expiresAt': decision.contactExpiresAt,
          ':version': change.expectedVersion,
          ':next': change.expectedVersion + 1,
        },
      },
    });
  }

  for (const topic of decision.topics) {
    items.push({
      Put: {
        TableName: tableName,
        Item: {
          ...keys.topic(contactId, topic.topic),
          // Only mailable permissions are in the list index; a withdrawal drops out of it.
          ...(isMailable(topic.status) ? keys.mailableByTopic(topic.topic, topic.status, contactId) : {}),
          type: 'topic',
          contactId,
          ...topic,
          // Copied here so a marketing list is one index query, not a read per person.
          email: change.email,
          name: change.name,
        },
      },
    });
  }

  for (const event of decision.events) items.push(putEvent(tableName, contactId, event));

  if (decision.statement) {
    const { hash, version, text } = decision.statement;
    items.push({
      // Keyed by the text's hash, so a re-put writes identical content: nothing to clobber.
      Put: {
        TableName: tableName,
        Item: { ...keys.statement(hash), type: 'statement', hash, version, text },
      },
    });
  }

  const suppressionKey = keys.suppression(change.suppressionHash);
  if (decision.suppression === 'add') {
    items.push({
      Put: {
        TableName: tableName,
        Item: {
          ...suppressionKey,
          type: 'suppression',
          reason: 'refused_at_collection',
          source: 'form',
          since: at,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  } else if (decision.suppression === 'lift') {
    items.push({
      Delete: { TableName: tableName, Key: suppressionKey, ConditionExpression: 'attribute_exists(pk)' },
    });
  } else if (decision.requiresNoSuppression) {
    // Soft opt-in must not race past a suppression written since we read.
    items.push({
      ConditionCheck: {
        TableName: tableName,
        Key: suppressionKey,
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  }
  return items;
}

function putEvent(tableName: string, contactId: string, event: ConsentEvent): TransactItem {
  const { eventId, at, type, statement, ...rest } = event;
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.consentEvent(contactId, at, eventId),
        type: 'consent_event',
        contactId,
        eventId,
        eventType: type,
        at,
        statementVersion: statement?.version,
        statementHash: statement?.hash,
        ...rest,
      },
      // Append-only: an event is never overwritten.
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}
