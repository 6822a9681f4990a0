/**
 * The service emails of the people-facing pages: the privacy centre link, the confirmation of what the
 * person did there, the link by which a new address confirms a change of address, the acknowledgement of
 * a complaint and the notice to the privacy address. Not marketing: sent whatever the person's permissions.
 */
import type { CalendarDate } from '../domain/request-clock.ts';
import type { RequestType } from '../domain/subject-request.ts';
import { escapeHtml } from '../http/responses.ts';
import type { OutgoingEmail } from '../ports/mailer.ts';
import { requestEmail, TYPE_TEXT } from './subject-request-emails.ts';

export function privacyCentreLinkEmail(input: {
  readonly to: string;
  readonly organisation: string;
  readonly url: string;
}): OutgoingEmail {
  const paragraphs = [
    `You asked to see the personal data ${input.organisation} holds about this email address.`,
    'Open this link to see it, download it, correct it, stop marketing emails or have it deleted:',
    input.url,
    'The link works for 24 hours. If you did not ask for it, ignore this email: nothing will change.',
  ];
  return {
    to: [input.to],
    subject: `Your privacy centre link for ${input.organisation}`,
    text: `${paragraphs.join('\n\n')}\n\n${input.organisation}\n`,
    html: `${paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n')}\n<p>${escapeHtml(input.organisation)}</p>`,
  };
}

/** What the person did in the privacy centre, done: the request's type, reference and one line of outcome. */
export function requestDoneEmail(input: {
  readonly to: string;
  readonly organisation: string;
  readonly type: RequestType;
  readonly reference: string;
  readonly outcome: string;
}): OutgoingEmail {
  return requestEmail(input, `Done: your request to ${input.organisation}`, [
    `You asked for ${TYPE_TEXT[input.type]} in our privacy centre. ${input.outcome}`,
    'If you did not do this, please reply to this email straight away.',
  ]);
}

/** To the new address: the move happens only once this address confirms it is theirs. */
export function addressChangeEmail(input: {
  readonly to: string;
  readonly organisation: string;
  readonly reference: string;
  readonly url: string;
}): OutgoingEmail {
  return requestEmail(
    { ...input, type: 'rectification' },
    `Please confirm your new email address for ${input.organisation}`,
    [
      `Someone asked ${input.organisation} to use this email address instead of their old one.`,
      'If that was you, open this link and press the button on the page to confirm:',
      input.url,
      'The link works for 14 days. If it was not you, ignore this email and nothing will change.',
    ],
  );
}

export function complaintAcknowledgement(input: {
  readonly to: string;
  readonly organisation: string;
  readonly reference: string;
}): OutgoingEmail {
  return requestEmail({ ...input, type: 'complaint' }, `We have received your complaint`, [
    `Thank you for telling ${input.organisation} about your concern. Your complaint is logged and our privacy lead will look into it and tell you what we have done.`,
    'You also have the right to complain to the Information Commissioner’s Office (ico.org.uk/make-a-complaint, 0303 123 1113).',
  ]);
}

/** To the privacy address: a complaint arrived. Its text stays in the register, not in an email. */
export function complaintNotice(input: {
  readonly to: string;
  readonly organisation: string;
  readonly reference: string;
  readonly about: string;
  readonly acknowledgeBy: CalendarDate | null;
}): OutgoingEmail {
  const lines = [
    'A complaint was made through the complaint form.',
    `About: ${input.about}`,
    `Reference: ${input.reference}`,
    `Acknowledge and track to an outcome; acknowledge by ${input.acknowledgeBy ?? 'within 30 days'}.`,
    'Read it in the request register (GET /subject-requests/<reference>).',
  ];
  return {
    to: [input.to],
    subject: `New complaint for ${input.organisation}`,
    text: `${lines.join('\n')}\n`,
    html: lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n'),
  };
}
