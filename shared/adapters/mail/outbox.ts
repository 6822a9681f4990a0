/**
 * Local mode's mail transport: nothing leaves the machine. The local server runs the mailer in its own
 * process, so `GET /__local/outbox` reads this same array, and `POST /__local/mail/faults` sets the
 * failures it stands in for SES with.
 */
import type { Mailer, OutgoingEmail } from '../../ports/mailer.ts';

/** An email as the local outbox shows it (`GET /__local/outbox`). */
export interface OutboxEntry {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly sentAt: string;
}

export const localOutbox: OutboxEntry[] = [];

/** SES failures to act out: the next `fail` sends fail, and every send fails while `down`. */
export const localMailFaults = { fail: 0, down: false };

/** What SES answers when it cannot take a message; the mailer retries it. */
export class LocalMailUnavailableError extends Error {
  override readonly name = 'LocalMailUnavailableError';
}

export const outboxMailer: Mailer = {
  async send(email: OutgoingEmail) {
    if (localMailFaults.down || localMailFaults.fail > 0) {
      localMailFaults.fail = Math.max(0, localMailFaults.fail - 1);
      throw new LocalMailUnavailableError('The local mail service refused the message (fault switch)');
    }
    const sentAt = new Date().toISOString();
    const { subject, text, html, headers } = email;
    for (const to of email.to)
      localOutbox.push({ to, subject, text, html, ...(headers ? { headers } : {}), sentAt });
  },
};
