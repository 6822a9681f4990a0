/** The email staff receive for each enquiry. It carries the enquiry itself; nothing here is logged. */

import type { KeptFields, MarketingIntent } from '../domain/enquiry.ts';
import type { EnquiryField } from '../domain/settings.ts';
import { escapeHtml } from '../http/responses.ts';
import type { OutgoingEmail } from '../ports/mailer.ts';

const LABELS: Record<EnquiryField, string> = {
  name: 'Name',
  email: 'Email',
  phone: 'Phone',
  company: 'Company',
  topic: 'Subject',
  message: 'Message',
};
const ORDER: readonly EnquiryField[] = ['name', 'email', 'phone', 'company', 'topic', 'message'];

const MARKETING_TEXT: Record<MarketingIntent['kind'], string> = {
  none: 'No marketing permission given.',
  express_consent: 'Asked for emails about',
  soft_opt_in: 'Did not take the marketing opt-out (soft opt-in) for',
  refusal: 'Refused marketing (opt-out taken).',
};

export function staffNotification(input: {
  readonly to: readonly string[];
  readonly formId: string;
  readonly enquiryId: string;
  readonly stored: boolean;
  readonly fields: KeptFields;
  readonly marketing: MarketingIntent;
  /** Double opt-in: the person still has to confirm by email. */
  readonly awaitingConfirmation: boolean;
}): OutgoingEmail {
  const rows = ORDER.flatMap((field) => {
    const value = input.fields[field];
    return value === undefined ? [] : [[LABELS[field], value] as const];
  });
  const marketing =
    input.marketing.kind === 'express_consent' || input.marketing.kind === 'soft_opt_in'
      ? `${MARKETING_TEXT[input.marketing.kind]} ${input.marketing.topics.join(', ')}${input.awaitingConfirmation ? ' (not yet confirmed: a confirmation email was sent)' : ''}.`
      : MARKETING_TEXT[input.marketing.kind];
  const storage = input.stored
    ? `Reference: ${input.enquiryId}`
    : 'This form does not store enquiries: this email is the only copy.';

  const text = [
    `New enquiry from the "${input.formId}" form.`,
    '',
    ...rows.map(([label, value]) => `${label}: ${value}`),
    '',
    `Marketing: ${marketing}`,
    storage,
  ].join('\n');
  const html = `<p>New enquiry from the &quot;${escapeHtml(input.formId)}&quot; form.</p>
<table>${rows.map(([label, value]) => `<tr><th align="left" valign="top">${escapeHtml(label)}</th><td style="white-space:pre-wrap">${escapeHtml(value)}</td></tr>`).join('')}</table>
<p>Marketing: ${escapeHtml(marketing)}</p>
<p>${escapeHtml(storage)}</p>`;
  return {
    to: input.to,
    subject: `New enquiry (${input.formId} form)`,
    text,
    html,
    ...(input.fields.email ? { replyTo: input.fields.email } : {}),
  };
}
