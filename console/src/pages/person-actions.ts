/**
 * The privacy team's actions on the Person page: each logs a request in the register with identity checked
 * by staff (the channel and how they checked), which the system carries out at once. Erasure, which cannot
 * be undone, first says exactly what will happen and asks again.
 */
import type { RequestType } from '../../../shared/domain/subject-request.ts';
import { errorSummary, h, notificationBanner } from '../dom.ts';
import { choiceGroup, failureSummary, type Problem, whileSending } from '../forms.ts';
import type { PageContext } from '../pages.ts';
import {
  changesFields,
  channelField,
  type FieldMap,
  identityMethodField,
  STATUS_LABELS,
  TYPE_LABELS,
  topicsField,
} from '../request-fields.ts';
import { requestResult } from '../request-result.ts';
import type { RequestBody, RequestDetail } from '../rights-types.ts';

export interface ActionTarget {
  readonly email: string;
  readonly restricted: boolean;
}

type PersonAction = Exclude<RequestType, 'objection' | 'complaint'>;

export function personActions(
  context: PageContext,
  target: ActionTarget,
  acted: (result: HTMLElement, address: string) => void,
): HTMLElement {
  const errors = h('div');
  const channel = channelField('action-channel');
  const method = identityMethodField('action-method');
  const kinds: readonly { value: PersonAction; label: string }[] = [
    { value: 'withdrawal', label: 'Stop marketing: withdraw their consent' },
    {
      value: 'restriction',
      label: target.restricted
        ? 'Lift the restriction of processing'
        : 'Restrict processing: kept, but on no list and not synced',
    },
    { value: 'rectification', label: 'Correct their details' },
    { value: 'access', label: 'Give them a copy of their data (access export)' },
    { value: 'erasure', label: 'Erase everything held at this address' },
  ];
  const kind = choiceGroup('radio', 'action-type', 'What they ask for', kinds);
  const topics = topicsField('action-topics', context.config.topics);
  const changes = changesFields('action');
  topics.group.hidden = true;
  changes.group.hidden = true;
  for (const input of kind.inputs) {
    input.addEventListener('change', () => {
      topics.group.hidden = kind.chosen()[0] !== 'withdrawal';
      changes.group.hidden = kind.chosen()[0] !== 'rectification';
    });
  }
  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'person-actions-title' },
    channel.group,
    method.group,
    kind.group,
    topics.group,
    changes.group,
    h('button', { type: 'submit', class: 'govuk-button' }, 'Continue'),
  );
  const confirmation = h('div');
  const fields: FieldMap = {
    channel: { id: 'action-channel', label: 'How the request came in' },
    'identity.method': { id: 'action-method', label: 'How you checked it is them' },
    topics: { id: `action-topics-${context.config.topics[0]?.id}`, label: 'Topics to stop' },
    ...changes.fields,
  };

  async function send(body: RequestBody, from: HTMLElement): Promise<void> {
    errors.replaceChildren();
    try {
      const request = await whileSending(from, () => context.api.logRequest(body));
      acted(outcomeBanner(context, request), body.changes?.email ?? target.email);
    } catch (error) {
      errors.replaceChildren(failureSummary(error, fields));
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = kind.chosen()[0] as PersonAction | undefined;
    const problems: Problem[] = [];
    if (method.method() === '')
      problems.push({ text: 'Enter how you checked it is them', field: 'action-method' });
    if (!chosen) problems.push({ text: 'Choose what they ask for', field: kind.inputs[0]?.id });
    if (chosen === 'rectification' && Object.keys(changes.changes()).length === 0)
      problems.push({ text: 'Fill in at least one detail to correct', field: changes.firstId });
    if (problems.length > 0 || !chosen) return errors.replaceChildren(errorSummary(problems));
    errors.replaceChildren();
    const body: RequestBody = {
      type: chosen,
      email: target.email,
      channel: channel.channel(),
      identity: { verified: true, method: method.method() },
      ...(chosen === 'withdrawal' && topics.chosen().length > 0 ? { topics: topics.chosen() } : {}),
      ...(chosen === 'restriction' && target.restricted ? { lift: true } : {}),
      ...(chosen === 'rectification' ? { changes: changes.changes() } : {}),
    };
    if (chosen !== 'erasure') return void send(body, form);
    form.hidden = true;
    confirmation.replaceChildren(
      erasureCheck(
        context.config.backupDays,
        () => void send(body, confirmation),
        () => {
          confirmation.replaceChildren();
          form.hidden = false;
          kind.inputs.find((input) => input.checked)?.focus();
        },
      ),
    );
    confirmation.querySelector('h3')?.focus();
  });

  return h(
    'section',
    { class: 'actions', 'aria-labelledby': 'person-actions-title' },
    h('h2', { id: 'person-actions-title' }, 'Act on their request'),
    h(
      'p',
      {},
      'Each action is logged in the request register, as a request whose identity you have checked, and carried out at once.',
    ),
    errors,
    form,
    confirmation,
  );
}

/** "Check before you erase": exactly what erasure does, then erase or go back. */
function erasureCheck(backupDays: number | undefined, erase: () => void, back: () => void): HTMLElement {
  const until = backupDays
    ? new Date(Date.now() + backupDays * 86_400_000).toLocaleDateString('en-GB', {
        dateStyle: 'long',
        timeZone: 'UTC',
      })
    : undefined;
  const confirm = h(
    'button',
    { type: 'button', class: 'govuk-button govuk-button--warning' },
    'Erase permanently',
  );
  const cancel = h('button', { type: 'button', class: 'govuk-button govuk-button--secondary' }, 'Go back');
  confirm.addEventListener('click', erase);
  cancel.addEventListener('click', back);
  return h(
    'div',
    { class: 'check' },
    h('h3', { tabindex: '-1' }, 'Erase everything held at this address?'),
    h('p', {}, h('strong', {}, 'This cannot be undone.'), ' When you confirm:'),
    h(
      'ul',
      {},
      h(
        'li',
        {},
        'the contact, its topics, its whole consent history and every enquiry kept at this address are deleted;',
      ),
      h(
        'li',
        {},
        'the MailChimp member is permanently deleted, not archived: only MailChimp’s own signup form could add the address back;',
      ),
      h(
        'li',
        {},
        'the address is kept only as a keyed hash on the suppression list, so no import, sync or soft opt-in adds it again;',
      ),
      h(
        'li',
        {},
        until
          ? `backups (point-in-time recovery) still hold the data until ${until}, then no backup does;`
          : 'backups (point-in-time recovery) still hold the data until the date on the receipt, at most 35 days;',
      ),
      h('li', {}, 'the register keeps a receipt with counts of what was deleted, never the address.'),
    ),
    confirm,
    cancel,
  );
}

/** The request just logged and what it came to, as a banner focused so it is read out. */
export function outcomeBanner(context: PageContext, request: RequestDetail): HTMLElement {
  const banner = notificationBanner(
    `${TYPE_LABELS[request.type]}: ${STATUS_LABELS[request.status].toLowerCase()}`,
    h('p', {}, 'Request ', h('code', { class: 'reference' }, request.id), ' is in the register.'),
    ...requestResult(context.api, request),
  );
  banner.setAttribute('tabindex', '-1');
  return banner;
}
