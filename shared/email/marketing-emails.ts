/**
 * Emails that follow a new marketing permission: the double opt-in confirmation and the welcome. Each
 * carries the unsubscribe and preferences links, a link to the privacy centre, and RFC 8058 one-click unsubscribe headers.
 */

import { escapeHtml } from '../http/responses.ts';
import type { OutgoingEmail } from '../ports/mailer.ts';
import type { ContactLinks } from './links.ts';

interface MarketingEmailInput {
  readonly to: string;
  readonly organisation: string;
  readonly topicLabels: readonly string[];
  readonly links: ContactLinks;
}

export function confirmationEmail(
  input: MarketingEmailInput & { readonly statement: string },
): OutgoingEmail {
  const topics = input.topicLabels.join(', ');
  const text = [
    `Please confirm that you want emails from ${input.organisation} (${topics}).`,
    '',
    `You agreed to: ${input.statement}`,
    '',
    `Confirm: ${input.links.confirmUrl}`,
    '',
    'If you did not ask for this, ignore this email and you will not hear from us.',
    ...footerText(input.links),
  ].join('\n');
  const html = `<p>Please confirm that you want emails from ${escapeHtml(input.organisation)} (${escapeHtml(topics)}).</p>
<p>You agreed to: ${escapeHtml(input.statement)}</p>
<p><a href="${escapeHtml(input.links.confirmUrl)}">Confirm my subscription</a></p>
<p>If you did not ask for this, ignore this email and you will not hear from us.</p>
${footerHtml(input.links)}`;
  return withUnsubscribeHeaders(
    { to: [input.to], subject: `Please confirm your subscription to ${input.organisation}`, text, html },
    input.links,
  );
}

export function welcomeEmail(input: MarketingEmailInput): OutgoingEmail {
  const topics = input.topicLabels.join(', ');
  const text = [
    `You will now receive emails from ${input.organisation} about: ${topics}.`,
    ...footerText(input.links),
  ].join('\n');
  const html = `<p>You will now receive emails from ${escapeHtml(input.organisation)} about: ${escapeHtml(topics)}.</p>
${footerHtml(input.links)}`;
  return withUnsubscribeHeaders(
    { to: [input.to], subject: `Welcome to ${input.organisation}'s emails`, text, html },
    input.links,
  );
}

function footerText(links: ContactLinks): string[] {
  return [
    '',
    `Unsubscribe: ${links.unsubscribeUrl}`,
    `Choose your emails: ${links.preferencesUrl}`,
    `Your personal data: ${links.privacyCentreUrl}`,
  ];
}

function footerHtml(links: ContactLinks): string {
  return `<p><a href="${escapeHtml(links.unsubscribeUrl)}">Unsubscribe</a> · <a href="${escapeHtml(links.preferencesUrl)}">Choose your emails</a> · <a href="${escapeHtml(links.privacyCentreUrl)}">Your personal data</a></p>`;
}

function withUnsubscribeHeaders(email: OutgoingEmail, links: ContactLinks): OutgoingEmail {
  return {
    ...email,
    headers: {
      'List-Unsubscribe': `<${links.unsubscribeUrl}>`,
      // RFC 8058: mail providers may POST `List-Unsubscribe=One-Click` to the link above.
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  };
}
