/**
 * The form for one staff action on a request: verify (how identity was checked), extend (why), refuse
 * (reason and explanation, emailed to the person), close a complaint (its outcome) or cancel.
 */
import { REFUSAL_REASONS, type RefusalReason } from '../../../shared/domain/subject-request.ts';
import type { StaffAction } from '../api.ts';
import { h } from '../dom.ts';
import { failureSummary, selectField, textArea, whileSending } from '../forms.ts';
import type { PageContext } from '../pages.ts';
import { type FieldMap, identityMethodField } from '../request-fields.ts';
import type { RequestDetail } from '../rights-types.ts';

const REFUSAL_LABELS: Readonly<Record<RefusalReason, string>> = {
  manifestly_unfounded: 'Manifestly unfounded',
  excessive: 'Excessive',
  identity_not_confirmed: 'Identity not confirmed',
  other: 'Another reason (explain below)',
};

interface ActionParts {
  readonly title: string;
  readonly intro: string;
  readonly button: string;
  readonly warning?: boolean;
  readonly controls: HTMLElement[];
  readonly body: () => Record<string, string>;
  readonly fields: FieldMap;
  readonly done: string;
}

function partsOf(kind: StaffAction, request: RequestDetail): ActionParts {
  switch (kind) {
    case 'verify': {
      if (request.status === 'in_progress')
        return {
          title: 'Carry it out again',
          intro: 'Identity is confirmed but the right was not carried out: an earlier attempt failed.',
          button: 'Try again',
          controls: [],
          // The API asks every verify for a method; a retry keeps the one already in the log.
          body: () => ({ method: 'retry' }),
          fields: {},
          done: 'Tried again.',
        };
      const method = identityMethodField('verify-method');
      return {
        title: 'Confirm their identity',
        intro: 'The clock starts today and the request is carried out at once.',
        button: 'Confirm identity',
        controls: [method.group],
        body: () => ({ method: method.method() }),
        fields: { method: { id: 'verify-method', label: 'How you checked it is them' } },
        done: 'Identity confirmed.',
      };
    }
    case 'extend': {
      const reason = textArea('extend-reason', 'Why it needs longer', 'The person is emailed this reason.');
      return {
        title: 'Extend by two months',
        intro: 'Once only, before the first due date, for a complex request or many requests.',
        button: 'Extend the deadline',
        controls: [reason.group],
        body: () => ({ reason: reason.input.value }),
        fields: { reason: { id: 'extend-reason', label: 'Why it needs longer' } },
        done: 'Deadline extended; the person is emailed why.',
      };
    }
    case 'refuse': {
      const reason = selectField(
        'refuse-reason',
        'Reason',
        REFUSAL_REASONS.map((value) => ({ value, label: REFUSAL_LABELS[value] })),
      );
      const explanation = textArea(
        'refuse-explanation',
        'Explanation',
        'The person is emailed this, with their right to complain to us and to the ICO.',
      );
      return {
        title: 'Refuse the request',
        intro: 'Only for a manifestly unfounded or excessive request, or when identity cannot be confirmed.',
        button: 'Refuse the request',
        warning: true,
        controls: [reason.group, explanation.group],
        body: () => ({
          reason: reason.input.value,
          ...(explanation.input.value.trim() ? { explanation: explanation.input.value } : {}),
        }),
        fields: {
          reason: { id: 'refuse-reason', label: 'Reason' },
          explanation: { id: 'refuse-explanation', label: 'Explanation' },
        },
        done: 'Request refused; the person is emailed why.',
      };
    }
    case 'close': {
      const outcome = textArea('close-outcome', 'Outcome', 'What was found and done.');
      return {
        title: 'Close the complaint',
        intro: 'Record the outcome the person was given.',
        button: 'Close the complaint',
        controls: [outcome.group],
        body: () => ({ outcome: outcome.input.value }),
        fields: { outcome: { id: 'close-outcome', label: 'Outcome' } },
        done: 'Complaint closed.',
      };
    }
    case 'cancel':
      return {
        title: 'Cancel the request',
        intro: 'The person withdrew it. Nothing more is done.',
        button: 'Cancel the request',
        controls: [],
        body: () => ({}),
        fields: {},
        done: 'Request cancelled.',
      };
  }
}

export function actionForm(
  context: PageContext,
  request: RequestDetail,
  kind: StaffAction,
  acted: (request: RequestDetail, done: string) => void,
): HTMLElement {
  const parts = partsOf(kind, request);
  const errors = h('div');
  const titleId = `action-${kind}-title`;
  const form = h(
    'form',
    { class: 'action', novalidate: true, 'aria-labelledby': titleId },
    h('h3', { id: titleId }, parts.title),
    h('p', {}, parts.intro),
    errors,
    ...parts.controls,
    h(
      'button',
      {
        type: 'submit',
        class: parts.warning
          ? 'govuk-button govuk-button--warning'
          : kind === 'cancel'
            ? 'govuk-button govuk-button--secondary'
            : 'govuk-button',
      },
      parts.button,
    ),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    try {
      const next = await whileSending(form, () => context.api.actOnRequest(request.id, kind, parts.body()));
      acted(next, parts.done);
    } catch (error) {
      errors.replaceChildren(failureSummary(error, parts.fields));
    }
  });
  return form;
}
