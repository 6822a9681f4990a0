/**
 * The parts of a data-subject request staff fill in, shared by the Person page's actions and the Requests
 * page's form: how it came in, how identity was checked, the topics of a withdrawal and the changes of a
 * rectification; with the words the console uses for the register's types, channels and states.
 */
import {
  REQUEST_CHANNELS,
  type RequestChannel,
  type RequestStatus,
  type RequestType,
} from '../../shared/domain/subject-request.ts';
import type { Topic } from './config.ts';
import { h } from './dom.ts';
import { choiceGroup, selectField, textField } from './forms.ts';
import type { RequestChanges } from './rights-types.ts';

export const TYPE_LABELS: Readonly<Record<RequestType, string>> = {
  access: 'Access: a copy of their data',
  erasure: 'Erasure',
  rectification: 'Rectification: correct their details',
  restriction: 'Restriction of processing',
  objection: 'Objection to marketing',
  withdrawal: 'Withdrawal of consent',
  complaint: 'Complaint',
};

export const CHANNEL_LABELS: Readonly<Record<RequestChannel, string>> = {
  email: 'Email',
  phone: 'Phone',
  post: 'Post',
  in_person: 'In person',
  web: 'Web form',
  mailchimp: 'MailChimp (its erasure notice)',
};

export const STATUS_LABELS: Readonly<Record<RequestStatus, string>> = {
  awaiting_verification: 'Waiting for the person to confirm',
  in_progress: 'In progress',
  open: 'Open',
  completed: 'Completed',
  refused: 'Refused',
  closed: 'Closed',
  cancelled: 'Cancelled',
};

/** Control ids and labels for the fields the API may name in a 400, so its errors link to them. */
export type FieldMap = Record<string, { readonly id: string; readonly label: string }>;

/** How the request came in: the channel. */
export function channelField(id: string): { readonly group: HTMLElement; channel(): RequestChannel } {
  const field = selectField(
    id,
    'How the request came in',
    REQUEST_CHANNELS.map((value) => ({ value, label: CHANNEL_LABELS[value] })),
  );
  return { group: field.group, channel: () => field.input.value as RequestChannel };
}

/** How staff checked that the person is who they say (proportionate: control of the address we hold). */
export function identityMethodField(id: string): { readonly group: HTMLElement; method(): string } {
  const field = textField(id, 'How you checked it is them', {
    hint: 'For example: replied from the address we hold; called back on the number we hold.',
  });
  return { group: field.group, method: () => field.input.value.trim() };
}

/** A withdrawal's topics; none ticked means every topic. */
export function topicsField(
  id: string,
  topics: readonly Topic[],
): { readonly group: HTMLElement; chosen(): string[] } {
  const field = choiceGroup(
    'checkbox',
    id,
    'Topics to stop',
    topics.map((topic) => ({ value: topic.id, label: topic.label })),
    'Leave them all unticked to stop every topic.',
  );
  return { group: field.group, chosen: field.chosen };
}

const CHANGE_FIELDS = [
  { name: 'name', label: 'New name', autocomplete: 'off', type: 'text' },
  { name: 'phone', label: 'New phone number', autocomplete: 'off', type: 'tel' },
  { name: 'company', label: 'New company', autocomplete: 'off', type: 'text' },
  { name: 'email', label: 'New email address', autocomplete: 'off', type: 'email' },
] as const;

/** A rectification's changes: only the fields filled in change. */
export function changesFields(prefix: string): {
  readonly group: HTMLElement;
  readonly firstId: string;
  changes(): RequestChanges;
  readonly fields: FieldMap;
} {
  const inputs = CHANGE_FIELDS.map((change) => ({
    change,
    field: textField(`${prefix}-${change.name}`, change.label, { type: change.type }),
  }));
  return {
    group: h(
      'fieldset',
      { class: 'govuk-fieldset', id: `${prefix}-changes` },
      h('legend', {}, 'What to correct'),
      h('p', { class: 'govuk-hint' }, 'Fill in only what changes. A new address moves their whole history.'),
      ...inputs.map(({ field }) => field.group),
    ),
    firstId: `${prefix}-name`,
    changes() {
      const changes: RequestChanges = {};
      for (const { change, field } of inputs) {
        const value = field.input.value.trim();
        if (value !== '') changes[change.name] = value;
      }
      return changes;
    },
    fields: Object.fromEntries([
      ['changes', { id: `${prefix}-name`, label: 'What to correct' }],
      ...inputs.map(({ change }) => [
        `changes.${change.name}`,
        { id: `${prefix}-${change.name}`, label: change.label },
      ]),
    ]),
  };
}
