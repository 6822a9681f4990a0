import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  parseKeyRing,
  signToken,
  TOKEN_LIFETIME_SECONDS,
  type TokenPurpose,
} from '../../shared/domain/tokens.ts';
import { contactLinks } from '../../shared/email/links.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { lambdaContext, restEvent } from '../handler/events.ts';
import { TEST_KEY_RING } from '../support/config.ts';
import { stubLocalFunctionEnv } from '../support/function-env.ts';
import { documentClient, fields, intakeHarness, scanAll, uniqueEmail } from '../support/intake.ts';

const NOW = new Date('2026-11-22T10:00:00Z');
const DAY = 24 * 60 * 60;
const BASE_URL = 'https://api.example.co.uk/v1';
const PURPOSES = ['unsubscribe', 'preferences', 'confirm'] as const satisfies readonly TokenPurpose[];
const endpoint = inject('dynamoDbEndpoint');
const tableName = `${inject('tableName')}LinkPages`;
const db = documentClient(endpoint);
const ring = parseKeyRing(TEST_KEY_RING);
const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

type Item = Record<string, unknown>;

let handler: (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;

/** Seeded contacts in every state a link can meet, by label, with their contact ids. */
const contacts = new Map<string, string>();

const invoke = (method: 'GET' | 'HEAD' | 'POST', purpose: TokenPurpose, token: string | undefined) => {
  const query = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
  const post = method === 'POST';
  return handler(
    restEvent({
      method,
      path: `/${purpose}${query}`,
      resource: `/${purpose}`,
      headers: post ? { 'Content-Type': 'application/x-www-form-urlencoded' } : { Accept: 'text/html' },
      body: post ? 'List-Unsubscribe=One-Click' : null,
    }),
    lambdaContext,
  );
};

const sign = (contactId: string, purpose: TokenPurpose, issuedAt = epochSeconds(NOW), epoch = 1) =>
  signToken(ring, { contactId, purpose, epoch, issuedAt });

/** A link exactly as the emails carry it. */
function tokenFromLink(contactId: string, purpose: (typeof PURPOSES)[number]): string {
  const links = contactLinks({ ring, baseUrl: BASE_URL, contactId, epoch: 1, now: NOW });
  const url = {
    unsubscribe: links.unsubscribeUrl,
    preferences: links.preferencesUrl,
    confirm: links.confirmUrl,
  }[purpose];
  const token = new URL(url).searchParams.get('token');
  if (!token) throw new Error(`no token in ${url}`);
  return token;
}

/** Files an enquiry through the real intake use case with the handler's keys; returns the contact id. */
async function seed(label: string, form: 'contact' | 'quote', at: Date = NOW): Promise<string> {
  const harness = intakeHarness(db, tableName);
  harness.clock.now = at;
  const email = uniqueEmail(`no-write-${label.replaceAll(' ', '-')}`);
  await submitEnquiry(harness.deps, {
    fields: fields({
      form,
      name: 'Link Scanner',
      email,
      message: 'hello',
      ...(form === 'contact' ? { marketing_consent: 'yes' } : {}),
    }),
    method: 'html_form',
    page: 'https://www.example.co.uk/contact',
    baseUrl: BASE_URL,
  });
  const contactId = harness.hasher.contactId(email);
  contacts.set(label, contactId);
  return contactId;
}

/** The table before and after each seeding POST, to show the comparison below can see a write. */
const seedingWrites: { before: Item[]; after: Item[] }[] = [];

async function recordWrite(act: () => Promise<APIGatewayProxyResult>) {
  const before = await scanAll(db, tableName);
  const response = await act();
  if (response.statusCode !== 200) throw new Error(`seeding POST answered ${response.statusCode}`);
  seedingWrites.push({ before, after: await scanAll(db, tableName) });
}

beforeAll(async () => {
  // Token expiry and retention are judged against this instant, whatever day the tests run.
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  await stubLocalFunctionEnv({ endpoint, tableName });
  ({ handler } = await import('../../functions/links/handler.ts'));

  // A contact in every state a link can meet.
  await seed('pending', 'contact');
  await seed('soft opt-in', 'quote');
  // Pending double opt-in lapses after 30 days; DynamoDB Local has no TTL, so the items are still there.
  await seed('expired', 'contact', new Date(NOW.getTime() - 60 * DAY * 1000));
  const confirmed = await seed('confirmed', 'contact');
  await recordWrite(() => invoke('POST', 'confirm', sign(confirmed, 'confirm')));
  const unsubscribed = await seed('unsubscribed', 'quote');
  await recordWrite(() => invoke('POST', 'unsubscribe', sign(unsubscribed, 'unsubscribe')));
  // Validly signed, for someone the table has never held.
  contacts.set('unknown', 'ffffffffffffffffffffffffffffffff');
}, 60_000);

afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  db.destroy();
});

describe('GET and HEAD on the link routes against DynamoDB Local', () => {
  it('start from contacts in every state, which the seeding POSTs visibly wrote', async () => {
    const items = await scanAll(db, tableName);
    const topicOf = (label: string) =>
      items.filter((item) => item.type === 'topic' && item.contactId === contacts.get(label));
    expect(topicOf('pending')).toEqual([expect.objectContaining({ status: 'pending' })]);
    expect(topicOf('soft opt-in')).toEqual([expect.objectContaining({ status: 'soft_opt_in' })]);
    expect(topicOf('expired')).toEqual([expect.objectContaining({ status: 'pending' })]);
    expect(topicOf('expired')[0]?.expiresAt).toBeLessThan(epochSeconds(NOW));
    expect(topicOf('confirmed')).toEqual([expect.objectContaining({ status: 'consent' })]);
    expect(topicOf('unsubscribed')).toEqual([expect.objectContaining({ status: 'withdrawn' })]);
    expect(items.filter((item) => item.type === 'suppression')).toEqual([
      expect.objectContaining({ all: true }),
    ]);
    expect(seedingWrites).toHaveLength(2);
    for (const { before, after } of seedingWrites) expect(after).not.toEqual(before);
  });

  describe.each(PURPOSES)('/%s', (purpose) => {
    const variants = (contactId: string): [string, string | undefined, number][] => {
      const valid = tokenFromLink(contactId, purpose);
      const other = PURPOSES.find((candidate) => candidate !== purpose) ?? 'unsubscribe';
      const last = valid.at(-1);
      return [
        ['valid', valid, 200],
        ['expired', sign(contactId, purpose, epochSeconds(NOW) - TOKEN_LIFETIME_SECONDS[purpose] - DAY), 400],
        ['tampered', `${valid.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`, 400],
        ['for another purpose', sign(contactId, other), 400],
        [
          'signed with another key',
          signToken(parseKeyRing(JSON.stringify({ current: 'k1', k1: 'x'.repeat(40) })), {
            contactId,
            purpose,
            epoch: 1,
            issuedAt: epochSeconds(NOW),
          }),
          400,
        ],
        ['malformed', 'not-a-token', 400],
        ['missing', undefined, 400],
      ];
    };

    it.each(['GET', 'HEAD'] as const)('%s never writes, for any contact and any token', async (method) => {
      expect(contacts.size).toBe(6);
      const before = await scanAll(db, tableName);
      for (const [label, contactId] of contacts) {
        for (const [variant, token, status] of variants(contactId)) {
          const response = await invoke(method, purpose, token);
          expect(response.statusCode, `${method} ${label}, ${variant} token`).toBe(status);
          expect(response.headers?.['Content-Type']).toBe('text/html; charset=utf-8');
        }
      }
      expect(await scanAll(db, tableName)).toEqual(before);
    });
  });
});
