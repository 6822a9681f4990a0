/**
 * Audit (privacy): who read what, newest first, a page at a time. The filters (contact id, staff member)
 * narrow the pages already loaded, in the browser.
 */
import { type AuditEntry, failureMessage } from '../api.ts';
import { dateTime, errorSummary, h, table } from '../dom.ts';
import type { PageContext } from '../pages.ts';

export function renderAuditPage(context: PageContext): HTMLElement {
  const loaded: AuditEntry[] = [];
  let next: string | null | undefined;
  const messages = h('div');
  const list = h('div', { 'aria-live': 'polite' });
  const person = h('input', {
    id: 'filter-person',
    type: 'text',
    class: 'govuk-input',
    spellcheck: 'false',
    autocomplete: 'off',
  });
  const staff = h('input', {
    id: 'filter-staff',
    type: 'text',
    class: 'govuk-input',
    spellcheck: 'false',
    autocomplete: 'off',
  });
  const more = h(
    'button',
    { type: 'button', class: 'govuk-button govuk-button--secondary', hidden: true },
    'Load more',
  );

  function draw(): void {
    const wantPerson = person.value.trim().toLowerCase();
    const wantStaff = staff.value.trim().toLowerCase();
    const shown = loaded.filter(
      (entry) =>
        (wantPerson === '' || (entry.subject ?? '').toLowerCase().includes(wantPerson)) &&
        (wantStaff === '' ||
          entry.actor.username.toLowerCase().includes(wantStaff) ||
          entry.actor.subject.toLowerCase().includes(wantStaff)),
    );
    list.replaceChildren(
      h('p', { class: 'count' }, `Showing ${shown.length} of ${loaded.length} loaded entries.`),
      table(
        'Reads of personal data, newest first',
        [
          { header: 'When', cell: (row) => dateTime(row.at) },
          { header: 'Staff member', cell: (row) => row.actor.username },
          {
            header: 'Read',
            cell: (row) => `${row.method} ${row.route}${row.format === 'csv' ? ' (CSV)' : ''}`,
          },
          { header: 'Filter', cell: (row) => describeFilter(row.filter) },
          { header: 'Person', cell: (row) => h('code', {}, row.subject ?? '') },
          { header: 'Rows', cell: (row) => row.rows },
        ],
        shown,
      ),
    );
  }

  async function loadPage(): Promise<void> {
    messages.replaceChildren();
    try {
      const page = await context.api.listAudit(next ?? undefined);
      loaded.push(...page.items);
      next = page.next;
      more.hidden = next === null;
      draw();
    } catch (error) {
      messages.replaceChildren(errorSummary([{ text: failureMessage(error) }]));
    }
  }
  person.addEventListener('input', draw);
  staff.addEventListener('input', draw);
  more.addEventListener('click', () => void loadPage());
  void loadPage();
  return h(
    'div',
    {},
    h('h1', { tabindex: '-1' }, 'Audit'),
    h('p', {}, 'Every read of personal data through the staff API. Reading this trail is recorded too.'),
    messages,
    h(
      'form',
      { class: 'filter-form', 'aria-label': 'Filter the loaded entries', role: 'search' },
      h(
        'div',
        { class: 'govuk-form-group' },
        h('label', { for: 'filter-person' }, 'Person (contact id)'),
        person,
      ),
      h('div', { class: 'govuk-form-group' }, h('label', { for: 'filter-staff' }, 'Staff member'), staff),
    ),
    list,
    more,
  );
}

function describeFilter(filter: AuditEntry['filter']): string {
  return Object.entries(filter)
    .map(([name, value]) => `${name}: ${String(value)}`)
    .join(', ');
}
