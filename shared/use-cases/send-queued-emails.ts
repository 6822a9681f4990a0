/**
 * Sending the emails the outbox holds, each at most once per queued message: render it (signing the
 * links of a confirmation, a welcome or a request verification), send it, then mark it sent. A message
 * already marked is skipped, so a replayed batch sends nothing twice. A failure stops the batch at that message: it and the ones
 * after it are retried (their order kept), while those before it are done.
 */
import type { KeyRing } from '../domain/tokens.ts';
import { contactLinks, signedLink } from '../email/links.ts';
import { confirmationEmail, welcomeEmail } from '../email/marketing-emails.ts';
import { addressChangeEmail, privacyCentreLinkEmail } from '../email/privacy-centre-emails.ts';
import { verificationEmail } from '../email/subject-request-emails.ts';
import { countMetric, describeError, log } from '../log.ts';
import type {
  Mailer,
  MarketingMessage,
  Outbox,
  OutboxMessage,
  OutgoingEmail,
  PersonLinkMessage,
  VerificationMessage,
} from '../ports/mailer.ts';

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
  switch (message.kind) {
    case 'confirmation':
    case 'welcome':
      return renderMarketing(deps, message);
    case 'request_verification':
      return renderVerification(deps, message);
    case 'privacy_centre_link':
    case 'address_change':
      return renderPersonLink(deps, message);
    default:
      return message.email;
  }
}

/** The privacy centre link, or the new address's confirmation link, signed as of when it was asked for. */
async function renderPersonLink(
  deps: SendQueuedEmailsDeps,
  message: PersonLinkMessage,
): Promise<OutgoingEmail> {
  const link = {
    ring: await deps.linkKeys(),
    baseUrl: message.baseUrl,
    contactId: message.subjectId,
    epoch: 0,
    now: new Date(message.issuedAt),
  };
  if (message.kind === 'privacy_centre_link')
    return privacyCentreLinkEmail({
      to: message.to,
      organisation: deps.organisation,
      url: signedLink(link, 'privacy'),
    });
  return addressChangeEmail({
    to: message.to,
    organisation: deps.organisation,
    reference: message.subjectId,
    url: signedLink(link, 'verify'),
  });
}

/** The link is signed as of when the request was logged, exactly as if it had been sent then. */
async function renderVerification(
  deps: SendQueuedEmailsDeps,
  message: VerificationMessage,
): Promise<OutgoingEmail> {
  const url = signedLink(
    {
      ring: await deps.linkKeys(),
      baseUrl: message.baseUrl,
      contactId: message.requestId,
      epoch: 0,
      now: new Date(message.issuedAt),
    },
    'verify',
  );
  return verificationEmail({
    to: message.to,
    organisation: deps.organisation,
    type: message.requestType,
    reference: message.requestId,
    url,
  });
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
