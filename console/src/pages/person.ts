/**
 * Person (marketing, privacy): find someone by email address, or open them from a list or an enquiry. Shows
 * what is held at the address (contact or not, topics, suppression, restriction, enquiries, open requests)
 * and the contact's details and consent history; the privacy team also gets the actions that carry out
 * their requests. The address is held in memory only: never in the console's address, hash or history.
 */
import { failureMessage } from '../api.ts';
import { mayCall } from '../auth.ts';
import { dateTime, errorSummary, h, summaryList, table } from '../dom.ts';
import { failureSummary, textField } from '../forms.ts';
import type { PageContext } from '../pages.ts';
import type { PersonSummary } from '../rights-types.ts';
import { personActions } from './person-actions.ts';
import { personView, TOPIC_STATUS_LABELS } from './person-detail.ts';

export function renderPersonPage(context: PageContext): HTMLElement {
  const messages = h('div');
  const outcome = h('div');
  const held = h('div', { 'aria-live': 'polite' });
  const email = textField('person-email', 'Email address', { type: 'email' });
  const form = h(
    'form',
    {
      class: 'filter-form filter-form--one',
      role: 'search',
      'aria-label': 'Find a person',
      novalidate: true,
    },
    email.group,
    h('button', { type: 'submit', class: 'govuk-button' }, 'Find'),
  );
  const mayAct = mayCall(context.session, 'POST', '/subject-requests');

  /** Draws what is held; after an action, `done` (its result) stays above it. */
  async function show(address: string): Promise<void> {
    context.choosePerson({ email: address });
    messages.replaceChildren();
    held.replaceChildren(h('p', {}, 'Loading…'));
    try {
      const summary = await context.api.lookUpPerson(address);
      const detail = summary.contactId ? await context.api.readContact(summary.contactId) : undefined;
      held.replaceChildren(
        ...heldView(summary),
        ...(detail ? [h('h2', {}, 'Their contact'), ...personView(detail)] : []),
        ...(mayAct ? [personActions(context, actionTarget(summary), acted)] : []),
      );
    } catch (error) {
      held.replaceChildren();
      messages.replaceChildren(
        failureSummary(error, { email: { id: 'person-email', label: 'Email address' } }),
      );
    }
  }

  async function showContact(contactId: string): Promise<void> {
    held.replaceChildren(h('p', {}, 'Loading…'));
    try {
      const detail = await context.api.readContact(contactId);
      held.replaceChildren(
        ...personView(detail),
        ...(mayAct
          ? [personActions(context, { email: detail.email, restricted: detail.restricted }, acted)]
          : []),
      );
    } catch (error) {
      held.replaceChildren();
      messages.replaceChildren(errorSummary([{ text: failureMessage(error) }]));
    }
  }

  /** After an action: its result first, then what is held now (at the new address after a correction). */
  function acted(result: HTMLElement, address: string): void {
    outcome.replaceChildren(result);
    email.input.value = address;
    void show(address).then(() => result.focus());
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    outcome.replaceChildren();
    const address = email.input.value.trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(address)) {
      messages.replaceChildren(
        errorSummary([{ text: 'Enter an email address, like name@example.com', field: 'person-email' }]),
      );
      return;
    }
    void show(address);
  });

  const chosen = context.selectedPerson();
  if (chosen && 'email' in chosen) {
    email.input.value = chosen.email;
    void show(chosen.email);
  } else if (chosen) void showContact(chosen.contactId);

  return h(
    'div',
    {},
    h('h1', { tabindex: '-1' }, 'Person'),
    h('p', {}, 'Find what is held at an email address. Every look-up is recorded in the audit trail.'),
    messages,
    form,
    outcome,
    held,
  );
}

function actionTarget(summary: PersonSummary) {
  return { email: summary.email, restricted: summary.restricted };
}

function heldView(summary: PersonSummary): HTMLElement[] {
  const suppression = summary.suppressed;
  return [
    h('h2', {}, 'Held at this address'),
    summaryList([
      ['Email', summary.email],
      ['Contact', summary.contactId ? h('code', {}, summary.contactId) : 'No contact at this address'],
      [
        'Suppressed',
        suppression
          ? `${suppression.all ? 'Every topic' : suppression.topics.join(', ')}${suppression.reason ? ` (reason: ${suppression.reason})` : ''}`
          : 'No',
      ],
      ['Processing', summary.restricted ? 'Restricted: not emailed while restricted' : 'Not restricted'],
      ['Enquiries', String(summary.enquiries)],
      [
        'Open requests',
        summary.openRequests.length === 0
          ? 'None'
          : h('span', {}, ...summary.openRequests.map((id) => h('code', { class: 'reference' }, id))),
      ],
    ]),
    ...(summary.topics.length === 0
      ? []
      : [
          table(
            'Topics held at this address',
            [
              { header: 'Topic', cell: (row) => row.topic },
              { header: 'State', cell: (row) => TOPIC_STATUS_LABELS[row.status] ?? row.status },
              { header: 'Since', cell: (row) => dateTime(row.since) },
            ],
            summary.topics,
          ),
        ]),
  ];
}
