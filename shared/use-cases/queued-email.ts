/** An email as the outbox holds it: its id, when it was queued and how long it may wait for the mailer. */
import { toEpochSeconds } from '../domain/retention.ts';
import type { OutboxMessage, QueuedMessage } from '../ports/mailer.ts';

/** Queued emails wait at most this long for the mailer: as long as a dead-lettered batch is kept. */
export const OUTBOX_DAYS = 14;

export function queuedEmail(id: string, now: Date, message: OutboxMessage, concerns?: string): QueuedMessage {
  return {
    id,
    message,
    // Names the person the email is to or about, so an erasure deletes it while unsent.
    ...(concerns === undefined ? {} : { concerns }),
    queuedAt: now.toISOString(),
    expiresAt: toEpochSeconds(now) + OUTBOX_DAYS * 24 * 60 * 60,
  };
}
