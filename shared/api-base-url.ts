/**
 * The API's own public URL (scheme, host and stage path), as the deployment sets it in `API_BASE_URL`.
 * Every absolute URL we emit starts from it or from the config's `publicBaseUrl`, never from a request:
 * a client chooses its Host and X-Forwarded-Proto headers, and links carry signed tokens.
 */
import * as z from 'zod/mini';

/** https in AWS; plain http only to this machine (local mode). */
export const apiBaseUrlSchema = z
  .string()
  .check(z.regex(/^(https:\/\/[^\s/?#]+|http:\/\/(127\.0\.0\.1|localhost):\d+)(\/[^\s?#]*)?$/));

/** `API_BASE_URL` without a trailing slash; throws at INIT when it is missing or malformed. */
export function parseApiBaseUrl(env: NodeJS.ProcessEnv): string {
  const result = z.safeParse(apiBaseUrlSchema, env.API_BASE_URL);
  if (!result.success) throw new Error('Set API_BASE_URL to the API’s own https URL (with its stage path)');
  return result.data.replace(/\/+$/, '');
}

export function readApiBaseUrl(): string {
  return parseApiBaseUrl(process.env);
}
