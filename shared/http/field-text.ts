/** Words for people, for the fields and reasons of an invalid form. */
import type { FieldReason } from '../domain/enquiry.ts';

export const FIELD_LABELS: Readonly<Record<string, string>> = {
  form: 'Form',
  name: 'Name',
  email: 'Email address',
  phone: 'Phone number',
  company: 'Company',
  message: 'Message',
  topic: 'Subject',
  topics: 'Topics',
  statement_version: 'Marketing statement',
  marketing_consent: 'Marketing choice',
  marketing_opt_out: 'Marketing choice',
  'cf-turnstile-response': 'Verification',
  body: 'Form',
  about: 'What it is about',
  details: 'Your complaint',
  action: 'What you chose',
  changes: 'Your details',
};

export const REASON_TEXT: Readonly<Record<FieldReason, string>> = {
  required: 'this is required',
  too_long: 'this is too long',
  invalid: 'this contains characters we cannot accept',
  invalid_email: 'this does not look like an email address',
  invalid_phone: 'this does not look like a phone number',
  unknown_form: 'this form is not recognised',
  unknown_topic: 'one of the topics is not offered on this form',
  unknown_version: 'this version is not recognised; please reload the page',
  repeated: 'this was sent more than once',
  failed: 'the check that you are not a robot failed; please try again',
  not_allowed: 'this is not taken here',
  in_the_future: 'this is in the future',
};
