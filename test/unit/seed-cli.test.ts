/** `npm run seed`: its arguments, the request body the server accepts, and how it follows a job. */
import { describe, expect, it } from 'vitest';
import { readSeedRequest, type SeedStatus, seedService } from '../../local/seed.ts';
import { parseSeedArgs, runSeed, SeedRunError, SeedUsageError, summary } from '../../local/seed-cli.ts';
import type { LocalRequest } from '../../local/services.ts';
import { exampleConfig } from '../support/config.ts';

describe('npm run seed arguments', () => {
  it('takes --contacts and an optional --seed', () => {
    expect(parseSeedArgs(['--contacts', '100000'])).toEqual({ contacts: 100_000, seed: 1 });
    expect(parseSeedArgs(['--contacts', '100_000', '--seed', '42'])).toEqual({ contacts: 100_000, seed: 42 });
    expect(parseSeedArgs(['--contacts=1000000'])).toEqual({ contacts: 1_000_000, seed: 1 });
    expect(parseSeedArgs(['--help'])).toBeUndefined();
  });

  it.each([
    [[], /Give --contacts/],
    [['--contacts', '0'], /1 to 1000000/],
    [['--contacts', '1000001'], /1 to 1000000/],
    [['--contacts', '-5'], /1 to 1000000|argument/],
    [['--contacts', '2.5'], /1 to 1000000/],
    [['--contacts', 'many'], /1 to 1000000/],
    [['--contacts', '10', '--seed', '4294967296'], /--seed/],
    [['--contacts', '10', '--seeds', '4'], /Unknown option/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseSeedArgs(argv)).toThrow(SeedUsageError);
    expect(() => parseSeedArgs(argv)).toThrow(message);
  });
});

