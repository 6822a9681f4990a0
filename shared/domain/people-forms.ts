/**
 * What the people-facing forms mean: the privacy centre's "email me a link" form and the complaint form.
 * Like the enquiry forms, a filled honeypot is a bot (answered like a success, nothing kept) and Turnstile,
 * when on, needs its token. Reasons name fields, never what was sent.
 */
import { parseEmail } from './email.ts';
import { type FieldErrors, type SubmittedFields, TURNSTILE_FIELD } from './enquiry.ts';
import { DEFAULT_PEOPLE_PAGES, type PeoplePageSettings } from './settings.ts';

/** What a complaint is about: the choices the form offers. */
export const COMPLAINT_SUBJECTS = [
  'marketing_emails',
  'data_request',
  'data_handling',
  'something_else',
] as const;
export type ComplaintSubject = (typeof COMPLAINT_SUBJECTS)[number];

export const MAX_COMPLAINT_CHARS = 2000;

export type PeopleForm<T> =
  | { readonly kind: 'spam' }
  | { readonly kind: 'invalid'; readonly fields: FieldErrors }
  | ({ readonly kind: 'valid'; readonly turnstileToken: string | undefined } & T);

/** The privacy centre's link request: one address. */
export function interpretLinkRequest(
  settings: PeoplePageSettings | undefined,
  submitted: SubmittedFields,
): PeopleForm<{ readonly email: string }> {
  const checked = botChecks(settings, submitted);
  if (checked.kind !== 'passed') return checked;
  const errors: FieldErrors = { ...checked.errors };
  const email = emailField(submitted, errors);
  if (Object.keys(errors).length > 0 || !email) return { kind: 'invalid', fields: errors };
  return { kind: 'valid', email, turnstileToken: checked.turnstileToken };
}

/** A complaint: the address to answer, what it is about and the person's own words. */
export function interpretComplaint(
  settings: PeoplePageSettings | undefined,
  submitted: SubmittedFields,
): PeopleForm<{ readonly email: string; readonly about: ComplaintSubject; readonly details: string }> {
  const checked = botChecks(settings, submitted);
  if (checked.kind !== 'passed') return checked;
  const errors: FieldErrors = { ...checked.errors };
  const email = emailField(submitted, errors);
  const about = single(submitted, 'about', errors);
  if (about !== undefined && !(COMPLAINT_SUBJECTS as readonly string[]).includes(about))
    errors.about = 'invalid';
  const details = single(submitted, 'details', errors)?.trim();
  if (details !== undefined && details.length > MAX_COMPLAINT_CHARS) errors.details = 'too_long';
  else if (details === '') errors.details = 'required';
  if (Object.keys(errors).length > 0 || !email || !about || !details)
    return { kind: 'invalid', fields: errors };
  return {
    kind: 'valid',
    email,
    about: about as ComplaintSubject,
    details,
    turnstileToken: checked.turnstileToken,
  };
}

type BotCheck =
  | { readonly kind: 'spam' }
  | { readonly kind: 'passed'; readonly errors: FieldErrors; readonly turnstileToken: string | undefined };

function botChecks(settings: PeoplePageSettings | undefined, submitted: SubmittedFields): BotCheck {
  const { honeypot, turnstile } = settings ?? DEFAULT_PEOPLE_PAGES;
  // A filled honeypot is a bot: answered as a success so it learns nothing, and nothing is done.
  if ((submitted.get(honeypot) ?? []).some((value) => value.trim() !== '')) return { kind: 'spam' };
  const errors: FieldErrors = {};
  const turnstileToken = turnstile ? single(submitted, TURNSTILE_FIELD, errors) : undefined;
  return { kind: 'passed', errors, turnstileToken };
}

function emailField(submitted: SubmittedFields, errors: FieldErrors): string | undefined {
  const given = single(submitted, 'email', errors);
  if (given === undefined) return undefined;
  const email = parseEmail(given);
  if (!email) errors.email = 'invalid_email';
  return email;
}

/** One value of a field: absent or blank is `required`, sent twice is `repeated`. */
function single(submitted: SubmittedFields, name: string, errors: FieldErrors): string | undefined {
  const values = submitted.get(name) ?? [];
  if (values.length > 1) {
    errors[name] = 'repeated';
    return undefined;
  }
  const value = values[0];
  if (value === undefined || value.trim() === '') {
    errors[name] = 'required';
    return undefined;
  }
  return value;
}
