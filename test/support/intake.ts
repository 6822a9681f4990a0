/**
 * Builds the submit-enquiry use case around a real table, a recording mailer and a controllable clock.
 * Every write's queued emails are sent at once by the mailer's use case, as the stream would a moment later
 * (`sendingAtOnce`, which the register's tests use too).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS } from '../../local/dynamodb.ts';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { confirmationWindows, dynamoMailQueue, dynamoOutbox } from '../../shared/adapters/dynamodb/outbox.ts';
import { createRequestRegister } from '../../shared/adapters/dynamodb/subject-requests.ts';
import { submissions } from '../../shared/adapters/dynamodb/submissions.ts';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import type { RuntimeConfig } from '../../shared/config/schema.ts';
import { createEmailHasher } from '../../shared/domain/hashing.ts';
import { parseKeyRing } from '../../shared/domain/tokens.ts';
import type { ContactsRepository } from '../../shared/ports/contacts-store.ts';
import type { MailQueue, OutgoingEmail, QueuedMessage } from '../../shared/ports/mailer.ts';
import type { RequestRegister } from '../../shared/ports/subject-requests.ts';
import { type SendQueuedEmailsDeps, sendQueuedEmails } from '../../shared/use-cases/send-queued-emails.ts';
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
  const clock = { now: new Date('2026-11-22T10:00:00Z') };
  const linkKeys = async () => parseKeyRing(TEST_KEY_RING);
  const { sent, contacts } = sendingAtOnce(db, tableName, config, () => clock.now);
  const deps: SubmitEnquiryDeps = {
    config,
    contacts,
    emailHasher: async () => createEmailHasher(TEST_HASH_KEY),
    confirmationWindows: confirmationWindows(db, tableName),
    submissions: submissions(db, tableName),
    turnstile: undefined,
    clock: () => clock.now,
    newId: randomUUID,
  };
  return { deps, sent, clock, linkKeys, hasher: createEmailHasher(TEST_HASH_KEY) };
}

/**
 * A recording mailer behind the real outbox, and the stores that queue emails wrapped so that each write's
 * emails are sent by the mailer's use case as soon as it lands, as the stream would a moment later.
 */
export function sendingAtOnce(
  db: DynamoDBDocumentClient,
  tableName: string,
  config: RuntimeConfig,
  clock: () => Date,
) {
  const sent: OutgoingEmail[] = [];
  const mail: SendQueuedEmailsDeps = {
    outbox: dynamoOutbox(db, tableName),
    mailer: { send: async (email: OutgoingEmail) => void sent.push(email) },
    linkKeys: async () => parseKeyRing(TEST_KEY_RING),
    organisation: config.organisation.name,
    clock,
  };
  const deliver = async (outbox: readonly QueuedMessage[] = []) => {
    const report = await sendQueuedEmails(
      mail,
      outbox.map((queued) => queued.id),
    );
    if (report.failedFrom !== undefined) throw new Error('A queued email could not be sent');
  };
  const contactStore = createContactsRepository(db, tableName);
  const contacts: ContactsRepository = {
    ...contactStore,
    async write(write) {
      await contactStore.write(write);
      await deliver(write.outbox);
    },
  };
  const registerStore = createRequestRegister(db, tableName);
  const register: RequestRegister = {
    ...registerStore,
    async add(entry, expiresAt, outbox) {
      await registerStore.add(entry, expiresAt, outbox);
      await deliver(outbox);
    },
    async replace(entry, seenVersion, expiresAt, outbox) {
      await registerStore.replace(entry, seenVersion, expiresAt, outbox);
      await deliver(outbox);
    },
  };
  const queue = dynamoMailQueue(db, tableName);
  const mailQueue: MailQueue = {
    async queue(messages) {
      await queue.queue(messages);
      await deliver(messages);
    },
  };
  return { sent, mail, contacts, register, mailQueue };
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
