/**
 * Decoding the table's stream: a DynamoDB stream record of a contact's profile or topic item becomes a
 * `ContactItemChanged`; records of any other item are left out.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { ContactItemChanged, ContactItemImage } from '../../ports/contacts-store.ts';
import { keys } from './table.ts';

/** DynamoDB's identity on the REMOVE records of TTL deletions. */
const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';
const CONTACT_PREFIX = keys.contact('').pk;
const PROFILE_SK = keys.contact('').sk;

const KINDS = { INSERT: 'insert', MODIFY: 'modify', REMOVE: 'remove' } as const;

type StreamImage = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;

export function decodeContactChanges(records: readonly DynamoDBRecord[]): ContactItemChanged[] {
  return records.flatMap((record) => {
    const change = decodeContactChange(record);
    return change ? [change] : [];
  });
}

export function decodeContactChange(record: DynamoDBRecord): ContactItemChanged | undefined {
  const stream = record.dynamodb;
  const streamKeys = stream?.Keys ? toItem(stream.Keys) : undefined;
  // Other items' images are never decoded: one this decoder cannot read must not fail a contact's batch.
  const keyed = text(streamKeys?.pk);
  if (keyed !== undefined && !keyed.startsWith(CONTACT_PREFIX)) return undefined;
  const before = stream?.OldImage ? toItem(stream.OldImage) : undefined;
  const after = stream?.NewImage ? toItem(stream.NewImage) : undefined;
  const pk = text(streamKeys?.pk) ?? text((after ?? before)?.pk);
  const sk = text(streamKeys?.sk) ?? text((after ?? before)?.sk);
  if (!pk?.startsWith(CONTACT_PREFIX) || sk === undefined || !record.eventName) return undefined;
  const kind = KINDS[record.eventName];
  return {
    recordId: stream?.SequenceNumber,
    contactId: pk.slice(CONTACT_PREFIX.length),
    item: sk === PROFILE_SK ? 'profile' : sk.startsWith(keys.topicPrefix) ? 'topic' : 'other',
    kind,
    expired: kind === 'remove' && record.userIdentity?.principalId === TTL_PRINCIPAL,
    changedAt: changedAt(after, stream?.ApproximateCreationDateTime),
    before: before && toImage(before),
    after: after && toImage(after),
  };
}

/**
 * When the change was made (epoch ms): the profile's own `updatedAt` (milliseconds, written with every
 * change), else when the stream took the record (whole seconds).
 */
function changedAt(after: Record<string, unknown> | undefined, streamSeconds: number | undefined) {
  const updatedAt = Date.parse(text(after?.updatedAt) ?? '');
  if (Number.isFinite(updatedAt)) return updatedAt;
  return streamSeconds === undefined ? undefined : streamSeconds * 1000;
}

function toItem(image: StreamImage): Record<string, unknown> {
  // aws-lambda and the SDK describe the same wire format with two declarations.
  // Numbers stay wrapped: none is needed here, and an out-of-range one must not fail the batch.
  return unmarshall(image as Record<string, AttributeValue>, { wrapNumbers: true });
}

function toImage(item: Record<string, unknown>): ContactItemImage {
  return {
    email: text(item.email),
    source: text(item.source),
    restricted: item.restricted === true,
    erased: item.erasedAt !== undefined,
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
