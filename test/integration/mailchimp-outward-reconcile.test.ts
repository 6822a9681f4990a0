/**
 * The outward reconciliation against DynamoDB Local and the MailChimp emulator: after a MailChimp outage
 * longer than the sync's retries (its records parked), MailChimp ends up holding what our store holds,
 * without an operator, and a run while MailChimp is still down moves the cursor past nothing it missed.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { preferencesMergeField } from '../../infra/commands/mailchimp-setup.ts';
import { DEFAULT_EMULATOR_LIST_ID, mailchimpEmulatorService } from '../../local/mailchimp-emulator/index.ts';
import { createRequestListener } from '../../local/server.ts';
import { createContactsRepository } from '../../shared/adapters/dynamodb/contacts-store.ts';
import { createReconcileCursorStore } from '../../shared/adapters/dynamodb/reconcile-cursor.ts';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import { createMailchimpAudience } from '../../shared/adapters/mailchimp/index.ts';
import { parseKeyRing } from '../../shared/domain/tokens.ts';
import type { ContactItemChanged } from '../../shared/ports/contacts-store.ts';
import { type LinkDeps, unsubscribe } from '../../shared/use-cases/links.ts';
import {
  type OutwardReconcileDeps,
  reconcileOutward,
  SETTLE_MS,
} from '../../shared/use-cases/mailchimp-outward-reconcile.ts';
import { syncStreamBatch } from '../../shared/use-cases/mailchimp-sync.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { exampleConfig, runtimeConfig, TEST_KEY_RING } from '../support/config.ts';
import { documentClient, fields, intakeHarness, uniqueEmail } from '../support/intake.ts';
import { listenOnEphemeralPort } from '../support/servers.ts';

const db = documentClient(inject('dynamoDbEndpoint'));
const tableName = inject('tableName');
const API_KEY = 'integration-emulator-key-us1';
const ring = parseKeyRing(TEST_KEY_RING);
const MERGE_TAG = 'PREFSURL';

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
let deps: OutwardReconcileDeps;
let audience: ReturnType<typeof createMailchimpAudience>;
let suites = 0;

beforeAll(async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  server = createServer(
    createRequestListener({ routes: [], functions: {}, services: [service], allowedOrigins: [] }),
  );
  const base = await listenOnEphemeralPort(server);
  await service.start?.({
    dynamoDb: { endpoint: inject('dynamoDbEndpoint'), tableName },
    clock: { now: () => harness.clock.now },
    config: exampleConfig,
    baseUrl: base,
  });
  audience = createMailchimpAudience({
    apiKey: API_KEY,
    server: 'us1',
    listId: DEFAULT_EMULATOR_LIST_ID,
    basePath: service.apiBaseUrl,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  deps = {
    config,
    contacts: createContactsRepository(db, tableName),
    audience,
    emailHasher: harness.deps.emailHasher,
    clock: () => harness.clock.now,
    newId: randomUUID,
    memberLinks: { mergeTag: MERGE_TAG, baseUrl: 'https://consent.example.co.uk', ring: async () => ring },
    cursor: createReconcileCursorStore(db, tableName, 'outward'),
  };
});

beforeEach(async () => {
  emulator.reset();
  await audience.createMergeField(preferencesMergeField(MERGE_TAG));
  // A time of its own, far from the other suites' clocks: the window holds only this suite's changes.
  harness.clock.now = new Date(Date.UTC(2031, 2, 1 + 10 * suites++, 10));
  await db.send(new DeleteCommand({ TableName: tableName, Key: keys.outwardReconcileCursor() }));
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

const member = (email: string) => emulator.listMembers().find((entry) => entry.email_address === email);
const tags = (email: string) => (member(email)?.tags ?? []).map((tag) => tag.name).sort();

async function consents(label: string) {
  const email = uniqueEmail(label);
  await submitEnquiry(harness.deps, {
    fields: fields({ form: 'contact', name: 'Ada', email, message: `Hi ${email}`, marketing_consent: 'on' }),
    method: 'html_form',
    page: 'https://www.example.co.uk/contact',
    baseUrl: 'http://localhost:3000',
  });
  return { email, contactId: harness.hasher.contactId(email) };
}

/** A topic change of the contact, as the stream decodes it for the sync. */
const topicChange = (contactId: string, email: string): ContactItemChanged => ({
  recordId: randomUUID(),
  contactId,
  item: 'topic',
  kind: 'modify',
  expired: false,
  changedAt: harness.clock.now.getTime(),
  before: undefined,
  after: { email, source: 'link', restricted: false, erased: false },
});

const linkDeps = (): LinkDeps => ({
  ...harness.deps,
  linkKeys: async () => ring,
  linkBaseUrl: 'https://consent.example.co.uk',
});

describe('the outward reconciliation', () => {
  it('brings MailChimp in step after an outage longer than the sync retries, then finds nothing to do', async () => {
    const since = harness.clock.now.toISOString();
    // In step before the outage: subscribed here and there.
    const leaving = await consents('outward-leaving');
    expect(await syncStreamBatch(deps, [topicChange(leaving.contactId, leaving.email)])).toEqual({
      batchItemFailures: [],
    });
    expect(member(leaving.email)).toMatchObject({ status: 'subscribed' });

    // MailChimp down: an unsubscribe and a new consent never get there, however often the sync tries.
    emulator.injectFault('503', 10_000);
    advance(60_000);
    await unsubscribe(linkDeps(), {
      contactId: leaving.contactId,
      purpose: 'unsubscribe',
      epoch: 1,
      issuedAt: Math.floor(Date.parse(since) / 1000),
    });
    const joining = await consents('outward-joining');
    const parked = [
      topicChange(leaving.contactId, leaving.email),
      topicChange(joining.contactId, joining.email),
    ];
    for (let retry = 0; retry < 3; retry++) {
      expect((await syncStreamBatch(deps, parked)).batchItemFailures).toHaveLength(2);
    }
    expect(member(leaving.email)).toMatchObject({ status: 'subscribed' });
    expect(member(joining.email)).toBeUndefined();

    // Recovered. The parked records are never delivered again: the reconciliation repairs both.
    emulator.injectFault('none');
    const first = await reconcileOutward(deps, advance(SETTLE_MS + 60_000));
    expect(first).toMatchObject({ complete: true, repaired: 2, matched: 0 });
    expect(member(leaving.email)).toMatchObject({ status: 'unsubscribed' });
    expect(member(joining.email)).toMatchObject({ status: 'subscribed' });
    expect(tags(joining.email)).toContain('topic:newsletter');

    // Everything matches now; from the start again (as a redrive asks), nothing is sent.
    const again = await reconcileOutward(deps, advance(60_000), undefined, since);
    expect(again).toMatchObject({ complete: true, repaired: 0, matched: 2 });
  });

  it('stops at a contact MailChimp cannot take, keeps its cursor before it, and repairs it next run', async () => {
    const changedAt = harness.clock.now.getTime();
    const person = await consents('outward-still-down');
    emulator.injectFault('503', 10_000);
    const during = await reconcileOutward(deps, advance(SETTLE_MS + 60_000));
    expect(during).toMatchObject({ complete: false, repaired: 0, contacts: 0 });
    expect(Date.parse(during.cursor)).toBeLessThan(changedAt);
    expect(member(person.email)).toBeUndefined();

    emulator.injectFault('none');
    const after = await reconcileOutward(deps, advance(60_000));
    expect(after).toMatchObject({ complete: true, repaired: 1 });
    expect(member(person.email)).toMatchObject({ status: 'subscribed' });
  });
});
