/**
 * Bot verification of a form post (Cloudflare Turnstile in `shared/adapters/turnstile.ts`). An implementation
 * fails closed: when it cannot get an answer it throws DependencyUnavailableError, never "passed".
 */
export type TurnstileVerdict = 'passed' | 'failed';

export interface TurnstileVerifier {
  verify(token: string): Promise<TurnstileVerdict>;
}
