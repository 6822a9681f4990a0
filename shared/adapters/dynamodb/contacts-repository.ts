/**
 * Contacts, their topic permissions, consent events and suppression entries: reading the current state
 * and writing a change in one transaction, with every write conditional on what was read. Any other
 * item that must land with the change (an enquiry) joins the same transaction.
 */
import { isDeepStrictEqual } from 'node:util';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { HistoryEventType, TopicStatus } from '../../domain/consent.ts';
import { isMailable } from '../../domain/consent.ts';
import type {
  ConsentEvent,
  ContactChange,
  ContactSnapshot,
  TopicPermission,
} from '../../domain/contact-change.ts';
import type { ContactMovePlan, HistoryEvent } from '../../domain/contact-move.ts';
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
  /**
   * Creates a new contact already restricted (an import of restricted records); an existing contact
   * keeps its own restriction, which only `setRestriction` changes.
   */
  readonly restricted?: boolean | undefined;
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
  /**
   * Bulk-writes contacts that do not exist yet, with the enquiries that go with them: for seeding and
   * imports into addresses known to be new. Each contact gets exactly the items `write` would give it,
   * but through BatchWriteItem and without conditions, so nothing guards against clobbering: a write
   * that would update or delete anything is refused. Answers how many items were written.
   */
  importNew(batch: {
    readonly contacts: readonly ContactWrite[];
    readonly enquiries?: readonly StoredEnquiry[] | undefined;
  }): Promise<{ readonly items: number }>;
  /** A contact's consent history, oldest first. */
  readHistory(contactId: string): Promise<StoredEvent[]>;
  /**
   * Restricts processing of a live contact, or lifts the restriction: its permissions leave (or rejoin)
   * the list index. `false` when there is no live contact.
   */
  setRestriction(contactId: string, restricted: boolean, now: Date): Promise<boolean>;
  /**
   * Moves a live contact, its permissions and its whole history to a new address's id (see
   * `contactMoves`). Conflict: the contact changed since it was read, or a live contact holds the new id.
   */
  moveContact(move: ContactMove): Promise<void>;
  /** Finishes carrying the history of a contact that moved away from `contactId`; `false` if none waits. */
  finishMove(contactId: string, now: Date): Promise<boolean>;
  /** The id of the contact that `contactId` names now: itself, or where it moved (links name old ids). */
  currentContactId(contactId: string, now: Date): Promise<string>;
  /** Sets (or removes) a contact's name on its profile and its topics' copies. */
  setName(change: NameChange): Promise<void>;
  /** Whether a webhook delivery has been applied already. */
  hasDelivery(deliveryId: string, now: Date): Promise<boolean>;
}

export type StoredEvent = Omit<ConsentEvent, 'statement' | 'type'> & {
  readonly type: HistoryEventType;
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
    ...contactMoves(db, tableName),
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
      await transactOrConflict(db, items, 'The contact changed while the request was processed');
    },

    async importNew({ contacts, enquiries = [] }) {
      const items = new Map<string, Record<string, unknown>>();
      const add = (item: Record<string, unknown>) => {
        const key = JSON.stringify([item.pk, item.sk]);
        const seen = items.get(key);
        // BatchWriteItem refuses a key twice in one request; only identical items (a statement) may repeat.
        if (seen && !isDeepStrictEqual(seen, item))
          throw new Error('importNew got two different items for one key');
        items.set(key, item);
      };
      for (const contact of contacts) {
        if (contact.snapshot.contact) throw new Error('importNew only creates new contacts');
        for (const item of changeItems(tableName, contact)) {
          // A condition check guards a write against concurrent change; an import vouches there is none.
          if (item.ConditionCheck) continue;
          if (!item.Put?.Item) throw new Error('importNew only writes new items, never updates or deletes');
          add(item.Put.Item);
        }
      }
      for (const enquiry of enquiries) {
        const item = putEnquiry(tableName, enquiry).Put?.Item;
        if (item) add(item);
      }
      await batchPut(db, tableName, [...items.values()]);
      return { items: items.size };
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
      await transactOrConflict(
        db,
        [
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
        'The contact changed while its restriction was set',
      );
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
          const { eventType, ...rest } = item as { eventType: HistoryEventType } & Record<string, unknown>;
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

/** BatchWriteItem's limit per request. */
const BATCH_SIZE = 25;
/** Enough to keep DynamoDB busy without starving other callers of the client's sockets. */
const BATCHES_IN_FLIGHT = 4;
const MAX_BATCH_ATTEMPTS = 10;

/** Puts every item, 25 a request, a few requests at once, retrying what DynamoDB leaves unprocessed. */
async function batchPut(
  db: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += BATCH_SIZE)
    batches.push(items.slice(start, start + BATCH_SIZE));
  let next = 0;
  let failed = false;
  const worker = async () => {
    for (let batch = batches[next++]; batch && !failed; batch = batches[next++]) {
      try {
        await putBatch(db, tableName, batch);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCHES_IN_FLIGHT, batches.length) }, worker));
}

