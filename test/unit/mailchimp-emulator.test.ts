/**
 * The MailChimp emulator, driven through the official client exactly as the product drives MailChimp,
 * served by the local server on an ephemeral port, with a second server capturing its webhooks.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import mailchimp from '@mailchimp/mailchimp_marketing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type MemberJson, mailchimpEmulatorService } from '../../local/mailchimp-emulator/index.ts';
import { createRequestListener } from '../../local/server.ts';
import { subscriberHash } from '../../shared/domain/subscriber-hash.ts';
import { exampleConfig } from '../support/config.ts';
import { listenOnEphemeralPort } from '../support/servers.ts';

const API_KEY = '0123456789abcdef0123456789abcdef-us1';
const LIST = 'local-list';
const SIGNING_SECRET = 'emulator-signing-secret';
const HOLD_MS = 1_000;

/** The parts of the official client used here: its published types lack `basePath`, `timeout` and webhooks. */
interface OfficialClient {
  basePath: string;
  timeout: number;
  setConfig(config: { apiKey: string; server: string }): void;
  ping: { get(): Promise<{ health_status: string }> };
  lists: {
    getList(listId: string): Promise<{ id: string; stats: { member_count: number } }>;
    setListMember(listId: string, hash: string, body: object): Promise<MemberJson>;
    updateListMember(listId: string, hash: string, body: object): Promise<MemberJson>;
    getListMember(listId: string, hash: string): Promise<MemberJson>;
    deleteListMember(listId: string, hash: string): Promise<unknown>;
    deleteListMemberPermanent(listId: string, hash: string): Promise<unknown>;
    updateListMemberTags(listId: string, hash: string, body: object): Promise<unknown>;
    getListMembersInfo(
      listId: string,
      opts?: Record<string, string | number>,
    ): Promise<{ members: MemberJson[]; total_items: number }>;
    createListWebhook(listId: string, body: object): Promise<{ id: string; url: string; events: object }>;
    getListWebhooks(
      listId: string,
    ): Promise<{ webhooks: { id: string; url: string }[]; total_items: number }>;
    addListMergeField(listId: string, body: object): Promise<{ tag: string; merge_id: number }>;
    createListInterestCategory(listId: string, body: object): Promise<{ id: string; title: string }>;
    createInterestCategoryInterest(
      listId: string,
      categoryId: string,
      body: object,
    ): Promise<{ id: string; name: string }>;
  };
}

/** What the official client rejects with (superagent 3's errors). */
interface ClientError extends Error {
  status?: number;
  code?: string;
  timeout?: number;
  response?: { status: number; body: unknown; text: string; header: Record<string, string> };
}

const client = mailchimp as unknown as OfficialClient;

const service = mailchimpEmulatorService({
  apiKey: API_KEY,
  listId: LIST,
  webhookSigningSecret: SIGNING_SECRET,
  timeoutHoldMs: HOLD_MS,
});
const { emulator } = service;

let now = new Date('2025-03-01T09:00:00Z');
const later = (minutes: number) => {
  now = new Date(now.getTime() + minutes * 60_000);
};

interface CapturedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}
const captured: CapturedRequest[] = [];

let apiServer: Server;
let hookServer: Server;
let base: string;
let hooks: string;

beforeAll(async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  apiServer = createServer(
    createRequestListener({ routes: [], functions: {}, services: [service], allowedOrigins: [] }),
  );
  base = await listenOnEphemeralPort(apiServer);
  // Any path under /refuse fails MailChimp's validation GET.
  hookServer = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      captured.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(request.url?.startsWith('/refuse') ? 404 : 200).end();
    });
  });
  hooks = await listenOnEphemeralPort(hookServer);
  await service.start?.({
    dynamoDb: { endpoint: 'http://127.0.0.1:9', tableName: 'unused' },
    clock: { now: () => now },
    config: exampleConfig,
    baseUrl: base,
  });
  client.setConfig({ apiKey: API_KEY, server: 'us1' });
  client.basePath = service.apiBaseUrl;
});

