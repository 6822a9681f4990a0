/**
 * `npm start`: the whole system on one machine, with no AWS account. DynamoDB Local with the deployed
 * table's definition, the same handlers behind a local API Gateway, and the local services.
 *
 *   npm start                # everything in memory
 *   npm start -- --persist   # keep data (and the local keys) in .data/ between runs
 *
 * PORT (3000), DYNAMODB_PORT (8000) and CONSENT_DESK_CONFIG (consent-desk.config.json) override defaults.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { DEFAULT_PREFERENCES_MERGE_TAG, runSetup } from '../infra/commands/mailchimp-setup.ts';
import { FUNCTIONS, type FunctionName, ROUTES, type RouteSpec } from '../infra/routes.ts';
import { now } from '../shared/clock.ts';
import { type AppConfig, parseAppConfig, toRuntimeConfig } from '../shared/config/schema.ts';
import { STAFF_GROUPS } from '../shared/domain/staff-access.ts';
import { parseKeyRing } from '../shared/domain/tokens.ts';
import { describeError, log } from '../shared/log.ts';
import { clockService } from './clock.ts';
import { CONSOLE_PATH, consoleService } from './console.ts';
import { demoPageService } from './demo-page.ts';
import {
  createTable,
  type DynamoDbLocal,
  LOCAL_AWS,
  startDynamoDbLocal,
  LOCAL_TABLE_NAME as TABLE_NAME,
} from './dynamodb.ts';
import {
  DEFAULT_EMULATOR_LIST_ID,
  mailchimpEmulatorBasePath,
  mailchimpEmulatorService,
} from './mailchimp-emulator.ts';
import { chooseLocalMailchimp, type LocalMailchimp, mailchimpEmulatorOffService } from './mailchimp-mode.ts';
import { outboxService } from './outbox.ts';
import { seedService } from './seed.ts';
import { createRequestListener, type LoadedFunction, listen } from './server.ts';
import type { LocalService, LocalServiceContext } from './services.ts';
import { staffAuthService } from './staff-auth.ts';
import { streamPollerService, TtlDeletions } from './stream-poller.ts';
import { ttlSweeperService } from './ttl-sweeper.ts';

/** Any key works with the emulator. Real MailChimp is used only when MAILCHIMP_API_KEY is set. */
const LOCAL_MAILCHIMP_API_KEY = 'local-emulator-key-us1';
/** With real MailChimp its webhooks cannot reach this machine: reconciliation runs this often instead. */
const LOCAL_RECONCILE_INTERVAL_MS = 60_000;
const ROOT = resolve(import.meta.dirname, '..');
const DATA_DIR = resolve(ROOT, '.data');

interface Settings {
  readonly persist: boolean;
  readonly port: number;
  readonly dynamoDbPort: number;
  readonly configPath: string;
}

