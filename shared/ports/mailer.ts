/**
 * Sending email, whatever carries it (`shared/adapters/mail`: SES in AWS, the local outbox in local mode),
 * and the outbox that holds what must be sent until the mailer has sent it.
 */
import type { RequestType } from '../domain/subject-request.ts';

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

/**
 * An email rendered when it was queued, having no link to sign: the staff notification, the enquiry's
 * acknowledgement to its sender, the register's emails and digest, and the complaint form's emails.
 */
export interface RenderedMessage {
  readonly kind:
    | 'staff_notification'
    | 'enquiry_acknowledgement'
    | 'request_extension'
    | 'request_refusal'
    | 'request_digest'
    | 'request_done'
    | 'complaint_acknowledgement'
    | 'complaint_notice';
  readonly email: OutgoingEmail;
}

/**
 * A link a person asked for on our pages, signed by the mailer: to the privacy centre (`subjectId` is the
 * contact id of the address it is sent to) or confirming a new address (`subjectId` is the request id).
 */
export interface PersonLinkMessage {
  readonly kind: 'privacy_centre_link' | 'address_change';
  readonly to: string;
  readonly subjectId: string;
  /** When the link was issued (ISO); its lifetime runs from here. */
  readonly issuedAt: string;
  readonly baseUrl: string;
}

/** The email asking a person to confirm a subject request is theirs, its link signed by the mailer. */
export interface VerificationMessage {
  readonly kind: 'request_verification';
  readonly to: string;
  readonly requestId: string;
  readonly requestType: RequestType;
  /** When the link was issued (ISO); its lifetime runs from here. */
  readonly issuedAt: string;
  readonly baseUrl: string;
}

/**
 * What must be sent; written in the same transaction as the change it reports. Signed links are made by
 * the mailer when it sends, so no usable link waits in the table.
 */
export type OutboxMessage = RenderedMessage | MarketingMessage | VerificationMessage | PersonLinkMessage;

export interface QueuedMessage {
  readonly id: string;
  readonly message: OutboxMessage;
  /** ISO time it was queued. */
  readonly queuedAt: string;
  /** Epoch seconds: an unsent message is not kept for ever (it holds personal data). */
  readonly expiresAt: number;
  /**
   * The contact id of the person the message is about or to (never an address): an erasure finds and
   * deletes what is still unsent to or about them.
   */
  readonly concerns?: string | undefined;
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

/** Queues emails on their own, for a job that sends mail without changing anything else (the digest). */
export interface MailQueue {
  /** Queues each message; one already queued under the same id is left as it is. */
  queue(messages: readonly QueuedMessage[]): Promise<void>;
}
