import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createMailchimpAudience,
  isMailchimpError,
  type MailchimpAudienceOptions,
  MailchimpError,
  type MailchimpErrorCode,
  type MemberUpsert,
  toMailchimpError,
} from '../../shared/adapters/mailchimp/index.ts';
import { subscriberHash } from '../../shared/domain/subscriber-hash.ts';
import { backOff } from '../../shared/support/retry.ts';
import { listenOnEphemeralPort } from '../support/servers.ts';

const API_KEY = '0123456789abcdef0123456789abcdef-us1';
const LIST_ID = 'a1b2c3d4e5';
const EMAIL = 'urist.mcvankab@freddiesjokes.com';
// MailChimp's documented example: the MD5 of the lower-cased address.
const EMAIL_HASH = '62eeb292278cc15f5817cb78f7790b08';
const MEMBER_PATH = `/3.0/lists/${LIST_ID}/members/${EMAIL_HASH}`;

// --- A tiny fake MailChimp: records each request and answers as the current test says. ---

interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

interface Reply {
  readonly status: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly delayMs?: number;
  /** Never answer. */
  readonly hang?: boolean;
}

type Responder = (request: RecordedRequest, index: number) => Reply;

const ok = (json: unknown = {}): Reply => ({ status: 200, json });
const noContent: Reply = { status: 204 };
const problem = (status: number, title: string, detail = 'See the docs.'): Reply => ({
  status,
  contentType: 'application/problem+json; charset=utf-8',
  json: {
    type: 'https://mailchimp.com/developer/marketing/docs/errors/',
    title,
    status,
    detail,
    instance: 'i-1',
  },
});
/** What MailChimp's edge sends under load: a status and no problem document. */
const bare = (status: number): Reply => ({ status, text: '', contentType: 'text/html' });
/** Answers from a list in order, repeating the last. */
const sequence =
  (...replies: Reply[]): Responder =>
  (_request, index) =>
    replies[Math.min(index, replies.length - 1)] ?? bare(500);

let server: Server;
let basePath: string;
let responder: Responder = () => ok();
let requests: RecordedRequest[] = [];
let inFlight = 0;
let maxInFlight = 0;
let sleeps: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: text === '' ? undefined : JSON.parse(text),
      };
      requests.push(recorded);
      const reply = responder(recorded, requests.length - 1);
      if (reply.hang) return;
      if (reply.delayMs) await delay(reply.delayMs);
      const body = reply.json === undefined ? (reply.text ?? '') : JSON.stringify(reply.json);
      res.writeHead(reply.status, {
        'content-type': reply.contentType ?? 'application/json; charset=utf-8',
        ...reply.headers,
      });
      res.end(reply.status === 204 ? undefined : body);
    });
  });
  basePath = `${await listenOnEphemeralPort(server)}/3.0`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  responder = () => ok();
  requests = [];
  inFlight = 0;
  maxInFlight = 0;
  sleeps = [];
});

/** An audience on the fake server; one attempt unless a test asks for retries. */
const audience = (overrides: Partial<MailchimpAudienceOptions> = {}) =>
  createMailchimpAudience({
    apiKey: API_KEY,
    server: 'us1',
    listId: LIST_ID,
    basePath,
    retry: { attempts: 1, baseDelayMs: 100, maxDelayMs: 1_000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });

const retrying = (overrides: Partial<MailchimpAudienceOptions> = {}) =>
  audience({ retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 }, ...overrides });

const onlyRequest = (): RecordedRequest => {
  expect(requests).toHaveLength(1);
  return requests[0] as RecordedRequest;
};

async function failureOf(promise: Promise<unknown>): Promise<MailchimpError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(MailchimpError);
  return outcome as MailchimpError;
}

const member = (overrides: Record<string, unknown> = {}) => ({
  id: EMAIL_HASH,
  email_address: EMAIL,
  status: 'unsubscribed',
  last_changed: '2026-11-20T09:15:00+00:00',
  unsubscribe_reason: 'N/A (Unsubscribed by an admin)',
  merge_fields: { FNAME: 'Urist' },
  interests: { 'topic-1': true },
  tags: [{ id: 1, name: 'customer' }],
  ...overrides,
});

describe('subscriberHash', () => {
  it('is the MD5 of the lower-cased address', () => {
    expect(subscriberHash(EMAIL)).toBe(EMAIL_HASH);
    expect(subscriberHash('Urist.McVankab@FreddiesJokes.com')).toBe(EMAIL_HASH);
  });
});

