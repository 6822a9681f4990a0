/**
 * The emails the register sends a person, as outbox messages to queue with the register change that calls
 * for them: the verification email when a request is logged unverified (its link signed by the mailer),
 * and the extension or refusal email with that action. None once the person's address is gone.
 */
import { extensionEmail, refusalEmail } from '../email/subject-request-emails.ts';
import type { OutboxMessage, QueuedMessage, RenderedMessage } from '../ports/mailer.ts';
import type { RegisterEntry } from '../ports/subject-requests.ts';
import { queuedEmail } from './queued-email.ts';
import type { RightsDeps } from './rights/rights-deps.ts';
import type { ParsedAction } from './subject-request-input.ts';

/** The verification email, its link signed by the mailer as of `now`. */
export function verificationFor(
  deps: RightsDeps,
  entry: RegisterEntry,
  baseUrl: string,
  now: Date,
): QueuedMessage[] {
  return tellPerson(deps, entry, now, (to) => ({
    kind: 'request_verification',
    to,
    requestId: entry.request.id,
    requestType: entry.request.type,
    issuedAt: now.toISOString(),
    baseUrl: deps.config.publicBaseUrl ?? baseUrl,
  }));
}

/** The email an action sends the person: an extension or a refusal; nothing for the others. */
export function actionEmail(
  deps: RightsDeps,
  next: RegisterEntry,
  action: ParsedAction,
  now: Date,
): QueuedMessage[] {
  if (action.kind === 'extend')
    return tellPerson(
      deps,
      next,
      now,
      (to): RenderedMessage => ({
        kind: 'request_extension',
        email: extensionEmail({
          ...personEmail(deps, next, to),
          dueAt: next.request.dueAt ?? '',
          reason: action.reason,
        }),
      }),
    );
  if (action.kind === 'refuse')
    return tellPerson(
      deps,
      next,
      now,
      (to): RenderedMessage => ({
        kind: 'request_refusal',
        email: refusalEmail({
          ...personEmail(deps, next, to),
          reason: action.reason,
          explanation: action.explanation,
        }),
      }),
    );
  return [];
}

function tellPerson(
  deps: RightsDeps,
  entry: RegisterEntry,
  now: Date,
  build: (to: string) => OutboxMessage,
): QueuedMessage[] {
  if (!entry.email) return [];
  return [queuedEmail(deps.newId(), now, build(entry.email))];
}

function personEmail(deps: RightsDeps, entry: RegisterEntry, to: string) {
  return {
    to,
    organisation: deps.config.organisation.name,
    type: entry.request.type,
    reference: entry.request.id,
  };
}
