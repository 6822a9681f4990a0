/**
 * Taking an enquiry: interpret the form, check it is not a bot, store what the form keeps together with
 * any marketing change, and tell staff.
 */
import type { IntakeRepository } from '../adapters/dynamodb/intake-repository.ts';
import { IntakeConflictError } from '../adapters/dynamodb/intake-repository.ts';
import type { Mailer } from '../adapters/mail/mailer.ts';
import type { TurnstileVerifier } from '../adapters/turnstile.ts';
import type { RuntimeConfig } from '../config/schema.ts';
import { interpretSubmission, type SubmittedFields, TURNSTILE_FIELD } from '../domain/enquiry.ts';
import type { EmailHasher } from '../domain/hashing.ts';
import { decideMarketing } from '../domain/marketing.ts';
import { expiryFor } from '../domain/retention.ts';
import { staffNotification } from '../email/staff-notification.ts';
import { InvalidRequestError } from '../http/errors.ts';
import { describeError, log } from '../log.ts';

export interface SubmitEnquiryDeps {
  readonly config: RuntimeConfig;
  readonly repository: IntakeRepository;
  readonly emailHasher: () => Promise<EmailHasher>;
  readonly mailer: Mailer;
  /** Required when any form has Turnstile on. */
  readonly turnstile: TurnstileVerifier | undefined;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export interface EnquiryInput {
  readonly fields: SubmittedFields;
  readonly method: 'html_form' | 'json';
  readonly page: string | undefined;
}

export interface EnquiryReceipt {
  readonly id: string;
  readonly formId: string;
}

const MAX_ATTEMPTS = 3;

export async function submitEnquiry(deps: SubmitEnquiryDeps, input: EnquiryInput): Promise<EnquiryReceipt> {
  const submission = interpretSubmission(deps.config, input.fields);
  if (submission.kind === 'invalid') throw new InvalidRequestError(submission.fields);
  const id = deps.newId();
  if (submission.kind === 'spam') {
    // Answered exactly like a success so bots learn nothing; nothing is stored or sent.
    log.info('enquiry_discarded', { reason: 'honeypot', formId: submission.form.id });
    return { id, formId: submission.form.id };
  }

  const { form, fields, email, marketing } = submission;
  if (form.turnstile) {
    if (!deps.turnstile || !submission.turnstileToken) throw new Error('Turnstile is on but not configured');
    const verdict = await deps.turnstile.verify(submission.turnstileToken);
    if (verdict !== 'passed') throw new InvalidRequestError({ [TURNSTILE_FIELD]: 'failed' });
  }

  const hasher = email && marketing.kind !== 'none' ? await deps.emailHasher() : undefined;
  const noChange = { contactId: undefined as string | undefined, events: 0, softOptInBlocked: false };
  let outcome = noChange;
  for (let attempt = 1; ; attempt++) {
    outcome = noChange;
    const now = deps.clock();
    const receivedAt = now.toISOString();
    let contact: Parameters<IntakeRepository['record']>[0]['contact'];
    if (hasher && email) {
      const contactId = hasher.contactId(email);
      const suppressionHash = hasher.suppressionHash(email);
      const snapshot = await deps.repository.readMarketingSnapshot(contactId, suppressionHash, now);
      const decision = decideMarketing(marketing, snapshot, {
        now,
        retention: deps.config.retention,
        formId: form.id,
        page: input.page,
        method: input.method,
        newEventId: deps.newId,
      });
      if (decision) {
        contact = {
          contactId,
          suppressionHash,
          email,
          name: fields.name,
          expectedVersion: snapshot.contact?.version,
          decision,
        };
        outcome = {
          contactId: decision.topics.length > 0 ? contactId : undefined,
          events: decision.events.length,
          softOptInBlocked: decision.softOptInBlocked,
        };
      }
    }
    const enquiry = form.store
      ? {
          enquiryId: id,
          formId: form.id,
          receivedAt,
          fields,
          contactId: outcome.contactId,
          expiresAt: expiryFor('enquiry', now, deps.config.retention),
        }
      : undefined;
    try {
      await deps.repository.record({ now, enquiry, contact });
      break;
    } catch (error) {
      if (!(error instanceof IntakeConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      log.warn('enquiry_write_conflict', { attempt, formId: form.id });
    }
  }

  const notification = staffNotification({
    to: deps.config.notifications.to,
    formId: form.id,
    enquiryId: id,
    stored: form.store,
    fields,
    marketing,
  });
  try {
    await deps.mailer.send(notification);
  } catch (error) {
    // Without storage the email is the delivery: fail so the visitor can send again and nothing is lost.
    if (!form.store) throw error;
    log.error('staff_notification_failed', { ...describeError(error), formId: form.id, enquiryId: id });
  }

  log.info('enquiry_received', {
    formId: form.id,
    stored: form.store,
    marketing: marketing.kind,
    consentEvents: outcome.events,
    softOptInBlocked: outcome.softOptInBlocked,
  });
  return { id, formId: form.id };
}
