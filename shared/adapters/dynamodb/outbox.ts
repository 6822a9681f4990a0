/**
 * The outbox on the single table: a queued email as the transaction item that writes it (with the change
 * it reports), the mailer's view of it (still waiting? mark sent; what is still unsent) and the stream
 * records that announce it.
 *
 * Sent once: the mailer reads the item consistently before sending and deletes it after. A replayed
 * batch finds it gone and sends nothing. The one window left is a crash between SES accepting the email
 * and the delete: the retry sends it again. We accept that duplicate on purpose, because the other
 * order (delete first, then send) would lose the email in the same crash, and a lost staff notification
 * or confirmation is worse than a rare second copy.
 */

import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { isExpired } from '../../domain/retention.ts';
import type {
  ConfirmationWindows,
  MailQueue,
  Outbox,
  OutboxMessage,
  QueuedMessage,
} from '../../ports/mailer.ts';
import type { TransactItem } from './contact-items.ts';
import { keys, TABLE_DEFINITION } from './table.ts';

interface OutboxItem {
  readonly message: OutboxMessage;
  readonly expiresAt: number;
}

/**
 * The transaction items that queue a message (its id is new, so the put never replaces anything) and,
 * for a confirmation, open its contact's window: only if no window is open, so of two requests racing
 * past the same read, one fails and decides again.
 */
export function putOutboxMessage(tableName: string, queued: QueuedMessage): TransactItem[] {
  const window = queued.opensWindow;
  const message: TransactItem = {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.outbox(queued.id),
        ...keys.outboxWaiting(queued.queuedAt, queued.id),
        type: 'outbox',
        message: queued.message,
        ...(queued.concerns === undefined ? {} : { concerns: queued.concerns }),
        expiresAt: queued.expiresAt,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
  if (!window) return [message];
  return [
    message,
    {
      Put: {
        TableName: tableName,
        Item: {
          ...keys.confirmationWindow(window.contactId),
          type: 'confirmation_window',
          expiresAt: window.until,
        },
        // Unconditional: a new request (after a confirmation or an unsubscribe) opens a fresh window. Two
        // posts at once cannot both send: the contact's version check lets one write, and the other re-reads
        // the request as pending and holds its email back.
      },
    },
  ];
}

/** Queues messages on their own (the digest); a message already queued under its id stays as it is. */
export function dynamoMailQueue(db: DynamoDBDocumentClient, tableName: string): MailQueue {
  return {
    async queue(messages) {
      for (const queued of messages) {
        try {
          await db.send(new TransactWriteCommand({ TransactItems: putOutboxMessage(tableName, queued) }));
        } catch (error) {
          // Queued already: a retried job queues the same id, and the message must go out once.
          if (!(error instanceof TransactionCanceledException)) throw error;
          if (!error.CancellationReasons?.some((reason) => reason.Code === 'ConditionalCheckFailed'))
            throw error;
        }
      }
    },
  };
}

export function confirmationWindows(db: DynamoDBDocumentClient, tableName: string): ConfirmationWindows {
  return {
    async isOpen(contactId, now) {
      const { Item } = await db.send(
        new GetCommand({
          TableName: tableName,
          Key: keys.confirmationWindow(contactId),
          ConsistentRead: true,
        }),
      );
      return Item !== undefined && !isExpired(Item.expiresAt as number | undefined, now);
    },
  };
}

export function dynamoOutbox(db: DynamoDBDocumentClient, tableName: string): Outbox {
  return {
    async waiting(id, now) {
      const { Item } = await db.send(
        // Consistent: a message deleted a moment ago by the previous delivery must read as sent.
        new GetCommand({ TableName: tableName, Key: keys.outbox(id), ConsistentRead: true }),
      );
      const item = Item as OutboxItem | undefined;
      if (!item || isExpired(item.expiresAt, now)) return undefined;
      return item.message;
    },

    async markSent(id) {
      try {
        await db.send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.outbox(id),
            ConditionExpression: 'attribute_exists(pk)',
          }),
        );
      } catch (error) {
        // Already gone: an earlier delivery of the same record marked it.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async waitingSince(before) {
      const ids: string[] = [];
      const { gsi1pk } = keys.outboxWaiting('', '');
      const pages = paginateQuery(
        { client: db },
        {
          TableName: tableName,
          IndexName: TABLE_DEFINITION.globalSecondaryIndexes[0].indexName,
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :before',
          ExpressionAttributeValues: { ':pk': gsi1pk, ':before': before.toISOString() },
          ProjectionExpression: 'pk',
        },
      );
      for await (const page of pages)
        for (const item of page.Items ?? []) ids.push(String(item.pk).slice(keys.outboxPrefix.length));
      return ids;
    },
  };
}

/** The ids of messages newly queued in a stream batch, each with the record's sequence number. */
export function queuedMessageIds(
  records: readonly DynamoDBRecord[],
): { readonly id: string; readonly sequenceNumber: string }[] {
  return records.flatMap((record) => {
    const pk = record.dynamodb?.Keys?.[TABLE_DEFINITION.partitionKey]?.S;
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (record.eventName !== 'INSERT' || !pk?.startsWith(keys.outboxPrefix) || !sequenceNumber) return [];
    return [{ id: pk.slice(keys.outboxPrefix.length), sequenceNumber }];
  });
}
