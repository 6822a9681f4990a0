/**
 * One person's items found from their contact id: the whole partition (expired items included, for the
 * caller to mark), the enquiries it references and the suppression entry; and erasure, which marks the
 * profile for the MailChimp sync before it deletes anything.
 */
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { HistoryEventType } from '../../domain/consent.ts';
import type { ErasedKind } from '../../domain/erasure-receipt.ts';
import type { Relationship } from '../../domain/relationship.ts';
import type { StoredEnquiry, StoredEvent } from '../../ports/contacts-store.ts';
import type { HeldTopicItem, PersonalDataStore } from '../../ports/personal-data.ts';
import { mapConcurrently } from '../../support/concurrency.ts';
import { retryWithBackOff } from '../../support/retry.ts';
import { batchGetAll } from './batch-get.ts';
import { forgetInRegister, forwardingTo, unsentMailFor } from './erasure-sweeps.ts';
import { queryAll } from './paging.ts';
import { keys } from './table.ts';

type Item = Record<string, unknown>;

/** Items DynamoDB left unprocessed under throttling: tried again with back-off (100 ms doubling to 5 s). */
class UnprocessedError extends Error {
  override readonly name = 'UnprocessedError';
}
const UNPROCESSED = {
  policy: { attempts: 10, baseDelayMs: 100, maxDelayMs: 5000 },
  retryable: (error: unknown) => error instanceof UnprocessedError,
};

/** BatchWriteItem's limit per request. */
const WRITE_BATCH = 25;

