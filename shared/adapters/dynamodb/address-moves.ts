/**
 * The address-move saga: a live contact, its permissions and its whole history moved to a new address's
 * id, and the forwarding from the old id that links already sent rely on. A contact's history can be
 * longer than the 100 items a transaction holds, so a move is written in steps that each leave the table
 * consistent:
 *
 * 1. One transaction switches the contact over: the profile, the permissions (list-index keys and email
 *    copies included) and the new events are put under the new id, only if no live contact is there and
 *    the new address's suppression entry is as read; the old profile (at the version decided on) and
 *    its permissions are deleted; a `MOVED` item is left in the old partition saying where the contact
 *    went and how far its history goes; the delivery marker lands too. From here on there is exactly one
 *    live contact and a retry of the delivery is a no-op. That is about three items per topic held plus
 *    seven, within the 100 of a transaction for any contact with fewer than 30 topics.
 * 2. The history is then carried across in transactions of 50 copies and 50 deletions, so an event is
 *    never in both partitions or in neither. Copies are conditional (absent, or the same event), so a
 *    repeat converges. Only events up to the recorded one move: anything written to the old address
 *    afterwards belongs to whoever holds it next. The references to the person's enquiries received
 *    up to the move follow the same way, so their data is still found from their address.
 * 3. The `MOVED` item then forgets how far the history went; it stays as a forwarding address for links
 *    already sent, until they expire. A `FORWARDED#<old id>` item in the new partition, written in step
 *    1, lets an erasure of the person find and delete it.
 *
 * A crash after step 1 leaves the `MOVED` item with its `historyUpTo`: the retried delivery (MailChimp
 * retries for about 75 minutes) finishes steps 2 and 3 before anything else.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isExpired, toEpochSeconds } from '../../domain/retention.ts';
import {
  ContactConflictError,
  type ContactMove,
  type ContactsRepository,
} from '../../ports/contacts-store.ts';
import { mapConcurrently } from '../../support/concurrency.ts';
import {
  deliveryMarker,
  listIndexKeys,
  type ProfileItem,
  putEvent,
  putSuppression,
  suppressionUnchanged,
  type TransactItem,
} from './contact-items.ts';
import { transactOrConflict } from './contact-writes.ts';
import { queryAll } from './paging.ts';
import { keys } from './table.ts';

/** DynamoDB's limit on the items of one transaction. */
const MAX_TRANSACTION_ITEMS = 100;
/** History events copied (and their originals deleted) per transaction: two items each. */
const HISTORY_EVENTS_PER_TRANSACTION = 50;
const HISTORY_TRANSACTIONS_IN_FLIGHT = 4;
/** A chain of moves longer than this is not followed: no loop can hold a link forever. */
const MAX_FORWARDS = 5;

export type AddressMoves = Pick<
  ContactsRepository,
  'moveContact' | 'finishMove' | 'currentContactId' | 'readMove'
>;

export function addressMoves(db: DynamoDBDocumentClient, tableName: string): AddressMoves {
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

    async readMove(contactId: string) {
      const { Item: moved } = await db.send(
        new GetCommand({ TableName: tableName, Key: keys.contactMoved(contactId), ConsistentRead: true }),
      );
      if (typeof moved?.movedTo !== 'string') return undefined;
      return { movedTo: moved.movedTo, source: typeof moved.source === 'string' ? moved.source : undefined };
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
          ...keys.contactChanged(at, to.contactId),
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
        // Whose move it was: the MailChimp sync moves the member for ours, never for MailChimp's own.
        source: move.source,
        expiresAt: move.forwardUntil,
      },
    },
  });
  items.push({
    // Unconditional, as the topics: the profile's condition proves the new partition is not someone else's.
    Put: {
      TableName: tableName,
      Item: {
        ...keys.forwardedFrom(to.contactId, from.contactId),
        type: 'forwarded_from',
        at,
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

/** Steps 2 and 3 of a move (see the top of this file); `false` when no history was waiting to be carried. */
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
  await mapConcurrently(chunks, HISTORY_TRANSACTIONS_IN_FLIGHT, async (chunk) => {
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
    // A failure stops the rest, which waits for the retry: it starts over from what is left.
    await db.send(new TransactWriteCommand({ TransactItems: items }));
  });
  await carryEnquiryRefs(db, tableName, movedKey.pk, target, String(moved.at ?? historyUpTo));
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

/** Moves the references to enquiries received up to the move (`at`), 50 a transaction, copy and delete together. */
async function carryEnquiryRefs(
  db: DynamoDBDocumentClient,
  tableName: string,
  from: string,
  to: string,
  at: string,
): Promise<void> {
  const refs = await queryAll(db, {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
    ExpressionAttributeValues: {
      ':pk': from,
      ':first': keys.enquiryRefPrefix,
      // Every reference whose receipt time sorts at or before the move's (the id follows a `#`).
      ':last': `${keys.enquiryRefPrefix}${at}~`,
    },
    ConsistentRead: true,
  });
  for (let start = 0; start < refs.length; start += HISTORY_EVENTS_PER_TRANSACTION) {
    const items = refs.slice(start, start + HISTORY_EVENTS_PER_TRANSACTION).flatMap((ref): TransactItem[] => [
      // Identical content on a repeat: nothing to clobber.
      { Put: { TableName: tableName, Item: { ...ref, pk: to } } },
      { Delete: { TableName: tableName, Key: { pk: ref.pk, sk: ref.sk } } },
    ]);
    await db.send(new TransactWriteCommand({ TransactItems: items }));
  }
}
