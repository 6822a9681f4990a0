/**
 * The environment the stack gives each function, with local stand-ins (DynamoDB Local, the outbox, the
 * MailChimp emulator or a real audience) and local keys, persisted with the data when `--persist` is on.
 * Handlers read it at import, so it is set before any handler is loaded.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type AppConfig, toRuntimeConfig } from '../shared/config/schema.ts';
import { parseKeyRing } from '../shared/domain/tokens.ts';
import { LOCAL_AWS, LOCAL_TABLE_NAME as TABLE_NAME } from './dynamodb.ts';
import { DEFAULT_EMULATOR_LIST_ID, mailchimpEmulatorBasePath } from './mailchimp-emulator/index.ts';
import { LOCAL_MAILCHIMP_API_KEY, preferencesMergeTag } from './mailchimp-link.ts';
import type { LocalMailchimp } from './mailchimp-mode.ts';

export interface FunctionEnvironmentSettings {
  readonly config: AppConfig;
  readonly dynamoDbEndpoint: string;
  /** Where persisted keys live, or undefined to make new ones for this run. */
  readonly persistDir: string | undefined;
  readonly baseUrl: string;
  readonly mailchimp: LocalMailchimp;
}

export function setFunctionEnvironment(settings: FunctionEnvironmentSettings): void {
  const { config, mailchimp, baseUrl, persistDir } = settings;
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
    EMAIL_HASH_KEY: emailHashKey(persistDir),
    TOKEN_SIGNING_KEYS: tokenSigningKeys(persistDir),
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
    // Local mode always has an audience (the emulator or a real one): erasure deletes its member.
    MAILCHIMP_IN_USE: 'true',
    // Preferences links in MailChimp point here unless the config names a public base URL.
    API_BASE_URL: baseUrl,
    DYNAMODB_ENDPOINT: settings.dynamoDbEndpoint,
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
function emailHashKey(persistDir: string | undefined): string {
  if (persistDir === undefined) return randomBytes(32).toString('base64url');
  const path = resolve(persistDir, 'email-hash-key');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  mkdirSync(persistDir, { recursive: true });
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * A one-key ring in the deployed secret's shape. Persisted with the data, so links in mail from an
 * earlier run still work.
 */
function tokenSigningKeys(persistDir: string | undefined): string {
  const generate = () => JSON.stringify({ current: 'k1', k1: randomBytes(32).toString('base64url') });
  if (persistDir === undefined) return generate();
  const path = resolve(persistDir, 'token-signing-keys.json');
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
  mkdirSync(persistDir, { recursive: true });
  writeFileSync(path, `${ring}\n`, { mode: 0o600 });
  return ring;
}
