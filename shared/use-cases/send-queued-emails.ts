/**
 * Sending the emails the outbox holds, each at most once per queued message: render it (signing the
 * links of a confirmation or welcome), send it, then mark it sent. A message already marked is skipped,
 * so a replayed batch sends nothing twice. A failure stops the batch at that message: it and the ones
 * after it are retried (their order kept), while those before it are done.
 */
import type { KeyRing } from '../domain/tokens.ts';
import { contactLinks } from '../email/links.ts';
import { confirmationEmail, welcomeEmail } from '../email/marketing-emails.ts';
import { countMetric, describeError, log } from '../log.ts';
import type { Mailer, MarketingMessage, Outbox, OutboxMessage, OutgoingEmail } from '../ports/mailer.ts';

export interface SendQueuedEmailsDeps {
  readonly outbox: Outbox;
  readonly mailer: Mailer;
  /** Signs the links in confirmation and welcome emails. */
  readonly linkKeys: () => Promise<KeyRing>;
  readonly organisation: string;
  readonly clock: () => Date;
}

export interface SendReport {
  readonly sent: number;
  readonly alreadySent: number;
  /** The position of the first message that failed; it and everything after it must be retried. */
  readonly failedFrom: number | undefined;
}

export async function sendQueuedEmails(
  deps: SendQueuedEmailsDeps,
  messageIds: readonly string[],
): Promise<SendReport> {
  let sent = 0;
  let alreadySent = 0;
  for (const [position, id] of messageIds.entries()) {
    try {
      const message = await deps.outbox.waiting(id, deps.clock());
      if (!message) {
        alreadySent += 1;
        continue;
      }
      await deps.mailer.send(await render(deps, message));
      await deps.outbox.markSent(id);
      sent += 1;
      log.info('email_sent', { kind: message.kind });
      countMetric('EmailsSent', 1, { kind: message.kind });
    } catch (error) {
      log.error('email_send_failed', { ...describeError(error), position });
      countMetric('EmailsFailed');
      return { sent, alreadySent, failedFrom: position };
    }
  }
  return { sent, alreadySent, failedFrom: undefined };
}

async function render(deps: SendQueuedEmailsDeps, message: OutboxMessage): Promise<OutgoingEmail> {
  if (message.kind === 'staff_notification' || message.kind === 'enquiry_acknowledgement')
    return message.email;
  return renderMarketing(deps, message);
}

async function renderMarketing(
  deps: SendQueuedEmailsDeps,
  message: MarketingMessage,
): Promise<OutgoingEmail> {
  const links = contactLinks({
    ring: await deps.linkKeys(),
    baseUrl: message.baseUrl,
    contactId: message.contactId,
    epoch: message.epoch,
    now: new Date(message.issuedAt),
  });
  const common = {
    to: message.to,
    organisation: deps.organisation,
    topicLabels: message.topicLabels,
    links,
  };
  return message.kind === 'confirmation'
    ? confirmationEmail({ ...common, statement: message.statement ?? '' })
    : welcomeEmail(common);
}

/**
 * Sends what is still waiting after its stream delivery gave up (the mailer's dead-letter queue holds only
 * stream positions): every message queued more than `minutes` ago and not yet sent. Safe to run at any
 * time: a message being sent right now by its stream delivery is at worst sent twice, never lost.
 */
export async function sendWaitingEmails(deps: SendQueuedEmailsDeps, minutes: number): Promise<SendReport> {
  const before = new Date(deps.clock().getTime() - minutes * 60_000);
  return sendQueuedEmails(deps, await deps.outbox.waitingSince(before));
}
