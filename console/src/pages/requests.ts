/**
 * Requests (privacy): the register of data-subject requests and complaints with the days each has left,
 * overdue first, filtered by state a page at a time; open one to read its log and result and act on it,
 * or log a new one.
 */
import { daysLeft } from '../../../shared/domain/request-clock.ts';
import { registerDate } from '../../../shared/domain/subject-request.ts';
import type { RequestStatusFilter } from '../api.ts';
import { calendarDate, dateTime, h, linkButton, table } from '../dom.ts';
import { failureSummary, selectField } from '../forms.ts';
import type { PageContext } from '../pages.ts';
import { CHANNEL_LABELS, STATUS_LABELS, TYPE_LABELS } from '../request-fields.ts';
import type { RequestSummary } from '../rights-types.ts';
import { requestDetail } from './request-detail.ts';
import { newRequestForm } from './request-form.ts';

const FILTERS: readonly { value: RequestStatusFilter; label: string }[] = [
  { value: 'open', label: 'Open (overdue first, then by due date)' },
  { value: 'overdue', label: 'Overdue' },
  { value: 'completed', label: 'Finished (newest first)' },
  { value: 'all', label: 'All' },
];

/** The filter survives opening a request and coming back; kept in memory, never in the URL. */
let lastFilter: RequestStatusFilter = 'open';

export function renderRequestsPage(context: PageContext): HTMLElement {
  const loaded: RequestSummary[] = [];
  let next: string | null = null;
  const messages = h('div');
  const list = h('div', { 'aria-live': 'polite' });
  const detail = h('div');
  const status = selectField('request-status', 'Show', FILTERS);
  status.input.value = lastFilter;
  const more = h(
    'button',
    { type: 'button', class: 'govuk-button govuk-button--secondary', hidden: true },
    'Load more',
  );
  const logNew = h('button', { type: 'button', class: 'govuk-button' }, 'Log a new request');
  const register = h(
    'div',
    {},
    logNew,
    h(
      'form',
      { class: 'filter-form filter-form--one', 'aria-label': 'Filter the register' },
      status.group,
      h('button', { type: 'submit', class: 'govuk-button govuk-button--secondary' }, 'Show requests'),
    ),
    list,
    more,
  );

  function backToRegister(): void {
    detail.replaceChildren();
    register.hidden = false;
    void load(true);
    logNew.focus();
  }

  function open(requestId: string): void {
    register.hidden = true;
    detail.replaceChildren(requestDetail(context, requestId, backToRegister));
  }

  async function load(fresh: boolean): Promise<void> {
    messages.replaceChildren();
    if (fresh) {
      loaded.length = 0;
      next = null;
      list.replaceChildren(h('p', {}, 'Loading…'));
    }
    try {
      const page = await context.api.listRequests(lastFilter, fresh ? undefined : (next ?? undefined));
      loaded.push(...page.items);
      next = page.next;
      more.hidden = next === null;
      list.replaceChildren(registerTable(loaded, open));
    } catch (error) {
      list.replaceChildren();
      messages.replaceChildren(failureSummary(error));
    }
  }

  register.querySelector('form')?.addEventListener('submit', (event) => {
    event.preventDefault();
    lastFilter = status.input.value as RequestStatusFilter;
    void load(true);
  });
  more.addEventListener('click', () => void load(false));
  logNew.addEventListener('click', () => {
    register.hidden = true;
    detail.replaceChildren(
      newRequestForm(context, {
        logged: (requestId) => open(requestId),
        cancelled: backToRegister,
      }),
    );
    detail.querySelector('h2')?.focus();
  });
  void load(true);
  return h(
    'div',
    {},
    h('h1', { tabindex: '-1' }, 'Requests'),
    h(
      'p',
      {},
      'Data-subject requests and complaints, with their legal deadlines. Every read and action is recorded in the audit trail.',
    ),
    messages,
    register,
    detail,
  );
}

function registerTable(items: readonly RequestSummary[], open: (requestId: string) => void): HTMLElement {
  if (items.length === 0) return h('p', { class: 'count' }, 'No requests here.');
  const now = new Date();
  return h(
    'div',
    {},
    h('p', { class: 'count' }, `${items.length} ${items.length === 1 ? 'request' : 'requests'} loaded.`),
    table(
      'The request register',
      [
        {
          header: 'Reference',
          cell: (row) =>
            linkButton(
              row.id.slice(0, 8),
              () => open(row.id),
              `Open the ${TYPE_LABELS[row.type].split(':')[0]?.toLowerCase()} request ${row.id.slice(0, 8)}`,
            ),
        },
        { header: 'Type', cell: (row) => TYPE_LABELS[row.type].split(':')[0] },
        { header: 'Channel', cell: (row) => CHANNEL_LABELS[row.channel] },
        { header: 'Received', cell: (row) => dateTime(row.receivedAt) },
        { header: 'Status', cell: (row) => STATUS_LABELS[row.status] },
        { header: 'Due', cell: (row) => dueCell(row) },
        { header: 'Days left', cell: (row) => daysLeftCell(row, now) },
      ],
      items,
    ),
  );
}

function dueCell(row: RequestSummary): string {
  const due = registerDate({ ...row, log: [] });
  return due ? calendarDate(due) : '';
}

/** Whole days to the due date (or a complaint's acknowledgement date); overdue in bold. */
function daysLeftCell(row: RequestSummary, now: Date): HTMLElement | string {
  if (row.finishedAt) return 'Finished';
  const due = registerDate({ ...row, log: [] });
  if (due === null) return 'No clock until confirmed';
  const left = daysLeft(due, now);
  if (left < 0)
    return h('strong', { class: 'overdue' }, `Overdue by ${-left} ${-left === 1 ? 'day' : 'days'}`);
  return left === 0 ? 'Due today' : `${left} ${left === 1 ? 'day' : 'days'}`;
}
