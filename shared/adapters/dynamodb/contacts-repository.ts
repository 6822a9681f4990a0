/**
 * Contacts, their topic permissions, consent events and suppression entries: reading the current state
 * and writing a change in one transaction, with every write conditional on what was read. Any other
 * item that must land with the change (an enquiry) joins the same transaction.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { TopicStatus } from '../../domain/consent.ts';
import { isMailable } from '../../domain/consent.ts';
import type {
  ConsentEvent,
  ContactChange,
  ContactSnapshot,
  TopicPermission,
} from '../../domain/contact-change.ts';
import { isExpired, toEpochSeconds } from '../../domain/retention.ts';
import { keys } from './table.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface StoredContact {
  readonly contactId: string;
  readonly email: string;
  readonly name: string | undefined;
  /** Kept but excluded from every list and from MailChimp. */
  readonly restricted: boolean;
}

export interface StoredEnquiry {
  readonly enquiryId: string;
  readonly formId: string;
  readonly receivedAt: string;
  /** Only the fields the form keeps. */
  readonly fields: Readonly<Record<string, string>>;
  readonly contactId: string | undefined;
  readonly expiresAt: number;
}

export interface ContactState {
  readonly snapshot: ContactSnapshot;
  /** The live contact, when there is one. */
  readonly contact: StoredContact | undefined;
}

export interface ContactWrite {
  readonly now: Date;
  readonly contactId: string;
  readonly suppressionHash: string;
  /** Set on the contact (a form gives them); a link leaves them as they are. */
  readonly email?: string | undefined;
  readonly name?: string | undefined;
  readonly snapshot: ContactSnapshot;
  readonly change: ContactChange;
  readonly source: string;
  /** Recorded on the suppression entry when this change adds to it. */
  readonly reason?: string | undefined;
}

/** Another request changed the same contact between our read and our write; read again and retry. */
export class ContactConflictError extends Error {
  override readonly name = 'ContactConflictError';
}

export interface ContactsRepository {
  /** The contact's partition (profile and permissions, not the history), without its suppression entry. */
  readContact(contactId: string, now: Date): Promise<ContactState>;
  readSuppression(suppressionHash: string): Promise<ContactSnapshot['suppression']>;
  /** Writes a contact change and/or an enquiry, atomically. */
  write(write: {
    readonly contact?: ContactWrite | undefined;
    readonly enquiry?: StoredEnquiry | undefined;
    /** Marks a webhook delivery as applied, in the same transaction, so a retry of it changes nothing. */
    readonly delivery?: { readonly id: string; readonly expiresAt: number } | undefined;
  }): Promise<void>;
  /** A contact's consent history, oldest first. */
  readHistory(contactId: string): Promise<StoredEvent[]>;
  /**
   * Restricts processing of a live contact, or lifts the restriction: its permissions leave (or rejoin)
   * the list index. `false` when there is no live contact.
   */
  setRestriction(contactId: string, restricted: boolean, now: Date): Promise<boolean>;
}

export type StoredEvent = Omit<ConsentEvent, 'statement'> & {
  readonly statementVersion?: string;
  readonly statementHash?: string;
};

interface ProfileItem {
  readonly sk: string;
  readonly contactId: string;
  readonly email: string;
  readonly name?: string;
  readonly version: number;
  readonly epoch?: number;
  readonly expiresAt?: number;
  readonly restricted?: boolean;
}

interface TopicItem extends Omit<TopicPermission, 'epoch'> {
  readonly sk: string;
  readonly epoch?: number;
}

interface SuppressionItem {
  readonly all?: boolean;
  readonly topics?: string[];
  readonly version?: number;
}

