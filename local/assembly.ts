/**
 * Wires the local system together: binds the port, starts DynamoDB Local with the deployed table's
 * definition, sets the function environment, loads the handlers behind the local API Gateway, and starts
 * the local services and background jobs. Everything started registers its cleanup, in start order.
 */
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FUNCTIONS, type FunctionName, ROUTES } from '../infra/routes.ts';
import { now } from '../shared/clock.ts';
import { type AppConfig, toRuntimeConfig } from '../shared/config/schema.ts';
import { scheduleReconciliation, streamJobs } from './background-jobs.ts';
import { banner } from './banner.ts';
import { clockService } from './clock.ts';
import { consoleService } from './console.ts';
import { demoPageService } from './demo-page.ts';
import {
  createTable,
  type DynamoDbLocal,
  LOCAL_AWS,
  startDynamoDbLocal,
  LOCAL_TABLE_NAME as TABLE_NAME,
} from './dynamodb.ts';
import { setFunctionEnvironment } from './function-environment.ts';
import { mailFaultsService } from './mail-faults.ts';
import { mailchimpEmulatorService } from './mailchimp-emulator/index.ts';
import {
  checkRealMailchimp,
  LOCAL_MAILCHIMP_API_KEY,
  preferencesMergeTag,
  registerMailchimpWebhook,
} from './mailchimp-link.ts';
import { chooseLocalMailchimp, mailchimpEmulatorOffService } from './mailchimp-mode.ts';
import { outboxService } from './outbox.ts';
import { emulatorMembersPart, outboxPart, persistedStateService } from './persisted-state.ts';
import { seedService } from './seed.ts';
import { createRequestListener, type LoadedFunction, listen } from './server.ts';
import type { LocalService, LocalServiceContext } from './services.ts';
import { staffAuthService } from './staff-auth.ts';

const ROOT = resolve(import.meta.dirname, '..');
export const DATA_DIR = resolve(ROOT, '.data');

export interface Settings {
  readonly persist: boolean;
  readonly port: number;
  readonly dynamoDbPort: number;
  readonly configPath: string;
}

/** Starts the whole local system; answers the banner to print. Cleanups are pushed as things start. */
export async function startLocalSystem(
  settings: Settings,
  config: AppConfig,
  cleanups: Array<() => Promise<void>>,
): Promise<string> {
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
  setFunctionEnvironment({
    config,
    dynamoDbEndpoint: dynamoDb.endpoint,
    persistDir: settings.persist ? DATA_DIR : undefined,
    baseUrl,
    mailchimp: mailchimpMode,
  });
  const functions = await loadFunctions();
  // The stream consumers, loaded like the API's handlers once the environment is set.
  const streams = await streamJobs();

  const context: LocalServiceContext = {
    dynamoDb: { endpoint: dynamoDb.endpoint, tableName: TABLE_NAME },
    // The clock the handlers read, which POST /__local/clock moves.
    clock: { now },
    config,
    baseUrl,
  };
  const emulatorService =
    mailchimpMode.kind === 'emulator'
      ? mailchimpEmulatorService({ apiKey: LOCAL_MAILCHIMP_API_KEY })
      : undefined;
  const mailchimp = emulatorService ?? mailchimpEmulatorOffService();
  // Started in this order and stopped in reverse.
  const services: LocalService[] = [
    demoPageService(toRuntimeConfig(config)),
    outboxService(),
    mailFaultsService(),
    ...streams.services,
    clockService({ sweep: streams.sweep }),
    seedService({ syncsToRealMailchimp: mailchimpMode.kind === 'real' }),
    mailchimp,
    // Cognito and API Gateway's authorizer for the staff routes: tokens from `npm run token`.
    staffAuthService({ keyFile: resolve(DATA_DIR, 'staff-token-key') }),
    // The staff console's files and its local sign-in, which mints tokens with the same key.
    consoleService({ keyFile: resolve(DATA_DIR, 'staff-token-key') }),
    // Stopped first, so it writes the state the other services leave.
    ...(settings.persist
      ? [
          persistedStateService(DATA_DIR, [
            outboxPart,
            ...(emulatorService ? [emulatorMembersPart(emulatorService.emulator)] : []),
          ]),
        ]
      : []),
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
  return banner({
    baseUrl: shownUrl,
    dynamoDbEndpoint: dynamoDb.endpoint,
    persist: settings.persist,
    mailchimp: mailchimpReport,
  });
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
