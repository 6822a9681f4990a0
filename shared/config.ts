/**
 * A function's settings, read once at module load so a bad deployment fails during INIT, not on a
 * visitor's request. There are no silent defaults for required settings.
 */
import * as z from 'zod/mini';
import { parseRuntimeConfig, type RuntimeConfig } from './config/schema.ts';

const envSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(3)),
  /** The runtime part of consent-desk.config.json, as JSON (inlined at build time in AWS). */
  APP_CONFIG: z.string().check(z.minLength(2)),
  /** `ses` in AWS; `outbox` in local mode, where mail is only collected for inspection. */
  MAIL_TRANSPORT: z.enum(['ses', 'outbox']),
  /** Secrets Manager secret holding the email-hashing key (AWS). */
  EMAIL_HASH_KEY_SECRET_ARN: z.optional(z.string().check(z.minLength(20))),
  /** The email-hashing key itself, for local mode and tests only. */
  EMAIL_HASH_KEY: z.optional(z.string().check(z.minLength(32))),
  /** Secrets Manager secret holding the link-signing key ring (AWS). */
  TOKEN_SIGNING_KEYS_SECRET_ARN: z.optional(z.string().check(z.minLength(20))),
  /** The link-signing key ring itself, as JSON, for local mode and tests only. */
  TOKEN_SIGNING_KEYS: z.optional(z.string().check(z.minLength(32))),
  /** Set in local mode to reach DynamoDB Local. */
  DYNAMODB_ENDPOINT: z.optional(z.string().check(z.regex(/^http:\/\/(127\.0\.0\.1|localhost):\d+$/))),
  /** Cloudflare's siteverify endpoint; overridable so tests and local mode never call out. */
  TURNSTILE_VERIFY_URL: z._default(
    z.string().check(z.regex(/^https?:\/\//)),
    'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  ),
  /** MailChimp webhook secret: JSON `{"urlKey": "…", "signingKey"?: "…"}` (AWS) or the JSON itself (local). */
  MAILCHIMP_WEBHOOK_SECRET_ARN: z.optional(z.string().check(z.minLength(20))),
  MAILCHIMP_WEBHOOK_SECRET: z.optional(z.string().check(z.minLength(2))),
  TURNSTILE_SECRET_ARN: z.optional(z.string()),
  TURNSTILE_SECRET: z.optional(z.string()),
  /**
   * The staff console's origin (its CloudFront domain, known only at deploy time, so not in APP_CONFIG):
   * added to the allowed origins of the function that serves the staff routes.
   */
  STAFF_CONSOLE_ORIGIN: z.optional(z.string().check(z.regex(/^https:\/\/[^/\s]+$/))),
});

export type SecretSource = { kind: 'secretsManager'; secretId: string } | { kind: 'inline'; key: string };

export interface FunctionConfig {
  readonly tableName: string;
  readonly app: RuntimeConfig;
  readonly mailTransport: 'ses' | 'outbox';
  /** Every function that writes contacts needs it (see shared/dependencies.ts); staff reads do not. */
  readonly emailHashKey: SecretSource | undefined;
  /** The key ring that signs and checks link tokens (see shared/domain/tokens.ts). */
  readonly tokenSigningKeys: SecretSource | undefined;
  readonly mailchimpWebhookSecret: SecretSource | undefined;
  readonly dynamoDbEndpoint: string | undefined;
  readonly turnstile: {
    readonly verifyUrl: string;
    readonly secret: SecretSource | undefined;
  };
}

export function parseFunctionConfig(env: NodeJS.ProcessEnv): FunctionConfig {
  const result = z.safeParse(envSchema, env);
  if (!result.success) throw new Error(`Invalid function environment:\n${z.prettifyError(result.error)}`);
  const vars = result.data;
  let appJson: unknown;
  try {
    appJson = JSON.parse(vars.APP_CONFIG);
  } catch (error) {
    throw new Error('APP_CONFIG is not valid JSON', { cause: error });
  }
  const app = parseRuntimeConfig(appJson);
  return {
    tableName: vars.TABLE_NAME,
    app: vars.STAFF_CONSOLE_ORIGIN
      ? { ...app, allowedOrigins: [...app.allowedOrigins, vars.STAFF_CONSOLE_ORIGIN] }
      : app,
    mailTransport: vars.MAIL_TRANSPORT,
    emailHashKey: oneSecret('EMAIL_HASH_KEY', vars.EMAIL_HASH_KEY_SECRET_ARN, vars.EMAIL_HASH_KEY, false),
    tokenSigningKeys: oneSecret(
      'TOKEN_SIGNING_KEYS',
      vars.TOKEN_SIGNING_KEYS_SECRET_ARN,
      vars.TOKEN_SIGNING_KEYS,
      false,
    ),
    mailchimpWebhookSecret: oneSecret(
      'MAILCHIMP_WEBHOOK_SECRET',
      vars.MAILCHIMP_WEBHOOK_SECRET_ARN,
      vars.MAILCHIMP_WEBHOOK_SECRET,
      false,
    ),
    dynamoDbEndpoint: vars.DYNAMODB_ENDPOINT,
    turnstile: {
      verifyUrl: vars.TURNSTILE_VERIFY_URL,
      secret: oneSecret('TURNSTILE_SECRET', vars.TURNSTILE_SECRET_ARN, vars.TURNSTILE_SECRET, false),
    },
  };
}

function oneSecret(
  name: string,
  arn: string | undefined,
  inline: string | undefined,
  required: true,
): SecretSource;
function oneSecret(
  name: string,
  arn: string | undefined,
  inline: string | undefined,
  required: boolean,
): SecretSource | undefined;
function oneSecret(name: string, arn: string | undefined, inline: string | undefined, required: boolean) {
  if (arn && inline) throw new Error(`Set either ${name}_SECRET_ARN or ${name}, not both`);
  if (arn) return { kind: 'secretsManager', secretId: arn };
  if (inline) return { kind: 'inline', key: inline };
  if (required) throw new Error(`Set ${name}_SECRET_ARN (AWS) or ${name} (local mode)`);
  return undefined;
}

/**
 * The running function's settings. `process.env.APP_CONFIG` is spelled out so the bundler can replace it
 * with the config inlined at build time (Lambda environment variables are capped at 4 KB in total).
 */
export function readFunctionConfig(): FunctionConfig {
  return parseFunctionConfig({ ...process.env, APP_CONFIG: process.env.APP_CONFIG });
}
