/**
 * Local mode's staff sign-in: the HS256 tokens `npm run token` prints, the shared signing key, and the
 * authorizer guarding the local server's staff routes.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../infra/config.ts';
import type { FunctionSpec, RouteSpec } from '../../infra/routes.ts';
import { createRequestListener } from '../../local/server.ts';
import {
  authorizerContext,
  LOCAL_TOKEN_AUDIENCE,
  LOCAL_TOKEN_ISSUER,
  loadOrCreateSigningKey,
  type StaffTokenClaims,
  signStaffToken,
  staffAuthService,
  verifyStaffToken,
} from '../../local/staff-auth.ts';
import { parseTokenArgs, runTokenCommand, TokenUsageError } from '../../local/token.ts';
import { listenOnEphemeralPort } from '../support/servers.ts';

const run = promisify(execFile);

const KEY = Buffer.from('local-staff-token-key-for-tests-0123456789');
const OTHER_KEY = Buffer.from('another-staff-token-key-for-tests-98765432');
const NOW = new Date('2026-11-22T10:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const MINUTE = 60_000;

const tempDir = () => mkdtempSync(join(tmpdir(), 'consent-desk-staff-auth-'));
const token = (overrides: { groups?: ('marketing' | 'sales' | 'privacy')[]; minutes?: number } = {}) =>
  signStaffToken(KEY, { username: 'alice', groups: ['marketing'], now: NOW, ...overrides });
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const validPayload = (): Record<string, unknown> => ({
  sub: '11111111-2222-3333-4444-555555555555',
  'cognito:username': 'alice',
  'cognito:groups': ['marketing'],
  token_use: 'id',
  iss: LOCAL_TOKEN_ISSUER,
  aud: LOCAL_TOKEN_AUDIENCE,
  auth_time: NOW_SECONDS,
  iat: NOW_SECONDS,
  exp: NOW_SECONDS + 3600,
});
/** A token put together by hand, HS256-signed with `key` whatever its header says. */
function craft(payload: unknown, header: unknown = { alg: 'HS256', typ: 'JWT' }, key = KEY): string {
  return signSegments(encode(header), encode(payload), key);
}
function signSegments(header: string, payload: string, key = KEY): string {
  return `${header}.${payload}.${createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url')}`;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('staff tokens', () => {
  it('carry the claims of a Cognito ID token and verify for their lifetime', async () => {
    const issued = await token({ groups: ['marketing', 'privacy'] });
    const check = await verifyStaffToken(KEY, issued, NOW);

    expect(check).toEqual({
      ok: true,
      claims: {
        sub: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        'cognito:username': 'alice',
        'cognito:groups': ['marketing', 'privacy'],
        token_use: 'id',
        iss: 'consent-desk-local',
        aud: LOCAL_TOKEN_AUDIENCE,
        auth_time: NOW_SECONDS,
        iat: NOW_SECONDS,
        exp: NOW_SECONDS + 3600,
      },
    });
    const [header] = issued.split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({
      alg: 'HS256',
      typ: 'JWT',
    });
    expect((await verifyStaffToken(KEY, issued, new Date(NOW.getTime() + 60 * MINUTE - 1000))).ok).toBe(true);
  });

  it('give the same user the same subject, and another user another', async () => {
    const subjectOf = async (username: string) => {
      const check = await verifyStaffToken(
        KEY,
        await signStaffToken(KEY, { username, groups: [], now: NOW }),
        NOW,
      );
      return check.ok ? check.claims.sub : undefined;
    };
    expect(await subjectOf('alice')).toBe(await subjectOf('alice'));
    expect(await subjectOf('alice')).not.toBe(await subjectOf('bob'));
  });

  it('leave out the groups claim for a user in no group, as Cognito does', async () => {
    const check = await verifyStaffToken(
      KEY,
      await signStaffToken(KEY, { username: 'x', groups: [], now: NOW }),
      NOW,
    );
    expect(check.ok && 'cognito:groups' in check.claims).toBe(false);
  });

  it('are refused once expired, and before they were issued', async () => {
    const issued = await token({ minutes: 5 });
    expect(await verifyStaffToken(KEY, issued, new Date(NOW.getTime() + 5 * MINUTE))).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(await verifyStaffToken(KEY, issued, new Date(NOW.getTime() - 1000))).toEqual({
      ok: false,
      reason: 'not_yet_valid',
    });
    const notBefore = craft({ ...validPayload(), nbf: NOW_SECONDS + 60 });
    expect(await verifyStaffToken(KEY, notBefore, NOW)).toEqual({ ok: false, reason: 'not_yet_valid' });
  });

  it('are refused when signed with another key, forged or signed by nobody', async () => {
    expect(await verifyStaffToken(OTHER_KEY, await token(), NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const forged = craft(validPayload(), undefined, OTHER_KEY);
    expect(await verifyStaffToken(KEY, forged, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    const [header, payload] = (await token()).split('.');
    expect(await verifyStaffToken(KEY, `${header}.${payload}.`, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('refuse "alg": "none" and every algorithm but HS256, whatever the signature', async () => {
    const payload = validPayload();
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
    expect(await verifyStaffToken(KEY, unsigned, NOW)).toEqual({
      ok: false,
      reason: 'unsupported_algorithm',
    });
    for (const alg of ['none', 'None', 'HS512', 'RS256', 'hs256', undefined]) {
      expect(await verifyStaffToken(KEY, craft(payload, { alg, typ: 'JWT' }), NOW)).toEqual({
        ok: false,
        reason: 'unsupported_algorithm',
      });
    }
    const critical = craft(payload, { alg: 'HS256', crit: ['exp'], exp: 1 });
    expect(await verifyStaffToken(KEY, critical, NOW)).toEqual({
      ok: false,
      reason: 'unsupported_algorithm',
    });
  });

  it('are refused when the payload was changed, e.g. to add a group', async () => {
    const [header, , signature] = (await token()).split('.');
    const elevated = encode({ ...validPayload(), 'cognito:groups': ['marketing', 'privacy'] });
    expect(await verifyStaffToken(KEY, `${header}.${elevated}.${signature}`, NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('never verify with one character changed anywhere', async () => {
    const issued = await token();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(
        fc.nat(issued.length - 1),
        fc.constantFrom(...alphabet),
        async (index, replacement) => {
          fc.pre(issued[index] !== replacement);
          const changed = `${issued.slice(0, index)}${replacement}${issued.slice(index + 1)}`;
          expect((await verifyStaffToken(KEY, changed, NOW)).ok).toBe(false);
        },
      ),
    );
  });

  it.each([
    ['another issuer', { iss: 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_x' }, 'wrong_issuer'],
    ['another audience', { aud: 'another-client' }, 'wrong_audience'],
    ['an access token', { token_use: 'access' }, 'wrong_token_use'],
    ['no subject', { sub: '' }, 'malformed'],
    ['a subject that is not a string', { sub: 7 }, 'malformed'],
    ['groups that are not a list of strings', { 'cognito:groups': 'marketing' }, 'malformed'],
    ['an expiry that is not a number', { exp: `${NOW_SECONDS + 3600}` }, 'malformed'],
    ['an expiry before issue', { exp: NOW_SECONDS - 1 }, 'malformed'],
  ])('are refused with %s, though correctly signed', async (_, change, reason) => {
    expect(await verifyStaffToken(KEY, craft({ ...validPayload(), ...change }), NOW)).toEqual({
      ok: false,
      reason,
    });
  });

  it.each([
    ['an empty string', ''],
    ['two parts', 'a.b'],
    ['four parts', 'a.b.c.d'],
    ['a header that is not JSON', `${Buffer.from('{').toString('base64url')}.e30.sig`],
    ['a header that is an array', `${encode(['HS256'])}.e30.sig`],
    ['characters outside base64url', `${encode({ alg: 'HS256' })}.e3+0.sig`],
    ['a signed payload that is not JSON', signSegments(encode({ alg: 'HS256' }), 'bm90IGpzb24')],
    ['a token too long to be ours', `${encode({ alg: 'HS256' })}.${'a'.repeat(9000)}.sig`],
  ])('are refused when malformed: %s', async (_, text) => {
    expect((await verifyStaffToken(KEY, text, NOW)).ok).toBe(false);
  });

  it('never throws, whatever the text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9_.-]{0,200}$/)), async (text) => {
        expect((await verifyStaffToken(KEY, text, NOW)).ok).toBe(false);
      }),
    );
  });
});

describe('the authorizer context', () => {
  it('is what the REST API Cognito authorizer passes: every claim a string, groups comma-separated', async () => {
    const check = await verifyStaffToken(KEY, await token({ groups: ['marketing', 'privacy'] }), NOW);
    if (!check.ok) throw new Error('the token should verify');

    expect(authorizerContext(check.claims)).toEqual({
      claims: {
        sub: check.claims.sub,
        'cognito:username': 'alice',
        'cognito:groups': 'marketing,privacy',
        token_use: 'id',
        iss: LOCAL_TOKEN_ISSUER,
        aud: LOCAL_TOKEN_AUDIENCE,
        auth_time: String(NOW_SECONDS),
        iat: 'Sun Nov 22 10:00:00 UTC 2026',
        exp: 'Sun Nov 22 11:00:00 UTC 2026',
      },
    });
  });

  it('has no groups claim for a user in no group', async () => {
    const claims: StaffTokenClaims = { ...(validPayload() as unknown as StaffTokenClaims) };
    const { 'cognito:groups': _, ...withoutGroups } = claims;
    expect(authorizerContext(withoutGroups).claims).not.toHaveProperty('cognito:groups');
  });
});

describe('the local signing key', () => {
  it('is created on first use, readable by its owner only, and the same afterwards', async () => {
    const path = join(tempDir(), 'nested', 'staff-token-key');
    const key = loadOrCreateSigningKey(path);

    expect(key.length).toBe(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSigningKey(path).equals(key)).toBe(true);
    expect(readFileSync(path, 'utf8').trim()).toBe(key.toString('base64url'));
  });

  it('is refused with a way out when the file holds something else', async () => {
    const path = join(tempDir(), 'staff-token-key');
    writeFileSync(path, 'short\n');
    expect(() => loadOrCreateSigningKey(path)).toThrow(/does not hold a staff token key \(delete it/);
  });

  it('is the same for processes that create it at the same moment', async () => {
    const path = join(tempDir(), 'staff-token-key');
    const module = pathToFileURL(resolve(REPO_ROOT, 'local/staff-auth.ts')).href;
    // Each process loads the module, then waits for the same moment, so they really do race.
    const startAt = Date.now() + 1500;
    const script = `const { loadOrCreateSigningKey } = await import(${JSON.stringify(module)});
      while (Date.now() < ${startAt});
      process.stdout.write(loadOrCreateSigningKey(${JSON.stringify(path)}).toString('hex'));`;
    const outputs = await Promise.all(
      Array.from({ length: 8 }, () =>
        run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { cwd: REPO_ROOT }),
      ),
    );

    const keys = new Set(outputs.map(({ stdout }) => stdout));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toBe(loadOrCreateSigningKey(path).toString('hex'));
    // Eight Node processes on two cores: give them time to start, the race itself is the 1.5 s mark.
  }, 30_000);
});

describe('the local server with the staff authorizer', () => {
  const spec: FunctionSpec = { entry: 'x.ts', description: 'stub', memorySize: 128, timeoutSeconds: 1 };
  const routes: RouteSpec[] = [
    {
      method: 'GET',
      path: '/contacts',
      function: 'staff',
      access: 'staff',
      groups: ['marketing'],
      throttle: { rateLimit: 1, burstLimit: 1 },
    },
  ];
  const received: APIGatewayProxyEvent[] = [];
  const keyFile = join(tempDir(), 'staff-token-key');
  let server: Server;
  let base: string;

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const service = staffAuthService({ keyFile });
    await service.start?.({
      dynamoDb: { endpoint: 'http://127.0.0.1:9', tableName: 'unused' },
      clock: { now: () => new Date() },
      config: {} as never,
      baseUrl: 'http://127.0.0.1',
    });
    server = createServer(
      createRequestListener({
        routes,
        functions: {
          staff: {
            spec,
            handler: async (event) => {
              received.push(event);
              return { statusCode: 200, body: '[]' };
            },
          },
        },
        services: [service],
        allowedOrigins: ['https://staff.example.co.uk'],
      }),
    );
    base = await listenOnEphemeralPort(server);
  });

  afterEach(() => {
    received.length = 0;
  });

  afterAll(() => {
    server.close();
  });

  const get = (headers: Record<string, string> = {}) => fetch(`${base}/contacts`, { headers });
  const localToken = (now = new Date(), minutes = 60) =>
    signStaffToken(loadOrCreateSigningKey(keyFile), {
      username: 'alice',
      groups: ['marketing'],
      now,
      minutes,
    });

  it('answers 401 without a token, without calling the function', async () => {
    const response = await get();

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(received).toEqual([]);
  });

  it.each([
    [
      'a token signed with another key',
      () => signStaffToken(OTHER_KEY, { username: 'a', groups: ['marketing'], now: new Date() }),
    ],
    ['an unsigned token', () => `${encode({ alg: 'none' })}.${encode(validPayload())}.`],
    ['garbage', () => 'not-a-token'],
  ])('answers 401 for %s', async (_, make) => {
    const response = await get({ Authorization: `Bearer ${make()}` });

    expect(response.status).toBe(401);
    expect(received).toEqual([]);
  });

  it('answers 401 for a valid token sent without the Bearer scheme', async () => {
    expect((await get({ Authorization: await localToken() })).status).toBe(401);
  });

  it('answers 401 once the token has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    const issued = await localToken(NOW, 5);
    vi.setSystemTime(new Date(NOW.getTime() + 5 * MINUTE));

    expect((await get({ Authorization: `Bearer ${issued}` })).status).toBe(401);
    expect(received).toEqual([]);
  });

  it('passes a good token on as the Cognito authorizer would', async () => {
    const response = await get({ authorization: `bearer ${await localToken()}` });

    expect(response.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0]?.requestContext.authorizer).toEqual({
      claims: expect.objectContaining({
        'cognito:username': 'alice',
        'cognito:groups': 'marketing',
        token_use: 'id',
        iss: LOCAL_TOKEN_ISSUER,
      }),
    });
  });

  it('lets a browser see the 401, and preflights the Authorization header', async () => {
    const origin = 'https://staff.example.co.uk';
    const refused = await get({ Origin: origin });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(origin);

    const preflight = await fetch(`${base}/contacts`, { method: 'OPTIONS', headers: { Origin: origin } });
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Content-Type,Accept,Authorization');
  });
});

describe('npm run token', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
  };

  it('reads groups comma-separated or repeated, the user and the lifetime', () => {
    expect(parseTokenArgs(['--groups', 'marketing,privacy'])).toEqual({
      groups: ['marketing', 'privacy'],
      username: 'local-staff',
      minutes: 60,
    });
    expect(
      parseTokenArgs(['--groups', 'sales', '--groups', 'privacy,sales', '--user', 'alice', '--minutes', '5']),
    ).toEqual({ groups: ['sales', 'privacy'], username: 'alice', minutes: 5 });
    expect(parseTokenArgs(['--help'])).toBeUndefined();
  });

  it.each([
    [['--groups', 'admin'], /Unknown group "admin": staff groups are marketing, sales, privacy/],
    [['--groups', 'marketing,root,admin'], /Unknown groups "root", "admin"/],
    [[], /Give --groups/],
    [['--groups', ','], /Give --groups/],
    [['--groups', 'sales', '--minutes', '0'], /--minutes takes a whole number from 1 to 1440/],
    [['--groups', 'sales', '--minutes', '1441'], /--minutes/],
    [['--groups', 'sales', '--minutes', '1.5'], /--minutes/],
    [['--groups', 'sales', '--user', 'a b'], /--user/],
    [['--groups', 'sales', '--nope'], /Unknown option '--nope'/],
    [['--groups', 'sales', 'extra'], /positional/],
  ])('refuses %j', async (argv, message) => {
    expect(() => parseTokenArgs(argv)).toThrow(TokenUsageError);
    expect(() => parseTokenArgs(argv)).toThrow(message);
  });

  it('prints only the token on stdout, a token the server accepts, and exits 0', async () => {
    const keyFile = join(tempDir(), 'staff-token-key');
    const { out, err, io: streams } = io();

    const code = await runTokenCommand(['--groups', 'privacy', '--user', 'bob'], streams, {
      keyFile,
      now: NOW,
    });

    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const check = await verifyStaffToken(loadOrCreateSigningKey(keyFile), out[0] ?? '', NOW);
    expect(check).toMatchObject({
      ok: true,
      claims: { 'cognito:username': 'bob', 'cognito:groups': ['privacy'] },
    });
    expect(err.join('\n')).toMatch(/valid until 2026-11-22T11:00:00\.000Z/);
  });

  it('exits 2 with the usage for an unknown group, printing no token', async () => {
    const { out, err, io: streams } = io();

    expect(await runTokenCommand(['--groups', 'admins'], streams, { keyFile: join(tempDir(), 'k') })).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(/Unknown group "admins"[\s\S]*Usage: npm run token/);
  });

  it('exits 1 when the key file is unusable', async () => {
    const keyFile = join(tempDir(), 'staff-token-key');
    writeFileSync(keyFile, 'not a key');
    const { out, err, io: streams } = io();

    expect(await runTokenCommand(['--groups', 'sales'], streams, { keyFile })).toBe(1);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(/Could not make a token: .*does not hold a staff token key/);
  });

  it('sets the exit code of the real command', async () => {
    const tsx = resolve(REPO_ROOT, 'node_modules/.bin/tsx');
    const env = {
      ...process.env,
      PATH: `${resolve(REPO_ROOT, 'node_modules/.bin')}${delimiter}${process.env.PATH}`,
    };
    const failure = await run(tsx, ['local/token.ts', '--groups', 'admins'], { cwd: REPO_ROOT, env }).then(
      () => undefined,
      (error: { code?: number; stdout?: string; stderr?: string }) => error,
    );

    expect(failure?.code).toBe(2);
    expect(failure?.stdout).toBe('');
    expect(failure?.stderr).toContain('Unknown group "admins"');
  });
});
