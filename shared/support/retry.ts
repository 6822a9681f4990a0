/**
 * Retrying with exponential back-off and full jitter, for every layer: MailChimp's "later" answers and the
 * items DynamoDB leaves unprocessed under throttling both go through `retryWithBackOff`.
 */

export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Whether a failure may be tried again: `false` gives up at once, `true` waits the jittered back-off, and
 * `{ afterMs }` waits what the other side asked for (a `Retry-After`).
 */
export type RetryVerdict = boolean | { readonly afterMs: number };

export interface RetryOptions {
  readonly policy: RetryPolicy;
  readonly retryable: (error: unknown) => RetryVerdict;
  /** Defaults to a global-timer wait, so fake timers control it. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /** In [0, 1), as `Math.random`. */
  readonly random?: (() => number) | undefined;
}

/**
 * Runs `attempt` (given its number, from 1) until it succeeds, it fails in a way `retryable` refuses, the
 * policy's attempts are spent, or the wait asked for is longer than the policy allows. Then the last
 * failure is thrown as it was.
 */
export async function retryWithBackOff<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { policy } = options;
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1)
    throw new RangeError('Retry attempts must be a whole number of at least 1');
  const sleep = options.sleep ?? wait;
  const random = options.random ?? Math.random;
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      const verdict = attemptNumber < policy.attempts ? options.retryable(error) : false;
      if (verdict === false) throw error;
      const delay = backOff(policy, attemptNumber, random, verdict === true ? undefined : verdict.afterMs);
      // A longer pause than we may spend: give up now and leave it to the caller's own retry.
      if (delay === undefined) throw error;
      await sleep(delay);
    }
  }
}

/**
 * Full jitter: a random wait up to the exponential ceiling, so callers retrying together spread out.
 * A wait asked for is honoured as given, unless it is longer than the policy allows (undefined).
 */
export function backOff(
  policy: RetryPolicy,
  failedAttempt: number,
  random: () => number,
  retryAfterMs?: number,
): number | undefined {
  if (retryAfterMs !== undefined) return retryAfterMs <= policy.maxDelayMs ? retryAfterMs : undefined;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.floor(random() * ceiling);
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
