/**
 * The pages behind the link by which a person confirms a subject request is theirs: a button (POST) to
 * confirm, the outcome, and the same page for any link that does not work. No scripts, no personal data.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { escapeHtml, htmlPage } from './responses.ts';

export function verifyRequestPage(organisation: string, token: string): APIGatewayProxyResult {
  return htmlPage(
    200,
    'Confirm your request',
    `<p>You asked ${escapeHtml(organisation)} to act on the personal data we hold about you. Please confirm that the request is yours.</p>
<form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}">
<button type="submit">Confirm my request</button>
</form>
<p>If you did not make this request, close this page: nothing will happen.</p>`,
  );
}

export function requestVerifiedPage(organisation: string, already: boolean): APIGatewayProxyResult {
  return htmlPage(
    200,
    already ? 'Already confirmed' : 'Request confirmed',
    already
      ? '<p>This request has already been confirmed or has been dealt with. You do not need to do anything.</p>'
      : `<p>Thank you. ${escapeHtml(organisation)} will act on your request and reply within one month.</p>`,
  );
}

export function invalidRequestLinkPage(): APIGatewayProxyResult {
  return htmlPage(
    400,
    'This link does not work',
    '<p>The link is incomplete or has expired (links work for 14 days). Please contact us to confirm your request another way.</p>',
  );
}
