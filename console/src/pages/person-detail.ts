/**
 * One contact as the Person page shows it: the details, each topic with its basis, state, since and
 * expiry, the consent history as a timeline with the statement text shown, and their unsubscribe and
 * preferences links.
 */
import type { ContactDetail } from '../api.ts';
import { dateTime, h, summaryList, table } from '../dom.ts';

export const TOPIC_STATUS_LABELS: Readonly<Record<string, string>> = {
  consent: 'Express consent',
  soft_opt_in: 'Soft opt-in',
  pending: 'Waiting for confirmation',
  withdrawn: 'Withdrawn',
  none: 'None',
};

/** A contact's details, topics and consent history (with the statement each person was shown). */
export function personView(detail: ContactDetail): HTMLElement[] {
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
            { header: 'State', cell: (row) => TOPIC_STATUS_LABELS[row.status] ?? row.status },
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
