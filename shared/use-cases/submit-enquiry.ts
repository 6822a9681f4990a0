/**
 * Taking an enquiry: interpret the form, check it is not a bot, store what the form keeps together with
 * any marketing change, tell staff, and send the confirmation or welcome email the form asks for.
 */
import type { ConsentEventType } from '../domain/consent.ts';
import { type ContactChange, decideChange, type RequestedEvent } from '../domain/contact-change.ts';
import {
  type EnquiryInput,
  type EnquirySubmission,
  interpretSubmission,
  type MarketingIntent,
  TURNSTILE_FIELD,
} from '../domain/enquiry.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { EmailHasher } from '../domain/hashing.ts';
import { expiryFor } from '../domain/retention.ts';
import type { DeploymentSettings, EnquiryForm } from '../domain/settings.ts';
import type { KeyRing } from '../domain/tokens.ts';
import { contactLinks } from '../email/links.ts';
import { confirmationEmail, welcomeEmail } from '../email/marketing-emails.ts';
import { staffNotification } from '../email/staff-notification.ts';
import { describeError, log } from '../log.ts';
import type { ContactsRepository, ContactWrite } from '../ports/contacts-store.ts';
import type { Mailer, OutgoingEmail } from '../ports/mailer.ts';
import type { TurnstileVerifier } from '../ports/turnstile-verifier.ts';
import { type ContactDecision, changeContact } from './retry-on-conflict.ts';

export interface SubmitEnquiryDeps {
  readonly config: DeploymentSettings;
  readonly contacts: ContactsRepository;
  readonly emailHasher: () => Promise<EmailHasher>;
  /** Signs the links in confirmation and welcome emails; needed when a form sends them. */
  readonly linkKeys: (() => Promise<KeyRing>) | undefined;
  readonly mailer: Mailer;
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
  if (submission.kind === 'invalid') throw new InvalidInputError(submission.fields);
  const id = deps.newId();
  if (submission.kind === 'spam') {
    // Answered exactly like a success so bots learn nothing; nothing is stored or sent.
    log.info('enquiry_discarded', { reason: 'honeypot', formId: submission.form.id });
    return { id, formId: submission.form.id };
  }

  const { form, fields, marketing } = submission;
  if (form.turnstile) {
    if (!deps.turnstile || !submission.turnstileToken) throw new Error('Turnstile is on but not configured');
    const verdict = await deps.turnstile.verify(submission.turnstileToken);
    if (verdict !== 'passed') throw new InvalidInputError({ [TURNSTILE_FIELD]: 'failed' });
  }

  const recorded = await store(deps, submission, id, input);
  await notifyStaff(deps, form, id, fields, marketing);
  if (recorded) await sendMarketingEmail(deps, form, recorded, input.baseUrl);

  log.info('enquiry_received', {
    formId: form.id,
    stored: form.store,
    marketing: marketing.kind,
    consentEvents: recorded?.change.events.length ?? 0,
    refused: recorded?.change.refused ?? 0,
  });
  return { id, formId: form.id };
}

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
): Promise<Recorded | undefined> {
  const { form, fields, email, marketing } = submission;
  // Every stored enquiry with an address is referenced from that person's partition (for their rights).
  const hasher = email && (marketing.kind !== 'none' || form.store) ? await deps.emailHasher() : undefined;
  return changeContact(deps, {
    locate: () =>
      hasher && email && marketing.kind !== 'none'
        ? { contactId: hasher.contactId(email), suppressionHash: hasher.suppressionHash(email) }
        : undefined,
    decide: (read, now): ContactDecision<Recorded | undefined> => {
      let recorded: Recorded | undefined;
      let write: ContactWrite | undefined;
      if (read && email && marketing.kind !== 'none') {
        const { contactId, suppressionHash, snapshot } = read;
        const change = decideChange(snapshot, requestsFor(form, marketing), {
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
      const enquiryOwner = enquiry && hasher && email ? hasher.contactId(email) : undefined;
      return { outcome: recorded, write: { contact: write, enquiry, enquiryOwner } };
    },
    onConflict: (attempt) => {
      log.warn('enquiry_write_conflict', { attempt, formId: form.id });
      return undefined;
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

async function notifyStaff(
  deps: SubmitEnquiryDeps,
  form: EnquiryForm,
  id: string,
  fields: Extract<EnquirySubmission, { kind: 'valid' }>['fields'],
  marketing: MarketingIntent,
): Promise<void> {
  const notification = staffNotification({
    to: deps.config.notifications.to,
    formId: form.id,
    enquiryId: id,
    stored: form.store,
    fields,
    marketing,
    awaitingConfirmation:
      form.marketing.mode === 'consent' && form.marketing.confirmation === 'double_opt_in',
  });
  try {
    await deps.mailer.send(notification);
  } catch (error) {
    // Without storage the email is the delivery: fail so the visitor can send again and nothing is lost.
    if (!form.store) throw error;
    log.error('staff_notification_failed', { ...describeError(error), formId: form.id, enquiryId: id });
  }
}

/** The confirmation (double opt-in) or welcome email, when the form asks for one and something was granted. */
async function sendMarketingEmail(
  deps: SubmitEnquiryDeps,
  form: EnquiryForm,
  recorded: Recorded,
  baseUrl: string,
) {
  if (
    form.marketing.mode === 'none' ||
    form.marketing.confirmation === 'none' ||
    !recorded.change.writesContact
  )
    return;
  const wanted = form.marketing.confirmation === 'double_opt_in' ? 'consent_requested' : undefined;
  const granted = recorded.change.events.filter((event) =>
    wanted ? event.type === wanted : event.type === 'consent_given' || event.type === 'soft_opt_in_granted',
  );
  if (granted.length === 0 || !deps.linkKeys) return;
  const labels = granted.map(
    (event) => deps.config.topics.find((topic) => topic.id === event.topic)?.label ?? event.topic,
  );
  try {
    const links = contactLinks({
      ring: await deps.linkKeys(),
      baseUrl: deps.config.publicBaseUrl ?? baseUrl,
      contactId: recorded.contactId,
      epoch: recorded.change.contactEpoch,
      now: recorded.now,
    });
    const common = {
      to: recorded.email,
      organisation: deps.config.organisation.name,
      topicLabels: labels,
      links,
    };
    const email: OutgoingEmail = wanted
      ? confirmationEmail({ ...common, statement: form.marketing.statement.text })
      : welcomeEmail(common);
    await deps.mailer.send(email);
  } catch (error) {
    // The permission is recorded; a lost confirmation only leaves the person pending, as if unanswered.
    log.error('marketing_email_failed', { ...describeError(error), formId: form.id });
  }
}
