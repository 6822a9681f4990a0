import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { parseKeyRing, signToken } from '../../shared/domain/tokens.ts';
import { confirm, type LinkDeps, unsubscribe } from '../../shared/use-cases/links.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { lambdaContext, restEvent } from '../handler/events.ts';
import { runtimeConfig, TEST_KEY_RING } from '../support/config.ts';
import { stubLocalFunctionEnv } from '../support/function-env.ts';
import { documentClient, fields, intakeHarness, scanAll, uniqueEmail } from '../support/intake.ts';

const NOW = new Date('2026-11-22T10:00:00Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const BASE_URL = 'https://api.example.co.uk/v1';
const endpoint = inject('dynamoDbEndpoint');
const tableName = `${inject('tableName')}Staff`;
const db = documentClient(endpoint);
const ring = parseKeyRing(TEST_KEY_RING);

type Handler = (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;
let handler: Handler;

/** Contact ids by the state they were put in. */
const people = new Map<string, string>();
/** Everyone who may be emailed about `offers` now (soft opt-in), beyond the labelled people. */
const crowd: string[] = [];

function staffEvent(options: {
  path: string;
  resource: string;
  groups?: string;
  accept?: string;
  query?: Record<string, string>;
  pathParameters?: Record<string, string>;
}): APIGatewayProxyEvent {
  const search = new URLSearchParams(options.query ?? {}).toString();
  const event = restEvent({
    method: 'GET',
    path: `${options.path}${search ? `?${search}` : ''}`,
    resource: options.resource,
    headers: { Accept: options.accept ?? 'application/json' },
  });
  return {
    ...event,
    pathParameters: options.pathParameters ?? null,
    requestContext: {
      ...event.requestContext,
      // What API Gateway's Cognito authorizer passes on: every claim a string, groups comma-separated.
      ...(options.groups === undefined
        ? {}
        : {
            authorizer: {
              claims: { sub: 'staff-sub-1', 'cognito:username': 'morgan', 'cognito:groups': options.groups },
            },
          }),
    },
  };
}

async function get(options: Parameters<typeof staffEvent>[0]) {
  const response = await handler(staffEvent(options), lambdaContext);
  return { ...response, json: () => JSON.parse(response.body) };
}

/** Every contact id on a list, following `next` to the end, in pages of `limit`. */
async function wholeList(topic: string, basis: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 500; page++) {
    const response = await get({
      path: '/contacts',
      resource: '/contacts',
      groups: 'marketing',
      query: { topic, basis, limit: String(limit), ...(cursor ? { cursor } : {}) },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { items: { contactId: string }[]; next: string | null };
    expect(body.items.length).toBeLessThanOrEqual(limit);
    ids.push(...body.items.map((item) => item.contactId));
    if (!body.next) return ids;
    cursor = body.next;
  }
  throw new Error('the list did not end');
}

async function enquire(form: 'contact' | 'quote', label: string, at: Date = NOW, extra = {}) {
  const harness = intakeHarness(db, tableName);
  harness.clock.now = at;
  const email = uniqueEmail(`staff-${label}`);
  await submitEnquiry(harness.deps, {
    fields: fields({
      form,
      name: 'Sam Staffread',
      email,
      message: 'hello',
      ...(form === 'contact' ? { marketing_consent: 'yes' } : {}),
      ...extra,
    }),
    method: 'html_form',
    page: 'https://www.example.co.uk/contact',
    baseUrl: BASE_URL,
  });
  return { email, contactId: harness.hasher.contactId(email), harness };
}

function linkDeps(harness: ReturnType<typeof intakeHarness>): LinkDeps {
  const { config, contacts, emailHasher, clock, newId } = harness.deps;
  return {
    config,
    contacts,
    emailHasher,
    linkKeys: harness.linkKeys,
    clock,
    newId,
    linkBaseUrl: BASE_URL,
  };
}

const claims = (contactId: string, purpose: 'confirm' | 'unsubscribe') => ({
  contactId,
  purpose,
  epoch: 1,
  issuedAt: Math.floor(NOW.getTime() / 1000),
});

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  await stubLocalFunctionEnv({
    endpoint,
    tableName,
    // The staff function holds no email-hashing key: it never needs one.
    overrides: { EMAIL_HASH_KEY: undefined },
  });
  ({ handler } = await import('../../functions/staff/handler.ts'));

  // Mailable: confirmed express consent (newsletter), soft opt-in (offers).
  const confirmed = await enquire('contact', 'confirmed');
  await confirm(linkDeps(confirmed.harness), claims(confirmed.contactId, 'confirm'));
  people.set('confirmed', confirmed.contactId);
  people.set('soft opt-in', (await enquire('quote', 'soft')).contactId);
  // Not mailable: pending double opt-in, withdrawn, suppressed, restricted, expired but not deleted.
  people.set('pending', (await enquire('contact', 'pending')).contactId);
  const withdrawn = await enquire('quote', 'withdrawn');
  await unsubscribe(linkDeps(withdrawn.harness), claims(withdrawn.contactId, 'unsubscribe'));
  people.set('withdrawn', withdrawn.contactId);
  const suppressed = await enquire('quote', 'suppressed');
  await unsubscribe(linkDeps(suppressed.harness), claims(suppressed.contactId, 'unsubscribe'));
  // A later sale does not bring them back: the suppression entry holds.
  const again = intakeHarness(db, tableName);
  await submitEnquiry(again.deps, {
    fields: fields({ form: 'quote', name: 'Sam', email: suppressed.email, message: 'again' }),
    method: 'html_form',
    page: undefined,
    baseUrl: BASE_URL,
  });
  people.set('suppressed', suppressed.contactId);
  const restricted = await enquire('quote', 'restricted');
  await createContactsRepository(db, tableName).setRestriction(restricted.contactId, true, NOW);
  people.set('restricted', restricted.contactId);
  // Soft opt-in lapses after 18 months; DynamoDB Local has no TTL, so the items are still there.
  people.set(
    'expired',
    (await enquire('quote', 'expired', new Date(NOW.getTime() - 560 * DAY_MS))).contactId,
  );
  // Lifted restrictions put people back on the list.
  const lifted = await enquire('quote', 'lifted');
  const repository = createContactsRepository(db, tableName);
  await repository.setRestriction(lifted.contactId, true, NOW);
  await repository.setRestriction(lifted.contactId, false, NOW);
  people.set('lifted', lifted.contactId);
  // Enough people that a page needs more than one query round.
  for (let n = 0; n < 130; n++) crowd.push((await enquire('quote', `crowd${n}`)).contactId);
}, 180_000);

afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  db.destroy();
});

