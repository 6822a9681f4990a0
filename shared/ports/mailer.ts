/**
 * Sending email, whatever carries it (`shared/adapters/mail`: SES in AWS, the local outbox in local mode),
 * and the outbox that holds what must be sent until the mailer has sent it.
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

/** An email to a person about their marketing permission, rendered (and its links signed) by the mailer. */
export interface MarketingMessage {
  readonly kind: 'confirmation' | 'welcome';
  readonly to: string;
  readonly contactId: string;
  /** The contact's subscription epoch the links carry. */
  readonly epoch: number;
  /** When the links were issued (ISO); their lifetime runs from here. */
  readonly issuedAt: string;
  readonly baseUrl: string;
  readonly topicLabels: readonly string[];
  /** The statement the person agreed to (confirmation only). */
  readonly statement?: string | undefined;
}

/** What must be sent; written in the same transaction as the change it reports. */
export type OutboxMessage =
  | { readonly kind: 'staff_notification'; readonly email: OutgoingEmail }
  /** A service message to the enquirer, rendered when queued (it carries no link to sign). */
  | { readonly kind: 'enquiry_acknowledgement'; readonly email: OutgoingEmail }
  | MarketingMessage;

export interface QueuedMessage {
  readonly id: string;
  readonly message: OutboxMessage;
  /** ISO time it was queued. */
  readonly queuedAt: string;
  /** Epoch seconds: an unsent message is not kept for ever (it holds personal data). */
  readonly expiresAt: number;
  /** A confirmation opens its contact's window: no other is queued until then (epoch seconds). */
  readonly opensWindow?: { readonly contactId: string; readonly until: number } | undefined;
}

/** Confirmation-email bombing guard: one double opt-in email per address per window. */
export interface ConfirmationWindows {
  /** Whether a confirmation to this contact was queued in a window still open at `now`. */
  isOpen(contactId: string, now: Date): Promise<boolean>;
}

/** The outbox as the mailer sees it. */
export interface Outbox {
  /** The message while it waits; undefined once it was sent (or has expired). */
  waiting(id: string, now: Date): Promise<OutboxMessage | undefined>;
  /** Records that the message was sent; a second call (a replayed batch) is harmless. */
  markSent(id: string): Promise<void>;
  /** The ids of messages queued before `before` and still unsent, oldest first. */
  waitingSince(before: Date): Promise<string[]>;
}
