/**
 * The emails the register sends: to the person (confirm the request is theirs; we extended the deadline;
 * we refused, with their right to complain) and to the privacy address (the daily digest). They name the
 * request by its type and reference only: no personal data beyond the recipient's own address.
 */
import type { CalendarDate } from '../domain/request-clock.ts';
import type { RefusalReason, RequestType } from '../domain/subject-request.ts';
import { escapeHtml } from '../http/responses.ts';
import type { OutgoingEmail } from '../ports/mailer.ts';

export const TYPE_TEXT: Record<RequestType, string> = {
  access: 'a copy of the personal data we hold about you',
  erasure: 'the erasure of your personal data',
  rectification: 'the correction of your personal data',
  restriction: 'a restriction of the processing of your personal data',
  objection: 'your objection to direct marketing',
  withdrawal: 'the withdrawal of your marketing consent',
  complaint: 'your complaint',
};

const REFUSAL_TEXT: Record<RefusalReason, string> = {
  manifestly_unfounded: 'we consider the request manifestly unfounded',
  excessive: 'we consider the request excessive',
  identity_not_confirmed: 'we could not confirm that the request was made by you',
  other: 'of the reason given below',
};

export interface PersonEmail {
  readonly to: string;
  readonly organisation: string;
  readonly type: RequestType;
  readonly reference: string;
}

/** An email to the person about their request: the paragraphs, then who we are and the reference. */
export function requestEmail(
  input: PersonEmail,
  subject: string,
  paragraphs: readonly string[],
): OutgoingEmail {
  return {
    to: [input.to],
    subject,
    text: `${paragraphs.join('\n\n')}\n\n${input.organisation}\nReference: ${input.reference}\n`,
    html: `${paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n')}\n<p>${escapeHtml(input.organisation)}<br>Reference: ${escapeHtml(input.reference)}</p>`,
  };
}

export function verificationEmail(input: PersonEmail & { readonly url: string }): OutgoingEmail {
  return requestEmail(input, `Please confirm your request to ${input.organisation}`, [
    `We received a request for ${TYPE_TEXT[input.type]}.`,
    'Before we act on it, please confirm that it is yours by opening this link and pressing the button on the page:',
    input.url,
    'The link works for 14 days. If you did not make this request, ignore this email and nothing will happen.',
  ]);
}

export function extensionEmail(
  input: PersonEmail & { readonly dueAt: CalendarDate; readonly reason: string },
): OutgoingEmail {
  return requestEmail(input, `Your request to ${input.organisation}: more time needed`, [
    `We are working on your request for ${TYPE_TEXT[input.type]}.`,
    `Because the request is complex or one of several, we need more time, as the law allows. We will answer by ${input.dueAt}.`,
    `Why: ${input.reason}`,
  ]);
}

export function refusalEmail(
  input: PersonEmail & { readonly reason: RefusalReason; readonly explanation: string },
): OutgoingEmail {
  return requestEmail(input, `Your request to ${input.organisation}`, [
    `We will not act on your request for ${TYPE_TEXT[input.type]}, because ${REFUSAL_TEXT[input.reason]}.`,
    ...(input.explanation ? [input.explanation] : []),
    'If you disagree, you can complain to us by replying to this email, and you have the right to complain to the Information Commissioner’s Office (ico.org.uk/make-a-complaint, 0303 123 1113) and to seek to enforce your rights through the courts.',
  ]);
}

export interface DigestLine {
  readonly reference: string;
  readonly type: RequestType;
  readonly status: string;
  readonly due: CalendarDate;
  readonly daysLeft: number;
}

/** To the privacy address: requests due within a week, and overdue ones first. */
export function digestEmail(input: {
  readonly to: string;
  readonly organisation: string;
  readonly lines: readonly DigestLine[];
}): OutgoingEmail {
  const describe = (line: DigestLine) =>
    `${line.reference}  ${line.type}  ${line.status}  due ${line.due}  ${
      line.daysLeft < 0 ? `OVERDUE by ${-line.daysLeft} days` : `${line.daysLeft} days left`
    }`;
  const overdue = input.lines.filter((line) => line.daysLeft < 0).length;
  const subject = `Subject requests: ${overdue} overdue, ${input.lines.length - overdue} due within 7 days`;
  return {
    to: [input.to],
    subject,
    text: `${subject}\n\n${input.lines.map(describe).join('\n')}\n`,
    html: `<p>${escapeHtml(subject)}</p>\n<ul>${input.lines.map((line) => `<li>${escapeHtml(describe(line))}</li>`).join('')}</ul>`,
  };
}
