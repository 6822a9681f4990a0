/**
 * Sending email, whatever carries it: `shared/adapters/mail` implements it with SES in AWS and with the
 * local outbox in local mode.
 */
export interface OutgoingEmail {
  readonly to: readonly string[];
  /** Lets staff answer an enquiry directly; an address that passed validation (no header injection). */
  readonly replyTo?: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Extra headers, e.g. List-Unsubscribe. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
}