describe('MailChimp audience: what is sent', () => {
  it('upserts with PUT to the member hash, status_if_new and Basic auth with the key', async () => {
    await audience().upsertMember('Urist.McVankab@FreddiesJokes.com', {
      statusIfNew: 'pending',
      mergeFields: { FNAME: 'Urist' },
      interests: { 'topic-1': true, 'topic-2': false },
    });
    const request = onlyRequest();
    expect(request.method).toBe('PUT');
    expect(request.path).toBe(MEMBER_PATH);
    expect(request.body).toEqual({
      email_address: 'Urist.McVankab@FreddiesJokes.com',
      status_if_new: 'pending',
      merge_fields: { FNAME: 'Urist' },
      interests: { 'topic-1': true, 'topic-2': false },
    });
    const authorization = request.headers.authorization ?? '';
    expect(authorization).toMatch(/^Basic /);
    expect(Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8')).toBe(
      `user:${API_KEY}`,
    );
  });

  it('sends status only to unsubscribe an existing member', async () => {
    await audience().upsertMember(EMAIL, { statusIfNew: 'unsubscribed', status: 'unsubscribed' });
    expect(onlyRequest().body).toEqual({
      email_address: EMAIL,
      status_if_new: 'unsubscribed',
      status: 'unsubscribed',
    });
  });

  it('re-subscribes with status pending, and restores an archived member with status subscribed', async () => {
    const mailchimp = audience();
    await mailchimp.upsertMember(EMAIL, { statusIfNew: 'subscribed', status: 'pending' });
    expect(onlyRequest().body).toEqual({
      email_address: EMAIL,
      status_if_new: 'subscribed',
      status: 'pending',
    });
    requests = [];
    await mailchimp.upsertMember(EMAIL, { statusIfNew: 'subscribed', status: 'restoreArchived' });
    expect(onlyRequest().body).toEqual({
      email_address: EMAIL,
      status_if_new: 'subscribed',
      status: 'subscribed',
    });
  });

  it('sends status "subscribed" only to restore an archived member, whatever an untyped caller passes', async () => {
    const mailchimp = audience();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('subscribed', 'pending', 'unsubscribed'),
        fc.oneof(
          fc.constantFrom(undefined, 'unsubscribed', 'subscribed', 'pending', 'SUBSCRIBED', 'toString'),
          fc.string(),
        ),
        async (statusIfNew, status) => {
          requests = [];
          await mailchimp.upsertMember(EMAIL, { statusIfNew, status } as MemberUpsert);
          const body = onlyRequest().body as Record<string, unknown>;
          expect(body.status_if_new).toBe(statusIfNew);
          expect([undefined, 'unsubscribed', 'pending']).toContain(body.status);
          expect(JSON.stringify(body)).not.toMatch(/"status":"subscribed"/i);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('sets tags active and inactive with POST .../tags, and sends nothing for no tags', async () => {
    responder = () => noContent;
    const mailchimp = audience();
    await mailchimp.setTags(EMAIL, []);
    expect(requests).toHaveLength(0);
    await mailchimp.setTags(EMAIL, [
      { name: 'customer', active: true },
      { name: 'prospect', active: false },
    ]);
    const request = onlyRequest();
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`${MEMBER_PATH}/tags`);
    expect(request.body).toEqual({
      tags: [
        { name: 'customer', status: 'active' },
        { name: 'prospect', status: 'inactive' },
      ],
    });
  });

  it('unsubscribes with PATCH status unsubscribed', async () => {
    responder = () => ok(member());
    await audience().unsubscribe(EMAIL);
    const request = onlyRequest();
    expect([request.method, request.path, request.body]).toEqual([
      'PATCH',
      MEMBER_PATH,
      { status: 'unsubscribed' },
    ]);
  });

  it('archives with DELETE and forgets with POST .../actions/delete-permanent', async () => {
    responder = () => noContent;
    const mailchimp = audience();
    await mailchimp.archive(EMAIL);
    await mailchimp.forget(EMAIL);
    expect(requests.map((request) => [request.method, request.path])).toEqual([
      ['DELETE', MEMBER_PATH],
      ['POST', `${MEMBER_PATH}/actions/delete-permanent`],
    ]);
  });

  it('lists merge fields in one page with only the fields it reads, and creates one with POST .../merge-fields', async () => {
    const field = { tag: 'PREFSURL', name: 'Preferences link', type: 'url', required: false, public: false };
    responder = (request) =>
      request.method === 'GET'
        ? ok({ merge_fields: [{ ...field, merge_id: 3 }], total_items: 1 })
        : ok(field);
    const mailchimp = audience();

    await expect(mailchimp.listMergeFields()).resolves.toEqual([field]);
    await expect(mailchimp.createMergeField(field)).resolves.toEqual(field);

    const [list, create] = requests;
    expect([list?.method, list?.path, list?.query.get('count')]).toEqual([
      'GET',
      `/3.0/lists/${LIST_ID}/merge-fields`,
      '1000',
    ]);
    expect(list?.query.get('fields')).toBe(
      'merge_fields.tag,merge_fields.name,merge_fields.type,merge_fields.required,merge_fields.public',
    );
    expect([create?.method, create?.path, create?.body]).toEqual([
      'POST',
      `/3.0/lists/${LIST_ID}/merge-fields`,
      field,
    ]);
  });

  it('reads a member, asking only for the fields it uses', async () => {
    responder = () => ok(member());
    await expect(audience().getMember(EMAIL)).resolves.toEqual({
      email: EMAIL,
      status: 'unsubscribed',
      lastChanged: '2026-11-20T09:15:00+00:00',
      unsubscribeReason: 'N/A (Unsubscribed by an admin)',
      mergeFields: { FNAME: 'Urist' },
      interests: { 'topic-1': true },
      tags: ['customer'],
    });
    const request = onlyRequest();
    expect([request.method, request.path]).toEqual(['GET', MEMBER_PATH]);
    expect(request.query.get('fields')).toBe(
      'email_address,status,last_changed,unsubscribe_reason,merge_fields,interests,tags',
    );
  });

  it('answers undefined for a member MailChimp does not have', async () => {
    responder = () => problem(404, 'Resource Not Found');
    await expect(audience().getMember(EMAIL)).resolves.toBeUndefined();
  });

  it('fails as a server error when a member comes back in an unexpected shape', async () => {
    responder = () => ok({ email_address: EMAIL, status: 'mystery' });
    const error = await failureOf(audience().getMember(EMAIL));
    expect(error.code).toBe('server');
    expect(inspect(error, { depth: 10 })).not.toContain(EMAIL);
  });

  it('lists one status changed since a time, oldest change first, MailChimp filtering', async () => {
    responder = () =>
      ok({
        members: [
          member({ status: 'unsubscribed' }),
          member({ email_address: 'b@example.com', status: 'unsubscribed', unsubscribe_reason: '' }),
        ],
        total_items: 321,
      });
    const page = await audience().changedSince('2026-11-01T00:00:00Z', ['unsubscribed'], {
      count: 100,
      offset: 200,
    });
    expect(page).toEqual({
      members: [
        {
          email: EMAIL,
          status: 'unsubscribed',
          lastChanged: '2026-11-20T09:15:00+00:00',
          unsubscribeReason: 'N/A (Unsubscribed by an admin)',
        },
        { email: 'b@example.com', status: 'unsubscribed', lastChanged: '2026-11-20T09:15:00+00:00' },
      ],
      total: 321,
    });
    const request = onlyRequest();
    expect([request.method, request.path]).toEqual(['GET', `/3.0/lists/${LIST_ID}/members`]);
    expect(Object.fromEntries(request.query)).toEqual({
      since_last_changed: '2026-11-01T00:00:00Z',
      status: 'unsubscribed',
      count: '100',
      offset: '200',
      sort_field: 'last_changed',
      sort_dir: 'ASC',
      fields:
        'members.email_address,members.status,members.last_changed,members.unsubscribe_reason,total_items',
    });
  });

  it('filters several statuses itself, as MailChimp takes only one', async () => {
    responder = () =>
      ok({
        members: [
          member({ email_address: 'a@example.com', status: 'cleaned' }),
          member({ email_address: 'b@example.com', status: 'subscribed' }),
          member({ email_address: 'c@example.com', status: 'unsubscribed' }),
        ],
        total_items: 3,
      });
    const page = await audience().changedSince('2026-11-01T00:00:00Z', ['unsubscribed', 'cleaned'], {
      count: 10,
      offset: 0,
    });
    expect(page.members.map((changed) => [changed.email, changed.status])).toEqual([
      ['a@example.com', 'cleaned'],
      ['c@example.com', 'unsubscribed'],
    ]);
    expect(page.total).toBe(3);
    expect(onlyRequest().query.has('status')).toBe(false);
  });

  it('refuses a page MailChimp cannot serve, without calling it', async () => {
    const mailchimp = audience();
    await expect(
      mailchimp.changedSince('2026-11-01T00:00:00Z', ['cleaned'], { count: 0, offset: 0 }),
    ).rejects.toThrow(RangeError);
    await expect(
      mailchimp.changedSince('2026-11-01T00:00:00Z', ['cleaned'], { count: 1001, offset: 0 }),
    ).rejects.toThrow(RangeError);
    await expect(
      mailchimp.changedSince('2026-11-01T00:00:00Z', ['cleaned'], { count: 10, offset: -1 }),
    ).rejects.toThrow(RangeError);
    expect(requests).toHaveLength(0);
  });

  it('pings GET /ping', async () => {
    responder = () => ok({ health_status: "Everything's Chimpy!" });
    await audience().ping();
    const request = onlyRequest();
    expect([request.method, request.path]).toEqual(['GET', '/3.0/ping']);
  });

  it('sends each call with its own audience key, though the official client is one per process', async () => {
    const first = audience({ apiKey: 'first-key-0000000000000000000000-us1' });
    const second = audience({ apiKey: 'second-key-000000000000000000000-us1' });
    await first.ping();
    await second.ping();
    await Promise.all([first.ping(), second.ping(), first.ping()]);
    const users = requests.map((request) =>
      Buffer.from((request.headers.authorization ?? '').slice('Basic '.length), 'base64').toString('utf8'),
    );
    expect(users).toEqual([
      'user:first-key-0000000000000000000000-us1',
      'user:second-key-000000000000000000000-us1',
      'user:first-key-0000000000000000000000-us1',
      'user:second-key-000000000000000000000-us1',
      'user:first-key-0000000000000000000000-us1',
    ]);
  });
});

describe('MailChimp audience: members already gone', () => {
  const calls = {
    unsubscribe: (email: string) => audience().unsubscribe(email),
    archive: (email: string) => audience().archive(email),
    forget: (email: string) => audience().forget(email),
  };

  it.each(Object.keys(calls) as (keyof typeof calls)[])(
    '%s succeeds when MailChimp has no such member',
    async (name) => {
      responder = () => problem(404, 'Resource Not Found');
      await expect(calls[name](EMAIL)).resolves.toBeUndefined();
      expect(requests).toHaveLength(1);
    },
  );

  it.each(Object.keys(calls) as (keyof typeof calls)[])(
    '%s succeeds for a permanently deleted member',
    async (name) => {
      responder = () => problem(400, 'Forgotten Email Not Subscribed', `${EMAIL} was permanently deleted.`);
      await expect(calls[name](EMAIL)).resolves.toBeUndefined();
    },
  );

  it.each(Object.keys(calls) as (keyof typeof calls)[])('%s still fails on other errors', async (name) => {
    responder = () => problem(401, 'API Key Invalid');
    expect((await failureOf(calls[name](EMAIL))).code).toBe('unauthorized');
  });
});

describe('MailChimp errors as the official client reports them', () => {
  const cases: [string, Reply, MailchimpErrorCode, boolean][] = [
    ['429 problem', problem(429, 'Too Many Requests'), 'rateLimited', true],
    ['bare 429', bare(429), 'rateLimited', true],
    ['bare 403', bare(403), 'rateLimited', true],
    [
      '403 with an HTML page',
      { status: 403, text: '<html>Forbidden</html>', contentType: 'text/html' },
      'rateLimited',
      true,
    ],
    ['403 problem', problem(403, 'Forbidden'), 'unauthorized', false],
    ['401', problem(401, 'API Key Invalid'), 'unauthorized', false],
    [
      '400 compliance',
      problem(400, 'Member In Compliance State', `${EMAIL} is in a compliance state.`),
      'complianceState',
      false,
    ],
    [
      '400 forgotten',
      problem(400, 'Forgotten Email Not Subscribed', `${EMAIL} was deleted.`),
      'forgotten',
      false,
    ],
    ['400 invalid resource', problem(400, 'Invalid Resource'), 'invalidRequest', false],
    ['404', problem(404, 'Resource Not Found'), 'notFound', false],
    ['405', problem(405, 'Method Not Allowed'), 'invalidRequest', false],
    ['500 problem', problem(500, 'Internal Server Error'), 'server', true],
    ['bare 502', { status: 502, text: '<html>Bad Gateway</html>', contentType: 'text/html' }, 'server', true],
    ['bare 503', bare(503), 'server', true],
    [
      '200 with a body that is not JSON',
      { status: 200, text: '<html>', contentType: 'application/json' },
      'server',
      true,
    ],
  ];

  it.each(cases)('%s → %s', async (_name, reply, code, retryable) => {
    responder = () => reply;
    const error = await failureOf(audience().upsertMember(EMAIL, { statusIfNew: 'subscribed' }));
    expect(error).toMatchObject({ name: 'MailchimpError', code, retryable, status: reply.status });
    expect(isMailchimpError(error, code)).toBe(true);
    expect(requests).toHaveLength(1);
  });

  it('keeps a plain-words title in the message, never the detail', async () => {
    responder = () => problem(400, 'Invalid Resource', `${EMAIL} looks fake or invalid.`);
    const error = await failureOf(audience().upsertMember(EMAIL, { statusIfNew: 'subscribed' }));
    expect(error.message).toBe('MailChimp rejected the request (HTTP 400, Invalid Resource)');
    expect(error.title).toBe('Invalid Resource');
  });

  it('times out a call MailChimp does not answer', async () => {
    responder = () => ({ status: 200, hang: true });
    const error = await failureOf(audience({ timeoutMs: 50 }).ping());
    expect(error).toMatchObject({ code: 'timeout', retryable: true, status: undefined });
  });

  it('reports a refused connection as a network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failureOf(audience({ basePath: `http://127.0.0.1:${port}/3.0` }).ping());
    expect(error).toMatchObject({ code: 'network', retryable: true });
  });

  it('classifies what it is given directly', () => {
    const classified = new MailchimpError('notFound', { status: 404 });
    expect(toMailchimpError(classified)).toBe(classified);
    expect(toMailchimpError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).code).toBe(
      'network',
    );
    expect(
      toMailchimpError(
        Object.assign(new Error('Timeout of 5ms exceeded'), { timeout: 5, code: 'ECONNABORTED' }),
      ).code,
    ).toBe('timeout');
    expect(toMailchimpError(new Error("Missing the required parameter 'listId'")).code).toBe(
      'invalidRequest',
    );
    expect(toMailchimpError('a string').code).toBe('invalidRequest');
    const limited = toMailchimpError(
      Object.assign(new Error('Too Many Requests'), {
        status: 429,
        response: { body: {}, header: { 'retry-after': 'Sun, 22 Nov 2026 10:00:30 GMT' } },
      }),
      () => Date.parse('2026-11-22T10:00:00Z'),
    );
    expect(limited).toMatchObject({ code: 'rateLimited', retryAfterMs: 30_000 });
  });

  it('never puts an address or the API key in what an error shows', async () => {
    const titles = [
      'Member In Compliance State',
      'Forgotten Email Not Subscribed',
      'Invalid Resource',
      'Member Exists',
    ];
    const mailchimp = audience();
    await fc.assert(
      fc.asyncProperty(fc.emailAddress(), fc.constantFrom(...titles, 'not json'), async (email, title) => {
        responder = () =>
          title === 'not json'
            ? { status: 200, text: `{"email_address": "${email}"`, contentType: 'application/json' }
            : {
                ...problem(400, title, `${email} was permanently deleted and cannot be re-imported.`),
                json: {
                  title,
                  status: 400,
                  detail: `${email} is in a compliance state.`,
                  errors: [{ field: 'email_address', message: `${email} looks fake or invalid` }],
                },
              };
        const error = await failureOf(mailchimp.upsertMember(email, { statusIfNew: 'subscribed' }));
        const shown = [error.message, error.stack ?? '', String(error), inspect(error, { depth: 10 })].join(
          '\n',
        );
        for (const secret of [
          email,
          email.toLowerCase(),
          API_KEY,
          Buffer.from(`user:${API_KEY}`).toString('base64'),
        ]) {
          expect(shown).not.toContain(secret);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('rejects settings it cannot use without quoting the key', () => {
    expect(() => audience({ basePath: undefined, server: 'https://evil.example' })).toThrow(/data centre/);
    expect(() => audience({ apiKey: ' ' })).toThrow(/API key is empty/);
    expect(() => audience({ listId: '' })).toThrow(/list id is empty/);
    expect(() => audience({ maxConcurrent: 0 })).toThrow(/concurrency/);
    try {
      audience({ basePath: undefined, server: API_KEY });
    } catch (error) {
      expect(String(error)).not.toContain(API_KEY);
    }
  });
});

describe('MailChimp audience: retries', () => {
  it('retries MailChimp 5xx and succeeds on the third call', async () => {
    responder = sequence(bare(503), problem(500, 'Internal Server Error'), ok(member()));
    await retrying().upsertMember(EMAIL, { statusIfNew: 'subscribed' });
    expect(requests).toHaveLength(3);
    // Full jitter with random 0.5: half of 100 * 2^0, then half of 100 * 2^1.
    expect(sleeps).toEqual([50, 100]);
  });

  it('does not retry a member in compliance state', async () => {
    responder = () => problem(400, 'Member In Compliance State');
    const error = await failureOf(retrying().upsertMember(EMAIL, { statusIfNew: 'subscribed' }));
    expect(error.code).toBe('complianceState');
    expect(requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a bare 403, MailChimp under load', async () => {
    responder = sequence(bare(403), ok(member()));
    await retrying().upsertMember(EMAIL, { statusIfNew: 'subscribed' });
    expect(requests).toHaveLength(2);
    expect(sleeps).toEqual([50]);
  });

  it('gives up after the last attempt, the delays capped at the maximum', async () => {
    responder = () => bare(503);
    const error = await failureOf(
      audience({ retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 150 } }).unsubscribe(EMAIL),
    );
    expect(error.code).toBe('server');
    expect(requests).toHaveLength(4);
    expect(sleeps).toEqual([50, 75, 75]);
  });

  it('waits as long as Retry-After asks', async () => {
    responder = sequence({ ...bare(429), headers: { 'retry-after': '2' } }, ok(member()));
    await retrying({ retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 5_000 } }).upsertMember(EMAIL, {
      statusIfNew: 'subscribed',
    });
    expect(requests).toHaveLength(2);
    expect(sleeps).toEqual([2_000]);
  });

  it('gives up at once when Retry-After is longer than it may wait', async () => {
    responder = () => ({ ...bare(429), headers: { 'retry-after': '60' } });
    const error = await failureOf(retrying().ping());
    expect(error).toMatchObject({ code: 'rateLimited', retryAfterMs: 60_000 });
    expect(requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a timeout', async () => {
    responder = sequence({ status: 200, hang: true }, ok({ health_status: 'ok' }));
    await retrying({ timeoutMs: 50 }).ping();
    expect(requests).toHaveLength(2);
    expect(sleeps).toEqual([50]);
  });

  it('computes full-jitter delays from the injected random', () => {
    const policy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 5_000 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backOff(policy, attempt, () => 0.999))).toEqual([
      199, 399, 799, 1598, 3196, 4995,
    ]);
    expect(backOff(policy, 3, () => 0)).toBe(0);
    expect(backOff(policy, 1, () => 0.5, 1_500)).toBe(1_500);
    expect(backOff(policy, 1, () => 0.5, 5_001)).toBeUndefined();
  });
});

describe('MailChimp audience: concurrency', () => {
  it('never has more calls in flight than the limit', async () => {
    responder = () => ({ ...ok(member()), delayMs: 20 });
    const mailchimp = audience({ maxConcurrent: 3 });
    // Calls arrive while others finish, so a freed slot is contended by waiting and new calls alike.
    const calls = [];
    for (let call = 0; call < 12; call++) {
      calls.push(mailchimp.getMember(EMAIL));
      await delay(4);
    }
    await Promise.all(calls);
    expect(requests).toHaveLength(12);
    expect(maxInFlight).toBe(3);
  });

  it('allows 5 at once by default', async () => {
    responder = () => ({ ...ok(member()), delayMs: 20 });
    const mailchimp = audience();
    await Promise.all(Array.from({ length: 12 }, () => mailchimp.getMember(EMAIL)));
    expect(maxInFlight).toBe(5);
  });

  it('frees its slot while backing off', async () => {
    let released: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      released = resolve;
    });
    // The first call fails once, then waits in back-off until the second call has been answered.
    responder = (_request, index) => (index === 0 ? bare(503) : ok(member()));
    const mailchimp = audience({
      maxConcurrent: 1,
      retry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 1_000 },
      sleep: () => gate,
    });
    const first = mailchimp.getMember(EMAIL);
    await delay(20);
    await mailchimp.getMember(EMAIL);
    released();
    await first;
    expect(requests).toHaveLength(3);
  });
});