async function putBatch(
  db: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
): Promise<void> {
  let requests = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 1; ; attempt++) {
    const { UnprocessedItems } = await db.send(
      new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
    );
    const left = UnprocessedItems?.[tableName] ?? [];
    if (left.length === 0) return;
    if (attempt >= MAX_BATCH_ATTEMPTS)
      throw new Error(`DynamoDB left ${left.length} items unprocessed after ${attempt} attempts`);
    requests = left.map((request) => ({ PutRequest: { Item: request.PutRequest?.Item ?? {} } }));
    // Unprocessed items mean DynamoDB is throttling: back off exponentially, with full jitter.
    const ceilingMs = Math.min(5_000, 50 * 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs));
  }
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

interface SuppressionTarget {
  readonly tableName: string;
  readonly key: { pk: string; sk: string };
  /** The entry as it was read, or undefined when there was none. */
  readonly read: { readonly version: number } | undefined;
}

/** Conditions on what was read, so two changes to one address cannot both win. */
function unchangedSince(read: SuppressionTarget['read']) {
  return read
    ? { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': read.version } }
    : { ConditionExpression: 'attribute_not_exists(pk)' };
}

function suppressionUnchanged(target: SuppressionTarget): TransactItem {
  return { ConditionCheck: { TableName: target.tableName, Key: target.key, ...unchangedSince(target.read) } };
}

function putSuppression(
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

export type { TopicStatus };

/** DynamoDB's limit on the items of one transaction. */
const MAX_TRANSACTION_ITEMS = 100;
/** History events copied (and their originals deleted) per transaction: two items each. */
const HISTORY_EVENTS_PER_TRANSACTION = 50;
const HISTORY_TRANSACTIONS_IN_FLIGHT = 4;
/** A chain of moves longer than this is not followed: no loop can hold a link forever. */
const MAX_FORWARDS = 5;

/** A live contact moving to a new address, as `decideEmailChange` planned it. */
export interface ContactMove {
  readonly now: Date;
  /** The contact as decided on: the move is refused (a conflict) if it changed since. */
  readonly from: { readonly contactId: string; readonly version: number };
  readonly to: {
    readonly contactId: string;
    readonly email: string;
    readonly suppressionHash: string;
    /** The new address's suppression entry as read: the move is conditional on it. */
    readonly suppression: ContactSnapshot['suppression'];
  };
  readonly plan: ContactMovePlan;
  /** `source` on the carried permissions: MailChimp made the change, so its sync has nothing to send. */
  readonly source: string;
  /** `source` on the permissions the move withdrew, which MailChimp does not know about yet. */
  readonly withdrawalSource: string;
  /** Recorded on the new address's suppression entry when the move adds to it. */
  readonly reason: string;
  /** Until when the old id forwards to the new one (epoch seconds): links already sent name the old id. */
  readonly forwardUntil: number;
  readonly delivery?: { readonly id: string; readonly expiresAt: number } | undefined;
}

/** A name changed elsewhere (MailChimp's profile page), for the profile and the copies on its topics. */
export interface NameChange {
  readonly now: Date;
  readonly contactId: string;
  /** The profile version read: the change is refused (a conflict) if it moved on since. */
  readonly version: number;
  /** The contact's topic ids: each carries a copy of the name. */
  readonly topics: readonly string[];
  /** `undefined` removes the name. */
  readonly name: string | undefined;
  readonly source: string;
  readonly delivery?: { readonly id: string; readonly expiresAt: number } | undefined;
}

/**
 * Moving a contact between partitions and renaming it. A contact's history can be longer than the 100
 * items a transaction holds, so a move is written in steps that each leave the table consistent:
 *
 * 1. One transaction switches the contact over: the profile, the permissions (list-index keys and email
 *    copies included) and the new events are put under the new id, only if no live contact is there and
 *    the new address's suppression entry is as read; the old profile (at the version decided on) and
 *    its permissions are deleted; a `MOVED` item is left in the old partition saying where the contact
 *    went and how far its history goes; the delivery marker lands too. From here on there is exactly one
 *    live contact and a retry of the delivery is a no-op. That is about three items per topic held plus
 *    six, within the 100 of a transaction for any contact with fewer than 30 topics.
 * 2. The history is then carried across in transactions of 50 copies and 50 deletions, so an event is
 *    never in both partitions or in neither. Copies are conditional (absent, or the same event), so a
 *    repeat converges. Only events up to the recorded one move: anything written to the old address
 *    afterwards belongs to whoever holds it next.
 * 3. The `MOVED` item then forgets how far the history went; it stays as a forwarding address for links
 *    already sent, until they expire.
 *
 * A crash after step 1 leaves the `MOVED` item with its `historyUpTo`: the retried delivery (MailChimp
 * retries for about 75 minutes) finishes steps 2 and 3 before anything else.
 */
function contactMoves(db: DynamoDBDocumentClient, tableName: string) {
  return {
    async moveContact(move: ContactMove): Promise<void> {
      const fromKey = keys.contact(move.from.contactId);
      const items = await queryAll(db, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': fromKey.pk },
        ConsistentRead: true,
      });
      const profile = items.find((item) => item.sk === fromKey.sk) as
        | (ProfileItem & Record<string, unknown>)
        | undefined;
      // A contact being erased is not moved: the erasure must find everything where it left it.
      if (
        !profile ||
        profile.version !== move.from.version ||
        isExpired(profile.expiresAt, move.now) ||
        profile.erasedAt !== undefined
      ) {
        throw new ContactConflictError('The contact changed before it could be moved');
      }
      const history = items.filter((item) => String(item.sk).startsWith(keys.consentEventPrefix));
      const oldTopics = items.filter((item) => String(item.sk).startsWith(keys.topicPrefix));
      const switchItems = moveSwitchItems(tableName, move, profile, oldTopics, history.at(-1)?.sk);
      if (switchItems.length > MAX_TRANSACTION_ITEMS) {
        throw new Error(`Moving a contact with ${oldTopics.length} topics exceeds one transaction`);
      }
      await transactOrConflict(db, switchItems, 'The contact changed while it was moved');
      await copyMovedHistory(db, tableName, move.from.contactId, move.now);
    },

    async finishMove(contactId: string, now: Date): Promise<boolean> {
      return copyMovedHistory(db, tableName, contactId, now);
    },

    async currentContactId(contactId: string, now: Date): Promise<string> {
      let current = contactId;
      for (let hop = 0; hop < MAX_FORWARDS; hop++) {
        const { pk, sk: profileSk } = keys.contact(current);
        const items = await queryAll(db, {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :moved AND :profile',
          ExpressionAttributeValues: {
            ':pk': pk,
            ':moved': keys.contactMoved(current).sk,
            ':profile': profileSk,
          },
          ConsistentRead: true,
        });
        const profile = items.find((item) => item.sk === profileSk);
        // A live contact at the id is always its own: an address taken up again is not forwarded.
        if (profile && !isExpired(profile.expiresAt as number | undefined, now)) return current;
        const moved = items.find((item) => item.sk === keys.contactMoved(current).sk);
        if (!moved || isExpired(moved.expiresAt as number | undefined, now)) return current;
        current = String(moved.movedTo);
      }
      return current;
    },

    async setName(change: NameChange): Promise<void> {
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
      ];
      await transactOrConflict(db, items, 'The contact changed while its name was updated');
    },

    async hasDelivery(deliveryId: string, now: Date): Promise<boolean> {
      const { Item } = await db.send(
        new GetCommand({ TableName: tableName, Key: keys.webhookDelivery(deliveryId), ConsistentRead: true }),
      );
      return Item !== undefined && !isExpired(Item.expiresAt as number | undefined, now);
    },
  };
}

