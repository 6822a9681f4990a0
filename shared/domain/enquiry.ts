/**
 * What a submitted form means: which form, the fields it may keep, and the marketing choice made.
 * Everything the form does not keep is dropped here, before anything is stored, sent or logged.
 */
import { isValidEmail, normaliseEmail } from './email.ts';
import type { EnquiryField, EnquiryForm, MarketingStatement } from './settings.ts';

/** A parsed body: every field name with all the values sent for it. */
export type SubmittedFields = ReadonlyMap<string, readonly string[]>;

/** A form post as it arrived: its fields, how it was sent, and from where. */
export interface EnquiryInput {
  readonly fields: SubmittedFields;
  readonly method: 'html_form' | 'json';
  readonly page: string | undefined;
  /** Where links in emails point. */
  readonly baseUrl: string;
}

/** Why a field was refused. Never contains the submitted value. */
export type FieldReason =
  | 'required'
  | 'too_long'
  | 'invalid'
  | 'invalid_email'
  | 'invalid_phone'
  | 'unknown_form'
  | 'unknown_topic'
  | 'unknown_version'
  | 'repeated'
  | 'failed'
  /** A field the request's type does not take. */
  | 'not_allowed'
  | 'in_the_future';

export type FieldErrors = Record<string, FieldReason>;

export type MarketingIntent =
  | { readonly kind: 'none' }
  /** A positive action on a consent-mode form. */
  | {
      readonly kind: 'express_consent';
      readonly topics: readonly string[];
      readonly statement: MarketingStatement;
    }
  /** A sales enquiry whose opt-out was offered and not taken (PECR reg 22). */
  | {
      readonly kind: 'soft_opt_in';
      readonly topics: readonly string[];
      readonly statement: MarketingStatement;
    }
  /** The opt-out offered at collection was taken. */
  | { readonly kind: 'refusal'; readonly topics: readonly string[]; readonly statement: MarketingStatement };

export type KeptFields = Partial<Record<EnquiryField, string>>;

export type EnquirySubmission =
  | { readonly kind: 'spam'; readonly form: EnquiryForm }
  | { readonly kind: 'invalid'; readonly form: EnquiryForm | undefined; readonly fields: FieldErrors }
  | {
      readonly kind: 'valid';
      readonly form: EnquiryForm;
      readonly fields: KeptFields;
      /** Normalised, present whenever the form kept an email. */
      readonly email: string | undefined;
      readonly marketing: MarketingIntent;
      readonly turnstileToken: string | undefined;
    };

export const DEFAULT_FORM_ID = 'contact';
export const TURNSTILE_FIELD = 'cf-turnstile-response';

const MAX_LENGTH: Record<EnquiryField, number> = {
  name: 200,
  email: 254,
  phone: 40,
  company: 200,
  message: 5000,
  topic: 200,
};
const PHONE = /^\+?[0-9 ()\-.]{5,40}$/;
// Control characters other than tab and newlines have no place in a form field.
const CONTROL = /(?![\t\n\r])\p{Cc}/u;
const TICKED = new Set(['on', 'yes', 'true', '1']);

export function interpretSubmission(
  config: { readonly forms: readonly EnquiryForm[] },
  submitted: SubmittedFields,
): EnquirySubmission {
  const errors: FieldErrors = {};
  const formId = single(submitted, 'form', errors) ?? DEFAULT_FORM_ID;
  const form = config.forms.find((candidate) => candidate.id === formId);
  if (!form) return { kind: 'invalid', form: undefined, fields: { form: 'unknown_form' } };

  // A filled honeypot is a bot: answer as for success and keep nothing.
  if ((submitted.get(form.honeypot) ?? []).some((value) => value.trim() !== ''))
    return { kind: 'spam', form };

  const fields: KeptFields = {};
  for (const field of form.keep) {
    const value = single(submitted, field, errors)?.trim();
    if (value === undefined || value === '') {
      if (form.required.includes(field) && !errors[field]) errors[field] = 'required';
      continue;
    }
    const reason = checkField(field, value);
    if (reason) errors[field] = reason;
    else fields[field] = field === 'email' ? normaliseEmail(value) : value;
  }

  const marketing = interpretMarketing(form, submitted, errors);
  if (marketing.kind !== 'none' && marketing.kind !== 'refusal' && !fields.email && !errors.email) {
    // Permission is recorded against an address: a tick without one cannot be honoured.
    if (marketing.kind === 'express_consent') errors.email = 'required';
  }
  const turnstileToken = form.turnstile ? single(submitted, TURNSTILE_FIELD, errors) : undefined;
  if (form.turnstile && !turnstileToken) errors[TURNSTILE_FIELD] = 'required';

  if (Object.keys(errors).length > 0) return { kind: 'invalid', form, fields: errors };
  const email = fields.email;
  const effectiveMarketing = email ? marketing : { kind: 'none' as const };
  return { kind: 'valid', form, fields, email, marketing: effectiveMarketing, turnstileToken };
}

function interpretMarketing(
  form: EnquiryForm,
  submitted: SubmittedFields,
  errors: FieldErrors,
): MarketingIntent {
  const marketing = form.marketing;
  if (marketing.mode === 'none') return { kind: 'none' };

  const statements = [marketing.statement, ...marketing.previousStatements];
  const version = single(submitted, 'statement_version', errors)?.trim();
  const statement = version
    ? statements.find((candidate) => candidate.version === version)
    : marketing.statement;
  if (!statement) errors.statement_version = 'unknown_version';

  const requested = submitted.get('topics') ?? [];
  const unknown = requested.some((topic) => !marketing.topics.includes(topic));
  if (unknown) errors.topics = 'unknown_topic';
  const topics = requested.length > 0 ? [...new Set(requested)] : marketing.topics;
  if (!statement || unknown) return { kind: 'none' };

  if (marketing.mode === 'consent') {
    return isTicked(submitted, 'marketing_consent', errors)
      ? { kind: 'express_consent', topics, statement }
      : { kind: 'none' };
  }
  return isTicked(submitted, 'marketing_opt_out', errors)
    ? { kind: 'refusal', topics, statement }
    : { kind: 'soft_opt_in', topics, statement };
}

function isTicked(submitted: SubmittedFields, name: string, errors: FieldErrors): boolean {
  const value = single(submitted, name, errors);
  return value !== undefined && TICKED.has(value.trim().toLowerCase());
}

/** The one value of a scalar field; a field sent twice is refused rather than guessed at. */
function single(submitted: SubmittedFields, name: string, errors: FieldErrors): string | undefined {
  const values = submitted.get(name);
  if (!values || values.length === 0) return undefined;
  if (values.length > 1) {
    errors[name] = 'repeated';
    return undefined;
  }
  return values[0];
}

function checkField(field: EnquiryField, value: string): FieldReason | undefined {
  if (value.length > MAX_LENGTH[field]) return 'too_long';
  if (CONTROL.test(value) || (field !== 'message' && /[\r\n\t]/.test(value))) return 'invalid';
  if (field === 'email' && !isValidEmail(normaliseEmail(value))) return 'invalid_email';
  if (field === 'phone' && !PHONE.test(value)) return 'invalid_phone';
  return undefined;
}
