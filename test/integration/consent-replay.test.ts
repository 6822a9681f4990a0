import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import { replay, type Suppression } from '../../shared/domain/consent.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { runtimeConfig } from '../support/config.ts';
import { documentClient, fields, intakeHarness, uniqueEmail } from '../support/intake.ts';

const db = documentClient(inject('dynamoDbEndpoint'));
const tableName = inject('tableName');
const contacts = createContactsRepository(db, tableName);
afterAll(() => db.destroy());

/** The example config with the contact form giving consent at once (no double opt-in), for both topics. */
const config = runtimeConfig({
  forms: runtimeConfig().forms.map((form) =>
    form.marketing.mode === 'consent'
      ? { ...form, marketing: { ...form.marketing, confirmation: 'none', topics: ['newsletter', 'offers'] } }
      : form,
  ),
});
const allTopics = config.topics.map((topic) => topic.id);

async function storedTopics(contactId: string): Promise<Map<string, unknown>> {
  const result = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :topics)',
      ExpressionAttributeValues: { ':pk': keys.contact(contactId).pk, ':topics': keys.topicPrefix },
      ConsistentRead: true,
    }),
  );
  return new Map((result.Items ?? []).map((item) => [item.topic, item.status]));
}

const comparable = (suppression: Suppression | undefined) => ({
  all: suppression?.all ?? false,
  topics: [...(suppression?.topics ?? [])].sort(),
});

describe('consent history against DynamoDB Local', () => {
  it('replays to exactly the stored permissions and suppression after every submission', async () => {
    const harness = intakeHarness(db, tableName, config);
    const email = uniqueEmail('replay');
    const contactId = harness.hasher.contactId(email);
    const suppressionHash = harness.hasher.suppressionHash(email);
    const consent = (topics: string[]) => ({ form: 'contact', marketing_consent: 'yes', topics });
    const quote = { form: 'quote' };
    const optOut = { form: 'quote', marketing_opt_out: 'yes' };
    const submissions = [
      consent(['newsletter']),
      quote,
      optOut,
      quote, // refused: soft opt-in never follows the refusal
      consent(['offers']),
      optOut,
      consent(['newsletter', 'offers']),
      optOut,
    ];

    for (const [index, submission] of submissions.entries()) {
      harness.clock.now = new Date(Date.parse('2026-11-22T10:00:00Z') + index * 3_600_000);
      await submitEnquiry(harness.deps, {
        fields: fields({ name: 'Ada', email, message: `Enquiry ${index + 1}`, ...submission }),
        method: 'html_form',
        page: 'https://www.example.co.uk/contact',
        baseUrl: 'http://localhost:3000',
      });

      const replayed = replay(await contacts.readHistory(contactId), allTopics);
      expect(replayed.topics).toEqual(await storedTopics(contactId));
      expect(comparable(replayed.suppression)).toEqual(
        comparable(await contacts.readSuppression(suppressionHash)),
      );
    }

    const history = await contacts.readHistory(contactId);
    expect(history.map((event) => [event.type, event.topic, event.liftedSuppression])).toEqual([
      ['consent_given', 'newsletter', false],
      ['soft_opt_in_granted', 'offers', false],
      ['withdrawn', 'offers', false],
      ['consent_given', 'offers', true],
      ['withdrawn', 'offers', false],
      ['consent_given', 'newsletter', false],
      ['consent_given', 'offers', true],
      ['withdrawn', 'offers', false],
    ]);
    expect(await storedTopics(contactId)).toEqual(
      new Map([
        ['newsletter', 'consent'],
        ['offers', 'withdrawn'],
      ]),
    );
    expect(await contacts.readSuppression(suppressionHash)).toMatchObject({
      all: false,
      topics: new Set(['offers']),
    });
  });
});
