/**
 * Cloudflare Turnstile verification. It fails closed: a timeout, a network error or a non-200 answer
 * refuses the submission rather than letting it through unchecked.
 */
import { DependencyUnavailableError } from '../domain/errors.ts';
import type { TurnstileVerifier } from '../ports/turnstile-verifier.ts';

const TIMEOUT_MS = 3_000;

export function turnstileVerifier(options: {
  readonly verifyUrl: string;
  readonly secret: () => Promise<string>;
  readonly fetch?: typeof fetch;
}): TurnstileVerifier {
  const doFetch = options.fetch ?? fetch;
  return {
    async verify(token) {
      const body = new URLSearchParams({ secret: await options.secret(), response: token });
      let response: Response;
      try {
        response = await doFetch(options.verifyUrl, {
          method: 'POST',
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (error) {
        throw new DependencyUnavailableError('verification', { cause: error });
      }
      if (response.status !== 200) throw new DependencyUnavailableError('verification');
      let outcome: unknown;
      try {
        outcome = await response.json();
      } catch (error) {
        throw new DependencyUnavailableError('verification', { cause: error });
      }
      return typeof outcome === 'object' &&
        outcome !== null &&
        'success' in outcome &&
        outcome.success === true
        ? 'passed'
        : 'failed';
    },
  };
}
