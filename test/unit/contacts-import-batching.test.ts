/**
 * How the bulk import talks to DynamoDB: BatchWriteItem with at most 25 puts a request, a bounded number
 * of requests in flight, and unprocessed items retried with back-off until they are written.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { decideChange } from '../../shared/domain/contact-change.ts';
import type { ContactWrite } from '../../shared/ports/contacts-store.ts';
import { runtimeConfig } from '../support/config.ts';

const TABLE = 'ConsentDesk';
const NOW = new Date('2026-11-22T10:00:00Z');
const config = runtimeConfig();
const dynamo = mockClient(DynamoDBDocumentClient);
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' }));
const repository = createContactsRepository(db, TABLE);

beforeEach(() => dynamo.reset());
afterEach(() => vi.useRealTimers());

/** A new soft opt-in: a profile, a topic and an event, plus the statement every one of them shares. */
function softOptIn(index: number): ContactWrite {
  const change = decideChange(
    { contact: undefined, topics: new Map(), suppression: undefined },
    [{ type: 'soft_opt_in_granted', topic: 'offers' }],
    {
      now: NOW,
      retention: config.retention,
      allTopics: ['newsletter', 'offers'],
      source: 'form',
      actor: 'visitor',
      formId: 'quote',
      statement: { version: '1', text: 'We may email you about similar services.' },
      newEventId: randomUUID,
    },
  );
  return {
    now: NOW,
    contactId: `contact-${index}`,
    suppressionHash: `suppression-${index}`,
    email: `person.${index}@example.com`,
    snapshot: { contact: undefined, topics: new Map(), suppression: undefined },
    change,
    source: 'form',
  };
}

const requestsOf = (input: BatchWriteCommandInput) => input.RequestItems?.[TABLE] ?? [];
const keyOf = (request: { PutRequest?: { Item?: Record<string, unknown> } }) =>
  `${request.PutRequest?.Item?.pk}|${request.PutRequest?.Item?.sk}`;

describe('importNew batching', () => {
  it('puts every item once, 25 a request, a few requests at a time', async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    dynamo.on(BatchWriteCommand).callsFake(async () => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return { UnprocessedItems: {} };
    });

    const result = await repository.importNew({
      contacts: Array.from({ length: 60 }, (_, i) => softOptIn(i)),
    });

    expect(result.items).toBe(60 * 3 + 1);
    const calls = dynamo.commandCalls(BatchWriteCommand).map((call) => requestsOf(call.args[0].input));
    expect(calls).toHaveLength(Math.ceil(181 / 25));
    for (const requests of calls) {
      expect(requests.length).toBeLessThanOrEqual(25);
      // Puts only, with no condition: nothing else can be said in a batch write.
      for (const request of requests) expect(Object.keys(request)).toEqual(['PutRequest']);
    }
    const keys = calls.flat().map(keyOf);
    expect(new Set(keys).size).toBe(181);
    expect(keys.filter((key) => key.startsWith('STATEMENT#'))).toHaveLength(1);
    expect(mostInFlight).toBeGreaterThan(1);
    expect(mostInFlight).toBeLessThanOrEqual(4);
  });

  it('retries what DynamoDB leaves unprocessed, after a pause', async () => {
    vi.useFakeTimers();
    let left: unknown[] = [];
    dynamo
      .on(BatchWriteCommand)
      .callsFakeOnce(async (input: BatchWriteCommandInput) => {
        left = requestsOf(input).slice(0, 2);
        return { UnprocessedItems: { [TABLE]: left } };
      })
      .resolves({ UnprocessedItems: {} });

    const done = repository.importNew({ contacts: [softOptIn(1)] });
    await vi.advanceTimersByTimeAsync(0);
    expect(dynamo.commandCalls(BatchWriteCommand)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    await done;

    const calls = dynamo.commandCalls(BatchWriteCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1] && requestsOf(calls[1].args[0].input)).toEqual(left);
  });

  it('gives up, naming how many items are left, when DynamoDB keeps refusing', async () => {
    vi.useFakeTimers();
    dynamo.on(BatchWriteCommand).callsFake(async (input: BatchWriteCommandInput) => ({
      UnprocessedItems: { [TABLE]: requestsOf(input) },
    }));

    const done = repository.importNew({ contacts: [softOptIn(1)] });
    const outcome = expect(done).rejects.toThrow('DynamoDB left 4 items unprocessed after 10 attempts');
    await vi.advanceTimersByTimeAsync(60_000);
    await outcome;
    expect(dynamo.commandCalls(BatchWriteCommand)).toHaveLength(10);
  });
});
