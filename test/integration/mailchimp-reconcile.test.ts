/**
 * The reconciliation sweep against DynamoDB Local and the MailChimp emulator (through the official client
 * on an ephemeral port). No webhook is registered, so the emulator's unsubscribes and cleans reach us only
 * through the sweep.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { DEFAULT_EMULATOR_LIST_ID, mailchimpEmulatorService } from '../../local/mailchimp-emulator/index.ts';
import { createRequestListener } from '../../local/server.ts';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { createReconcileCursorStore } from '../../shared/adapters/dynamodb/reconcile-cursor.ts';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import { type ChangedMember, createMailchimpAudience } from '../../shared/adapters/mailchimp/index.ts';
import { CursorConflictError } from '../../shared/ports/reconcile-cursor.ts';
import {
  RECONCILE_SAFETY_MARGIN_MS,
  type ReconcileDeps,
  reconcile,
} from '../../shared/use-cases/mailchimp-reconcile.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { exampleConfig, runtimeConfig, TEST_HASH_KEY, TEST_KEY_RING } from '../support/config.ts';
import { contactItems, documentClient, fields, intakeHarness, uniqueEmail } from '../support/intake.ts';
import { listenOnEphemeralPort } from '../support/servers.ts';

const db = documentClient(inject('dynamoDbEndpoint'));
const tableName = inject('tableName');
const API_KEY = 'integration-emulator-key-us1';

/** The contact form giving consent at once, so people are mailable straight after the intake. */
const config = runtimeConfig({
  forms: runtimeConfig().forms.map((form) =>
    form.marketing.mode === 'consent'
      ? { ...form, marketing: { ...form.marketing, confirmation: 'none' } }
      : form,
  ),
});

const service = mailchimpEmulatorService({ apiKey: API_KEY });
const { emulator } = service;
let server: Server;

const harness = intakeHarness(db, tableName, config);
let deps: ReconcileDeps;

beforeAll(async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  const listener = createRequestListener({
    routes: [],
    functions: {},
    services: [service],
    allowedOrigins: [],
  });
  server = createServer(listener);
  const base = await listenOnEphemeralPort(server);
  await service.start?.({
    dynamoDb: { endpoint: inject('dynamoDbEndpoint'), tableName },
    clock: { now: () => harness.clock.now },
    config: exampleConfig,
    baseUrl: base,
  });
  deps = {
    config,
    contacts: createContactsRepository(db, tableName),
    audience: createMailchimpAudience({
      apiKey: API_KEY,
      server: 'us1',
      listId: DEFAULT_EMULATOR_LIST_ID,
      basePath: service.apiBaseUrl,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    }),
    cursor: createReconcileCursorStore(db, tableName),
    emailHasher: harness.deps.emailHasher,
    clock: () => harness.clock.now,
    newId: randomUUID,
  };
});

beforeEach(async () => {
  emulator.reset();
  // The cursor is one item for the whole table: each test starts from a first run.
  await db.send(new DeleteCommand({ TableName: tableName, Key: keys.reconcileCursor() }));
});

afterAll(async () => {
  await service.stop?.();
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
  db.destroy();
  vi.restoreAllMocks();
});

function advance(ms: number): Date {
  harness.clock.now = new Date(harness.clock.now.getTime() + ms);
  return harness.clock.now;
}

/** Consents here and is subscribed in MailChimp, as the sync would have left them. */
async function subscribedContact(label: string) {
  const email = uniqueEmail(label);
  await submitEnquiry(harness.deps, {
    fields: fields({
      form: 'contact',
      name: 'Ada',
      email,
      message: 'Hello',
      marketing_consent: 'on',
      topics: 'newsletter',
    }),
    method: 'html_form',
    page: 'https://www.example.co.uk/contact',
    baseUrl: 'http://localhost:3000',
  });
  await deps.audience.upsertMember(email, { statusIfNew: 'subscribed' });
  return { email, contactId: harness.hasher.contactId(email) };
}

const partition = (contactId: string) => contactItems(db, tableName, contactId);

