/**
 * `npm run mailchimp:setup` against the MailChimp emulator on an ephemeral port, with a second server standing
 * in for our API so the emulator's validation GET has somewhere to go.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  parseSetupArgs,
  runSetup,
  SetupError,
  type SetupOptions,
} from '../../infra/commands/mailchimp-setup.ts';
import { mailchimpEmulatorService } from '../../local/mailchimp-emulator/index.ts';
import { createRequestListener } from '../../local/server.ts';
import { exampleConfig } from '../support/config.ts';
import { listenOnEphemeralPort } from '../support/servers.ts';

const API_KEY = 'fedcba9876543210fedcba9876543210-us1';
const LIST = 'local-list';
const URL_KEY = 'url-key-0123456789abcdef';
const NEW_URL_KEY = 'url-key-rotated-fedcba98';

const service = mailchimpEmulatorService({ apiKey: API_KEY, listId: LIST });
const { emulator } = service;

const validations: { method: string; url: string; userAgent: string | undefined }[] = [];
let apiServer: Server;
let ourApi: Server;
let ourApiUrl: string;

beforeAll(async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  apiServer = createServer(
    createRequestListener({ routes: [], functions: {}, services: [service], allowedOrigins: [] }),
  );
  const base = await listenOnEphemeralPort(apiServer);
  ourApi = createServer((request, response) => {
    validations.push({
      method: request.method ?? '',
      url: request.url ?? '',
      userAgent: request.headers['user-agent'],
    });
    response.writeHead(request.url?.startsWith('/prod/') ? 200 : 404).end();
  });
  ourApiUrl = `${await listenOnEphemeralPort(ourApi)}/prod`;
  await service.start?.({
    dynamoDb: { endpoint: 'http://127.0.0.1:9', tableName: 'unused' },
    clock: { now: () => new Date('2025-03-01T09:00:00Z') },
    config: exampleConfig,
    baseUrl: base,
  });
});

beforeEach(() => {
  emulator.reset();
  validations.length = 0;
});

afterAll(async () => {
  await service.stop?.();
  apiServer.closeAllConnections();
  ourApi.closeAllConnections();
  await Promise.all([apiServer, ourApi].map((s) => new Promise((done) => s.close(done))));
  vi.restoreAllMocks();
});

const hookUrl = (key = URL_KEY) => `${ourApiUrl}/webhooks/mailchimp?key=${key}`;

const options = (overrides: Partial<SetupOptions> = {}): SetupOptions => ({
  apiKey: API_KEY,
  server: 'us1',
  listId: LIST,
  webhookUrl: hookUrl(),
  basePath: service.apiBaseUrl,
  replace: false,
  dryRun: false,
  topicIds: ['newsletter', 'offers'],
  retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  timeoutMs: 5_000,
  ...overrides,
});

/** Runs the setup, keeping every line it printed; a failure's message counts as output too. */
async function setup(overrides: Partial<SetupOptions> = {}) {
  const lines: string[] = [];
  try {
    const outcome = await runSetup(options(overrides), { out: (line) => lines.push(line) });
    return { outcome, output: lines.join('\n'), error: undefined };
  } catch (error) {
    lines.push((error as Error).message);
    return { outcome: undefined, output: lines.join('\n'), error: error as Error };
  }
}

const webhooks = async () => {
  const response = await fetch(`${service.apiBaseUrl}/lists/${LIST}/webhooks`, {
    headers: { Authorization: `Basic ${Buffer.from(`any:${API_KEY}`).toString('base64')}` },
  });
  return (
    (await response.json()) as { webhooks: { id: string; url: string; events: object; sources: object }[] }
  ).webhooks;
};

const mergeFields = async () => {
  const response = await fetch(`${service.apiBaseUrl}/lists/${LIST}/merge-fields`, {
    headers: { Authorization: `Basic ${Buffer.from(`any:${API_KEY}`).toString('base64')}` },
  });
  return (
    (await response.json()) as {
      merge_fields: { tag: string; type: string; required: boolean; public: boolean }[];
    }
  ).merge_fields;
};

const expectNoSecrets = (output: string) => {
  expect(output).not.toContain(API_KEY);
  expect(output).not.toContain(URL_KEY);
  expect(output).not.toContain(NEW_URL_KEY);
};