function moveSwitchItems(
  tableName: string,
  move: ContactMove,
  profile: ProfileItem & Record<string, unknown>,
  oldTopics: readonly Record<string, unknown>[],
  historyUpTo: unknown,
): TransactItem[] {
  const { from, to, plan, now } = move;
  const at = now.toISOString();
  const restricted = profile.restricted === true;
  const version = profile.version + 1;
  const name = typeof profile.name === 'string' ? { name: profile.name } : {};
  const items: TransactItem[] = [
    {
      Put: {
        TableName: tableName,
        Item: {
          ...keys.contact(to.contactId),
          type: 'contact',
          contactId: to.contactId,
          email: to.email,
          ...name,
          createdAt: profile.createdAt,
          updatedAt: at,
          lastInteractionAt: profile.lastInteractionAt,
          version,
          epoch: profile.epoch ?? 0,
          expiresAt: plan.contactExpiresAt,
          ...(restricted ? { restricted } : {}),
          // MailChimp already holds the member at the new address: the sync has nothing to send.
          source: move.source,
        },
        // Never onto a live contact: two people's records are not merged.
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': toEpochSeconds(now) },
      },
    },
  ];
  for (const { permission, withdrawnByMove } of plan.topics) {
    items.push({
      // Unconditional: the profile's condition above already proves no live contact holds this partition.
      Put: {
        TableName: tableName,
        Item: {
          ...keys.topic(to.contactId, permission.topic),
          ...listIndexKeys(to.contactId, permission.topic, permission.status, restricted),
          type: 'topic',
          contactId: to.contactId,
          ...permission,
          ...(restricted ? { restricted } : {}),
          source: withdrawnByMove ? move.withdrawalSource : move.source,
          email: to.email,
          ...name,
        },
      },
    });
  }
  plan.events.forEach((event, position) => {
    items.push(
      putEvent(tableName, keys.consentEvent(to.contactId, event.at, version, position), to.contactId, event),
    );
  });
  items.push(moveSuppressionItem(tableName, move, at));
  items.push({
    Delete: {
      TableName: tableName,
      Key: keys.contact(from.contactId),
      // Optimistic locking: the move was decided on this version.
      ConditionExpression: 'version = :version',
      ExpressionAttributeValues: { ':version': from.version },
    },
  });
  for (const topic of oldTopics) {
    items.push({ Delete: { TableName: tableName, Key: { pk: topic.pk, sk: topic.sk } } });
  }
  items.push({
    Put: {
      TableName: tableName,
      Item: {
        ...keys.contactMoved(from.contactId),
        type: 'contact_moved',
        movedTo: to.contactId,
        at,
        ...(historyUpTo === undefined ? {} : { historyUpTo }),
        expiresAt: move.forwardUntil,
      },
    },
  });
  if (move.delivery) items.push(deliveryMarker(tableName, move.delivery));
  return items;
}

