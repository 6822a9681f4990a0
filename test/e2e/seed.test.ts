/**
 * Seed data against the running local server: `POST /__local/seed` runs a job in the server, `GET` reports
 * it, and what it reports is what the table holds: the marketing lists (gsi1) show exactly the counted
 * people, every item carries the TTL the data model gives it, and expired people go at the next sweep.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import type { SeedStatus } from '../../local/seed.ts';
import { SEED_KINDS, type SeedKind } from '../../local/seed-people.ts';
import { documentClient, scanAll } from '../support/intake.ts';
import { type Item, outbox } from '../support/local-server.ts';

const baseUrl = inject('baseUrl');
const tableName = inject('tableName');
const db = documentClient(inject('dynamoDbEndpoint'));
afterAll(() => db.destroy());

const SEED = 4040;
const PEOPLE = 300;
/** Seeded addresses carry the seed, so this file's people are told apart from every other test's. */
const SEEDED_EMAIL = new RegExp(`\\.${SEED}\\.\\d+@example\\.(com|org|net)$`);

const seed = (body: unknown) =>
  fetch(`${baseUrl}/__local/seed`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

async function status(): Promise<SeedStatus> {
  const response = await fetch(`${baseUrl}/__local/seed`);
  expect(response.status).toBe(200);
  return (await response.json()) as SeedStatus;
}

/** The topic items a marketing list query returns for `topic` and `basis`, unexpired at `nowSeconds`. */
async function listed(topic: string, basis: string, nowSeconds: number): Promise<Item[]> {
  const items: Item[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :topic AND begins_with(gsi1sk, :basis)',
        ExpressionAttributeValues: { ':topic': `TOPIC#${topic}`, ':basis': `${basis}#` },
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []).filter((item) => Number(item.expiresAt) > nowSeconds));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

const isSeeded = (item: Item) => typeof item.email === 'string' && SEEDED_EMAIL.test(item.email);

describe('seed data in the local server', () => {
  it('writes the people it reports, as the lists, the TTLs and the sweeper expect', async () => {
    const started = await seed({ contacts: PEOPLE, seed: SEED });
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe('/__local/seed');
    await vi.waitFor(async () => expect((await status()).state).toBe('done'), {
      timeout: 20_000,
      interval: 200,
    });

    const done = await status();
    expect(done).toMatchObject({ state: 'done', seed: SEED, requested: PEOPLE, people: PEOPLE });
    const kinds = done.kinds as Record<SeedKind, number>;
    expect(Object.keys(kinds).sort()).toEqual([...SEED_KINDS].sort());
    expect(Object.values(kinds).reduce((sum, count) => sum + count, 0)).toBe(PEOPLE);
    for (const kind of SEED_KINDS) expect(kinds[kind], kind).toBeGreaterThan(0);
    const asOf = Math.floor(Date.parse(done.asOf ?? '') / 1000);

    // Each marketing list shows exactly the people counted for it.
    for (const [topic, bases] of Object.entries(done.mailable ?? {}))
      for (const [basis, count] of Object.entries(bases))
        expect((await listed(topic, basis, asOf)).filter(isSeeded), `${topic} ${basis}`).toHaveLength(count);

    const items = await scanAll(db, tableName);
    const profiles = items.filter((item) => item.type === 'contact' && isSeeded(item));
    const ids = new Set(profiles.map((item) => `CONTACT#${item.contactId}`));
    const partitions = items.filter((item) => ids.has(String(item.pk)));
    const enquiries = items.filter(
      (item) => item.type === 'enquiry' && SEEDED_EMAIL.test(String((item.fields as Item).email)),
    );
    expect(enquiries).toHaveLength(done.enquiries ?? -1);

    // Every item holding personal data expires; suppression entries and statements never do.
    const types = new Set(partitions.map((item) => item.type));
    // Enquiry references too, as the intake writes them, so a person's enquiries are found by address.
    expect(types).toEqual(new Set(['contact', 'topic', 'consent_event', 'enquiry_ref']));
    for (const item of [...partitions, ...enquiries])
      expect(item.expiresAt, String(item.sk)).toEqual(expect.any(Number));
    for (const item of items.filter((item) => item.type === 'suppression' || item.type === 'statement'))
      expect(item).not.toHaveProperty('expiresAt');

    // Restricted people are kept, with their permissions out of every list.
    const restricted = profiles.filter((item) => item.restricted === true);
    expect(restricted).toHaveLength(kinds.restricted);
    for (const profile of restricted)
      for (const topic of partitions.filter(
        (item) => item.pk === `CONTACT#${profile.contactId}` && item.type === 'topic',
      )) {
        expect(topic.restricted).toBe(true);
        expect(topic).not.toHaveProperty('gsi1pk');
      }

    // Expired people are past their TTL: the next sweep deletes them, as DynamoDB's TTL would.
    const swept = await fetch(`${baseUrl}/__local/clock`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ advanceDays: 0 }),
    });
    expect(swept.status).toBe(200);
    const live = (await scanAll(db, tableName)).filter((item) => item.type === 'contact' && isSeeded(item));
    expect(live).toHaveLength(PEOPLE - kinds.expired - kinds.refused);

    // Seeding sends no email.
    expect((await outbox(baseUrl)).filter((email) => SEEDED_EMAIL.test(email.to))).toEqual([]);

    // The same seed again would overwrite its own people without conditions.
    const again = await seed({ contacts: 10, seed: SEED });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({
      message: `Seed ${SEED} has already been written to this table: choose another seed`,
    });
  });

  it('refuses a request without a sensible count', async () => {
    for (const body of [{}, { contacts: 0 }, { contacts: 1_000_001 }, { contacts: 10, seed: -1 }]) {
      const response = await seed(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/^Send \{"contacts": N/);
    }
  });
});
