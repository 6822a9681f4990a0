/** Builds the submit-enquiry use case around a real table, a recording mailer and a controllable clock. */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS } from '../../local/dynamodb.ts';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import type { RuntimeConfig } from '../../shared/config/schema.ts';
import { createEmailHasher } from '../../shared/domain/hashing.ts';
import { parseKeyRing } from '../../shared/domain/tokens.ts';
import type { OutgoingEmail } from '../../shared/ports/mailer.ts';
import type { SubmitEnquiryDeps } from '../../shared/use-cases/submit-enquiry.ts';
import { runtimeConfig, TEST_HASH_KEY, TEST_KEY_RING } from './config.ts';

export function documentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, ...LOCAL_AWS }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function intakeHarness(
  db: DynamoDBDocumentClient,
  tableName: string,
  config: RuntimeConfig = runtimeConfig(),
) {
  const sent: OutgoingEmail[] = [];
  const clock = { now: new Date('2026-11-22T10:00:00Z') };
  const deps: SubmitEnquiryDeps = {
    config,
    contacts: createContactsRepository(db, tableName),
    linkKeys: async () => parseKeyRing(TEST_KEY_RING),
    emailHasher: async () => createEmailHasher(TEST_HASH_KEY),
    mailer: { send: async (email) => void sent.push(email) },
    turnstile: undefined,
    clock: () => clock.now,
    newId: randomUUID,
  };
  return { deps, sent, clock, hasher: createEmailHasher(TEST_HASH_KEY) };
}

/** Every item of a contact's partition (profile, topics, events), read consistently, in key order. */
export async function contactItems(
  db: DynamoDBDocumentClient,
  tableName: string,
  contactId: string,
): Promise<Record<string, unknown>[]> {
  const result = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.contact(contactId).pk },
      ConsistentRead: true,
    }),
  );
  return result.Items ?? [];
}

export async function scanAll(
  db: DynamoDBDocumentClient,
  tableName: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

export function fields(record: Record<string, string | string[]>): Map<string, string[]> {
  return new Map(
    Object.entries(record).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]),
  );
}

export function uniqueEmail(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.com`;
}
