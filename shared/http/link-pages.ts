/**
 * The pages behind the links in our emails. No scripts, no external assets, readable on a phone; each
 * action is a plain POST form, so they work without JavaScript and a GET never changes anything.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { TopicChoice } from '../domain/preferences.ts';
import { escapeHtml, htmlPage } from './responses.ts';

const action = (token: string) => `?token=${encodeURIComponent(token)}`;

export function invalidLinkPage(): APIGatewayProxyResult {
  return htmlPage(
    400,
    'This link does not work',
    '<p>The link is incomplete, has expired or has been replaced by a newer one. Please use the link in our most recent email.</p>',
  );
}

export function unsubscribePage(organisation: string, token: string): APIGatewayProxyResult {
  return htmlPage(
    200,
    'Unsubscribe',
    `<p>Stop all marketing emails from ${escapeHtml(organisation)}?</p>
<form method="post" action="${escapeHtml(action(token))}">
<input type="hidden" name="confirm" value="yes">
<button type="submit">Unsubscribe from all emails</button>
</form>`,
  );
}

export function unsubscribedPage(organisation: string): APIGatewayProxyResult {
  return htmlPage(
    200,
    'You are unsubscribed',
    `<p>You will not receive marketing emails from ${escapeHtml(organisation)} any more. If you change your mind, you can sign up again on our website.</p>`,
  );
}

export function confirmPage(organisation: string, token: string): APIGatewayProxyResult {
  return htmlPage(
    200,
    'Confirm your subscription',
    `<p>Please confirm that you want to receive emails from ${escapeHtml(organisation)}.</p>
<form method="post" action="${escapeHtml(action(token))}">
<input type="hidden" name="confirm" value="yes">
<button type="submit">Confirm my subscription</button>
</form>`,
  );
}

export function confirmedPage(organisation: string, changed: boolean): APIGatewayProxyResult {
  return changed
    ? htmlPage(
        200,
        'Subscription confirmed',
        `<p>Thank you. You will now receive emails from ${escapeHtml(organisation)}.</p>`,
      )
    : htmlPage(
        200,
        'Nothing to confirm',
        '<p>This request is already confirmed, has expired, or was withdrawn. To sign up again, please use the form on our website.</p>',
      );
}

/** Relative, so it stays on this API wherever it is mounted. */
const PRIVACY_CENTRE_LINK =
  '<p><a href="privacy-centre">See, download, correct or delete the personal data we hold about you</a></p>';

const STATUS_TEXT: Partial<Record<TopicChoice['status'], string>> = {
  pending: ' (awaiting your confirmation)',
};

export function preferencesPage(input: {
  readonly organisation: string;
  readonly token: string;
  readonly statement: string;
  readonly topics: readonly TopicChoice[] | undefined;
  readonly saved: boolean;
}): APIGatewayProxyResult {
  if (!input.topics) {
    return htmlPage(
      200,
      'Your email choices',
      `<p>You are not on any of ${escapeHtml(input.organisation)}'s email lists.</p>\n${PRIVACY_CENTRE_LINK}`,
    );
  }
  const rows = input.topics
    .map((topic) => {
      const on = topic.status === 'consent' || topic.status === 'soft_opt_in' || topic.status === 'pending';
      const id = `topic-${escapeHtml(topic.id)}`;
      const note = topic.newerThanLink
        ? ' (change this from our most recent email)'
        : (STATUS_TEXT[topic.status] ?? '');
      return `<p><input type="checkbox" id="${id}" name="topics" value="${escapeHtml(topic.id)}"${on ? ' checked' : ''}${topic.newerThanLink ? ' disabled' : ''}>
<label for="${id}">${escapeHtml(topic.label)}${escapeHtml(note)}</label></p>`;
    })
    .join('\n');
  return htmlPage(
    200,
    input.saved ? 'Your choices are saved' : 'Your email choices',
    `<p>${escapeHtml(input.statement)}</p>
<form method="post" action="${escapeHtml(action(input.token))}">
<fieldset>
<legend>Emails from ${escapeHtml(input.organisation)}</legend>
${rows}
</fieldset>
<p><button type="submit" name="save" value="yes">Save my choices</button></p>
</form>
<form method="post" action="${escapeHtml(action(input.token))}">
<input type="hidden" name="everything" value="yes">
<p><button type="submit">Unsubscribe from everything</button></p>
</form>
${PRIVACY_CENTRE_LINK}`,
  );
}
