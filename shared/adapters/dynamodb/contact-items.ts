/**
 * The stored shapes of a contact's items and the mapping between them and the port's values: the
 * profile, topic permissions (with their list-index keys), consent events, suppression entries, enquiries
 * and webhook delivery markers, each as the transaction item that writes it.
 */
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { isMailable, type TopicStatus } from '../../domain/consent.ts';
import type { TopicPermission } from '../../domain/contact-change.ts';
import type { HistoryEvent } from '../../domain/contact-move.ts';
import type { DeliveryMarker, StoredEnquiry } from '../../ports/contacts-store.ts';
import { keys } from './table.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface ProfileItem {
  readonly sk: string;
  readonly contactId: string;
  readonly email: string;
  readonly name?: string;
  readonly version: number;
  readonly epoch?: number;
  readonly expiresAt?: number;
  readonly restricted?: boolean;
}

export interface TopicItem extends Omit<TopicPermission, 'epoch'> {
  readonly sk: string;
  readonly epoch?: number;
}

export interface SuppressionItem {
  readonly all?: boolean;
  readonly topics?: string[];
  readonly version?: number;
}

/** A stored topic item as the domain's permission; an absent epoch is the contact's first. */
export function toTopicPermission(item: TopicItem): TopicPermission {
  return {
    topic: item.topic,
    status: item.status,
    since: item.since,
    formId: item.formId,
    statementVersion: item.statementVersion,
    epoch: item.epoch ?? 0,
    expiresAt: item.expiresAt,
  };
}

/**
 * Only mailable permissions of unrestricted contacts are in the list index: a withdrawal, a pending
 * consent or a restriction takes the item out of every list.
 */
export function listIndexKeys(
  contactId: string,
  topic: string,
  status: TopicStatus,
  restricted: boolean,
): { gsi1pk: string; gsi1sk: string } | undefined {
  return isMailable(status) && !restricted
    ? keys.mailableByTopic(topic, status as 'consent' | 'soft_opt_in', contactId)
    : undefined;
}

export interface SuppressionTarget {
  readonly tableName: string;
  readonly key: { pk: string; sk: string };
  /** The entry as it was read, or undefined when there was none. */
  readonly read: { readonly version: number } | undefined;
}

/** Conditions on what was read, so two changes to one address cannot both win. */
export function unchangedSince(read: SuppressionTarget['read']) {
  return read
    ? { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': read.version } }
    : { ConditionExpression: 'attribute_not_exists(pk)' };
}

export function suppressionUnchanged(target: SuppressionTarget): TransactItem {
  return { ConditionCheck: { TableName: target.tableName, Key: target.key, ...unchangedSince(target.read) } };
}

export function putSuppression(
  target: SuppressionTarget,
  next: { readonly all: boolean; readonly topics: ReadonlySet<string> },
  recorded: { readonly reason: string; readonly source: string; readonly at: string },
): TransactItem {
  return {
    Put: {
      TableName: target.tableName,
      Item: {
        ...target.key,
        type: 'suppression',
        all: next.all,
        topics: [...next.topics].sort(),
        reason: recorded.reason,
        source: recorded.source,
        since: recorded.at,
        version: (target.read?.version ?? 0) + 1,
      },
      ...unchangedSince(target.read),
    },
  };
}

export function putEnquiry(tableName: string, enquiry: StoredEnquiry): TransactItem {
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

/**
 * The reference to an enquiry in its sender's partition; it lives exactly as long as the enquiry. It
 * names the submission marker written with the enquiry, so an erasure deletes that too.
 */
export function putEnquiryRef(
  tableName: string,
  contactId: string,
  enquiry: StoredEnquiry,
  submissionKey?: string | undefined,
): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.enquiryRef(contactId, enquiry.receivedAt, enquiry.enquiryId),
        type: 'enquiry_ref',
        enquiryId: enquiry.enquiryId,
        ...(submissionKey === undefined ? {} : { submission: submissionKey }),
        expiresAt: enquiry.expiresAt,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export function putEvent(
  tableName: string,
  key: { pk: string; sk: string },
  contactId: string,
  event: HistoryEvent,
): TransactItem {
  const { eventId, at, type, statement, ...rest } = event;
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...key,
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

export function deliveryMarker(tableName: string, delivery: DeliveryMarker): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: { ...keys.webhookDelivery(delivery.id), type: 'webhook_delivery', expiresAt: delivery.expiresAt },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}