export function createContactsRepository(db: DynamoDBDocumentClient, tableName: string): ContactsRepository {
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
          topics.set(item.topic, {
            topic: item.topic,
            status: item.status,
            since: item.since,
            formId: item.formId,
            statementVersion: item.statementVersion,
            epoch: item.epoch ?? 0,
            expiresAt: item.expiresAt,
          });
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

    async write({ contact, enquiry, delivery }) {
      const items: TransactItem[] = [
        ...(enquiry ? [putEnquiry(tableName, enquiry)] : []),
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
      ];
      if (items.length === 0) return;
      try {
        await db.send(new TransactWriteCommand({ TransactItems: items }));
      } catch (error) {
        const conflict =
          error instanceof TransactionCanceledException &&
          error.CancellationReasons?.some((reason) => reason.Code === 'ConditionalCheckFailed');
        if (conflict)
          throw new ContactConflictError('The contact changed while the request was processed', {
            cause: error,
          });
        throw error;
      }
    },

    async setRestriction(contactId, restricted, now) {
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
      try {
        await db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: tableName,
                  Key: contactKey,
                  UpdateExpression: restricted
                    ? 'SET restricted = :restricted, version = :next, updatedAt = :at'
                    : 'SET version = :next, updatedAt = :at REMOVE restricted',
                  // Optimistic locking: the topic items were read at this version.
                  ConditionExpression: 'version = :expected',
                  ExpressionAttributeValues: {
                    ...(restricted ? { ':restricted': true } : {}),
                    ':next': profile.version + 1,
                    ':at': now.toISOString(),
                    ':expected': profile.version,
                  },
                },
              },
              ...topicUpdates,
            ],
          }),
        );
      } catch (error) {
        if (error instanceof TransactionCanceledException)
          throw new ContactConflictError('The contact changed while its restriction was set', {
            cause: error,
          });
        throw error;
      }
      return true;
    },

    async readHistory(contactId) {
      const events: StoredEvent[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
            ExpressionAttributeValues: {
              ':pk': keys.contact(contactId).pk,
              ':events': keys.consentEventPrefix,
            },
            ExclusiveStartKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const { eventType, ...rest } = item as { eventType: ConsentEvent['type'] } & Record<
            string,
            unknown
          >;
          events.push({ ...(rest as unknown as StoredEvent), type: eventType });
        }
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return events;
    },
  };
}

function changeItems(tableName: string, write: ContactWrite): TransactItem[] {
  const { contactId, change, snapshot, now } = write;
  const at = now.toISOString();
  const items: TransactItem[] = [];
  const contactKey = keys.contact(contactId);

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
          lastInteractionAt: at,
          version: 1,
          epoch: change.contactEpoch,
          expiresAt: change.contactExpiresAt,
        },
        // A new contact may replace only an expired one that DynamoDB has not deleted yet.
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': toEpochSeconds(now) },
      },
    });
  } else if (change.writesContact && snapshot.contact) {
    const sets: Record<string, unknown> = {
      updatedAt: at,
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
  const restricted = snapshot.contact?.restricted === true;
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

/**
 * Only mailable permissions of unrestricted contacts are in the list index: a withdrawal, a pending
 * consent or a restriction takes the item out of every list.
 */
function listIndexKeys(
  contactId: string,
  topic: string,
  status: TopicStatus,
  restricted: boolean,
): { gsi1pk: string; gsi1sk: string } | undefined {
  return isMailable(status) && !restricted
    ? keys.mailableByTopic(topic, status as 'consent' | 'soft_opt_in', contactId)
    : undefined;
}

function suppressionItems(tableName: string, write: ContactWrite, at: string): TransactItem[] {
  const key = keys.suppression(write.suppressionHash);
  const read = write.snapshot.suppression;
  // Conditions on what was read, so two changes to one address cannot both win.
  const unchanged = read
    ? { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': read.version } }
    : { ConditionExpression: 'attribute_not_exists(pk)' };
  const next = write.change.suppression;
  if (!next) {
    return write.change.requiresUnchangedSuppression
      ? [{ ConditionCheck: { TableName: tableName, Key: key, ...unchanged } }]
      : [];
  }
  if (!next.all && next.topics.size === 0) {
    return read ? [{ Delete: { TableName: tableName, Key: key, ...unchanged } }] : [];
  }
  const event = write.change.events.at(-1);
  return [
    {
      Put: {
        TableName: tableName,
        Item: {
          ...key,
          type: 'suppression',
          all: next.all,
          topics: [...next.topics].sort(),
          reason: write.reason ?? event?.reason ?? 'withdrawn',
          source: write.source,
          since: at,
          version: (read?.version ?? 0) + 1,
        },
        ...unchanged,
      },
    },
  ];
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

function putEvent(
  tableName: string,
  key: { pk: string; sk: string },
  contactId: string,
  event: ConsentEvent,
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

export type { TopicStatus };
