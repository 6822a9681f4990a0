/**
 * Logging a new request or complaint in the register: its type, the address, how and when it came in,
 * whether identity is already confirmed (else the person is emailed a link), and what the type needs:
 * topics to withdraw, changes to make, a restriction to lift, a complaint's details.
 */
import { REQUEST_TYPES, type RequestType } from '../../../shared/domain/subject-request.ts';
import { errorSummary, h } from '../dom.ts';
import {
  choiceGroup,
  failureSummary,
  type Problem,
  selectField,
  textArea,
  textField,
  whileSending,
} from '../forms.ts';
import type { PageContext } from '../pages.ts';
import {
  changesFields,
  channelField,
  type FieldMap,
  identityMethodField,
  TYPE_LABELS,
  topicsField,
} from '../request-fields.ts';
import type { RequestBody } from '../rights-types.ts';

export function newRequestForm(
  context: PageContext,
  then: { readonly logged: (requestId: string) => void; readonly cancelled: () => void },
): HTMLElement {
  const errors = h('div');
  const type = selectField(
    'request-type',
    'Type of request',
    REQUEST_TYPES.map((value) => ({ value, label: TYPE_LABELS[value] })),
  );
  const email = textField('request-email', 'Their email address', { type: 'email' });
  const channel = channelField('request-channel');
  // The browser's own calendar day (en-CA writes YYYY-MM-DD), as a date input shows it.
  const today = new Date().toLocaleDateString('en-CA');
  const received = textField('request-received', 'Date received', {
    type: 'date',
    max: today,
    hint: 'Leave it empty for today. The legal clock counts from this day.',
  });
  const identity = choiceGroup('radio', 'request-identity', 'Have you confirmed it is them?', [
    { value: 'yes', label: 'Yes: carry it out now' },
    { value: 'no', label: 'No: email them a link to confirm (the clock starts when they do)' },
  ]);
  const method = identityMethodField('request-method');
  const topics = topicsField('request-topics', context.config.topics);
  const lift = choiceGroup('checkbox', 'request-lift', 'Restriction', [
    { value: 'lift', label: 'Lift their restriction instead of restricting' },
  ]);
  const changes = changesFields('request');
  const details = textArea(
    'request-details',
    'Details of the complaint',
    'At most 2,000 characters; kept only on the request.',
  );
  const cancel = h('button', { type: 'button', class: 'govuk-button govuk-button--secondary' }, 'Cancel');
  cancel.addEventListener('click', then.cancelled);

  const chosenType = () => type.input.value as RequestType;
  const fitToType = () => {
    const kind = chosenType();
    identity.group.hidden = kind === 'complaint';
    method.group.hidden = kind === 'complaint' || identity.chosen()[0] !== 'yes';
    topics.group.hidden = kind !== 'withdrawal';
    lift.group.hidden = kind !== 'restriction';
    changes.group.hidden = kind !== 'rectification';
    details.group.hidden = kind !== 'complaint';
  };
  type.input.addEventListener('change', fitToType);
  for (const input of identity.inputs) input.addEventListener('change', fitToType);
  fitToType();

  const fields: FieldMap = {
    type: { id: 'request-type', label: 'Type of request' },
    email: { id: 'request-email', label: 'Their email address' },
    channel: { id: 'request-channel', label: 'How the request came in' },
    receivedAt: { id: 'request-received', label: 'Date received' },
    identity: { id: 'request-identity-yes', label: 'Whether you confirmed it is them' },
    'identity.method': { id: 'request-method', label: 'How you checked it is them' },
    topics: { id: `request-topics-${context.config.topics[0]?.id}`, label: 'Topics to stop' },
    details: { id: 'request-details', label: 'Details of the complaint' },
    ...changes.fields,
  };

  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'new-request-title' },
    h('h2', { id: 'new-request-title', tabindex: '-1' }, 'Log a new request'),
    errors,
    type.group,
    email.group,
    channel.group,
    received.group,
    identity.group,
    method.group,
    topics.group,
    lift.group,
    changes.group,
    details.group,
    h('button', { type: 'submit', class: 'govuk-button' }, 'Log the request'),
    cancel,
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const kind = chosenType();
    const verified = identity.chosen()[0];
    const problems: Problem[] = [];
    if (email.input.value.trim() === '')
      problems.push({ text: 'Enter their email address', field: 'request-email' });
    if (kind !== 'complaint' && !verified)
      problems.push({ text: 'Say whether you have confirmed it is them', field: 'request-identity-yes' });
    if (kind !== 'complaint' && verified === 'yes' && method.method() === '')
      problems.push({ text: 'Enter how you checked it is them', field: 'request-method' });
    if (kind === 'rectification' && Object.keys(changes.changes()).length === 0)
      problems.push({ text: 'Fill in at least one detail to correct', field: changes.firstId });
    if (problems.length > 0) return errors.replaceChildren(errorSummary(problems));
    errors.replaceChildren();
    try {
      const request = await whileSending(form, () => context.api.logRequest(requestBody()));
      then.logged(request.id);
    } catch (error) {
      errors.replaceChildren(failureSummary(error, fields));
    }
  });

  function requestBody(): RequestBody {
    const kind = chosenType();
    const day = received.input.value;
    return {
      type: kind,
      email: email.input.value.trim(),
      channel: channel.channel(),
      // Midday UTC is the same calendar day in the UK all year; today is "now", never in the future.
      ...(day && day !== today ? { receivedAt: `${day}T12:00:00Z` } : {}),
      ...(kind === 'complaint'
        ? {}
        : {
            identity:
              identity.chosen()[0] === 'yes'
                ? { verified: true, method: method.method() }
                : { verified: false },
          }),
      ...(kind === 'withdrawal' && topics.chosen().length > 0 ? { topics: topics.chosen() } : {}),
      ...(kind === 'restriction' && lift.chosen().length > 0 ? { lift: true } : {}),
      ...(kind === 'rectification' ? { changes: changes.changes() } : {}),
      ...(kind === 'complaint' && details.input.value.trim() ? { details: details.input.value } : {}),
    };
  }

  return form;
}
