/**
 * The MailChimp settings of the functions that talk to MailChimp (the sync and the reconciliation), read
 * once at module load like the rest of a function's config. The API key is a secret like any other:
 * those functions require `mailchimpApiKey` from `readFunctionConfig`.
 */
import * as z from 'zod/mini';
import { apiBaseUrlSchema } from './api-base-url.ts';

const envSchema = z.object({
  /** The data centre, e.g. `us21` (the part after the dash in the key). */
  MAILCHIMP_SERVER: z.string().check(z.regex(/^[a-z]{2,4}\d{1,3}$/)),
  MAILCHIMP_LIST_ID: z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/)),
  /** Local mode only: the emulator. Never anything but this machine, so the key cannot leak elsewhere. */
  MAILCHIMP_BASE_PATH: z.optional(
    z.string().check(z.regex(/^http:\/\/(127\.0\.0\.1|localhost):\d+(\/[A-Za-z0-9._~/-]*)?$/)),
  ),
});

const syncEnvSchema = z.object({
  /** The merge field that carries each member's preferences link (`mailchimp.preferencesMergeTag`). */
  MAILCHIMP_PREFERENCES_MERGE_TAG: z.string().check(z.regex(/^[A-Z][A-Z0-9_]{0,9}$/)),
  /**
   * The API's own URL, for links when the config has no `publicBaseUrl`: https in AWS, or this machine in
   * local mode.
   */
  API_BASE_URL: z.optional(apiBaseUrlSchema),
});

export interface MailchimpConfig {
  readonly server: string;
  readonly listId: string;
  readonly basePath: string | undefined;
}

export function parseMailchimpConfig(env: NodeJS.ProcessEnv): MailchimpConfig {
  const result = z.safeParse(envSchema, env);
  if (!result.success) throw new Error(`Invalid MailChimp environment:\n${z.prettifyError(result.error)}`);
  const vars = result.data;
  return {
    server: vars.MAILCHIMP_SERVER,
    listId: vars.MAILCHIMP_LIST_ID,
    basePath: vars.MAILCHIMP_BASE_PATH,
  };
}

export function readMailchimpConfig(): MailchimpConfig {
  return parseMailchimpConfig(process.env);
}

/** What the sync needs to put each member's signed preferences link into MailChimp. */
export interface MemberLinkConfig {
  readonly mergeTag: string;
  /** Where links point, without a trailing slash. */
  readonly baseUrl: string;
}

/** `publicBaseUrl` from the config wins over the API's own URL, as in the emails we send. */
export function parseMemberLinkConfig(
  env: NodeJS.ProcessEnv,
  publicBaseUrl: string | undefined,
): MemberLinkConfig {
  const result = z.safeParse(syncEnvSchema, env);
  if (!result.success)
    throw new Error(`Invalid MailChimp sync environment:\n${z.prettifyError(result.error)}`);
  const baseUrl = publicBaseUrl ?? result.data.API_BASE_URL;
  if (baseUrl === undefined) {
    throw new Error('Set API_BASE_URL (or publicBaseUrl in the config): preferences links need a base URL');
  }
  return { mergeTag: result.data.MAILCHIMP_PREFERENCES_MERGE_TAG, baseUrl: baseUrl.replace(/\/+$/, '') };
}