describe('GET /contacts', () => {
  it('lists exactly the people who may be emailed now, on each basis', async () => {
    const offers = await wholeList('offers', 'any', 1000);
    expect(new Set(offers)).toEqual(new Set([people.get('soft opt-in'), people.get('lifted'), ...crowd]));
    expect(offers).toHaveLength(crowd.length + 2);
    for (const excluded of ['pending', 'withdrawn', 'suppressed', 'restricted', 'expired']) {
      expect(offers, excluded).not.toContain(people.get(excluded));
    }
    expect(await wholeList('newsletter', 'consent', 100)).toEqual([people.get('confirmed')]);
    expect(await wholeList('newsletter', 'soft_opt_in', 100)).toEqual([]);
    expect(await wholeList('offers', 'consent', 100)).toEqual([]);
  });

  it('pages through every eligible person exactly once, whatever the page size', async () => {
    const expected = new Set([people.get('soft opt-in'), people.get('lifted'), ...crowd]);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 150 }), async (limit) => {
        const ids = await wholeList('offers', 'soft_opt_in', limit);
        expect(ids).toHaveLength(expected.size);
        expect(new Set(ids)).toEqual(expected);
      }),
      { numRuns: 6 },
    );
  }, 120_000);

  it('says basis, topic, since when and source on each row, also as CSV', async () => {
    const json = await get({
      path: '/contacts',
      resource: '/contacts',
      groups: 'marketing',
      query: { topic: 'newsletter' },
    });
    expect(json.json().items).toEqual([
      {
        contactId: people.get('confirmed'),
        email: expect.stringMatching(/^staff-confirmed-.*@example\.com$/),
        name: 'Sam Staffread',
        topic: 'newsletter',
        basis: 'consent',
        since: NOW.toISOString(),
        source: 'link',
        formId: 'contact',
      },
    ]);
    const csv = await get({
      path: '/contacts',
      resource: '/contacts',
      groups: 'marketing',
      accept: 'text/csv',
      query: { topic: 'newsletter' },
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers?.['Content-Type']).toBe('text/csv; charset=utf-8');
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe('contact_id,email,name,topic,basis,since,source,form');
    expect(lines[1]).toMatch(
      new RegExp(`^${people.get('confirmed')},staff-confirmed-[^,]+,Sam Staffread,newsletter,consent,`),
    );
    expect(lines).toHaveLength(3);
  });

  it('refuses a tampered cursor, and a cursor from another filter', async () => {
    const first = await get({
      path: '/contacts',
      resource: '/contacts',
      groups: 'marketing',
      query: { topic: 'offers', basis: 'soft_opt_in', limit: '5' },
    });
    const cursor = first.json().next as string;
    expect(cursor).toEqual(expect.any(String));
    const tampered = `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;
    for (const [query, label] of [
      [{ topic: 'offers', basis: 'soft_opt_in', cursor: tampered }, 'tampered'],
      [{ topic: 'offers', basis: 'any', cursor }, 'wider basis'],
      [{ topic: 'newsletter', basis: 'soft_opt_in', cursor }, 'another topic'],
    ] as const) {
      const response = await get({ path: '/contacts', resource: '/contacts', groups: 'marketing', query });
      expect(response.statusCode, label).toBe(400);
      expect(response.json(), label).toEqual({ error: 'invalid_request', fields: { cursor: 'invalid' } });
    }
  });

  it('queries the list index and never scans', async () => {
    const { Items = [] } = await db.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :topic',
        ExpressionAttributeValues: { ':topic': 'TOPIC#offers' },
      }),
    );
    // The withdrawn, suppressed and restricted people are not even in the index; the expired one is,
    // until DynamoDB deletes it, and the read leaves it out.
    const indexed = Items.map((item) => item.contactId);
    expect(indexed).toContain(people.get('expired'));
    for (const absent of ['withdrawn', 'suppressed', 'restricted']) {
      expect(indexed).not.toContain(people.get(absent));
    }
  });

  it('answers 400 for an unknown topic, basis or page size', async () => {
    const response = await get({
      path: '/contacts',
      resource: '/contacts',
      groups: 'marketing',
      query: { topic: 'gossip', basis: 'maybe', limit: '0' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'invalid_request',
      fields: { topic: 'unknown_topic', basis: 'invalid', limit: 'invalid' },
    });
  });
});

describe('GET /contacts/{id}', () => {
  it('gives the contact, its history with statement texts, and working links', async () => {
    const contactId = people.get('confirmed') ?? '';
    const response = await get({
      path: `/contacts/${contactId}`,
      resource: '/contacts/{id}',
      groups: 'privacy',
      pathParameters: { id: contactId },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ id: contactId, name: 'Sam Staffread', restricted: false });
    expect(body.topics).toEqual([expect.objectContaining({ topic: 'newsletter', status: 'consent' })]);
    const types = body.history.map((event: { type: string }) => event.type);
    expect(types).toEqual(['consent_requested', 'consent_confirmed']);
    const contactForm = runtimeConfig().forms.find((form) => form.id === 'contact');
    const statement = contactForm?.marketing.mode === 'consent' ? contactForm.marketing.statement.text : '';
    expect(body.history[0].statementText).toBe(statement);
    for (const [url, path] of [
      [body.unsubscribeUrl, '/unsubscribe'],
      [body.preferencesUrl, '/preferences'],
    ]) {
      const link = new URL(url);
      expect(link.pathname).toBe(`/prod${path}`);
      expect(link.searchParams.get('token')).toMatch(/^v1\./);
    }
  });

  it('answers 404 for an expired, unknown or malformed id', async () => {
    for (const id of [people.get('expired') ?? '', 'f'.repeat(32), 'not-an-id']) {
      const response = await get({
        path: `/contacts/${id}`,
        resource: '/contacts/{id}',
        groups: 'marketing',
        pathParameters: { id },
      });
      expect(response.statusCode, id).toBe(404);
    }
  });
});

describe('GET /enquiries', () => {
  it('lists enquiries newest first, paged, leaving out expired ones', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await get({
        path: '/enquiries',
        resource: '/enquiries',
        groups: 'sales',
        query: { limit: '40', ...(cursor ? { cursor } : {}) },
      });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      seen.push(...body.items.map((item: { receivedAt: string }) => item.receivedAt));
      cursor = body.next ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...seen].sort().reverse());
    // Everyone above filed one enquiry (the suppressed person two), except the one 560 days ago.
    expect(seen).toHaveLength(people.size + crowd.length);
  });
});

describe('the audit trail', () => {
  it('records each read of personal data, without the data, for the privacy group to read', async () => {
    const before = (await scanAll(db, tableName)).filter((item) => item.type === 'audit').length;
    // Later than every other read here, so it is the newest entry.
    const later = new Date(NOW.getTime() + 60 * 60 * 1000);
    vi.setSystemTime(later);
    const listed = await get({
      path: '/contacts',
      resource: '/contacts',
      groups: 'marketing,sales',
      query: { topic: 'newsletter', basis: 'consent' },
    });
    expect(listed.statusCode).toBe(200);
    const audits = (await scanAll(db, tableName)).filter((item) => item.type === 'audit');
    expect(audits).toHaveLength(before + 1);

    const trail = await get({ path: '/audit', resource: '/audit', groups: 'privacy', query: { limit: '1' } });
    expect(trail.statusCode).toBe(200);
    const [latest] = trail.json().items;
    expect(latest).toEqual({
      auditId: expect.any(String),
      at: later.toISOString(),
      actor: { subject: 'staff-sub-1', username: 'morgan' },
      groups: ['marketing', 'sales'],
      method: 'GET',
      route: '/contacts',
      filter: { topic: 'newsletter', basis: 'consent', limit: 100, cursor: false },
      rows: 1,
      format: 'json',
      requestId: 'request-1',
    });
    // No email address or name is in any audit item.
    const text = JSON.stringify(
      await scanAll(db, tableName).then((all) => all.filter((i) => i.type === 'audit')),
    );
    expect(text).not.toMatch(/@example\.com|Staffread/);
    // Kept for the configured period: 72 months.
    const item = audits.find((audit) => audit.auditId === latest.auditId);
    expect(item?.expiresAt).toBe(Math.floor(Date.parse('2032-11-22T11:00:00Z') / 1000));
    vi.setSystemTime(NOW);
  });

  it('is not written for a refused request', async () => {
    const before = (await scanAll(db, tableName)).filter((item) => item.type === 'audit').length;
    const refused = await get({ path: '/enquiries', resource: '/enquiries', groups: 'marketing' });
    expect(refused.statusCode).toBe(403);
    const after = (await scanAll(db, tableName)).filter((item) => item.type === 'audit').length;
    expect(after).toBe(before);
  });
});

// A token minted for a person is not a cursor, and vice versa.
it('does not accept a link token as a cursor', async () => {
  const token = signToken(ring, {
    contactId: people.get('confirmed') ?? '',
    purpose: 'preferences',
    epoch: 1,
    issuedAt: Math.floor(NOW.getTime() / 1000),
  });
  const response = await get({
    path: '/enquiries',
    resource: '/enquiries',
    groups: 'sales',
    query: { cursor: token },
  });
  expect(response.statusCode).toBe(400);
});
