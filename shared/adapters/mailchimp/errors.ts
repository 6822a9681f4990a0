/**
 * How a failed call to the official client becomes a `MailchimpError` (shared/ports/mailchimp-errors.ts). This file does not load the MailChimp client,
 * so code that only inspects errors can import it without pulling the client into its bundle.
 *
 * The official client rejects with superagent's errors: an HTTP failure has `status` and `response`
 * (`body` parsed from MailChimp's problem+json, `text`, `header`); a timeout has `timeout` and
 * `code: 'ECONNABORTED'`; a connection failure is Node's system error with a `code` (`ECONNREFUSED`, ...);
 * an unparseable body is a `SyntaxError` with `statusCode` and `rawResponse`.
 *
 * Those originals hold personal data: MailChimp's `detail` quotes the address, and the request carries the
 * API key in its Authorization header. So a `MailchimpError` never copies `detail` into its message, and its
 * `cause` is a redacted copy of the original (name, code, status and a safe message), never the original.
 */
import { isMailchimpError, MailchimpError, type MailchimpErrorCode } from '../../ports/mailchimp-errors.ts';

export { isMailchimpError, MailchimpError, type MailchimpErrorCode };

// MailChimp's problem titles (the `detail` that accompanies them quotes the address).
const COMPLIANCE_STATE_TITLE = 'member in compliance state';
const FORGOTTEN_TITLE = 'forgotten email not subscribed';

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/** Classifies whatever the official client threw. Already-classified errors pass through unchanged. */
export function toMailchimpError(error: unknown, now: () => number = Date.now): MailchimpError {
  if (error instanceof MailchimpError) return error;
  const cause = redacted(error);
  const status = httpStatus(error);
  const code = stringProperty(error, 'code');

  if (property(error, 'timeout') !== undefined || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new MailchimpError('timeout', { cause });
  }
  if (status === undefined) {
    // Node's system errors (ECONNREFUSED, ECONNRESET, ENOTFOUND, ...) all carry a code; anything else was
    // thrown before a request was made, so repeating it cannot help.
    return new MailchimpError(code === undefined ? 'invalidRequest' : 'network', { cause });
  }

  const body = property(property(error, 'response'), 'body');
  const title = stringProperty(body, 'title');
  const normalisedTitle = title?.trim().toLowerCase();
  const details = { cause, status, ...(title === undefined ? {} : { title }) };

  if (status === 429) return new MailchimpError('rateLimited', { ...details, ...retryAfter(error, now) });
  // Under heavy load MailChimp answers a bare 403 (no problem document) where it means "too many requests".
  if (status === 403 && title === undefined) {
    return new MailchimpError('rateLimited', { ...details, ...retryAfter(error, now) });
  }
  if (status === 401 || status === 403) return new MailchimpError('unauthorized', details);
  if (status === 404) return new MailchimpError('notFound', details);
  if (status === 408) return new MailchimpError('timeout', details);
  if (status === 400 && normalisedTitle === COMPLIANCE_STATE_TITLE) {
    return new MailchimpError('complianceState', details);
  }
  if (status === 400 && normalisedTitle === FORGOTTEN_TITLE) return new MailchimpError('forgotten', details);
  if (status >= 400 && status < 500) return new MailchimpError('invalidRequest', details);
  // 5xx, or a 2xx/3xx whose body could not be read: MailChimp (or a proxy in front of it) misbehaved.
  return new MailchimpError('server', details);
}

function httpStatus(error: unknown): number | undefined {
  const status = property(error, 'status') ?? property(error, 'statusCode');
  return typeof status === 'number' && Number.isInteger(status) ? status : undefined;
}

function retryAfter(error: unknown, now: () => number): { retryAfterMs?: number } {
  const value = stringProperty(property(property(error, 'response'), 'header'), 'retry-after')?.trim();
  if (value === undefined || value === '') return {};
  if (/^\d+$/.test(value)) return { retryAfterMs: Number(value) * 1000 };
  const at = Date.parse(value);
  return Number.isNaN(at) ? {} : { retryAfterMs: Math.max(0, at - now()) };
}

/** The original's kind, without its response, request or any body text. */
function redacted(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(`Non-error thrown: ${typeof error}`);
  const status = httpStatus(error);
  const code = stringProperty(error, 'code');
  // superagent's own messages are status texts and timeouts; a SyntaxError's message quotes the body.
  const message =
    error instanceof SyntaxError
      ? `Unparseable response body${status ? ` (HTTP ${status})` : ''}`
      : error.message;
  const copy = new Error(message);
  copy.name = error.name;
  copy.stack = `${error.name}: ${message}\n${error.stack?.split('\n').slice(1).join('\n') ?? ''}`;
  return Object.assign(copy, {
    ...(code === undefined ? {} : { code }),
    ...(status === undefined ? {} : { status }),
  });
}

function property(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function stringProperty(value: unknown, key: string): string | undefined {
  const found = property(value, key);
  return typeof found === 'string' ? found : undefined;
}
