/**
 * GOV.UK form fields for the console's forms: every control has a label (and a hint tied to it), and the
 * problems the API names by field become an error summary linked to those fields, in plain words and
 * without quoting anything typed.
 */
import { ApiError, failureMessage } from './api.ts';
import { errorSummary, h } from './dom.ts';

export interface Choice {
  readonly value: string;
  readonly label: string;
}

interface FieldOptions {
  readonly hint?: string;
  readonly type?: string;
  readonly autocomplete?: string;
  readonly max?: string;
}

function group(id: string, label: string, hint: string | undefined, control: HTMLElement): HTMLElement {
  if (hint) control.setAttribute('aria-describedby', `${id}-hint`);
  return h(
    'div',
    { class: 'govuk-form-group' },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'govuk-hint', id: `${id}-hint` }, hint) : null,
    control,
  );
}

export function textField(
  id: string,
  label: string,
  options: FieldOptions = {},
): { readonly group: HTMLElement; readonly input: HTMLInputElement } {
  const input = h('input', {
    id,
    name: id,
    type: options.type ?? 'text',
    class: 'govuk-input',
    spellcheck: 'false',
    autocomplete: options.autocomplete ?? 'off',
    max: options.max,
  });
  return { group: group(id, label, options.hint, input), input };
}

export function textArea(
  id: string,
  label: string,
  hint?: string,
): { readonly group: HTMLElement; readonly input: HTMLTextAreaElement } {
  const input = h('textarea', { id, name: id, class: 'govuk-textarea', rows: '4' });
  return { group: group(id, label, hint, input), input };
}

export function selectField(
  id: string,
  label: string,
  choices: readonly Choice[],
  hint?: string,
): { readonly group: HTMLElement; readonly input: HTMLSelectElement } {
  const input = h(
    'select',
    { id, name: id, class: 'govuk-select' },
    ...choices.map((choice) => h('option', { value: choice.value }, choice.label)),
  );
  return { group: group(id, label, hint, input), input };
}

/** A fieldset of radios or checkboxes; `id` names the fieldset, each control is `<id>-<value>`. */
export function choiceGroup(
  kind: 'radio' | 'checkbox',
  id: string,
  legend: string,
  choices: readonly Choice[],
  hint?: string,
): { readonly group: HTMLElement; readonly inputs: HTMLInputElement[]; chosen(): string[] } {
  const inputs = choices.map((choice) =>
    h('input', { id: `${id}-${choice.value}`, name: id, type: kind, value: choice.value }),
  );
  const fieldset = h(
    'fieldset',
    { class: 'govuk-fieldset', id, 'aria-describedby': hint ? `${id}-hint` : undefined },
    h('legend', {}, legend),
    hint ? h('p', { class: 'govuk-hint', id: `${id}-hint` }, hint) : null,
    h(
      'div',
      { class: 'govuk-checkboxes' },
      ...choices.map((choice, index) =>
        h(
          'div',
          { class: 'govuk-checkboxes__item' },
          inputs[index],
          h('label', { for: `${id}-${choice.value}` }, choice.label),
        ),
      ),
    ),
  );
  return {
    group: fieldset,
    inputs,
    chosen: () => inputs.filter((input) => input.checked).map((input) => input.value),
  };
}

/** A problem with one field, linked to the control that fixes it. */
export interface Problem {
  readonly text: string;
  readonly field?: string;
}

const REASONS: Readonly<Record<string, (label: string) => string>> = {
  required: (label) => `Enter ${label.toLowerCase()}`,
  invalid: (label) => `${label} is not valid`,
  in_the_future: (label) => `${label} cannot be in the future`,
  unknown_topic: (label) => `${label}: choose topics we offer`,
  not_allowed: (label) => `${label} does not apply to this kind of request`,
};

/**
 * The error summary for a failed call: each field the API names, in words, linked to its control
 * (`fields` maps the API's field names to a control id and label); anything else in general words.
 */
export function failureSummary(
  error: unknown,
  fields: Readonly<Record<string, { readonly id: string; readonly label: string }>> = {},
): HTMLElement {
  const named = error instanceof ApiError && error.status === 400 ? Object.entries(error.fields) : [];
  const problems: Problem[] = named.map(([name, reason]) => {
    const field = fields[name];
    const label = field?.label ?? name;
    const words = (REASONS[reason] ?? REASONS.invalid)?.(label) ?? label;
    return field ? { text: words, field: field.id } : { text: words };
  });
  return errorSummary(problems.length > 0 ? problems : [{ text: failureMessage(error) }]);
}

/** Disables a form's buttons while its call runs, so one click sends one request. */
export async function whileSending<T>(form: HTMLElement, send: () => Promise<T>): Promise<T> {
  const buttons = [...form.querySelectorAll('button')];
  for (const button of buttons) button.disabled = true;
  try {
    return await send();
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}