describe('runSetup', () => {
  it('fails with a clear message when MailChimp refuses the API key, and changes nothing', async () => {
    const wrongKey = '00000000000000000000000000000000-us1';
    const { error, output } = await setup({ apiKey: wrongKey });

    expect(error).toBeInstanceOf(SetupError);
    expect(error?.message).toMatch(
      /^Could not check the API key: MailChimp refused the credentials \(HTTP 401/,
    );
    expect(error?.message).toContain('Check the API key');
    expect(output).not.toContain(wrongKey);
    expect(await webhooks()).toEqual([]);
  });

  it('registers the webhook with our events and sources, after MailChimp validates the URL', async () => {
    const { outcome, output } = await setup();

    expect(outcome).toBe('registered');
    expect(validations).toEqual([
      {
        method: 'GET',
        url: `/prod/webhooks/mailchimp?key=${URL_KEY}`,
        userAgent: 'MailChimp.com WebHook Validator',
      },
    ]);
    expect(await webhooks()).toEqual([
      {
        id: expect.any(String),
        url: hookUrl(),
        events: {
          subscribe: true,
          unsubscribe: true,
          profile: true,
          cleaned: true,
          upemail: true,
          campaign: false,
        },
        sources: { user: true, admin: true, api: false },
        list_id: LIST,
      },
    ]);
    expect(output).toContain(`${ourApiUrl}/webhooks/mailchimp?key=****`);
    expect(output).toContain('MailChimp does not sign webhooks');
    expect(output).toContain('topic:newsletter, topic:offers, soft-opt-in');
    expectNoSecrets(output);
  });

  it('creates the preferences link merge field once: url, not required, hidden from signup forms', async () => {
    const first = await setup({ preferencesMergeTag: 'PREFLINK' });

    expect(first.output).toContain('Merge field PREFLINK: created');
    expect(first.output).toContain('*|PREFLINK|*');
    expect((await mergeFields()).filter((field) => field.tag === 'PREFLINK')).toEqual([
      expect.objectContaining({ tag: 'PREFLINK', type: 'url', required: false, public: false }),
    ]);

    const again = await setup({ preferencesMergeTag: 'PREFLINK' });
    expect(again.output).toContain('Merge field PREFLINK: present (url)');
    expect((await mergeFields()).filter((field) => field.tag === 'PREFLINK')).toHaveLength(1);
  });

  it('uses PREFSURL when the config names no merge tag', async () => {
    const { output } = await setup();

    expect(output).toContain('Merge field PREFSURL: created');
    expect((await mergeFields()).map((field) => field.tag)).toContain('PREFSURL');
  });

  it('refuses a merge field of the same tag that cannot hold a link, and changes nothing', async () => {
    await fetch(`${service.apiBaseUrl}/lists/${LIST}/merge-fields`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`any:${API_KEY}`).toString('base64')}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ tag: 'PREFSURL', name: 'Score', type: 'number' }),
    });

    const { error } = await setup();

    expect(error).toBeInstanceOf(SetupError);
    expect(error?.message).toMatch(/PREFSURL exists as a number field.*mailchimp\.preferencesMergeTag/);
    expect(await webhooks()).toEqual([]);
  });

  it('with skipWebhook checks the key and the merge field and leaves webhooks alone', async () => {
    const { outcome, output } = await setup({ webhookUrl: undefined });

    expect(outcome).toBe('webhook-skipped');
    expect(output).toContain('Merge field PREFSURL: created');
    expect(output).toContain('--skip-webhook');
    expect(await webhooks()).toEqual([]);
    expect(validations).toEqual([]);
  });

  it('finds its webhook when run again and does not add a second one', async () => {
    await setup();
    validations.length = 0;

    const { outcome, output } = await setup();

    expect(outcome).toBe('unchanged');
    expect(output).toMatch(/Webhook: already registered as \w+/);
    expect(validations).toEqual([]);
    expect(await webhooks()).toHaveLength(1);
  });

  it('reports a webhook with an old key and changes nothing without --replace', async () => {
    await setup();

    const { error, output } = await setup({ webhookUrl: hookUrl(NEW_URL_KEY) });

    expect(error).toBeInstanceOf(SetupError);
    expect(output).toMatch(/Outdated webhook \w+: .*key=\*\*\*\* \(another key\)/);
    expect(error?.message).toContain('--replace');
    expect((await webhooks()).map((w) => w.url)).toEqual([hookUrl()]);
    expectNoSecrets(output);
  });

  it('with --replace registers the URL with the new key and deletes the old webhook', async () => {
    await setup();
    const [old] = await webhooks();

    const { outcome, output } = await setup({ webhookUrl: hookUrl(NEW_URL_KEY), replace: true });

    expect(outcome).toBe('replaced');
    expect(output).toContain(`Webhook: deleted ${old?.id}.`);
    expect((await webhooks()).map((w) => w.url)).toEqual([hookUrl(NEW_URL_KEY)]);
    expectNoSecrets(output);
  });

  it('with --replace re-creates our webhook when its events or sources differ', async () => {
    await fetch(`${service.apiBaseUrl}/lists/${LIST}/webhooks`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`any:${API_KEY}`).toString('base64')}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ url: hookUrl(), sources: { api: true } }),
    });

    const { outcome } = await setup({ replace: true });

    expect(outcome).toBe('replaced');
    expect(await webhooks()).toEqual([
      expect.objectContaining({ url: hookUrl(), sources: { user: true, admin: true, api: false } }),
    ]);
  });

  it('leaves webhooks for other URLs alone', async () => {
    await setup({ webhookUrl: `${ourApiUrl}/other/webhooks/mailchimp?key=${URL_KEY}` });

    const { outcome, output } = await setup({ replace: true });

    expect(outcome).toBe('registered');
    expect(output).toContain('Other webhooks on the audience: 1, left alone.');
    expect(await webhooks()).toHaveLength(2);
  });

  it('with --dry-run reports what it would do and changes nothing', async () => {
    const fieldsBefore = await mergeFields();
    const first = await setup({ dryRun: true });
    expect(first.outcome).toBe('dry-run');
    expect(first.output).toContain('Webhook: would register');
    expect(first.output).toContain('Merge field PREFSURL: would create it');
    expect(await webhooks()).toEqual([]);
    expect(await mergeFields()).toEqual(fieldsBefore);

    await setup();
    const [old] = await webhooks();
    const second = await setup({ webhookUrl: hookUrl(NEW_URL_KEY), replace: true, dryRun: true });

    expect(second.output).toContain(`Webhook: would delete ${old?.id}.`);
    expect(await webhooks()).toEqual([old]);
    expect(validations).toHaveLength(1);
  });

  it('says why MailChimp refused the URL when the validation GET fails', async () => {
    const { error } = await setup({
      webhookUrl: `${ourApiUrl.replace('/prod', '/stage')}/webhooks/mailchimp?key=${URL_KEY}`,
    });

    expect(error?.message).toMatch(/^MailChimp refused the webhook URL .*reachable from the internet/);
    expectNoSecrets(error?.message ?? '');
  });

  it.each([
    ['http://api.example.com/webhooks/mailchimp?key=k', /must be https/],
    ['not a url', /not a URL/],
    ['https://api.example.com/prod?key=k', /must end in \/webhooks\/mailchimp/],
    ['https://api.example.com/webhooks/mailchimp', /must carry \?key=/],
    ['https://user:pass@api.example.com/webhooks/mailchimp?key=k', /user name or password/],
  ])('refuses the webhook URL %s before calling MailChimp', async (webhookUrl, message) => {
    const { error } = await setup({ webhookUrl, basePath: 'http://127.0.0.1:9/3.0' });

    expect(error).toBeInstanceOf(SetupError);
    expect(error?.message).toMatch(message);
  });
});

