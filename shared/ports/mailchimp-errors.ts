/**
 * What a failed MailChimp call means, as a code to switch on: the errors every implementation of the
 * audience ports raises. Messages are fixed text plus a status and a plain-words title, never an address.
 */

export type MailchimpErrorCode =
  | 'rateLimited'
  | 'complianceState'
  | 'forgotten'
  | 'notFound'
  | 'invalidRequest'
  | 'unauthorized'
  | 'server'
  | 'timeout'
  | 'network';

const RETRYABLE: ReadonlySet<MailchimpErrorCode> = new Set(['rateLimited', 'server', 'timeout', 'network']);

const MESSAGES: Record<MailchimpErrorCode, string> = {
  rateLimited: 'MailChimp is limiting requests',
  complianceState: 'MailChimp will not subscribe a member in compliance state',
  forgotten: 'MailChimp will not re-import a permanently deleted member',
  notFound: 'MailChimp has no such resource',
  invalidRequest: 'MailChimp rejected the request',
  unauthorized: 'MailChimp refused the credentials',
  server: 'MailChimp failed to answer the request',
  timeout: 'MailChimp did not answer in time',
  network: 'MailChimp could not be reached',
};

// A title made only of letters and spaces cannot quote an address or a key, so it may go into a message.
const SAFE_TITLE = /^[A-Za-z][A-Za-z ]{0,79}$/;

export class MailchimpError extends Error {
  override readonly name = 'MailchimpError';
  readonly code: MailchimpErrorCode;
  /** The HTTP status, when MailChimp answered. */
  readonly status: number | undefined;
  /** MailChimp's problem title, only when it is plain words (e.g. "Invalid Resource"). */
  readonly title: string | undefined;
  /** True when the same call may succeed later: rate limiting, MailChimp's 5xx, timeouts, network failures. */
  readonly retryable: boolean;
  /** How long MailChimp asked us to wait (its `Retry-After`), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: MailchimpErrorCode,
    options: ErrorOptions & { status?: number; title?: string; retryAfterMs?: number } = {},
  ) {
    const title = options.title !== undefined && SAFE_TITLE.test(options.title) ? options.title : undefined;
    const status =
      options.status === undefined ? '' : ` (HTTP ${options.status}${title ? `, ${title}` : ''})`;
    super(`${MESSAGES[code]}${status}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.title = title;
    this.retryable = RETRYABLE.has(code);
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isMailchimpError(error: unknown, code?: MailchimpErrorCode): error is MailchimpError {
  return error instanceof MailchimpError && (code === undefined || error.code === code);
}
