/**
 * Person (marketing, privacy): one contact's details, each topic with its basis, state, since and expiry,
 * the consent history as a timeline with the statement text shown, and their unsubscribe and preferences
 * links.
 */
import { type ContactDetail, failureMessage } from '../api.ts';
import { dateTime, errorSummary, h, summaryList, table } from '../dom.ts';
import type { PageContext } from '../pages.ts';

const STATUS_LABELS: Readonly<Record<string, string>> = {
  consent: 'Express consent',
  soft_opt_in: 'Soft opt-in',
  pending: 'Waiting for confirmation',
  withdrawn: 'Withdrawn',
  none: 'None',
};

export function renderPersonPage(context: PageContext): HTMLElement {
  const body = h('div', { 'aria-live': 'polite' });
  const contactId = context.selectedPerson();
  if (!contactId) {
    body.append(h('p', {}, 'Open a person from a list or an enquiry.'));
  } else {
    body.append(h('p', {}, 'Loading…'));
    context.api.readContact(contactId).then(
      (detail) => body.replaceChildren(...personView(detail)),
      (error: unknown) => body.replaceChildren(errorSummary([{ text: failureMessage(error) }])),
    );
  }
  return h('div', {}, h('h1', { tabindex: '-1' }, 'Person'), body);
}

function personView(detail: ContactDetail): HTMLElement[] {
  return [
    summaryList([
      ['Email', detail.email],
      ['Name', detail.name ?? ''],
      ['Contact id', h('code', {}, detail.id)],
      ['Processing', detail.restricted ? 'Restricted: not emailed while restricted' : 'Not restricted'],
      [
        'Unsubscribe link',
        h('a', { href: detail.unsubscribeUrl, rel: 'noreferrer', class: 'break' }, 'Unsubscribe page'),
      ],
      [
        'Preferences link',
        h('a', { href: detail.preferencesUrl, rel: 'noreferrer', class: 'break' }, 'Preference centre'),
      ],
    ]),
    h('h2', {}, 'Topics'),
    detail.topics.length === 0
      ? h('p', {}, 'No topics.')
      : table(
          'Topics and the basis for each',
          [
            { header: 'Topic', cell: (row) => row.topic },
            { header: 'State', cell: (row) => STATUS_LABELS[row.status] ?? row.status },
            { header: 'Since', cell: (row) => dateTime(row.since) },
            { header: 'Expires', cell: (row) => dateTime(row.expiresAt) },
            { header: 'Statement', cell: (row) => row.statementVersion ?? '' },
          ],
          detail.topics,
        ),
    h('h2', {}, 'Consent history'),
    h(
      'ol',
      { class: 'timeline', 'aria-label': 'Consent history, oldest first' },
      ...detail.history.map((event) =>
        h(
          'li',
          { class: 'timeline__event' },
          h('h3', {}, `${eventLabel(event.type)} — ${event.topic === '*' ? 'all topics' : event.topic}`),
          h(
            'p',
            { class: 'timeline__meta' },
            `${dateTime(event.at)} · ${event.source}${event.formId ? ` · form ${event.formId}` : ''}`,
          ),
          event.statementText
            ? h(
                'blockquote',
                { class: 'statement' },
                h('p', {}, event.statementText),
                event.statementVersion ? h('footer', {}, `Statement ${event.statementVersion}`) : null,
              )
            : null,
          event.reason ? h('p', {}, `Reason: ${event.reason}`) : null,
        ),
      ),
    ),
  ];
}

function eventLabel(type: string): string {
  const text = type.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