const topicOf = async (contactId: string) =>
  (await partition(contactId)).find((item) => item.sk === 'TOPIC#newsletter');
const eventsOf = async (contactId: string) =>
  (await partition(contactId)).filter((item) => String(item.sk).startsWith('EVENT#'));

async function suppressionOf(email: string) {
  const { Item } = await db.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.suppression(harness.hasher.suppressionHash(email)),
      ConsistentRead: true,
    }),
  );
  return Item;
}

async function storedCursor() {
  const { Item } = await db.send(
    new GetCommand({ TableName: tableName, Key: keys.reconcileCursor(), ConsistentRead: true }),
  );
  return Item;
}

/** MailChimp's own time format, whole seconds. */
const mailchimpTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, '+00:00');

describe('MailChimp reconciliation', () => {
  it('withdraws and suppresses here who MailChimp unsubscribed or cleaned without a webhook, once', async () => {
    const unsubscribed = await subscribedContact('reconcile-unsub');
    const cleaned = await subscribedContact('reconcile-cleaned');
    const untouched = await subscribedContact('reconcile-untouched');
    const stranger = uniqueEmail('reconcile-stranger');
    await deps.audience.upsertMember(stranger, { statusIfNew: 'subscribed' });
    const changedAt = advance(60_000);
    expect((await emulator.unsubscribe(unsubscribed.email)).deliveries).toEqual([]);
    expect((await emulator.clean(cleaned.email)).deliveries).toEqual([]);
    await emulator.unsubscribe(stranger);
    const runAt = advance(5 * 60_000);
    const changedSince = vi.spyOn(deps.audience, 'changedSince');

    const first = await reconcile(deps, runAt);

    expect(changedSince).toHaveBeenCalledExactlyOnceWith(
      mailchimpTime(new Date(runAt.getTime() - 24 * 3600_000)),
      ['unsubscribed', 'cleaned'],
      { count: 500, offset: 0 },
    );
    changedSince.mockRestore();
    const cursorAt = mailchimpTime(new Date(changedAt.getTime() - 60_000));
    expect(first).toMatchObject({ members: 3, applied: 3, unchanged: 0, ignored: 0, cursor: cursorAt });
    expect(await topicOf(unsubscribed.contactId)).toMatchObject({ status: 'withdrawn', source: 'mailchimp' });
    expect(await topicOf(cleaned.contactId)).toMatchObject({ status: 'withdrawn', source: 'mailchimp' });
    expect(await suppressionOf(unsubscribed.email)).toMatchObject({
      all: true,
      source: 'mailchimp',
      reason: 'mailchimp_unsubscribe',
    });
    expect(await suppressionOf(cleaned.email)).toMatchObject({
      all: true,
      source: 'mailchimp',
      reason: 'mailchimp_cleaned',
    });
    expect(await topicOf(untouched.contactId)).toMatchObject({ status: 'consent', source: 'form' });
    expect(await suppressionOf(untouched.email)).toBeUndefined();
    // Never held here: suppressed, so a later form cannot make them mailable, but no contact is created.
    expect(await suppressionOf(stranger)).toMatchObject({ all: true, source: 'mailchimp' });
    expect(await partition(harness.hasher.contactId(stranger))).toEqual([]);
    expect(await storedCursor()).toMatchObject({ lastChanged: cursorAt, version: 1 });

    const eventsBefore = await eventsOf(unsubscribed.contactId);
    const second = await reconcile(deps, advance(60_000));

    expect(second).toMatchObject({ members: 3, applied: 0, unchanged: 3 });
    expect(await eventsOf(unsubscribed.contactId)).toEqual(eventsBefore);
    expect(await storedCursor()).toMatchObject({ lastChanged: cursorAt, version: 1 });
  });

  it('moves the cursor on to later changes, and past a quiet list', async () => {
    const first = await subscribedContact('reconcile-later-a');
    const second = await subscribedContact('reconcile-later-b');
    advance(60_000);
    await emulator.unsubscribe(first.email);
    await reconcile(deps, advance(60_000));

    const laterAt = advance(10 * 60_000);
    await emulator.unsubscribe(second.email);
    const later = await reconcile(deps, advance(60_000));

    // The earlier change is read again (the cursor stays a minute behind it) and changes nothing.
    expect(later).toMatchObject({ members: 2, applied: 1, unchanged: 1, cursorMoved: true });
    expect(await topicOf(second.contactId)).toMatchObject({ status: 'withdrawn', source: 'mailchimp' });
    expect(await storedCursor()).toMatchObject({
      lastChanged: mailchimpTime(new Date(laterAt.getTime() - 60_000)),
      version: 2,
    });

    emulator.reset();
    const quietAt = advance(15 * 60_000);
    const quiet = await reconcile(deps, quietAt);

    expect(quiet).toMatchObject({ members: 0, applied: 0, cursorMoved: true });
    expect(await storedCursor()).toMatchObject({
      lastChanged: mailchimpTime(new Date(quietAt.getTime() - 60_000)),
      version: 3,
    });
  });

  it('pages through every change, overlapping pages so a member moving meanwhile is not skipped', async () => {
    const emails = Array.from({ length: 3 }, (_, index) => uniqueEmail(`reconcile-page-${index}`));
    const changedAt = mailchimpTime(advance(60_000));
    const member = (email: string): ChangedMember => ({
      email,
      status: 'unsubscribed',
      lastChanged: changedAt,
    });
    // 1,000 changed members in MailChimp, of which three are unsubscribed: one per page.
    const pages = new Map([
      [0, [member(emails[0] ?? '')]],
      [450, [member(emails[1] ?? '')]],
      [900, [member(emails[2] ?? '')]],
    ]);
    const changedSince = vi.fn(async (_since: string, _statuses: unknown, page: { offset: number }) => ({
      members: pages.get(page.offset) ?? [],
      total: 1000,
    }));

    const result = await reconcile(
      { ...deps, audience: { ...deps.audience, changedSince } },
      advance(60_000),
    );

    expect(changedSince.mock.calls.map(([, , page]) => page)).toEqual([
      { count: 500, offset: 0 },
      { count: 500, offset: 450 },
      { count: 500, offset: 900 },
    ]);
    expect(result).toMatchObject({ pages: 3, members: 3, applied: 3 });
    for (const email of emails) expect(await suppressionOf(email)).toMatchObject({ all: true });
  });
});

