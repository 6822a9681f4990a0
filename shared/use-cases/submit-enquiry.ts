/**
 * Taking an enquiry: interpret the form, check it is not a bot, and store what the form keeps together
 * with any marketing change and the emails it calls for (the staff notification, the acknowledgement to
 * the sender, the confirmation or welcome), in one transaction. The mailer sends queued emails from the table's stream, so the request
 * never waits for, or fails with, the mail service.
 */
import { type ConsentEventType, isMailable } from '../domain/consent.ts';
import {
  type ContactChange,
  type ContactSnapshot,
  decideChange,
  type RequestedEvent,
} from '../domain/contact-change.ts';
import {
  type EnquiryInput,
  type EnquirySubmission,
  interpretSubmission,
  type MarketingIntent,
  TURNSTILE_FIELD,
} from '../domain/enquiry.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { EmailHasher } from '../domain/hashing.ts';
import { mayBeSent } from '../domain/message-class.ts';
import { expiryFor, toEpochSeconds } from '../domain/retention.ts';
import { type DeploymentSettings, type EnquiryForm, topicLabel } from '../domain/settings.ts';
import { enquiryAcknowledgement } from '../email/enquiry-acknowledgement.ts';
import { staffNotification } from '../email/staff-notification.ts';
import { countMetric, log } from '../log.ts';
import type { ContactsRepository, ContactWrite } from '../ports/contacts-store.ts';
import type { ConfirmationWindows, MarketingMessage, QueuedMessage } from '../ports/mailer.ts';
import type { Submissions } from '../ports/submissions.ts';
import type { TurnstileVerifier } from '../ports/turnstile-verifier.ts';
import { queuedEmail } from './queued-email.ts';
import { submissionKey, submissionMarker } from './repeated-submissions.ts';
import { type ContactDecision, changeContact } from './retry-on-conflict.ts';

