/** Enquiries (sales, privacy): newest first, a page at a time; open one to read all its fields. */
import { type EnquirySummary, failureMessage } from '../api.ts';
import { dateTime, errorSummary, h, linkButton, summaryList, table } from '../dom.ts';
import type { PageContext } from '../pages.ts';

export function renderEnquiriesPage(context: PageContext): HTMLElement {
  const loaded: EnquirySummary[] = [];
  let next: string | null | undefined;
  const messages = h('div');
  const list = h('div');
  const detail = h('div');
  const more = h(
    'button',
    { type: 'button', class: 'govuk-button govuk-button--secondary', hidden: true },
    'Load more',
  );

  function open(enquiry: EnquirySummary): void {
    const person = context.openPerson;
    const back = linkButton('Back to the enquiries', () => {
      detail.replaceChildren();
      list.hidden = false;
      more.hidden = next === null;
      list.querySelector('button')?.focus();
    });
    const heading = h('h2', { tabindex: '-1' }, `Enquiry received ${dateTime(enquiry.receivedAt)}`);
    detail.replaceChildren(
      ...[
        heading,
        summaryList([
          ['Form', enquiry.formId],
          ['Received', dateTime(enquiry.receivedAt)],
          ...Object.entries(enquiry.fields).map(([name, value]): [string, string] => [
            fieldLabel(name),
            value,
          ]),
        ]),
        enquiry.contactId && person
          ? h(
              'p',
              {},
              linkButton('Open this person', () => person(enquiry.contactId as string)),
            )
          : null,
        h('p', {}, back),
      ].filter((node) => node !== null),
    );
    list.hidden = true;
    more.hidden = true;
    heading.focus();
  }

  async function loadPage(): Promise<void> {
    messages.replaceChildren();
    try {
      const page = await context.api.listEnquiries(next ?? undefined);
      loaded.push(...page.items);
      next = page.next;
      list.replaceChildren(
        loaded.length === 0
          ? h('p', {}, 'No enquiries yet.')
          : table(
              'Enquiries, newest first',
              [
                {
                  header: 'Received',
                  cell: (row) =>
                    linkButton(
                      dateTime(row.receivedAt),
                      () => open(row),
                      `Open the enquiry received ${dateTime(row.receivedAt)}`,
                    ),
                },
                { header: 'Form', cell: (row) => row.formId },
                { header: 'From', cell: (row) => row.fields.name ?? row.fields.email ?? '' },
                { header: 'Message', cell: (row) => preview(row.fields.message) },
              ],
              loaded,
            ),
      );
      more.hidden = next === null;
    } catch (error) {
      messages.replaceChildren(errorSummary([{ text: failureMessage(error) }]));
    }
  }
  more.addEventListener('click', () => void loadPage());
  void loadPage();
  return h('div', {}, h('h1', { tabindex: '-1' }, 'Enquiries'), messages, list, more, detail);
}

function preview(text: string | undefined): string {
  if (!text) return '';
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function fieldLabel(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