describe('a reconciliation short of time', () => {
  /** What the use case reads from Lambda's context: a fake that loses a minute on each reading. */
  const clockedContext = (startMs: number) => {
    let left = startMs;
    const readings: number[] = [];
    return {
      readings,
      getRemainingTimeInMillis: () => {
        readings.push(left);
        const now = left;
        left -= 60_000;
        return now;
      },
    };
  };

  it('stops paging once less than the safety margin is left, and the next run continues from its cursor', async () => {
    const emails = Array.from({ length: 3 }, (_, index) => uniqueEmail(`reconcile-budget-${index}`));
    const times = [advance(60_000), advance(60_000), advance(60_000)].map(mailchimpTime);
    const pages = new Map(
      [0, 450, 900].map((offset, index): [number, ChangedMember[]] => [
        offset,
        [{ email: emails[index] ?? '', status: 'unsubscribed', lastChanged: times[index] ?? '' }],
      ]),
    );
    const changedSince = vi.fn(async (_since: string, _statuses: unknown, page: { offset: number }) => ({
      members: pages.get(page.offset) ?? [],
      total: 1000,
    }));
    const short = { ...deps, audience: { ...deps.audience, changedSince } };
    // Readings: 2.5 min before page one, 1.5 min before its member, then half a minute: below the margin.
    const context = clockedContext(RECONCILE_SAFETY_MARGIN_MS + 90_000);

    const cut = await reconcile(short, advance(60_000), context.getRemainingTimeInMillis);

    expect(cut).toMatchObject({ complete: false, pages: 1, members: 1, applied: 1, cursorMoved: true });
    expect(changedSince).toHaveBeenCalledTimes(1);
    expect(context.readings).toHaveLength(3);
    const cursorAt = mailchimpTime(new Date(Date.parse(times[0] ?? '') - 60_000));
    expect(await storedCursor()).toMatchObject({ lastChanged: cursorAt });
    expect(await suppressionOf(emails[1] ?? '')).toBeUndefined();

    changedSince.mockClear();
    const next = await reconcile(short, advance(60_000), () => 300_000);

    expect(changedSince.mock.calls[0]?.[0]).toBe(cursorAt);
    expect(next).toMatchObject({ complete: true, pages: 3, applied: 2, unchanged: 1 });
    for (const email of emails) expect(await suppressionOf(email)).toMatchObject({ all: true });
  });

  it('leaves the cursor where it was when there was no time for a single page', async () => {
    await reconcile(deps, advance(60_000));
    const before = await storedCursor();
    const changedSince = vi.spyOn(deps.audience, 'changedSince');

    const result = await reconcile(deps, advance(15 * 60_000), () => RECONCILE_SAFETY_MARGIN_MS - 1);

    expect(changedSince).not.toHaveBeenCalled();
    changedSince.mockRestore();
    expect(result).toMatchObject({ complete: false, pages: 0, cursorMoved: false });
    expect(await storedCursor()).toEqual(before);
  });
});