/** Always conditional on the entry as read: a suppression written meanwhile must reach the moved permissions. */
function moveSuppressionItem(tableName: string, move: ContactMove, at: string): TransactItem {
  const target = { tableName, key: keys.suppression(move.to.suppressionHash), read: move.to.suppression };
  const next = move.plan.suppression;
  if (!next) return suppressionUnchanged(target);
  return putSuppression(target, next, { reason: move.reason, source: move.source, at });
}

/** Steps 2 and 3 of a move (see `contactMoves`); `false` when no history was waiting to be carried. */
async function copyMovedHistory(
  db: DynamoDBDocumentClient,
  tableName: string,
  contactId: string,
  now: Date,
): Promise<boolean> {
  const movedKey = keys.contactMoved(contactId);
  const { Item: moved } = await db.send(
    new GetCommand({ TableName: tableName, Key: movedKey, ConsistentRead: true }),
  );
  const historyUpTo = moved?.historyUpTo;
  if (typeof historyUpTo !== 'string' || typeof moved?.movedTo !== 'string') return false;
  const target = keys.contact(moved.movedTo).pk;
  const events = await queryAll(db, {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
    ExpressionAttributeValues: {
      ':pk': movedKey.pk,
      ':first': keys.consentEventPrefix,
      ':last': historyUpTo,
    },
    ConsistentRead: true,
  });
  const chunks: Record<string, unknown>[][] = [];
  for (let start = 0; start < events.length; start += HISTORY_EVENTS_PER_TRANSACTION)
    chunks.push(events.slice(start, start + HISTORY_EVENTS_PER_TRANSACTION));
  let failed = false;
  const worker = async () => {
    for (let chunk = chunks.shift(); chunk && !failed; chunk = chunks.shift()) {
      const items = chunk.flatMap((event): TransactItem[] => [
        // An event past its retention is gone already: it is deleted, not carried.
        ...(isExpired(event.expiresAt as number | undefined, now)
          ? []
          : [
              {
                Put: {
                  TableName: tableName,
                  Item: { ...event, pk: target, contactId: moved.movedTo },
                  // Append-only: absent, or this very event copied by an earlier attempt.
                  ConditionExpression: 'attribute_not_exists(pk) OR eventId = :eventId',
                  ExpressionAttributeValues: { ':eventId': event.eventId },
                },
              },
            ]),
        { Delete: { TableName: tableName, Key: { pk: event.pk, sk: event.sk } } },
      ]);
      try {
        await db.send(new TransactWriteCommand({ TransactItems: items }));
      } catch (error) {
        // The rest waits for the retry, which starts over from what is left.
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(HISTORY_TRANSACTIONS_IN_FLIGHT, chunks.length) }, worker));
  try {
    await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: movedKey,
        UpdateExpression: 'REMOVE historyUpTo',
        ConditionExpression: 'historyUpTo = :historyUpTo',
        ExpressionAttributeValues: { ':historyUpTo': historyUpTo },
      }),
    );
  } catch (error) {
    // Another attempt finished first.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  return true;
}

function deliveryMarker(tableName: string, delivery: { id: string; expiresAt: number }): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: { ...keys.webhookDelivery(delivery.id), type: 'webhook_delivery', expiresAt: delivery.expiresAt },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

async function transactOrConflict(
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

async function queryAll(
  db: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}