export interface SubmitEnquiryDeps {
  readonly config: DeploymentSettings;
  readonly contacts: ContactsRepository;
  readonly emailHasher: () => Promise<EmailHasher>;
  readonly confirmationWindows: ConfirmationWindows;
  readonly submissions: Submissions;
  /** Required when any form has Turnstile on. */
  readonly turnstile: TurnstileVerifier | undefined;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export type { EnquiryInput };

export interface EnquiryReceipt {
  readonly id: string;
  readonly formId: string;
}

export async function submitEnquiry(deps: SubmitEnquiryDeps, input: EnquiryInput): Promise<EnquiryReceipt> {
  const submission = interpretSubmission(deps.config, input.fields);
  if (submission.kind === 'invalid') {
    countMetric('EnquiriesRejected', 1, { reason: 'invalid' });
    throw new InvalidInputError(submission.fields);
  }
  const id = deps.newId();
  if (submission.kind === 'spam') {
    // Answered exactly like a success so bots learn nothing; nothing is stored or sent.
    log.info('enquiry_discarded', { reason: 'honeypot', formId: submission.form.id });
    countMetric('EnquiriesRejected', 1, { reason: 'honeypot' });
    return { id, formId: submission.form.id };
  }

  const { form, marketing } = submission;
  // Checked before Turnstile: a retried request carries a token that was already spent. Unverified callers
  // learn nothing from it: a repeat gets a 201 like any success, with an id they never saw.
  const key = await submissionKey(submission, deps.emailHasher);
  const repeated = await firstAnswer(deps, key, form.id);
  if (repeated) return repeated;
  if (form.turnstile) {
    if (!deps.turnstile || !submission.turnstileToken) throw new Error('Turnstile is on but not configured');
    const verdict = await deps.turnstile.verify(submission.turnstileToken);
    if (verdict !== 'passed') {
      countMetric('EnquiriesRejected', 1, { reason: 'verification' });
      throw new InvalidInputError({ [TURNSTILE_FIELD]: 'failed' });
    }
  }

  const stored = await store(deps, submission, id, input, key);
  if ('repeatOf' in stored) return stored.repeatOf;
  const { recorded } = stored;

  countMetric('EnquiriesReceived', 1, { formId: form.id });
  log.info('enquiry_received', {
    formId: form.id,
    stored: form.store,
    marketing: marketing.kind,
    consentEvents: recorded?.change.events.length ?? 0,
    refused: recorded?.change.refused ?? 0,
  });
  return { id, formId: form.id };
}

/** The first answer to an identical submission made minutes ago, if there was one. */
async function firstAnswer(
  deps: SubmitEnquiryDeps,
  key: string,
  formId: string,
): Promise<EnquiryReceipt | undefined> {
  const first = await deps.submissions.firstAnswer(key, deps.clock());
  if (!first) return undefined;
  log.info('enquiry_repeated', { formId });
  countMetric('EnquiriesRepeated', 1, { formId });
  // A form that stores nothing kept no reference: any id is as good as the first (it names nothing).
  return { id: first.enquiryId ?? deps.newId(), formId };
}

type Stored = { readonly recorded: Recorded | undefined } | { readonly repeatOf: EnquiryReceipt };

interface Recorded {
  readonly contactId: string;
  readonly email: string;
  readonly change: ContactChange;
  readonly now: Date;
}

/** Writes the enquiry and the marketing change together, re-deciding if the contact changed meanwhile. */
async function store(
  deps: SubmitEnquiryDeps,
  submission: Extract<EnquirySubmission, { kind: 'valid' }>,
  id: string,
  input: EnquiryInput,
  key: string,
): Promise<Stored> {
  const { form, fields, email, marketing } = submission;
  // Every stored enquiry with an address is referenced from that person's partition, and the emails about
  // it name that person's contact id (for their rights).
  const hasher = email ? await deps.emailHasher() : undefined;
  return changeContact(deps, {
    locate: () =>
      hasher && email && marketing.kind !== 'none'
        ? { contactId: hasher.contactId(email), suppressionHash: hasher.suppressionHash(email) }
        : undefined,
    decide: async (read, now): Promise<ContactDecision<Stored>> => {
      let recorded: Recorded | undefined;
      let write: ContactWrite | undefined;
      let heldBack = false;
      if (read && email && marketing.kind !== 'none') {
        const { contactId, suppressionHash, snapshot } = read;
        const requested = requestsFor(form, marketing);
        // Topic by topic: only a request still pending is held back, since the link already sent confirms
        // it. A topic the person confirmed, unsubscribed from or never asked for gets its own confirmation,
        // window or not.
        const isPending = (request: RequestedEvent) =>
          snapshot.topics.get(request.topic)?.status === 'pending';
        heldBack =
          requested.some(isPending) &&
          sendsConfirmation(form) &&
          (await deps.confirmationWindows.isOpen(contactId, now));
        // Within the window a repeated request keeps the pending one as it is, so the link already sent
        // still confirms it (a new request would start a newer epoch than that link's).
        const requests = heldBack ? requested.filter((request) => !isPending(request)) : requested;
        const change = decideChange(snapshot, requests, {
          now,
          retention: deps.config.retention,
          allTopics: deps.config.topics.map((topic) => topic.id),
          source: 'form',
          actor: 'visitor',
          formId: form.id,
          page: input.page,
          method: input.method,
          statement: marketing.statement,
          reason: marketing.kind === 'refusal' ? 'refused_at_collection' : undefined,
          newEventId: deps.newId,
        });
        write = {
          now,
          contactId,
          suppressionHash,
          email,
          name: fields.name,
          snapshot,
          change,
          source: 'form',
          reason: marketing.kind === 'refusal' ? 'refused_at_collection' : undefined,
        };
        recorded = { contactId, email, change, now };
      }
      const enquiry = form.store
        ? {
            enquiryId: id,
            formId: form.id,
            receivedAt: now.toISOString(),
            fields,
            contactId: recorded?.change.writesContact ? recorded.contactId : undefined,
            expiresAt: expiryFor('enquiry', now, deps.config.retention),
          }
        : undefined;
      // Marketing goes only to someone who may receive it once this change is written.
      const marketingEmails = recorded
        ? marketingEmail(deps, form, recorded, input.baseUrl).filter((message) =>
            mayBeSent(message.kind, { mayReceiveMarketing: mayReceiveMarketing(read?.snapshot, recorded) }),
          )
        : [];
      if (heldBack && !marketingEmails.some((message) => message.kind === 'confirmation')) {
        // Answered like any other post, so a bomber learns nothing; the person already has a link.
        log.info('confirmation_email_suppressed', { formId: form.id });
        countMetric('ConfirmationEmailsSuppressed', 1);
      }
      const windowHours = deps.config.marketing?.confirmationWindowHours ?? DEFAULT_CONFIRMATION_WINDOW_HOURS;
      const sender = hasher && email ? hasher.contactId(email) : undefined;
      const outbox = [
        queue(
          deps,
          now,
          { kind: 'staff_notification', email: notifyStaff(deps, form, id, submission) },
          sender,
        ),
        // A service message: sent whatever the sender's marketing permission, suppressed or not.
        ...(form.acknowledge && email
          ? [
              queue(
                deps,
                now,
                {
                  kind: 'enquiry_acknowledgement',
                  email: enquiryAcknowledgement({
                    to: email,
                    organisation: deps.config.organisation.name,
                    reference: form.store ? id : undefined,
                  }),
                },
                sender,
              ),
            ]
          : []),
        ...marketingEmails.map((message) => ({
          ...queue(deps, now, message, message.contactId),
          opensWindow:
            message.kind === 'confirmation' && windowHours > 0
              ? { contactId: message.contactId, until: toEpochSeconds(now) + windowHours * 3600 }
              : undefined,
        })),
      ];
      const enquiryOwner = enquiry ? sender : undefined;
      return {
        outcome: { recorded },
        write: {
          contact: write,
          enquiry,
          enquiryOwner,
          outbox,
          submission: submissionMarker(key, form.store ? id : undefined, now),
        },
      };
    },
    onConflict: async (attempt) => {
      log.warn('enquiry_write_conflict', { attempt, formId: form.id });
      // An identical submission may have landed meanwhile: then its answer is this one's.
      const repeatOf = await firstAnswer(deps, key, form.id);
      return repeatOf ? { repeatOf } : undefined;
    },
  });
}

/** The consent events a form's marketing choice asks for (also used to seed local data the same way). */
export function requestsFor(form: EnquiryForm, marketing: MarketingIntent): RequestedEvent[] {
  if (marketing.kind === 'none') return [];
  const confirmation = form.marketing.mode === 'consent' ? form.marketing.confirmation : 'none';
  const type: ConsentEventType =
    marketing.kind === 'refusal'
      ? 'withdrawn'
      : marketing.kind === 'soft_opt_in'
        ? 'soft_opt_in_granted'
        : confirmation === 'double_opt_in'
          ? 'consent_requested'
          : 'consent_given';
  return marketing.topics.map((topic) => ({ type, topic }));
}

const DEFAULT_CONFIRMATION_WINDOW_HOURS = 24;

function sendsConfirmation(form: EnquiryForm): boolean {
  return form.marketing.mode === 'consent' && form.marketing.confirmation === 'double_opt_in';
}

function queue(
  deps: SubmitEnquiryDeps,
  now: Date,
  message: QueuedMessage['message'],
  concerns: string | undefined,
): QueuedMessage {
  return queuedEmail(deps.newId(), now, message, concerns);
}

function notifyStaff(
  deps: SubmitEnquiryDeps,
  form: EnquiryForm,
  id: string,
  { fields, marketing }: Extract<EnquirySubmission, { kind: 'valid' }>,
) {
  return staffNotification({
    to: deps.config.notifications.to,
    formId: form.id,
    enquiryId: id,
    stored: form.store,
    fields,
    marketing,
    awaitingConfirmation:
      form.marketing.mode === 'consent' && form.marketing.confirmation === 'double_opt_in',
  });
}

/** Whether, once the change is written, the person may be emailed about some topic (not restricted). */
function mayReceiveMarketing(snapshot: ContactSnapshot | undefined, recorded: Recorded): boolean {
  if (!recorded.change.writesContact || snapshot?.contact?.restricted) return false;
  const topics = new Map(snapshot?.topics);
  for (const permission of recorded.change.topics) topics.set(permission.topic, permission);
  return [...topics.values()].some((permission) => isMailable(permission.status));
}

/** The confirmation (double opt-in) or welcome email, when the form asks for one and something was granted. */
function marketingEmail(
  deps: SubmitEnquiryDeps,
  form: EnquiryForm,
  recorded: Recorded,
  baseUrl: string,
): MarketingMessage[] {
  if (
    form.marketing.mode === 'none' ||
    form.marketing.confirmation === 'none' ||
    !recorded.change.writesContact
  )
    return [];
  const confirming = form.marketing.confirmation === 'double_opt_in';
  const granted = recorded.change.events.filter((event) =>
    confirming
      ? event.type === 'consent_requested'
      : event.type === 'consent_given' || event.type === 'soft_opt_in_granted',
  );
  if (granted.length === 0) return [];
  return [
    {
      kind: confirming ? 'confirmation' : 'welcome',
      to: recorded.email,
      contactId: recorded.contactId,
      epoch: recorded.change.contactEpoch,
      issuedAt: recorded.now.toISOString(),
      baseUrl: deps.config.publicBaseUrl ?? baseUrl,
      topicLabels: granted.map((event) => topicLabel(deps.config.topics, event.topic)),
      statement: confirming ? form.marketing.statement.text : undefined,
    },
  ];
}
