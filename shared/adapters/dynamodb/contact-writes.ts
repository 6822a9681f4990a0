/**
 * Writing a change to a contact in one transaction, every item conditional on what was read, and mapping
 * a failed condition to ContactConflictError: decided changes (with any enquiry and delivery marker that
 * land with them, and the emails they call for), restrictions and renames.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { isExpired, toEpochSeconds } from '../../domain/retention.ts';
import {
  ContactConflictError,
  type ContactsRepository,
  type ContactWrite,
} from '../../ports/contacts-store.ts';
import {
  deliveryMarker,
  listIndexKeys,
  type ProfileItem,
  putEnquiry,
  putEnquiryRef,
  putEvent,
  putSuppression,
  suppressionUnchanged,
  type TopicItem,
  type TransactItem,
  unchangedSince,
} from './contact-items.ts';
import { putOutboxMessage } from './outbox.ts';
import { putSubmissionMarker } from './submissions.ts';
import { keys } from './table.ts';

export type ContactWrites = Pick<ContactsRepository, 'write' | 'setRestriction' | 'setName' | 'recordEvent'>;

export function contactWrites(db: DynamoDBDocumentClient, tableName: string): ContactWrites {
  return {
    async write({ contact, enquiry, enquiryOwner, delivery, outbox = [], submission }) {
      const items: TransactItem[] = [
        ...(enquiry ? [putEnquiry(tableName, enquiry)] : []),
        ...(enquiry && enquiryOwner
          ? [putEnquiryRef(tableName, enquiryOwner, enquiry, submission?.key)]
          : []),
        ...(delivery
          ? [
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    ...keys.webhookDelivery(delivery.id),
                    type: 'webhook_delivery',
                    expiresAt: delivery.expiresAt,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ]
          : []),
        ...(contact ? changeItems(tableName, contact) : []),
        ...outbox.flatMap((queued) => putOutboxMessage(tableName, queued)),
        ...(submission ? [putSubmissionMarker(tableName, submission)] : []),
      ];
      if (items.length === 0) return;
      await transactOrConflict(db, items, 'The contact changed while the request was processed');
    },

    async setRestriction(contactId, restricted, now, record) {
      const contactKey = keys.contact(contactId);
      const { Items = [] } = await db.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk >= :profile',
          ExpressionAttributeValues: { ':pk': contactKey.pk, ':profile': contactKey.sk },
          ConsistentRead: true,
        }),
      );
      const profile = Items.find((item) => item.sk === contactKey.sk) as ProfileItem | undefined;
      if (!profile || isExpired(profile.expiresAt, now)) return false;
      // MailChimp archives or restores the member: the outward reconciliation checks it did.
      const changedKeys = keys.contactChanged(now.toISOString(), contactId);
      const topicUpdates = (Items as TopicItem[])
        .filter((item) => item.sk.startsWith(keys.topicPrefix))
        .map((item): TransactItem => {
          const indexKeys = listIndexKeys(contactId, item.topic, item.status, restricted);
          return {
            Update: {
              TableName: tableName,
              Key: { pk: contactKey.pk, sk: item.sk },
              UpdateExpression: restricted
                ? 'SET restricted = :restricted REMOVE gsi1pk, gsi1sk'
                : indexKeys
                  ? 'SET gsi1pk = :gsi1pk, gsi1sk = :gsi1sk REMOVE restricted'
                  : 'REMOVE restricted',
              ExpressionAttributeValues: restricted
                ? { ':restricted': true }
                : indexKeys
                  ? { ':gsi1pk': indexKeys.gsi1pk, ':gsi1sk': indexKeys.gsi1sk }
                  : undefined,
            },
          };
        });
      await transactOrConflict(
        db,
        [
          {
            Update: {
              TableName: tableName,
              Key: contactKey,
              UpdateExpression: restricted
                ? 'SET restricted = :restricted, version = :next, updatedAt = :at, gsi1pk = :changed, gsi1sk = :changedAt'
                : 'SET version = :next, updatedAt = :at, gsi1pk = :changed, gsi1sk = :changedAt REMOVE restricted',
              // Optimistic locking: the topic items were read at this version.
              ConditionExpression: 'version = :expected',
              ExpressionAttributeValues: {
                ...(restricted ? { ':restricted': true } : {}),
                ':next': profile.version + 1,
                ':at': now.toISOString(),
                ':changed': changedKeys.gsi1pk,
                ':changedAt': changedKeys.gsi1sk,
                ':expected': profile.version,
              },
            },
          },
          ...topicUpdates,
          ...(record
            ? [
                putEvent(
                  tableName,
                  keys.consentEvent(contactId, record.at, profile.version + 1, 0),
                  contactId,
                  { ...record, epoch: profile.epoch ?? 0 },
                ),
              ]
            : []),
        ],
        'The contact changed while its restriction was set',
      );
      return true;
    },

    async setName(change) {
      const at = change.now.toISOString();
      const named = change.name !== undefined && change.name !== '';
      const items: TransactItem[] = [
        {
          Update: {
            TableName: tableName,
            Key: keys.contact(change.contactId),
            UpdateExpression: named
              ? 'SET #name = :name, updatedAt = :at, version = :next'
              : 'SET updatedAt = :at, version = :next REMOVE #name',
            // Optimistic locking, as for any change to the contact.
            ConditionExpression: 'version = :expected',
            ExpressionAttributeNames: { '#name': 'name' },
            ExpressionAttributeValues: {
              ...(named ? { ':name': change.name } : {}),
              ':at': at,
              ':next': change.version + 1,
              ':expected': change.version,
            },
          },
        },
        ...change.topics.map(
          (topic): TransactItem => ({
            Update: {
              TableName: tableName,
              Key: keys.topic(change.contactId, topic),
              // The source marks the change as MailChimp's own, so the sync does not send it back.
              UpdateExpression: named
                ? 'SET #name = :name, #source = :source'
                : 'SET #source = :source REMOVE #name',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#name': 'name', '#source': 'source' },
              ExpressionAttributeValues: {
                ...(named ? { ':name': change.name } : {}),
                ':source': change.source,
              },
            },
          }),
        ),
        ...(change.delivery ? [deliveryMarker(tableName, change.delivery)] : []),
        ...(change.record
          ? [
              putEvent(
                tableName,
                keys.consentEvent(change.contactId, change.record.at, change.version + 1, 0),
                change.contactId,
                change.record,
              ),
            ]
          : []),
      ];
      await transactOrConflict(db, items, 'The contact changed while its name was updated');
    },

    async recordEvent({ contactId, version, event }) {
      await transactOrConflict(
        db,
        [
          {
            Update: {
              TableName: tableName,
              Key: keys.contact(contactId),
              UpdateExpression: 'SET version = :next, updatedAt = :at',
              // Optimistic locking: the event's position in the history is this version's.
              ConditionExpression: 'version = :expected',
              ExpressionAttributeValues: { ':next': version + 1, ':at': event.at, ':expected': version },
            },
          },
          putEvent(tableName, keys.consentEvent(contactId, event.at, version + 1, 0), contactId, event),
        ],
        'The contact changed while its history was recorded',
      );
    },
  };
}

/** Every item a decided change writes, for the transaction (or, all puts, for a bulk import). */
export function changeItems(tableName: string, write: ContactWrite): TransactItem[] {
  const { contactId, change, snapshot, now } = write;
  const at = now.toISOString();
  const items: TransactItem[] = [];
  const contactKey = keys.contact(contactId);
  const restricted = snapshot.contact ? snapshot.contact.restricted === true : write.restricted === true;

  if (change.writesContact && !snapshot.contact) {
    items.push({
      Put: {
        TableName: tableName,
        Item: {
          ...contactKey,
          type: 'contact',
          contactId,
          email: write.email,
          name: write.name,
          createdAt: at,
          updatedAt: at,
          ...keys.contactChanged(at, contactId),
          lastInteractionAt: at,
          version: 1,
          epoch: change.contactEpoch,
          expiresAt: change.contactExpiresAt,
          ...(restricted ? { restricted } : {}),
          // Where the contact came from: the MailChimp sync does not echo a contact MailChimp created.
          source: write.source,
        },
        // A new contact may replace only an expired one that DynamoDB has not deleted yet.
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': toEpochSeconds(now) },
      },
    });
  } else if (change.writesContact && snapshot.contact) {
    const sets: Record<string, unknown> = {
      updatedAt: at,
      ...keys.contactChanged(at, contactId),
      lastInteractionAt: at,
      expiresAt: change.contactExpiresAt,
      epoch: change.contactEpoch,
      version: snapshot.contact.version + 1,
    };
    if (write.email) sets.email = write.email;
    if (write.name) sets.name = write.name;
    const names = Object.keys(sets);
    items.push({
      Update: {
        TableName: tableName,
        Key: contactKey,
        UpdateExpression: `SET ${names.map((name) => `#${name} = :${name}`).join(', ')}`,
        // Optimistic locking: the change was decided on this version.
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(names.map((name) => [`:${name}`, sets[name]])),
          ':expected': snapshot.contact.version,
        },
      },
    });
  }

  const email = write.email;
  for (const topic of change.topics) {
    items.push({
      Put: {
        TableName: tableName,
        Item: {
          ...keys.topic(contactId, topic.topic),
          ...listIndexKeys(contactId, topic.topic, topic.status, restricted),
          type: 'topic',
          contactId,
          ...topic,
          ...(restricted ? { restricted } : {}),
          // Where the latest change came from: the MailChimp sync does not echo MailChimp's own changes.
          source: write.source,
          // Copied here so a marketing list is one index query, not a read per person.
          ...(email ? { email, name: write.name } : {}),
        },
      },
    });
  }

  const version = (snapshot.contact?.version ?? 0) + 1;
  change.events.forEach((event, position) => {
    items.push(
      putEvent(tableName, keys.consentEvent(contactId, event.at, version, position), contactId, event),
    );
  });

  if (change.statement) {
    const { hash, version, text } = change.statement;
    items.push({
      // Keyed by the text's hash, so a re-put writes identical content: nothing to clobber.
      Put: {
        TableName: tableName,
        Item: { ...keys.statement(hash), type: 'statement', hash, version, text },
      },
    });
  }

  items.push(...suppressionItems(tableName, write, at));
  return items;
}

function suppressionItems(tableName: string, write: ContactWrite, at: string): TransactItem[] {
  const read = write.snapshot.suppression;
  const next = write.change.suppression;
  const target = { tableName, key: keys.suppression(write.suppressionHash), read };
  if (!next) return write.change.requiresUnchangedSuppression ? [suppressionUnchanged(target)] : [];
  if (!next.all && next.topics.size === 0) {
    return read ? [{ Delete: { TableName: tableName, Key: target.key, ...unchangedSince(read) } }] : [];
  }
  const reason = write.reason ?? write.change.events.at(-1)?.reason ?? 'withdrawn';
  return [putSuppression(target, next, { reason, source: write.source, at })];
}

/** Writes `items` in one transaction; a failed condition means another request changed the contact. */
export async function transactOrConflict(
  db: DynamoDBDocumentClient,
  items: TransactItem[],
  message: string,
): Promise<void> {
  try {
    await db.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    const conflict =
      error instanceof TransactionCanceledException &&
      error.CancellationReasons?.some((reason) => reason.Code === 'ConditionalCheckFailed');
    if (conflict) throw new ContactConflictError(message, { cause: error });
    throw error;
  }
}
