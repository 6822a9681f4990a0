/**
 * A function's settings, read once at module load so a bad deployment fails during INIT, not on a
 * visitor's request. Each function names the secrets it needs; all problems are reported in one error.
 * There are no silent defaults for required settings.
 */
import * as z from 'zod/mini';
import { parseRuntimeConfig, type RuntimeConfig } from './config/schema.ts';

export type SecretSource = { kind: 'secretsManager'; secretId: string } | { kind: 'inline'; key: string };

/**
 * Every secret a function may be given. Each comes as `arnEnv` (a Secrets Manager secret, in AWS) or `env`
 * (the value itself, for local mode and tests only), never both.
 */
const SECRETS = {
  /** The email-hashing key: every function that finds contacts by address needs it. */
  emailHashKey: { env: 'EMAIL_HASH_KEY', arnEnv: 'EMAIL_HASH_KEY_SECRET_ARN', minLength: 32 },
  /** The key ring that signs and checks link tokens (see shared/domain/tokens.ts), as JSON. */
  tokenSigningKeys: { env: 'TOKEN_SIGNING_KEYS', arnEnv: 'TOKEN_SIGNING_KEYS_SECRET_ARN', minLength: 32 },
  /** MailChimp webhook secret: JSON `{"urlKey": "…", "signingKey"?: "…"}`. */
  mailchimpWebhookSecret: {
    env: 'MAILCHIMP_WEBHOOK_SECRET',
    arnEnv: 'MAILCHIMP_WEBHOOK_SECRET_ARN',
    minLength: 2,
  },
  /** Cloudflare Turnstile's secret key. */
  turnstileSecret: { env: 'TURNSTILE_SECRET', arnEnv: 'TURNSTILE_SECRET_ARN', minLength: 1 },
  /** The MailChimp API key. */
  mailchimpApiKey: { env: 'MAILCHIMP_API_KEY', arnEnv: 'MAILCHIMP_API_KEY_SECRET_ARN', minLength: 1 },
} as const;

export type SecretName = keyof typeof SECRETS;

const ARN_MIN_LENGTH = 20;

const secretVars = Object.fromEntries(
  Object.values(SECRETS).flatMap(({ env, arnEnv, minLength }) => [
    [arnEnv, z.optional(z.string().check(z.minLength(ARN_MIN_LENGTH)))],
    [env, z.optional(z.string().check(z.minLength(minLength)))],
  ]),
);

const envSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(3)),
  /** The runtime part of consent-desk.config.json, as JSON (inlined at build time in AWS). */
  APP_CONFIG: z.string().check(z.minLength(2)),
  /** `ses` in AWS; `outbox` in local mode, where mail is only collected for inspection. */
  MAIL_TRANSPORT: z.enum(['ses', 'outbox']),
  /** Set in local mode to reach DynamoDB Local. */
  DYNAMODB_ENDPOINT: z.optional(z.string().check(z.regex(/^http:\/\/(127\.0\.0\.1|localhost):\d+$/))),
  /** Cloudflare's siteverify endpoint; overridable so tests and local mode never call out. */
  TURNSTILE_VERIFY_URL: z._default(
    z.string().check(z.regex(/^https?:\/\//)),
    'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  ),
  ...secretVars,
  /**
   * The staff console's origin (its CloudFront domain, known only at deploy time, so not in APP_CONFIG):
   * added to the allowed origins of the function that serves the staff routes.
   */
  STAFF_CONSOLE_ORIGIN: z.optional(z.string().check(z.regex(/^https:\/\/[^/\s]+$/))),
});

/** The secrets a function requires: always, or only for some deployments' settings. */
export interface SecretNeeds<Required extends SecretName> {
  readonly required?: readonly Required[];
  /** Secrets the settings call for, e.g. the Turnstile secret when a form has Turnstile on. */
  readonly requiredFor?: (app: RuntimeConfig) => readonly SecretName[];
}

export interface FunctionConfig<Required extends SecretName = never> {
  readonly tableName: string;
  readonly app: RuntimeConfig;
  readonly mailTransport: 'ses' | 'outbox';
  readonly dynamoDbEndpoint: string | undefined;
  readonly turnstileVerifyUrl: string;
  /** The required ones are always present; any other is present only if it was given. */
  readonly secrets: Readonly<Record<Required, SecretSource>> &
    Readonly<Partial<Record<SecretName, SecretSource>>>;
}

export function parseFunctionConfig<const Required extends SecretName = never>(
  env: NodeJS.ProcessEnv,
  needs: SecretNeeds<Required> = {},
): FunctionConfig<Required> {
  // An empty secret variable counts as unset, as it always has.
  const given = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => value !== '' || !(name in secretVars)),
  );
  const result = z.safeParse(envSchema, given);
  if (!result.success) throw new Error(`Invalid function environment:\n${z.prettifyError(result.error)}`);
  const vars = result.data as z.infer<typeof envSchema> & Record<string, string | undefined>;
  let appJson: unknown;
  try {
    appJson = JSON.parse(vars.APP_CONFIG);
  } catch (error) {
    throw new Error('APP_CONFIG is not valid JSON', { cause: error });
  }
  const app = parseRuntimeConfig(appJson);

  const required = new Set<SecretName>([...(needs.required ?? []), ...(needs.requiredFor?.(app) ?? [])]);
  const secrets: Partial<Record<SecretName, SecretSource>> = {};
  const problems: string[] = [];
  for (const [name, { env: variable, arnEnv }] of Object.entries(SECRETS) as [
    SecretName,
    { env: string; arnEnv: string },
  ][]) {
    const arn = vars[arnEnv];
    const inline = vars[variable];
    if (arn && inline) problems.push(`Set either ${arnEnv} or ${variable}, not both`);
    else if (arn) secrets[name] = { kind: 'secretsManager', secretId: arn };
    else if (inline) secrets[name] = { kind: 'inline', key: inline };
    else if (required.has(name)) problems.push(`Set ${arnEnv} (AWS) or ${variable} (local mode)`);
  }
  if (problems.length > 0) throw new Error(`Invalid function environment:\n${problems.join('\n')}`);

  return {
    tableName: vars.TABLE_NAME,
    app: vars.STAFF_CONSOLE_ORIGIN
      ? { ...app, allowedOrigins: [...app.allowedOrigins, vars.STAFF_CONSOLE_ORIGIN] }
      : app,
    mailTransport: vars.MAIL_TRANSPORT,
    dynamoDbEndpoint: vars.DYNAMODB_ENDPOINT,
    turnstileVerifyUrl: vars.TURNSTILE_VERIFY_URL,
    secrets: secrets as FunctionConfig<Required>['secrets'],
  };
}

/**
 * The running function's settings. `process.env.APP_CONFIG` is spelled out so the bundler can replace it
 * with the config inlined at build time (Lambda environment variables are capped at 4 KB in total).
 */
export function readFunctionConfig<const Required extends SecretName = never>(
  needs: SecretNeeds<Required> = {},
): FunctionConfig<Required> {
  return parseFunctionConfig({ ...process.env, APP_CONFIG: process.env.APP_CONFIG }, needs);
}