export function createPersonalDataStore(db: DynamoDBDocumentClient, tableName: string): PersonalDataStore {
  const partitionOf = (contactId: string) =>
    queryAll(db, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.contact(contactId).pk },
      ConsistentRead: true,
    });

  const getAll = (itemKeys: readonly { pk: string; sk: string }[]) => batchGetAll(db, tableName, itemKeys);

  async function deleteAll(itemKeys: readonly { pk: string; sk: string }[]): Promise<void> {
    const chunks: { pk: string; sk: string }[][] = [];
    for (let start = 0; start < itemKeys.length; start += WRITE_BATCH)
      chunks.push(itemKeys.slice(start, start + WRITE_BATCH));
    await mapConcurrently(chunks, 4, async (chunk) => {
      let pending = chunk.map((Key) => ({ DeleteRequest: { Key } }));
      await retryWithBackOff(async () => {
        const result = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = (result.UnprocessedItems?.[tableName] ?? []) as typeof pending;
        if (pending.length > 0) throw new UnprocessedError('Unprocessed deletions remain');
      }, UNPROCESSED);
    });
  }

  const enquiryRefs = (items: readonly Item[]) =>
    items.filter((item) => String(item.sk).startsWith(keys.enquiryRefPrefix));

  return {
    async findHeld(contactId, suppressionHash) {
      const [items, suppressionResult] = await Promise.all([
        partitionOf(contactId),
        suppressionHash === undefined
          ? { Item: undefined }
          : db.send(
              new GetCommand({
                TableName: tableName,
                Key: keys.suppression(suppressionHash),
                ConsistentRead: true,
              }),
            ),
      ]);
      const profile = items.find((item) => item.sk === keys.contact(contactId).sk);
      const moved = items.find((item) => item.sk === keys.contactMoved(contactId).sk);
      const enquiries = await getAll(enquiryRefs(items).map((ref) => keys.enquiry(String(ref.enquiryId))));
      const suppression = suppressionResult.Item;
      return {
        profile: profile
          ? {
              email: String(profile.email),
              name: optional(profile.name),
              restricted: profile.restricted === true,
              expiresAt: profile.expiresAt as number | undefined,
              relationship: profile.relationship as Relationship | undefined,
            }
          : undefined,
        topics: items
          .filter((item) => String(item.sk).startsWith(keys.topicPrefix))
          .map(
            (item): HeldTopicItem => ({
              topic: String(item.topic),
              status: String(item.status),
              since: String(item.since),
              formId: optional(item.formId),
              statementVersion: optional(item.statementVersion),
              source: optional(item.source),
              expiresAt: Number(item.expiresAt),
            }),
          ),
        history: items
          .filter((item) => String(item.sk).startsWith(keys.consentEventPrefix))
          .map((item) => {
            const { eventType, ...rest } = item as { eventType: HistoryEventType } & Item;
            return { ...(rest as unknown as StoredEvent), type: eventType };
          }),
        enquiries: enquiries.map(
          (item): StoredEnquiry => ({
            enquiryId: String(item.enquiryId),
            formId: String(item.formId),
            receivedAt: String(item.receivedAt),
            fields: (item.fields ?? {}) as Record<string, string>,
            contactId: optional(item.contactId),
            expiresAt: Number(item.expiresAt),
          }),
        ),
        suppression: suppression
          ? {
              all: suppression.all === true,
              topics: (suppression.topics ?? []) as string[],
              reason: optional(suppression.reason),
            }
          : undefined,
        movedTo: optional(moved?.movedTo),
      };
    },

    async erase(contactId, now) {
      const profileKey = keys.contact(contactId);
      let items = await partitionOf(contactId);
      if (items.some((item) => item.sk === profileKey.sk)) {
        // The erasure contract (docs/data-model.md): this MODIFY tells the MailChimp sync to delete the
        // member permanently; only then is anything deleted.
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: profileKey,
            UpdateExpression: 'SET erasedAt = :at',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':at': now.toISOString() },
          }),
        );
        // Anything written between the read and the mark is deleted too.
        items = await partitionOf(contactId);
      }
      const refs = enquiryRefs(items);
      const counts: Record<ErasedKind, number> = {
        contact: 0,
        topics: 0,
        consentEvents: 0,
        enquiries: 0,
        movedLinks: 0,
        deliveryMarkers: 0,
        unsentEmails: 0,
      };
      for (const item of items) {
        const sk = String(item.sk);
        if (sk === profileKey.sk) counts.contact += 1;
        else if (sk.startsWith(keys.topicPrefix)) counts.topics += 1;
        else if (sk.startsWith(keys.consentEventPrefix)) counts.consentEvents += 1;
        else if (sk === keys.contactMoved(contactId).sk) counts.movedLinks += 1;
      }
      const enquiryKeys = refs.map((ref) => keys.enquiry(String(ref.enquiryId)));
      const existing = await getAll(enquiryKeys);
      counts.enquiries = existing.length;
      await deleteAll(existing.map((item) => ({ pk: String(item.pk), sk: String(item.sk) })));
      // Links sent to the person's earlier addresses forward here: those forwards go too.
      const forwarding = await forwardingTo(db, tableName, contactId, items);
      counts.movedLinks += forwarding.movedLinks;
      await deleteAll(forwarding.keys);
      // Their earlier requests stay in the register, naming nobody (the erasure's own is updated after).
      await forgetInRegister(db, tableName, [contactId, ...forwarding.earlierContactIds]);
      // Mail not sent yet names the person (a confirmation, a staff notification of their enquiry).
      const unsent = await unsentMailFor(db, tableName, contactId);
      counts.unsentEmails = unsent.length;
      await deleteAll(unsent);
      // An identical enquiry within minutes must not be answered with one that no longer exists.
      await deleteAll(
        refs.flatMap((ref) => (typeof ref.submission === 'string' ? [keys.submission(ref.submission)] : [])),
      );
      await deleteAll(
        items
          .filter((item) => item.sk !== profileKey.sk)
          .map((item) => ({ pk: String(item.pk), sk: String(item.sk) })),
      );
      // The confirmation-email window is keyed by the contact id: it goes with the rest.
      await deleteAll([keys.confirmationWindow(contactId)]);
      // The profile last: while it exists, the erasure can be retried and finds everything again.
      if (counts.contact > 0) await deleteAll([profileKey]);
      return counts;
    },

    async rectifyEnquiries(contactId, changes) {
      const refs = enquiryRefs(await partitionOf(contactId));
      const enquiries = await getAll(refs.map((ref) => keys.enquiry(String(ref.enquiryId))));
      let changed = 0;
      for (const enquiry of enquiries) {
        const fields = { ...((enquiry.fields ?? {}) as Record<string, string>) };
        let touched = false;
        for (const [field, value] of Object.entries(changes)) {
          // Only a field the enquiry kept is changed: nothing new is collected by a correction.
          if (value === undefined || !(field in fields) || fields[field] === value) continue;
          fields[field] = value;
          touched = true;
        }
        if (!touched) continue;
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.enquiry(String(enquiry.enquiryId)),
            UpdateExpression: 'SET #fields = :fields',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#fields': 'fields' },
            ExpressionAttributeValues: { ':fields': fields },
          }),
        );
        changed += 1;
      }
      return changed;
    },
  };
}

function optional(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
