/**
 * `npm start`: the whole system on one machine, with no AWS account. DynamoDB Local with the deployed
 * table's definition, the same handlers behind a local API Gateway, and the local services.
 *
 *   npm start                # everything in memory
 *   npm start -- --persist   # keep data (and the local keys) in .data/ between runs
 *
 * PORT (3000), DYNAMODB_PORT (8000) and CONSENT_DESK_CONFIG (consent-desk.config.json) override defaults.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type AppConfig, parseAppConfig } from '../shared/config/schema.ts';
import { type Settings, startLocalSystem } from './assembly.ts';

async function main(): Promise<void> {
  const settings = readSettings();
  const config = readConfig(settings.configPath);

  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  let startup: Promise<unknown> = Promise.resolve();
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

  const started = startLocalSystem(settings, config, cleanups);
  startup = started;
  try {
    console.log(await started);
  } catch (error) {
    await cleanUp();
    throw error;
  }
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

main().catch((error: unknown) => {
  console.error(`\nnpm start failed: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && error.cause instanceof Error)
    console.error(`  caused by: ${error.cause.message}`);
  process.exit(1);
});