describe('POST /__local/seed body', () => {
  const body = (value: unknown) => ({ body: Buffer.from(JSON.stringify(value)) });

  it('accepts a count and an optional seed', () => {
    expect(readSeedRequest(body({ contacts: 300 }))).toEqual({ contacts: 300, seed: 1 });
    expect(readSeedRequest(body({ contacts: 300, seed: 0 }))).toEqual({ contacts: 300, seed: 0 });
  });

  it.each([
    [{}],
    [{ contacts: 0 }],
    [{ contacts: 1_000_001 }],
    [{ contacts: '300' }],
    [{ contacts: 300, seed: -1 }],
    [{ contacts: 300, seed: 1.5 }],
    [null],
  ])('refuses %j with the usage', (value) => {
    expect(readSeedRequest(body(value))).toMatch(/^Send \{"contacts": N/);
  });

  it('refuses a body that is not JSON', () => {
    expect(readSeedRequest({ body: Buffer.from('contacts=3') })).toMatch(/^Send/);
  });
});

describe('the seed service', () => {
  const request = (method: string, body = ''): LocalRequest => ({
    method,
    pathname: '/__local/seed',
    query: new URLSearchParams(),
    pathParameters: null,
    headers: {},
    body: Buffer.from(body),
  });

  it('refuses to seed while local mode syncs to a real MailChimp audience', async () => {
    const service = seedService({ syncsToRealMailchimp: true, emailHashKey: () => 'k'.repeat(40) });
    await service.start?.({
      // Never reached: the refusal comes first.
      dynamoDb: { endpoint: 'http://127.0.0.1:9', tableName: 'ConsentDesk' },
      clock: { now: () => new Date('2026-11-22T10:00:00Z') },
      config: exampleConfig,
      baseUrl: 'http://127.0.0.1:3000',
    });
    const route = (method: string) => service.routes?.find((candidate) => candidate.method === method);
    const refused = await route('POST')?.handle(request('POST', '{"contacts": 10}'));
    expect(refused?.statusCode).toBe(409);
    expect(JSON.parse(String(refused?.body))).toEqual({
      message: 'Seeding is off while local mode syncs to a real MailChimp audience (MAILCHIMP_API_KEY)',
    });
    const idle = await route('GET')?.handle(request('GET'));
    expect(JSON.parse(String(idle?.body))).toEqual({ state: 'idle' });
    await service.stop?.();
  });
});

const DONE: SeedStatus = {
  state: 'done',
  seed: 42,
  requested: 3,
  people: 3,
  items: 14,
  enquiries: 2,
  kinds: {
    consent: 1,
    soft_opt_in: 1,
    both: 1,
    pending: 0,
    withdrawn: 0,
    suppressed: 0,
    expired: 0,
    restricted: 0,
    refused: 0,
  },
  mailable: { newsletter: { consent: 2, soft_opt_in: 0 }, offers: { consent: 0, soft_opt_in: 2 } },
  asOf: '2026-11-22T10:00:00.000Z',
  elapsedMs: 1500,
};

/** A stand-in for the local server: answers from a script, recording what was asked. */
function fakeServer(answers: Array<Response | Error>) {
  const calls: { method: string; url: string; body: string | undefined }[] = [];
  const lines: string[] = [];
  const io = {
    out: (line: string) => void lines.push(line),
    progress: (line: string) => void (line && lines.push(`progress: ${line}`)),
    sleep: async () => {},
    fetch: (async (url: string, init: RequestInit = {}) => {
      calls.push({ method: init.method ?? 'GET', url, body: init.body as string | undefined });
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      if (next instanceof Error) throw next;
      return next;
    }) as typeof fetch,
  };
  return { io, calls, lines };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('following a seed job', () => {
  it('starts the job, reports progress until it is done and returns the counts', async () => {
    const server = fakeServer([
      json(503, { message: 'Starting' }),
      json(202, { state: 'running', requested: 3, people: 0 }),
      json(200, { state: 'running', requested: 3, people: 1, items: 5, elapsedMs: 500 }),
      json(200, DONE),
    ]);
    const status = await runSeed('http://127.0.0.1:3000', { contacts: 3, seed: 42 }, server.io);
    expect(status).toEqual(DONE);
    expect(server.calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'POST http://127.0.0.1:3000/__local/seed',
      'POST http://127.0.0.1:3000/__local/seed',
      'GET http://127.0.0.1:3000/__local/seed',
      'GET http://127.0.0.1:3000/__local/seed',
    ]);
    expect(JSON.parse(server.calls[0]?.body ?? '')).toEqual({ contacts: 3, seed: 42 });
    expect(server.lines).toContain('progress:   1 / 3 people (33%), 5 items, 2 people/s');
    expect(summary(status)).toEqual(
      expect.arrayContaining([
        'Seeded 3 people (seed 42) in 1.5 s: 14 items, 2 enquiries.',
        '  consent      1',
        '  newsletter   consent 2, soft_opt_in 0, any 2',
        '  offers       consent 0, soft_opt_in 2, any 2',
      ]),
    );
  });

  it('says to run npm start when no server answers', async () => {
    const server = fakeServer([new TypeError('fetch failed')]);
    await expect(runSeed('http://127.0.0.1:3999', { contacts: 3, seed: 1 }, server.io)).rejects.toThrow(
      'No local server answers at http://127.0.0.1:3999: start it with npm start first',
    );
  });

  it("passes on the server's refusal", async () => {
    const server = fakeServer([json(409, { message: 'Seed 1 has already been written to this table' })]);
    const error = await runSeed('http://127.0.0.1:3000', { contacts: 3, seed: 1 }, server.io).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(SeedRunError);
    expect((error as Error).message).toBe('Seed 1 has already been written to this table');
  });

  it('reports a failed job', async () => {
    const server = fakeServer([
      json(202, { state: 'running' }),
      json(200, { state: 'failed', error: 'Error: DynamoDB left 3 items unprocessed after 10 attempts' }),
    ]);
    await expect(runSeed('http://127.0.0.1:3000', { contacts: 3, seed: 1 }, server.io)).rejects.toThrow(
      'Seeding failed: Error: DynamoDB left 3 items unprocessed after 10 attempts',
    );
  });
});
