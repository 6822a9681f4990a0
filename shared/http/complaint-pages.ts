/** The complaint form and its answer. No scripts; a plain form that works without JavaScript. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { COMPLAINT_SUBJECTS, type ComplaintSubject, MAX_COMPLAINT_CHARS } from '../domain/people-forms.ts';
import { honeypotField, peoplePage } from './privacy-centre-pages.ts';
import { escapeHtml } from './responses.ts';

export const COMPLAINT_SUBJECT_TEXT: Readonly<Record<ComplaintSubject, string>> = {
  marketing_emails: 'Marketing emails',
  data_request: 'A request about your data (a copy, a correction, a deletion)',
  data_handling: 'How we handle your personal data',
  something_else: 'Something else',
};

export function complaintFormPage(organisation: string, honeypot: string): APIGatewayProxyResult {
  const choices = COMPLAINT_SUBJECTS.map(
    (subject) => `<option value="${subject}">${escapeHtml(COMPLAINT_SUBJECT_TEXT[subject])}</option>`,
  ).join('');
  return peoplePage(
    200,
    'Make a complaint',
    `<p>Tell ${escapeHtml(organisation)} what went wrong with how we handled your personal data. We will acknowledge your complaint straight away, look into it and tell you the outcome.</p>
<form method="post" action="complaints">
<label for="email">Your email address</label>
<p class="hint" id="email-hint">So that we can reply to you.</p>
<input type="email" id="email" name="email" autocomplete="email" spellcheck="false" aria-describedby="email-hint" required>
<label for="about">What is it about?</label>
<select id="about" name="about" required>${choices}</select>
<label for="details">Your complaint</label>
<p class="hint" id="details-hint">Up to ${MAX_COMPLAINT_CHARS.toLocaleString('en-GB')} characters. Please do not include more personal data than we need to understand it.</p>
<textarea id="details" name="details" maxlength="${MAX_COMPLAINT_CHARS}" aria-describedby="details-hint" required></textarea>
${honeypotField(honeypot)}
<button type="submit">Send my complaint</button>
</form>
<p>You also have the right to complain to the Information Commissioner’s Office (ico.org.uk/make-a-complaint).</p>`,
  );
}

export function complaintReceivedPage(): APIGatewayProxyResult {
  return peoplePage(
    200,
    'Complaint received',
    '<p>Thank you. We have emailed you an acknowledgement. Our privacy lead will look into your complaint and tell you the outcome.</p>',
  );
}