async function main(): Promise<void> {
  const settings = readSettings();
  const config = readConfig(settings.configPath);

  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  let startup: Promise<void> = Promise.resolve();
  let shuttingDown = false;
  const shutDown = (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`\n${signal}: stopping…`);
    // A stuck cleanup must not keep the terminal hostage.
    setTimeout(() => process.exit(1), 10_000).unref();
    // Let a half-finished start register what it started (DynamoDB Local's Java process) first.
    startup
      .catch(() => {})
      .then(cleanUp)
      .then(() => process.exit(0));
  };
  process.on('SIGINT', shutDown);
  process.on('SIGTERM', shutDown);

  startup = start(settings, config, cleanups);
  try {
    await startup;
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function start(
  settings: Settings,
  config: AppConfig,
  cleanups: Array<() => Promise<void>>,
): Promise<void> {
  // Decided before anything starts (a key for the wrong data centre fails here), and before the
  // function environment replaces MAILCHIMP_API_KEY.
  const mailchimpMode = chooseLocalMailchimp(process.env, config);
  // Bind first: a taken port fails before anything else has been started.
  let listener: ReturnType<typeof createRequestListener> | undefined;
  const server = createServer((request, response) => {
    if (listener) return listener(request, response);
    response.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' });
    response.end('{"message":"Starting"}');
  });
  await listen(server, settings.port);
  cleanups.push(
    () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  );

  const dynamoDb: DynamoDbLocal = await startDynamoDbLocal({
    port: settings.dynamoDbPort,
    ...(settings.persist ? { persistDir: resolve(DATA_DIR, 'dynamodb') } : {}),
  });
  cleanups.push(() => dynamoDb.stop());
  const client = new DynamoDBClient({ endpoint: dynamoDb.endpoint, ...LOCAL_AWS });
  try {
    await createTable(client, TABLE_NAME);
  } finally {
    client.destroy();
  }

  const baseUrl = `http://127.0.0.1:${settings.port}`;
  setFunctionEnvironment(config, dynamoDb.endpoint, settings.persist, baseUrl, mailchimpMode);
  const functions = await loadFunctions();
  // The stream consumer, loaded like the API's handlers once the environment is set.
  const { handler: syncToMailchimp } = await import('../functions/mailchimp-sync/handler.ts');

  const context: LocalServiceContext = {
    dynamoDb: { endpoint: dynamoDb.endpoint, tableName: TABLE_NAME },
    // The clock the handlers read, which POST /__local/clock moves.
    clock: { now },
    config,
    baseUrl,
  };
  const mailchimp =
    mailchimpMode.kind === 'emulator'
      ? mailchimpEmulatorService({ apiKey: LOCAL_MAILCHIMP_API_KEY })
      : mailchimpEmulatorOffService();
  const ttlDeletions = new TtlDeletions();
  const ttlSweeper = ttlSweeperService({ ttlDeletions });
  // Started in this order and stopped in reverse: the poller holds its iterators before the first sweep.
  const services: LocalService[] = [
    demoPageService(toRuntimeConfig(config)),
    outboxService(),
    // Stream consumers (what an event source mapping invokes in AWS) are registered here.
    streamPollerService({
      consumers: [{ name: 'mailchimp-sync', handle: (event) => syncToMailchimp(event, streamContext) }],
      ttlDeletions,
    }),
    ttlSweeper,
    clockService({ sweep: () => ttlSweeper.sweep() }),
    seedService({ syncsToRealMailchimp: mailchimpMode.kind === 'real' }),
    mailchimp,
    // Cognito and API Gateway's authorizer for the staff routes: tokens from `npm run token`.
    staffAuthService({ keyFile: resolve(DATA_DIR, 'staff-token-key') }),
    consoleService({ keyFile: resolve(DATA_DIR, 'staff-token-key') }),
  ];
  for (const service of services) {
    await service.start?.(context);
    const { stop } = service;
    if (stop) cleanups.push(() => stop.call(service));
  }

  listener = createRequestListener({
    routes: ROUTES,
    functions,
    services,
    allowedOrigins: config.allowedOrigins,
  });
  const shownUrl = `http://localhost:${settings.port}`;
  let mailchimpReport: string[];
  if (mailchimpMode.kind === 'emulator') {
    await registerMailchimpWebhook(baseUrl, preferencesMergeTag(config));
    mailchimpReport = [
      `${shownUrl}/__local/mailchimp/members (emulator)`,
      ...(mailchimpMode.note ? [`${mailchimpMode.note}: using the emulator`] : []),
    ];
  } else {
    mailchimpReport = await checkRealMailchimp(mailchimpMode, preferencesMergeTag(config));
    cleanups.push(await scheduleReconciliation());
  }
  printBanner(shownUrl, dynamoDb.endpoint, settings.persist, mailchimpReport);
}

function readSettings(): Settings {
  const { values } = parseArgs({
    options: { persist: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log('Usage: npm start [-- --persist]\nEnvironment: PORT, DYNAMODB_PORT, CONSENT_DESK_CONFIG');
    process.exit(0);
  }
  return {
    persist: values.persist,
    port: readPort('PORT', 3000),
    dynamoDbPort: readPort('DYNAMODB_PORT', 8000),
    configPath: resolve(process.env.CONSENT_DESK_CONFIG ?? 'consent-desk.config.json'),
  };
}

function readPort(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${name} must be a port number`);
  return port;
}

function readConfig(path: string): AppConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the config file ${path} (set CONSENT_DESK_CONFIG to use another)`, {
      cause: error,
    });
  }
  return parseAppConfig(json);
}

/** The merge field carrying preferences links, as the deployed stack names it. */
function preferencesMergeTag(config: AppConfig): string {
  return config.mailchimp?.preferencesMergeTag ?? DEFAULT_PREFERENCES_MERGE_TAG;
}

/** The environment the stack gives each function, with local stand-ins. Handlers read it at import. */
/** Stream consumers get a context too; nothing of ours reads more than its request id. */
const streamContext = { awsRequestId: 'local-stream', functionName: 'mailchimp-sync' } as Context;

function setFunctionEnvironment(
  config: AppConfig,
  dynamoDbEndpoint: string,
  persist: boolean,
  baseUrl: string,
  mailchimp: LocalMailchimp,
): void {
  // Settings meant for AWS would send the SDK looking for real credentials or secrets.
  for (const name of [
    'AWS_PROFILE',
    'AWS_SESSION_TOKEN',
    'EMAIL_HASH_KEY_SECRET_ARN',
    'TOKEN_SIGNING_KEYS_SECRET_ARN',
    'TURNSTILE_SECRET_ARN',
    'MAILCHIMP_WEBHOOK_SECRET_ARN',
    'MAILCHIMP_API_KEY_SECRET_ARN',
    'MAILCHIMP_API_KEY',
    'MAILCHIMP_BASE_PATH',
  ])
    delete process.env[name];
  Object.assign(process.env, {
    TABLE_NAME,
    APP_CONFIG: JSON.stringify(toRuntimeConfig(config)),
    MAIL_TRANSPORT: 'outbox',
    EMAIL_HASH_KEY: emailHashKey(persist),
    TOKEN_SIGNING_KEYS: tokenSigningKeys(persist),
    // The emulator's webhook is registered anew on every start, so its URL key need not persist.
    MAILCHIMP_WEBHOOK_SECRET: JSON.stringify({ urlKey: randomBytes(32).toString('base64url') }),
    // The sync (and reconciliation) talk to the emulator or to the real audience, through MailChimp's own
    // client either way.
    ...(mailchimp.kind === 'real'
      ? {
          MAILCHIMP_API_KEY: mailchimp.apiKey,
          MAILCHIMP_SERVER: mailchimp.server,
          MAILCHIMP_LIST_ID: mailchimp.listId,
        }
      : {
          MAILCHIMP_API_KEY: LOCAL_MAILCHIMP_API_KEY,
          MAILCHIMP_SERVER: 'us1',
          MAILCHIMP_LIST_ID: DEFAULT_EMULATOR_LIST_ID,
          MAILCHIMP_BASE_PATH: mailchimpEmulatorBasePath(baseUrl),
        }),
    MAILCHIMP_PREFERENCES_MERGE_TAG: preferencesMergeTag(config),
    // Preferences links in MailChimp point here unless the config names a public base URL.
    API_BASE_URL: baseUrl,
    DYNAMODB_ENDPOINT: dynamoDbEndpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
}

/**
 * Suppression and contact ids are keyed hashes of emails: a persisted store needs the same key on every
 * run, or nobody already stored would be recognised.
 */
function emailHashKey(persist: boolean): string {
  if (!persist) return randomBytes(32).toString('base64url');
  const path = resolve(DATA_DIR, 'email-hash-key');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * A one-key ring in the deployed secret's shape. Persisted with the data, so links in mail from an
 * earlier run still work.
 */
function tokenSigningKeys(persist: boolean): string {
  const generate = () => JSON.stringify({ current: 'k1', k1: randomBytes(32).toString('base64url') });
  if (!persist) return generate();
  const path = resolve(DATA_DIR, 'token-signing-keys.json');
  if (existsSync(path)) {
    const ring = readFileSync(path, 'utf8').trim();
    try {
      parseKeyRing(ring);
    } catch (error) {
      throw new Error(`${path} is not a valid key ring (delete it to start with a new one)`, {
        cause: error,
      });
    }
    return ring;
  }
  const ring = generate();
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(path, `${ring}\n`, { mode: 0o600 });
  return ring;
}

async function loadFunctions(): Promise<Partial<Record<FunctionName, LoadedFunction>>> {
  const functions: Partial<Record<FunctionName, LoadedFunction>> = {};
  for (const name of new Set(ROUTES.map((route) => route.function))) {
    const spec = FUNCTIONS[name];
    let module: { handler?: unknown };
    try {
      module = await import(pathToFileURL(resolve(ROOT, spec.entry)).href);
    } catch (error) {
      throw new Error(`The ${name} function (${spec.entry}) failed to load`, { cause: error });
    }
    if (typeof module.handler !== 'function') throw new Error(`${spec.entry} does not export a handler`);
    functions[name] = { spec, handler: module.handler as LoadedFunction['handler'] };
  }
  return functions;
}

/**
 * Registers our webhook with the emulator through the same setup command ops run against MailChimp (its
 * validation GET included), so `POST /__local/mailchimp/unsubscribe` reaches the webhook function.
 */
async function registerMailchimpWebhook(baseUrl: string, mergeTag: string): Promise<void> {
  const { urlKey } = JSON.parse(process.env.MAILCHIMP_WEBHOOK_SECRET ?? '{}') as { urlKey: string };
  await runSetup(
    {
      apiKey: LOCAL_MAILCHIMP_API_KEY,
      server: 'us1',
      listId: DEFAULT_EMULATOR_LIST_ID,
      webhookUrl: `${baseUrl}/webhooks/mailchimp?key=${urlKey}`,
      basePath: mailchimpEmulatorBasePath(baseUrl),
      replace: false,
      dryRun: false,
      preferencesMergeTag: mergeTag,
    },
    // Its report is for people running the command; the banner says what matters here.
    { out: () => {} },
  );
}

/**
 * Real MailChimp: checks the key and the merge field without changing anything (the setup command's dry
 * run), and says what to do. A failure is reported, not fatal: local mode works without MailChimp.
 */
async function checkRealMailchimp(
  mailchimp: Extract<LocalMailchimp, { kind: 'real' }>,
  mergeTag: string,
): Promise<string[]> {
  const lines = [
    `real audience ${mailchimp.listId} on ${mailchimp.server} (MAILCHIMP_API_KEY is set); ` +
      'the emulator and /__local/mailchimp are off',
    "MailChimp's webhook cannot reach localhost, so none is registered: reconciliation runs every " +
      `${LOCAL_RECONCILE_INTERVAL_MS / 1000} s and applies unsubscribes made in MailChimp`,
  ];
  const report: string[] = [];
  try {
    await runSetup(
      {
        apiKey: mailchimp.apiKey,
        server: mailchimp.server,
        listId: mailchimp.listId,
        webhookUrl: undefined,
        replace: false,
        dryRun: true,
        preferencesMergeTag: mergeTag,
      },
      { out: (line) => report.push(line) },
    );
  } catch (error) {
    // Setup errors never quote the key.
    lines.push(`MailChimp check failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (report.some((line) => line.includes('would create'))) {
    lines.push(
      `Merge field ${mergeTag} is missing: run npm run mailchimp:setup -- --skip-webhook to create it`,
    );
  }
  return lines;
}

/**
 * Runs the reconciliation now and then every LOCAL_RECONCILE_INTERVAL_MS, one run at a time (as reserved
 * concurrency 1 does in AWS), with a context that counts down the function's timeout. Returns its cleanup.
 */
async function scheduleReconciliation(): Promise<() => Promise<void>> {
  const { handler } = await import('../functions/mailchimp-reconcile/handler.ts');
  const timeoutMs = FUNCTIONS.mailchimpReconcile.timeoutSeconds * 1000;
  let running: Promise<unknown> | undefined;
  const run = () => {
    if (running) return;
    const deadline = Date.now() + timeoutMs;
    const context = {
      awsRequestId: 'local-reconcile',
      functionName: 'mailchimp-reconcile',
      getRemainingTimeInMillis: () => deadline - Date.now(),
    } as Context;
    running = handler({} as ScheduledEvent, context)
      .catch((error: unknown) => log.warn('local.reconcile_failed', describeError(error)))
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, LOCAL_RECONCILE_INTERVAL_MS);
  return async () => {
    clearInterval(timer);
    await running;
  };
}

function printBanner(
  baseUrl: string,
  dynamoDbEndpoint: string,
  persist: boolean,
  mailchimp: readonly string[],
): void {
  const routeList = (access: RouteSpec['access']) =>
    ROUTES.filter((route) => route.access === access)
      .map((route) => `${route.method} ${route.path}`)
      .join(', ');
  console.log(`
Consent Desk is running locally${persist ? ' (data kept in .data/)' : ' (in memory; --persist keeps data)'}
  Demo page       ${baseUrl}/
  Staff console   ${baseUrl}${CONSOLE_PATH} (local sign-in)
  Local outbox    ${baseUrl}/__local/outbox
  MailChimp       ${mailchimp.join('\n                  ')}
  Clock           ${baseUrl}/__local/clock
  Seed data       npm run seed -- --contacts N (${baseUrl}/__local/seed)
  API             ${routeList('public')}
  Staff API       ${routeList('staff')}
                  Authorization: Bearer $(npm run -s token -- --groups ${STAFF_GROUPS.join(',')})
  DynamoDB Local  ${dynamoDbEndpoint} (table ${TABLE_NAME})
Press Ctrl-C to stop.
`);
}

main().catch((error: unknown) => {
  console.error(`\nnpm start failed: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && error.cause instanceof Error)
    console.error(`  caused by: ${error.cause.message}`);
  process.exit(1);
});
