/**
 * The privacy centre's pages: the form that emails a link, what we hold (from the access bundle, in plain
 * words) with the actions that POST back, the check before deleting, and each outcome. No scripts, no
 * external assets; every action is a plain form, so they work without JavaScript and GET changes nothing.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { AccessBundle } from '../domain/access-bundle.ts';
import type { Topic } from '../domain/settings.ts';
import { FIELD_LABELS } from './field-text.ts';
import { escapeHtml, htmlDocument } from './responses.ts';

/** Form controls, summary lists and tables, on top of the base stylesheet. */
const PEOPLE_STYLE = `
label{display:block;font-weight:600;margin-top:1rem}
input[type=email],input[type=text],input[type=tel],select,textarea{display:block;width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:2px solid #1a1a1a;border-radius:0}
textarea{min-height:10rem}
.hint{color:#484949;margin:.25rem 0 0}
.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);border:0}
dl{display:grid;grid-template-columns:minmax(8rem,auto) 1fr;gap:.25rem 1rem}
dt{font-weight:600}
dd{margin:0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;border-bottom:1px solid #b1b4b6;padding:.4rem .5rem .4rem 0;vertical-align:top}
section{margin-top:2rem}
.warning{background:#b10e1e}
.secondary{background:#f3f2f1;color:#0b0c0c;border:1px solid #929191}
`;

export function peoplePage(statusCode: number, title: string, bodyHtml: string): APIGatewayProxyResult {
  const { html, csp } = htmlDocument(title, bodyHtml, PEOPLE_STYLE);
  return {
    statusCode,
    headers: {
      // What we hold on a person: never kept in any cache.
      'Cache-Control': 'no-store',
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': csp,
    },
    body: html,
  };
}

const tokenQuery = (token: string) => `?token=${encodeURIComponent(token)}`;

export function askForLinkPage(organisation: string, honeypot: string): APIGatewayProxyResult {
  return peoplePage(
    200,
    'Your personal data',
    `<p>See the personal data ${escapeHtml(organisation)} holds about you, download it, correct it, stop marketing emails or have it deleted.</p>
<p>Enter your email address and we will email you a link. The link works for 24 hours.</p>
<form method="post" action="privacy-centre">
<label for="email">Email address</label>
<input type="email" id="email" name="email" autocomplete="email" spellcheck="false" required>
${honeypotField(honeypot)}
<button type="submit">Email me a link</button>
</form>
<p><a href="complaints">Make a complaint about how we handle your data</a></p>`,
  );
}

/** The same page whatever the address: it never says whether we know it. */
export function linkSentPage(): APIGatewayProxyResult {
  return peoplePage(
    200,
    'Check your email',
    '<p>If the address you gave is one we can send to, a link is on its way. It works for 24 hours.</p><p>If nothing arrives within a few minutes, check your spam folder or try again.</p>',
  );
}

export function holdNothingPage(organisation: string): APIGatewayProxyResult {
  return peoplePage(
    200,
    'Your personal data',
    `<p>${escapeHtml(organisation)} holds no personal data about this email address.</p>`,
  );
}

const STATUS_WORDS: Readonly<Record<string, string>> = {
  consent: 'You agreed to get these emails',
  soft_opt_in: 'We may email you about these because you asked us about our services',
  pending: 'Waiting for you to confirm by the link we emailed',
  withdrawn: 'You stopped these emails',
};

const EVENT_WORDS: Readonly<Record<string, string>> = {
  consent_requested: 'You asked to get emails (waiting for confirmation)',
  consent_given: 'You agreed to get emails',
  consent_confirmed: 'You confirmed by email',
  soft_opt_in_granted: 'Emails about services like the one you asked about began',
  withdrawn: 'Emails stopped',
  address_changed: 'Your email address changed',
};

const date = (iso: string) => escapeHtml(iso.slice(0, 10));