describe('parseSetupArgs', () => {
  const url = 'https://api.example.com/prod/webhooks/mailchimp?key=k';

  it('takes flags over the environment, and the environment over the config', () => {
    const parsed = parseSetupArgs(
      ['--webhook-url', url, '--list', 'flag-list', '--replace'],
      { MAILCHIMP_API_KEY: 'abc-us9', MAILCHIMP_SERVER: 'us7', MAILCHIMP_LIST_ID: 'env-list' },
      { mailchimp: { server: 'us21', listId: 'config-list' }, topics: [{ id: 'newsletter' }] },
    );

    expect(parsed).toEqual({
      apiKey: 'abc-us9',
      server: 'us7',
      listId: 'flag-list',
      webhookUrl: url,
      basePath: undefined,
      replace: true,
      dryRun: false,
      topicIds: ['newsletter'],
    });
  });

  it('takes the merge tag from the config, and --skip-webhook instead of a webhook URL', () => {
    const parsed = parseSetupArgs(
      ['--skip-webhook'],
      { MAILCHIMP_API_KEY: 'abc-us9' },
      { mailchimp: { listId: 'l', preferencesMergeTag: 'PREFLINK' } },
    );

    expect(parsed).toMatchObject({ webhookUrl: undefined, preferencesMergeTag: 'PREFLINK' });
    expect(() =>
      parseSetupArgs(
        ['--skip-webhook', '--webhook-url', url],
        { MAILCHIMP_API_KEY: 'k-us1' },
        {
          mailchimp: { listId: 'l' },
        },
      ),
    ).toThrow(/not both/);
  });

  it('falls back to the config, then to the data centre in the key', () => {
    expect(
      parseSetupArgs(['--webhook-url', url, '--api-key', 'abc-us9'], {}, { mailchimp: { listId: 'l' } }),
    ).toMatchObject({ server: 'us9', listId: 'l', apiKey: 'abc-us9' });
  });

  it('asks for what is missing, and answers --help with undefined', () => {
    expect(() => parseSetupArgs(['--webhook-url', url], {}, {})).toThrow(/MAILCHIMP_API_KEY/);
    expect(() => parseSetupArgs(['--webhook-url', url], { MAILCHIMP_API_KEY: 'k-us1' }, {})).toThrow(
      /MAILCHIMP_LIST_ID/,
    );
    expect(() => parseSetupArgs([], { MAILCHIMP_API_KEY: 'k-us1', MAILCHIMP_LIST_ID: 'l' }, {})).toThrow(
      /--webhook-url/,
    );
    expect(() => parseSetupArgs(['--nope'], {}, {})).toThrow(SetupError);
    expect(parseSetupArgs(['--help'], {}, {})).toBeUndefined();
  });
});
