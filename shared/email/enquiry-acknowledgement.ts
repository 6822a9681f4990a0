/**
 * The service message a form with `acknowledge: true` sends to the enquirer: we received it, we will
 * reply. No marketing, no links, and nothing the sender typed: the address is not verified, so the email
 * must not carry someone's text into a stranger's inbox.
 */
import { escapeHtml } from '../http/responses.ts';
import type { OutgoingEmail } from '../ports/mailer.ts';

export function enquiryAcknowledgement(input: {
  readonly to: string;
  readonly organisation: string;
  /** Only for a stored enquiry: a reference staff can find it by. */
  readonly reference?: string | undefined;
}): OutgoingEmail {
  const paragraphs = [
    `Thank you for contacting ${input.organisation}. We have received your enquiry and will reply as soon as we can.`,
    ...(input.reference ? [`Your reference: ${input.reference}`] : []),
    'This is a service message about your enquiry. It is sent whether or not you receive marketing from us, and it does not sign you up to anything.',
  ];
  return {
    to: [input.to],
    subject: `We received your enquiry to ${input.organisation}`,
    text: `${paragraphs.join('\n\n')}\n`,
    html: paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n'),
  };
}
