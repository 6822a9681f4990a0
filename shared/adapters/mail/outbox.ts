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

/**
 * Local mode's mail transport: nothing leaves the machine. The local server runs the handlers in its own
 * process, so it reads this same array.
 */
export const localOutbox: OutboxEntry[] = [];

export const outboxMailer: Mailer = {
  async send(email: OutgoingEmail) {
    const sentAt = new Date().toISOString();
    const { subject, text, html, headers } = email;
    for (const to of email.to)
      localOutbox.push({ to, subject, text, html, ...(headers ? { headers } : {}), sentAt });
  },
};
