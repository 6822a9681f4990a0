/**
 * What the people-facing pages (privacy centre, complaints) need: the register and the rights, and the
 * Turnstile verifier when the deployment turns it on for these forms.
 */
import { TURNSTILE_FIELD } from '../domain/enquiry.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { TurnstileVerifier } from '../ports/turnstile-verifier.ts';
import type { RightsDeps } from './rights/rights-deps.ts';

export interface PeoplePagesDeps extends RightsDeps {
  /** Required when `peoplePages.turnstile` is on. */
  readonly turnstile: TurnstileVerifier | undefined;
}

/** Turnstile, when on for these forms: a failed check is a field error; no answer fails closed. */
export async function checkBot(deps: PeoplePagesDeps, token: string | undefined): Promise<void> {
  if (!deps.config.peoplePages?.turnstile) return;
  if (!deps.turnstile || !token) throw new Error('Turnstile is on but not configured');
  if ((await deps.turnstile.verify(token)) !== 'passed')
    throw new InvalidInputError({ [TURNSTILE_FIELD]: 'failed' });
}
