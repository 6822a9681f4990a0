/**
 * The relationship on a contact's profile item (`relationship`: basis, reference, since, details). A new
 * person gets a profile with no topic items, so nothing reaches the list index or MailChimp; a person
 * already held keeps every permission and only gains (or updates) the relationship. Conditional writes:
 * a new profile only where none is live, an update only at the version read.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../domain/errors.ts';
import type { Relationship } from '../../domain/relationship.ts';
import { isExpired, toEpochSeconds } from '../../domain/retention.ts';
import type { RelationshipStore } from '../../ports/relationships.ts';
import { keys } from './table.ts';

interface ProfileItem {
  readonly version: number;
  readonly expiresAt?: number;
  readonly relationship?: Relationship;
}

export function createRelationshipStore(db: DynamoDBDocumentClient, tableName: string): RelationshipStore {
  const readProfile = async (contactId: string, now: Date) => {
    const { Item } = await db.send(
      new GetCommand({ TableName: tableName, Key: keys.contact(contactId), ConsistentRead: true }),
    );
    const profile = Item as ProfileItem | undefined;
    return profile && !isExpired(profile.expiresAt, now) ? profile : undefined;
  };
  const conflict = (error: unknown) => {
    if (error instanceof ConditionalCheckFailedException) throw new ConflictError({ cause: error });
    throw error;
  };

  return {
    async record({ now, contactId, email, name, relationship, expiresAt }) {
      const at = now.toISOString();
      const profile = await readProfile(contactId, now);
      if (!profile) {
        await db
          .send(
            new PutCommand({
              TableName: tableName,
              Item: {
                ...keys.contact(contactId),
                type: 'contact',
                contactId,
                email,
                name,
                createdAt: at,
                updatedAt: at,
                lastInteractionAt: at,
                version: 1,
                epoch: 0,
                expiresAt,
                source: 'relationship',
                relationship,
              },
              // A new profile may replace only an expired one that DynamoDB has not deleted yet.
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
              ExpressionAttributeValues: { ':now': toEpochSeconds(now) },
            }),
          )
          .catch(conflict);
        return { created: true };
      }
      await db
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.contact(contactId),
            UpdateExpression:
              'SET relationship = :relationship, updatedAt = :at, version = :next, expiresAt = :expiresAt' +
              (name === undefined ? '' : ', #name = :name'),
            ConditionExpression: 'version = :seen',
            ExpressionAttributeNames: name === undefined ? undefined : { '#name': 'name' },
            ExpressionAttributeValues: {
              ':relationship': {
                ...relationship,
                // Updating the details keeps when the relationship began.
                since: profile.relationship?.since ?? relationship.since,
              },
              ':at': at,
              ':next': profile.version + 1,
              ':seen': profile.version,
              ':expiresAt': Math.max(profile.expiresAt ?? 0, expiresAt),
              ...(name === undefined ? {} : { ':name': name }),
            },
          }),
        )
        .catch(conflict);
      return { created: false };
    },

    async read(contactId, now) {
      return (await readProfile(contactId, now))?.relationship;
    },

    async correct(contactId, details, now) {
      const profile = await readProfile(contactId, now);
      const relationship = profile?.relationship;
      if (!profile || !relationship) return false;
      const corrected = Object.fromEntries(
        Object.entries(details).filter(
          ([field, value]) => value !== undefined && field in relationship.details,
        ),
      );
      if (Object.keys(corrected).length === 0) return true;
      await db
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.contact(contactId),
            UpdateExpression: 'SET relationship = :relationship, version = :next, updatedAt = :at',
            ConditionExpression: 'version = :seen',
            ExpressionAttributeValues: {
              ':relationship': { ...relationship, details: { ...relationship.details, ...corrected } },
              ':next': profile.version + 1,
              ':seen': profile.version,
              ':at': now.toISOString(),
            },
          }),
        )
        .catch(conflict);
      return true;
    },

    async end(contactId, now) {
      const profile = await readProfile(contactId, now);
      if (!profile?.relationship) return false;
      await db
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.contact(contactId),
            UpdateExpression: 'REMOVE relationship SET version = :next, updatedAt = :at',
            ConditionExpression: 'version = :seen',
            ExpressionAttributeValues: {
              ':next': profile.version + 1,
              ':seen': profile.version,
              ':at': now.toISOString(),
            },
          }),
        )
        .catch(conflict);
      return true;
    },
  };
}