beforeEach(() => {
  // A call still held by an earlier timeout fault would count against the connection limit.
  emulator.releaseHeldCalls();
  emulator.reset();
  captured.length = 0;
  client.timeout = 120_000;
  now = new Date('2025-03-01T09:00:00Z');
});

afterAll(async () => {
  await service.stop?.();
  apiServer.closeAllConnections();
  hookServer.closeAllConnections();
  await Promise.all([apiServer, hookServer].map((s) => new Promise((done) => s.close(done))));
  vi.restoreAllMocks();
});

async function rejectionOf(call: Promise<unknown>): Promise<ClientError> {
  try {
    await call;
  } catch (error) {
    return error as ClientError;
  }
  throw new Error('The call succeeded');
}

function problem(error: ClientError): Record<string, unknown> {
  return error.response?.body as Record<string, unknown>;
}

async function local(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${base}/__local/mailchimp/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

const ada = 'Ada.Lovelace@Example.com';
const adaHash = subscriberHash(ada);

function subscribeAda(extra: object = {}): Promise<MemberJson> {
  return client.lists.setListMember(LIST, adaHash, {
    email_address: ada,
    status_if_new: 'subscribed',
    merge_fields: { FNAME: 'Ada' },
    ...extra,
  });
}

describe('authentication', () => {
  it("answers ping with MailChimp's health status for the configured key", async () => {
    expect(await client.ping.get()).toEqual({ health_status: "Everything's Chimpy!" });
  });

  it('refuses another key with a 401 problem', async () => {
    client.setConfig({ apiKey: 'wrong-us1', server: 'us1' });
    try {
      const error = await rejectionOf(client.ping.get());
      expect(error.status).toBe(401);
      expect(problem(error)).toMatchObject({ title: 'API Key Invalid', status: 401 });
    } finally {
      client.setConfig({ apiKey: API_KEY, server: 'us1' });
    }
  });
});

describe('members', () => {
  it('adds a new member with status_if_new and returns it keyed by the hash of the lower-cased address', async () => {
    const member = await subscribeAda({ ip_opt: '203.0.113.9' });

    expect(adaHash).toBe(subscriberHash(ada.toLowerCase()));
    expect(member).toMatchObject({
      id: adaHash,
      email_address: ada,
      status: 'subscribed',
      merge_fields: { FNAME: 'Ada', LNAME: '' },
      interests: {},
      tags: [],
      ip_opt: '203.0.113.9',
      last_changed: '2025-03-01T09:00:00+00:00',
      list_id: LIST,
    });
    expect(member).not.toHaveProperty('unsubscribe_reason');
    expect(await client.lists.getListMember(LIST, adaHash)).toEqual(member);
  });

  it('updates an existing member on PUT without applying status_if_new', async () => {
    await subscribeAda();
    later(5);
    const member = await client.lists.setListMember(LIST, adaHash, {
      email_address: ada,
      status_if_new: 'pending',
      merge_fields: { LNAME: 'Lovelace' },
    });

    expect(member).toMatchObject({
      status: 'subscribed',
      merge_fields: { FNAME: 'Ada', LNAME: 'Lovelace' },
      last_changed: '2025-03-01T09:05:00+00:00',
    });
  });

  it('refuses to resubscribe an unsubscribed member: 400 Member In Compliance State', async () => {
    await subscribeAda();
    const unsubscribed = await client.lists.updateListMember(LIST, adaHash, { status: 'unsubscribed' });
    expect(unsubscribed).toMatchObject({ status: 'unsubscribed', unsubscribe_reason: expect.any(String) });

    const error = await rejectionOf(subscribeAda({ status: 'subscribed' }));

    expect(error.status).toBe(400);
    expect(problem(error)).toEqual({
      type: expect.stringContaining('mailchimp.com'),
      title: 'Member In Compliance State',
      status: 400,
      detail: expect.stringContaining(ada),
      instance: expect.any(String),
    });
    expect((await client.lists.getListMember(LIST, adaHash)).status).toBe('unsubscribed');
  });

  it('answers 404 Resource Not Found for a hash that is not the address, a missing member or another list', async () => {
    const mismatch = await rejectionOf(
      client.lists.setListMember(LIST, subscriberHash('someone@example.com'), {
        email_address: ada,
        status_if_new: 'subscribed',
      }),
    );
    const missing = await rejectionOf(client.lists.getListMember(LIST, adaHash));
    const otherList = await rejectionOf(client.lists.getListMember('another-list', adaHash));

    for (const error of [mismatch, missing, otherList]) {
      expect(error.status).toBe(404);
      expect(problem(error)).toMatchObject({ title: 'Resource Not Found', status: 404 });
    }
  });

  it('archives on DELETE, keeps the member archived on a PUT with status_if_new only, and restores it on a PUT with status', async () => {
    await subscribeAda();
    expect(await client.lists.deleteListMember(LIST, adaHash)).toBeNull();

    expect((await client.lists.getListMember(LIST, adaHash)).status).toBe('archived');
    expect((await client.lists.getListMembersInfo(LIST)).total_items).toBe(0);
    expect((await client.lists.getListMembersInfo(LIST, { status: 'archived' })).total_items).toBe(1);

    expect(await subscribeAda({ merge_fields: { FNAME: 'Ada L' } })).toMatchObject({
      status: 'archived',
      merge_fields: { FNAME: 'Ada L' },
    });
    const restored = await subscribeAda({ status: 'subscribed' });
    expect(restored).toMatchObject({ status: 'subscribed', merge_fields: { FNAME: 'Ada' } });
  });

  it('keeps an unsubscribe through archiving: restoring as subscribed is a compliance error, as pending it is not', async () => {
    await subscribeAda();
    await client.lists.updateListMember(LIST, adaHash, { status: 'unsubscribed' });
    await client.lists.deleteListMember(LIST, adaHash);

    const error = await rejectionOf(subscribeAda({ status: 'subscribed' }));

    expect(problem(error)).toMatchObject({ title: 'Member In Compliance State' });
    expect(await subscribeAda({ status: 'pending' })).toMatchObject({ status: 'pending' });
  });

  it('re-subscribes an unsubscribed member only as pending: MailChimp then asks the person to confirm', async () => {
    await subscribeAda();
    await client.lists.updateListMember(LIST, adaHash, { status: 'unsubscribed' });

    expect(problem(await rejectionOf(subscribeAda({ status: 'subscribed' })))).toMatchObject({
      title: 'Member In Compliance State',
    });
    expect(await subscribeAda({ status: 'pending' })).toMatchObject({ status: 'pending' });
  });

  it('forgets a permanently deleted member and refuses to add it again: 400 Forgotten Email Not Subscribed', async () => {
    await subscribeAda();
    expect(await client.lists.deleteListMemberPermanent(LIST, adaHash)).toBeNull();

    expect((await rejectionOf(client.lists.getListMember(LIST, adaHash))).status).toBe(404);
    const error = await rejectionOf(subscribeAda({ status_if_new: 'pending' }));
    expect(error.status).toBe(400);
    expect(problem(error)).toMatchObject({ title: 'Forgotten Email Not Subscribed', status: 400 });
  });

  it('lists members changed since a time, oldest change first, filtered by status and paged', async () => {
    const add = (email: string, status: string) =>
      client.lists.setListMember(LIST, subscriberHash(email), {
        email_address: email,
        status_if_new: status,
      });
    await add('a@example.com', 'subscribed');
    later(60);
    await add('b@example.com', 'subscribed');
    later(60);
    await add('c@example.com', 'pending');
    later(60);
    await client.lists.updateListMember(LIST, subscriberHash('a@example.com'), {
      merge_fields: { FNAME: 'A' },
    });

    const since = await client.lists.getListMembersInfo(LIST, {
      since_last_changed: '2025-03-01T10:00:00+00:00',
    });
    expect(since.members.map((m) => m.email_address)).toEqual([
      'b@example.com',
      'c@example.com',
      'a@example.com',
    ]);
    expect(since.total_items).toBe(3);

    const subscribed = await client.lists.getListMembersInfo(LIST, {
      status: 'subscribed',
      count: 1,
      offset: 1,
    });
    expect(subscribed.members.map((m) => m.email_address)).toEqual(['a@example.com']);
    expect(subscribed.total_items).toBe(2);
  });

  it('adds and removes tags (204), shown on the member as {id, name}', async () => {
    await subscribeAda();
    const result = await client.lists.updateListMemberTags(LIST, adaHash, {
      tags: [
        { name: 'newsletter', status: 'active' },
        { name: 'events', status: 'active' },
      ],
    });
    expect(result).toBeNull();
    await client.lists.updateListMemberTags(LIST, adaHash, {
      tags: [{ name: 'events', status: 'inactive' }],
    });

    const member = await client.lists.getListMember(LIST, adaHash);
    expect(member.tags).toEqual([{ id: 1, name: 'newsletter' }]);
    expect(member.tags_count).toBe(1);
  });

  it('creates merge fields and interests a member can then carry; an unknown interest is a 400', async () => {
    const field = await client.lists.addListMergeField(LIST, {
      name: 'Company',
      type: 'text',
      tag: 'COMPANY',
    });
    const category = await client.lists.createListInterestCategory(LIST, {
      title: 'Topics',
      type: 'checkboxes',
    });
    const interest = await client.lists.createInterestCategoryInterest(LIST, category.id, {
      name: 'Security',
    });

    const member = await subscribeAda({
      merge_fields: { COMPANY: 'Analytical' },
      interests: { [interest.id]: true },
    });
    expect(field.tag).toBe('COMPANY');
    expect(member.merge_fields).toMatchObject({ COMPANY: 'Analytical' });
    expect(member.interests).toEqual({ [interest.id]: true });

    const error = await rejectionOf(subscribeAda({ interests: { nosuch: true } }));
    expect(problem(error)).toMatchObject({ title: 'Invalid Resource', status: 400 });
  });
});

/*
 * How the official client (superagent 3.8.1 underneath) surfaces failures:
 * - any non-2xx: an Error whose message is Node's status text ('Bad Request', 'Too Many Requests', ...),
 *   with `status` (number) and `response` ({ status, header, text, body }); `response.body` is the parsed
 *   problem `{ type, title, status, detail, instance }` for MailChimp's problem+json answers (400, 401,
 *   404, 429, 503 here), and `{}` for the bare 403 (its HTML is only in `response.text`);
 * - a timeout: an Error 'Timeout of <ms>ms exceeded' with `code: 'ECONNABORTED'`, `timeout: <ms>`,
 *   `errno: 'ETIME'`, and neither `status` nor `response`.
 */
describe('faults, as the official client sees them', () => {
  it('503: status 503 with a problem body, and the call after it succeeds', async () => {
    emulator.injectFault('503', 1);

    const error = await rejectionOf(client.ping.get());

    expect(error.message).toBe('Service Unavailable');
    expect(error.status).toBe(503);
    expect(problem(error)).toMatchObject({ status: 503, title: 'Service Unavailable' });
    expect(await client.ping.get()).toEqual({ health_status: "Everything's Chimpy!" });
  });

  it('429: status 429 with the Too Many Requests problem, for as many calls as asked', async () => {
    expect(await local('faults', { mode: '429', count: 2 })).toEqual({
      status: 200,
      json: { pending: { mode: '429', remaining: 2 } },
    });

    for (let call = 0; call < 2; call += 1) {
      const error = await rejectionOf(subscribeAda());
      expect(error.message).toBe('Too Many Requests');
      expect(error.status).toBe(429);
      expect(problem(error)).toEqual({
        type: expect.any(String),
        title: 'Too Many Requests',
        status: 429,
        detail: expect.any(String),
        instance: expect.any(String),
      });
    }
    expect((await client.lists.getListMembersInfo(LIST)).total_items).toBe(0);
  });

  it('403-bare: status 403 with no problem document, only an HTML text', async () => {
    await local('faults', { mode: '403-bare', count: 1 });

    const error = await rejectionOf(client.ping.get());

    expect(error.message).toBe('Forbidden');
    expect(error.status).toBe(403);
    expect(error.response?.body).toEqual({});
    expect(error.response?.text).toContain('Access Denied');
    expect(error.response?.header['content-type']).toBe('text/html');
  });

  it('timeout: the client gives up with ECONNABORTED, though the call took effect', async () => {
    client.timeout = 200;
    await local('faults', { mode: 'timeout', count: 1 });

    const error = await rejectionOf(subscribeAda());

    expect(error.message).toBe('Timeout of 200ms exceeded');
    expect(error.code).toBe('ECONNABORTED');
    expect(error.timeout).toBe(200);
    expect(error.status).toBeUndefined();
    expect(error.response).toBeUndefined();
    expect((await client.lists.getListMember(LIST, adaHash)).status).toBe('subscribed');
  });

  it('answers 429 to an eleventh simultaneous call', async () => {
    emulator.injectFault('timeout', 10);
    const held = Array.from({ length: 10 }, () => client.ping.get());
    await vi.waitFor(() => expect(emulator.pendingFault()).toBeUndefined());

    const error = await rejectionOf(client.ping.get());

    expect(error.status).toBe(429);
    expect(problem(error)).toMatchObject({ title: 'Too Many Requests' });
    expect(await Promise.all(held)).toHaveLength(10);
  });
});

describe('webhooks', () => {
  it('validates a new webhook URL with a GET before saving it', async () => {
    const webhook = await client.lists.createListWebhook(LIST, {
      url: `${hooks}/mailchimp?secret=s3cret`,
      events: { unsubscribe: true, subscribe: false },
      sources: { user: true, admin: true, api: false },
    });

    expect(captured).toEqual([
      expect.objectContaining({
        method: 'GET',
        url: '/mailchimp?secret=s3cret',
        headers: expect.objectContaining({ 'user-agent': 'MailChimp.com WebHook Validator' }),
      }),
    ]);
    expect(webhook).toMatchObject({ id: expect.any(String), url: `${hooks}/mailchimp?secret=s3cret` });
    expect(webhook.events).toMatchObject({ unsubscribe: true, subscribe: false });
    expect((await client.lists.getListWebhooks(LIST)).webhooks).toEqual([webhook]);
  });

  it('refuses a URL whose validation GET fails', async () => {
    const error = await rejectionOf(client.lists.createListWebhook(LIST, { url: `${hooks}/refuse` }));

    expect(error.status).toBe(400);
    expect(problem(error)).toMatchObject({ title: 'Invalid Resource' });
    expect((await client.lists.getListWebhooks(LIST)).total_items).toBe(0);
  });

  it('fires a signed, MailChimp-shaped unsubscribe webhook when the subscriber unsubscribes', async () => {
    await client.lists.createListWebhook(LIST, { url: `${hooks}/mailchimp?secret=s3cret` });
    await client.lists.createListWebhook(LIST, {
      url: `${hooks}/no-unsubscribes`,
      events: { unsubscribe: false },
    });
    await subscribeAda({ ip_opt: '203.0.113.9' });
    captured.length = 0;
    later(30);

    const answer = await local('unsubscribe', { email: ada });

    expect(answer).toMatchObject({
      status: 200,
      json: {
        member: { email_address: ada, status: 'unsubscribed', unsubscribe_reason: expect.any(String) },
        deliveries: [{ url: `${hooks}/mailchimp?secret=s3cret`, status: 200 }],
      },
    });
    expect(captured).toHaveLength(1);
    const [post] = captured;
    expect(post).toMatchObject({
      method: 'POST',
      url: '/mailchimp?secret=s3cret',
      headers: expect.objectContaining({
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'MailChimp.com',
      }),
    });
    const form = new URLSearchParams(post?.body);
    expect(Object.fromEntries(form)).toEqual({
      type: 'unsubscribe',
      fired_at: '2025-03-01 09:30:00',
      'data[action]': 'unsub',
      'data[reason]': 'manual',
      'data[id]': adaHash,
      'data[email]': ada,
      'data[email_type]': 'html',
      'data[ip_opt]': '203.0.113.9',
      'data[web_id]': expect.stringMatching(/^\d+$/),
      'data[merges][EMAIL]': ada,
      'data[merges][FNAME]': 'Ada',
      'data[merges][LNAME]': '',
      'data[list_id]': LIST,
      'data[campaign_id]': '',
    });

    const t = Math.floor(now.getTime() / 1000);
    const hmac = createHmac('sha256', SIGNING_SECRET).update(`${t}.${post?.body}`).digest('hex');
    expect(post?.headers['x-mailchimp-signature']).toBe(`t=${t},v1=${hmac}`);

    const members = (await (await fetch(`${base}/__local/mailchimp/members`)).json()) as MemberJson[];
    expect(members).toEqual([expect.objectContaining({ email_address: ada, status: 'unsubscribed' })]);
  });

  it('fires a cleaned webhook when an address bounces', async () => {
    await client.lists.createListWebhook(LIST, { url: `${hooks}/mailchimp` });
    await subscribeAda();
    captured.length = 0;

    expect((await local('clean', { email: ada })).status).toBe(200);

    expect(Object.fromEntries(new URLSearchParams(captured[0]?.body))).toEqual({
      type: 'cleaned',
      fired_at: '2025-03-01 09:00:00',
      'data[list_id]': LIST,
      'data[campaign_id]': '',
      'data[reason]': 'hard',
      'data[email]': ada,
    });
    expect((await client.lists.getListMember(LIST, adaHash)).status).toBe('cleaned');
  });

  it('fires profile and upemail webhooks when the subscriber edits their details', async () => {
    await client.lists.createListWebhook(LIST, { url: `${hooks}/mailchimp` });
    await subscribeAda();
    captured.length = 0;

    expect((await local('profile', { email: ada, mergeFields: { LNAME: 'King' } })).status).toBe(200);
    expect((await local('upemail', { email: ada, newEmail: 'ada@example.org' })).status).toBe(200);

    const [profile, upemail] = captured.map((request) =>
      Object.fromEntries(new URLSearchParams(request.body)),
    );
    expect(profile).toMatchObject({ type: 'profile', 'data[id]': adaHash, 'data[merges][LNAME]': 'King' });
    expect(upemail).toMatchObject({
      type: 'upemail',
      'data[old_email]': ada,
      'data[new_email]': 'ada@example.org',
      'data[new_id]': subscriberHash('ada@example.org'),
    });
    expect(
      (await client.lists.getListMember(LIST, subscriberHash('ada@example.org'))).merge_fields,
    ).toMatchObject({
      LNAME: 'King',
    });
  });

  it('takes a first and last name, and fires upemail from /change-email too', async () => {
    await client.lists.createListWebhook(LIST, { url: `${hooks}/mailchimp` });
    await subscribeAda();
    captured.length = 0;

    expect((await local('profile', { email: ada, firstName: 'Ada', lastName: 'Lovelace' })).status).toBe(200);
    expect((await local('change-email', { email: ada, newEmail: 'ada@example.net' })).status).toBe(200);

    const [profile, upemail] = captured.map((request) =>
      Object.fromEntries(new URLSearchParams(request.body)),
    );
    expect(profile).toMatchObject({
      type: 'profile',
      'data[merges][FNAME]': 'Ada',
      'data[merges][LNAME]': 'Lovelace',
    });
    expect(upemail).toMatchObject({
      type: 'upemail',
      'data[old_email]': ada,
      'data[new_email]': 'ada@example.net',
    });
  });

  it('answers 404 for an unknown address and 409 for a member who is not subscribed', async () => {
    expect(await local('unsubscribe', { email: 'nobody@example.com' })).toMatchObject({ status: 404 });
    await subscribeAda({ status_if_new: 'pending' });
    expect(await local('unsubscribe', { email: ada })).toMatchObject({ status: 409 });
    expect(await local('unsubscribe', { email: 'not an address' })).toMatchObject({ status: 400 });
  });
});