export function heldDataPage(input: {
  readonly organisation: string;
  readonly token: string;
  readonly topics: readonly Topic[];
  readonly bundle: AccessBundle;
  readonly done?: string | undefined;
}): APIGatewayProxyResult {
  const { bundle, token } = input;
  const label = (id: string) => input.topics.find((topic) => topic.id === id)?.label ?? id;
  const action = tokenQuery(token);
  const topics = bundle.topics.length
    ? `<table><caption class="visually-hidden">Emails</caption><thead><tr><th scope="col">Emails</th><th scope="col">Status</th><th scope="col">Since</th><th scope="col">Deleted on</th></tr></thead><tbody>${bundle.topics
        .map(
          (topic) =>
            `<tr><td>${escapeHtml(label(topic.topic))}</td><td>${escapeHtml(STATUS_WORDS[topic.status] ?? topic.status)}</td><td>${date(topic.since)}</td><td>${date(topic.deletedAt)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p>You are not on any of our email lists.</p>';
  const history = bundle.consentHistory.length
    ? `<table><caption class="visually-hidden">History of your choices</caption><thead><tr><th scope="col">Date</th><th scope="col">What happened</th><th scope="col">Emails</th><th scope="col">What you were told</th></tr></thead><tbody>${bundle.consentHistory
        .map(
          (event) =>
            `<tr><td>${date(event.at)}</td><td>${escapeHtml(EVENT_WORDS[event.type] ?? event.type)}</td><td>${escapeHtml(event.topic === '*' ? 'All' : label(event.topic))}</td><td>${escapeHtml(event.statementText ?? '')}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p>No choices recorded.</p>';
  const enquiries = bundle.enquiries.length
    ? bundle.enquiries
        .map(
          (enquiry) =>
            `<h3>Sent on ${date(enquiry.receivedAt)}</h3><dl>${Object.entries(enquiry.fields)
              .map(
                ([field, value]) =>
                  `<dt>${escapeHtml(FIELD_LABELS[field] ?? field)}</dt><dd>${escapeHtml(value)}</dd>`,
              )
              .join('')}<dt>Deleted on</dt><dd>${date(enquiry.deletedAt)}</dd></dl>`,
        )
        .join('')
    : '<p>None kept.</p>';
  const suppressed = bundle.suppression.allTopics
    ? '<p>You asked us never to send you marketing emails. We keep only a coded fingerprint of your address to make sure of it.</p>'
    : '';
  const restricted = bundle.restricted
    ? '<p><strong>You asked us to restrict the use of your data:</strong> we keep it, but use it for nothing else.</p>'
    : '';
  return peoplePage(
    200,
    'Your personal data',
    `${input.done ? `<div role="status"><p><strong>${escapeHtml(input.done)}</strong></p></div>` : ''}
<p>This is everything ${escapeHtml(input.organisation)} holds about you.</p>
${restricted}
<section aria-labelledby="details"><h2 id="details">Your details</h2>
<dl><dt>Email address</dt><dd>${escapeHtml(bundle.subject.email)}</dd><dt>Name</dt><dd>${escapeHtml(bundle.subject.name ?? 'Not held')}</dd></dl></section>
<section aria-labelledby="emails"><h2 id="emails">Emails from us</h2>${suppressed}${topics}</section>
<section aria-labelledby="messages"><h2 id="messages">Messages you sent us</h2>${enquiries}</section>
<section aria-labelledby="history"><h2 id="history">History of your choices</h2>${history}</section>
<section aria-labelledby="shared"><h2 id="shared">Who else handles it</h2><ul>${bundle.recipients
      .map((recipient) => `<li>${escapeHtml(recipient.name)}: ${escapeHtml(recipient.purpose)}</li>`)
      .join('')}</ul></section>
<section aria-labelledby="actions"><h2 id="actions">What you can do</h2>
<h3>Download your data</h3>
<form method="post" action="privacy-centre/export${escapeHtml(action)}"><button type="submit">Download my data (JSON file)</button></form>
<h3>Correct your details</h3>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="action" value="correct">
<label for="name">Name</label><input type="text" id="name" name="name" autocomplete="name">
<label for="phone">Phone number</label><input type="tel" id="phone" name="phone" autocomplete="tel">
<label for="company">Company</label><input type="text" id="company" name="company" autocomplete="organization">
<p class="hint">Fill in only what should change.</p>
<button type="submit">Correct my details</button>
</form>
<h3>Change your email address</h3>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="action" value="change_email">
<label for="new-email">New email address</label><input type="email" id="new-email" name="email" autocomplete="email" spellcheck="false">
<p class="hint">We email the new address a link; nothing changes until it is confirmed.</p>
<button type="submit">Change my email address</button>
</form>
<h3>${bundle.restricted ? 'Lift the restriction' : 'Restrict the use of your data'}</h3>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="action" value="${bundle.restricted ? 'lift_restriction' : 'restrict'}">
<p>${bundle.restricted ? 'We may use your data again as before.' : 'We keep your data but take you off every list until you lift this.'}</p>
<button type="submit" class="secondary">${bundle.restricted ? 'Lift the restriction' : 'Restrict the use of my data'}</button>
</form>
<h3>Stop all marketing</h3>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="action" value="stop_marketing">
<button type="submit" class="secondary">Stop all marketing emails</button>
</form>
<h3>Delete everything</h3>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="action" value="delete">
<button type="submit" class="warning">Delete all my data</button>
</form>
</section>`,
  );
}

/** "Check before anything irreversible": deleting asks once more. */
export function confirmDeletePage(token: string): APIGatewayProxyResult {
  return peoplePage(
    200,
    'Are you sure you want to delete all your data?',
    `<p>We will delete your details, your email choices and their history, and the messages you sent us. This cannot be undone.</p>
<p>We keep only a coded fingerprint of your email address so that it is never added to our lists again.</p>
<form method="post" action="${escapeHtml(tokenQuery(token))}">
<input type="hidden" name="action" value="delete">
<input type="hidden" name="confirm" value="yes">
<button type="submit" class="warning">Yes, delete all my data</button>
</form>
<p><a href="${escapeHtml(tokenQuery(token))}">No, go back</a></p>`,
  );
}

export function deletedPage(organisation: string): APIGatewayProxyResult {
  return peoplePage(
    200,
    'Your data is deleted',
    `<p>${escapeHtml(organisation)} has deleted the personal data it held about you. We have emailed you a confirmation.</p>`,
  );
}

export function addressConfirmationSentPage(): APIGatewayProxyResult {
  return peoplePage(
    200,
    'Confirm your new address',
    '<p>We have emailed a link to the new address. Your address changes once you open that link and confirm.</p>',
  );
}

export function honeypotField(name: string): string {
  // Hidden from people and from assistive technology; bots fill every field.
  return `<div class="visually-hidden" aria-hidden="true"><label for="${escapeHtml(name)}">Leave this empty</label><input type="text" id="${escapeHtml(name)}" name="${escapeHtml(name)}" tabindex="-1" autocomplete="off"></div>`;
}