describe('the reconcile handler', () => {
  it("reads the time left from Lambda's context", async () => {
    vi.stubEnv('TABLE_NAME', tableName);
    vi.stubEnv('APP_CONFIG', JSON.stringify(config));
    vi.stubEnv('MAIL_TRANSPORT', 'outbox');
    vi.stubEnv('EMAIL_HASH_KEY', TEST_HASH_KEY);
    vi.stubEnv('DYNAMODB_ENDPOINT', inject('dynamoDbEndpoint'));
    vi.stubEnv('AWS_REGION', 'eu-west-2');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    vi.stubEnv('MAILCHIMP_API_KEY', API_KEY);
    vi.stubEnv('MAILCHIMP_SERVER', 'us1');
    vi.stubEnv('MAILCHIMP_LIST_ID', DEFAULT_EMULATOR_LIST_ID);
    vi.stubEnv('MAILCHIMP_BASE_PATH', service.apiBaseUrl);
    vi.stubEnv('TOKEN_SIGNING_KEYS', TEST_KEY_RING);
    vi.stubEnv('API_BASE_URL', 'https://api.example.co.uk/v1');
    vi.stubEnv('MAILCHIMP_PREFERENCES_MERGE_TAG', 'PREFSURL');
    try {
      const { handler } = await import('../../functions/mailchimp-reconcile/handler.ts');
      const before = await storedCursor();
      const context = { getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

      const result = await handler({} as ScheduledEvent, context);

      expect(result.inbound).toMatchObject({ complete: false, pages: 0, cursorMoved: false });
      expect(result.outward).toMatchObject({ complete: false, contacts: 0 });
      expect(await storedCursor()).toEqual(before);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('the reconciliation cursor', () => {
  it('cannot be moved by a run that read it before another run moved it', async () => {
    const store = createReconcileCursorStore(db, tableName);
    await store.move(undefined, '2026-11-22T10:00:00+00:00', harness.clock.now);
    const read = await store.read();
    expect(read).toEqual({ lastChanged: '2026-11-22T10:00:00+00:00', version: 1 });

    await store.move(read, '2026-11-22T10:15:00+00:00', harness.clock.now);

    await expect(store.move(read, '2026-11-22T10:05:00+00:00', harness.clock.now)).rejects.toBeInstanceOf(
      CursorConflictError,
    );
    await expect(
      store.move(undefined, '2026-11-22T10:05:00+00:00', harness.clock.now),
    ).rejects.toBeInstanceOf(CursorConflictError);
    expect(await store.read()).toEqual({ lastChanged: '2026-11-22T10:15:00+00:00', version: 2 });
  });
});
