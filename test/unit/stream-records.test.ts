/** Decoding the table's stream into contact-item changes: only contact items, keys from either image. */
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { decodeContactChange, decodeContactChanges } from '../../shared/adapters/dynamodb/stream-records.ts';

const profileKeys = { pk: { S: 'CONTACT#abc' }, sk: { S: 'PROFILE' } };

describe('decodeContactChange', () => {
  it('decodes a profile update with both images', () => {
    const record: DynamoDBRecord = {
      eventName: 'MODIFY',
      dynamodb: {
        SequenceNumber: '42',
        Keys: profileKeys,
        OldImage: { ...profileKeys, email: { S: 'old@example.com' }, version: { N: '1' } },
        NewImage: {
          ...profileKeys,
          email: { S: 'new@example.com' },
          source: { S: 'mailchimp' },
          restricted: { BOOL: true },
          erasedAt: { S: '2026-11-22T10:00:00Z' },
          version: { N: '2' },
        },
      },
    };
    expect(decodeContactChange(record)).toEqual({
      recordId: '42',
      contactId: 'abc',
      item: 'profile',
      kind: 'modify',
      expired: false,
      before: { email: 'old@example.com', source: undefined, restricted: false, erased: false },
      after: { email: 'new@example.com', source: 'mailchimp', restricted: true, erased: true },
    });
  });

  it('skips other items by their keys without decoding their images, even ones it could not decode', () => {
    // An attribute value with no type, as a local stream may write an empty map: unmarshall throws on it.
    const unreadable = { filter: {} } as unknown as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'];
    const audit: DynamoDBRecord = {
      eventName: 'INSERT',
      dynamodb: { Keys: { pk: { S: 'AUDIT#2026-12' }, sk: { S: 'x' } }, NewImage: unreadable },
    };
    expect(decodeContactChange(audit)).toBeUndefined();
    const contact: DynamoDBRecord = {
      eventName: 'MODIFY',
      dynamodb: { Keys: profileKeys, NewImage: { ...profileKeys, email: { S: 'a@example.com' } } },
    };
    expect(decodeContactChanges([audit, contact]).map((change) => change.contactId)).toEqual(['abc']);
  });

  it("dates the change by the profile's updatedAt, else by when the stream took the record", () => {
    const record = (image: DynamoDBRecord['dynamodb']): DynamoDBRecord => ({
      eventName: 'MODIFY',
      dynamodb: image,
    });
    const profile = record({
      Keys: profileKeys,
      ApproximateCreationDateTime: 1_795_000_000,
      NewImage: { ...profileKeys, updatedAt: { S: '2026-11-22T10:00:00.123Z' } },
    });
    expect(decodeContactChange(profile)?.changedAt).toBe(Date.parse('2026-11-22T10:00:00.123Z'));
    const topic = record({
      Keys: { pk: { S: 'CONTACT#abc' }, sk: { S: 'TOPIC#news' } },
      ApproximateCreationDateTime: 1_795_000_000,
      NewImage: { pk: { S: 'CONTACT#abc' }, sk: { S: 'TOPIC#news' } },
    });
    expect(decodeContactChange(topic)?.changedAt).toBe(1_795_000_000_000);
    expect(decodeContactChange(record({ Keys: profileKeys }))?.changedAt).toBeUndefined();
  });

  it('marks a removal by the TTL as expired, and only that', () => {
    const removal = (principalId?: string): DynamoDBRecord => ({
      eventName: 'REMOVE',
      ...(principalId ? { userIdentity: { type: 'Service', principalId } } : {}),
      dynamodb: { Keys: profileKeys, OldImage: { ...profileKeys, email: { S: 'a@example.com' } } },
    });
    expect(decodeContactChange(removal('dynamodb.amazonaws.com'))).toMatchObject({
      kind: 'remove',
      expired: true,
      after: undefined,
    });
    expect(decodeContactChange(removal())).toMatchObject({ kind: 'remove', expired: false });
  });

  it('names topic and other contact items, and leaves out every other item', () => {
    const record = (pk: string, sk: string): DynamoDBRecord => ({
      eventName: 'INSERT',
      dynamodb: { NewImage: { pk: { S: pk }, sk: { S: sk } } },
    });
    expect(decodeContactChange(record('CONTACT#abc', 'TOPIC#news'))).toMatchObject({
      contactId: 'abc',
      item: 'topic',
      kind: 'insert',
      before: undefined,
    });
    expect(decodeContactChange(record('CONTACT#abc', 'EVENT#2026'))).toMatchObject({ item: 'other' });
    expect(
      decodeContactChanges([record('ENQUIRY#1', 'ENQUIRY'), record('SUPPRESSION#x', 'SUPPRESSION')]),
    ).toEqual([]);
  });
});
