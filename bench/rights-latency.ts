/**
 * Data-subject rights on DynamoDB Local: the latency of an access request (the bundle gathered and
 * stored) and of an erasure, for a person with 50 enquiries and 100 consent events, through the register's
 * use cases with the real adapters.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTable, LOCAL_AWS, LOCAL_TABLE_NAME, startDynamoDbLocal } from '../local/dynamodb.ts';
import { createContactsRepository } from '../shared/adapters/dynamodb/contacts-store.ts';
import { confirmationWindows, dynamoMailQueue } from '../shared/adapters/dynamodb/outbox.ts';
import { createPersonalDataStore } from '../shared/adapters/dynamodb/personal-data.ts';
import { createRelationshipStore } from '../shared/adapters/dynamodb/relationships.ts';
import { createStaffReads } from '../shared/adapters/dynamodb/staff-reads.ts';
import { createRequestRegister } from '../shared/adapters/dynamodb/subject-requests.ts';
import { submissions } from '../shared/adapters/dynamodb/submissions.ts';
import { keys } from '../shared/adapters/dynamodb/table.ts';
import { signedPageCursors } from '../shared/adapters/page-cursors.ts';
import { parseAppConfig, toRuntimeConfig } from '../shared/config/schema.ts';
import { createEmailHasher } from '../shared/domain/hashing.ts';
import { parseKeyRing } from '../shared/domain/tokens.ts';
import type { StaffRequest } from '../shared/use-cases/staff-api.ts';
import { type RightsDeps, receiveSubjectRequest } from '../shared/use-cases/subject-requests.ts';
import { submitEnquiry } from '../shared/use-cases/submit-enquiry.ts';
import { median } from './stats.ts';

export interface RightsLatencyResult {
  readonly enquiries: number;
  readonly consentEvents: number;
  readonly people: number;
  readonly accessMsMedian: number;
  readonly erasureMsMedian: number;
}

const DYNAMODB_PORT = 8193;
const ENQUIRIES = 50;
const EVENTS = 100;

export async function measureRightsLatency(people = 5): Promise<RightsLatencyResult> {
  const dynamo = await startDynamoDbLocal({ port: DYNAMODB_PORT });
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  try {
    await createTable(client, LOCAL_TABLE_NAME);
    const config = toRuntimeConfig(
      parseAppConfig(JSON.parse(readFileSync('consent-desk.config.json', 'utf8'))),
    );
    const hasher = createEmailHasher('bench-email-hash-key-0123456789abcdef0123456789');
    const ring = parseKeyRing(
      JSON.stringify({ current: 'k1', k1: 'bench-link-signing-key-0123456789abcdef' }),
    );
    const deps: RightsDeps = {
      config,
      mailchimpInUse: true,
      register: createRequestRegister(db, LOCAL_TABLE_NAME),
      personalData: createPersonalDataStore(db, LOCAL_TABLE_NAME),
      relationships: createRelationshipStore(db, LOCAL_TABLE_NAME),
      contacts: createContactsRepository(db, LOCAL_TABLE_NAME),
      reads: createStaffReads(db, LOCAL_TABLE_NAME),
      emailHasher: async () => hasher,
      linkKeys: async () => ring,
      cursors: signedPageCursors(async () => ring),
      mailQueue: dynamoMailQueue(db, LOCAL_TABLE_NAME),
      clock: () => new Date(),
      newId: randomUUID,
    };
    const staff: StaffRequest = {
      identity: { subject: 'bench', username: 'bench', groups: ['privacy'] },
      method: 'POST',
      route: '/subject-requests',
      requestId: undefined,
      format: 'json',
    };
    const access: number[] = [];
    const erasure: number[] = [];
    for (let person = 0; person < people; person++) {
      const email = `bench-rights-${person}-${randomUUID().slice(0, 8)}@example.com`;
      await seedPerson(db, deps, email, hasher.contactId(email));
      for (const [type, times] of [
        ['access', access],
        ['erasure', erasure],
      ] as const) {
        const started = performance.now();
        await receiveSubjectRequest(
          deps,
          staff,
          { type, email, channel: 'email', identity: { verified: true, method: 'bench' } },
          'http://127.0.0.1',
        );
        times.push(performance.now() - started);
      }
    }
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return {
      enquiries: ENQUIRIES,
      consentEvents: EVENTS,
      people,
      accessMsMedian: round(median(access)),
      erasureMsMedian: round(median(erasure)),
    };
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}

/** 50 enquiries through the real intake (soft opt-in), then consent events up to 100 in all. */
async function seedPerson(db: DynamoDBDocumentClient, deps: RightsDeps, email: string, contactId: string) {
  for (let n = 0; n < ENQUIRIES; n++) {
    await submitEnquiry(
      {
        ...deps,
        turnstile: undefined,
        confirmationWindows: confirmationWindows(db, LOCAL_TABLE_NAME),
        submissions: submissions(db, LOCAL_TABLE_NAME),
      },
      {
        fields: new Map([
          ['form', ['quote']],
          ['name', ['Bench Person']],
          ['email', [email]],
          ['message', [`Quote ${n}`]],
        ]),
        method: 'json',
        page: 'https://www.example.co.uk/quote',
        baseUrl: 'http://127.0.0.1',
      },
    );
  }
  const at = Date.now();
  const events = Array.from({ length: EVENTS }, (_, n) => ({
    PutRequest: {
      Item: {
        ...keys.consentEvent(contactId, new Date(at - (EVENTS - n) * 60_000).toISOString(), 1, n),
        type: 'consent_event',
        contactId,
        eventId: randomUUID(),
        eventType: n % 2 === 0 ? 'soft_opt_in_granted' : 'withdrawn',
        topic: 'offers',
        source: 'form',
        actor: 'visitor',
        at: new Date(at - (EVENTS - n) * 60_000).toISOString(),
        expiresAt: Math.floor(at / 1000) + 86_400 * 365,
      },
    },
  }));
  for (let start = 0; start < events.length; start += 25) {
    await db.send(
      new BatchWriteCommand({ RequestItems: { [LOCAL_TABLE_NAME]: events.slice(start, start + 25) } }),
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await measureRightsLatency(), null, 2));
}
