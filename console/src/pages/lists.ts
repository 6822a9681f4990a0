/**
 * Lists (marketing): who may be emailed about a topic, on which basis. Shows the first page and its count,
 * opens a person, and downloads the whole list as CSV with progress.
 */
import { type Basis, failureMessage, type MailableContact } from '../api.ts';
import { downloadListCsv } from '../csv-download.ts';
import { dateTime, errorSummary, h, linkButton, notificationBanner, saveFile, table } from '../dom.ts';
import type { PageContext } from '../pages.ts';

const BASES: readonly { value: Basis; label: string }[] = [
  { value: 'any', label: 'Any basis' },
  { value: 'consent', label: 'Express consent' },
  { value: 'soft_opt_in', label: 'Soft opt-in' },
];

/** The filter survives moving to a person and back; it is kept in memory, never in the URL. */
let lastFilter: { topic: string; basis: Basis } | undefined;

export function renderListsPage(context: PageContext): HTMLElement {
  const { api, config } = context;
  const messages = h('div');
  const results = h('div', { 'aria-live': 'polite' });
  const topic = h(
    'select',
    { id: 'topic', name: 'topic', class: 'govuk-select' },
    ...config.topics.map((item) => h('option', { value: item.id }, `${item.label} (${item.id})`)),
  );
  const basis = h(
    'select',
    { id: 'basis', name: 'basis', class: 'govuk-select' },
    ...BASES.map((item) => h('option', { value: item.value }, item.label)),
  );
  if (lastFilter) {
    topic.value = lastFilter.topic;
    basis.value = lastFilter.basis;
  }
  const filter = () => ({ topic: topic.value, basis: basis.value as Basis });

  const form = h(
    'form',
    { class: 'filter-form', 'aria-label': 'Choose a list' },
    h('div', { class: 'govuk-form-group' }, h('label', { for: 'topic' }, 'Topic'), topic),
    h('div', { class: 'govuk-form-group' }, h('label', { for: 'basis' }, 'Basis'), basis),
    h('button', { type: 'submit', class: 'govuk-button' }, 'Show list'),
  );

  async function show(): Promise<void> {
    lastFilter = filter();
    messages.replaceChildren();
    results.replaceChildren(h('p', {}, 'Loading…'));
    try {
      const page = await api.listContacts(filter());
      results.replaceChildren(...listView(context, page.items, page.next !== null));
    } catch (error) {
      results.replaceChildren();
      messages.replaceChildren(errorSummary([{ text: failureMessage(error) }]));
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void show();
  });

  const status = h('p', { class: 'download-status', role: 'status' });
  const bar = h('progress', { max: '1', value: '0', 'aria-label': 'Download progress', hidden: true });
  const download = h(
    'button',
    { type: 'button', class: 'govuk-button govuk-button--secondary' },
    'Download CSV',
  );
  download.addEventListener('click', async () => {
    const chosen = filter();
    download.disabled = true;
    bar.hidden = false;
    bar.removeAttribute('value');
    messages.replaceChildren();
    status.textContent = 'Starting the download…';
    try {
      const { blob, rows } = await downloadListCsv(api, chosen, (progress) => {
        status.textContent = `Downloaded ${progress.rows.toLocaleString('en-GB')} rows (${progress.pages} pages)…`;
      });
      saveFile(blob, `${chosen.topic}-${chosen.basis}.csv`);
      status.textContent = '';
      messages.replaceChildren(
        notificationBanner(
          'Download complete',
          h('p', {}, `${rows.toLocaleString('en-GB')} people in the CSV file.`),
        ),
      );
    } catch (error) {
      status.textContent = '';
      messages.replaceChildren(errorSummary([{ text: failureMessage(error) }]));
    } finally {
      download.disabled = false;
      bar.hidden = true;
    }
  });

  if (lastFilter) void show();
  return h(
    'div',
    {},
    h('h1', { tabindex: '-1' }, 'Lists'),
    h(
      'p',
      {},
      'People you may email about a topic, and on which basis. Every read is recorded in the audit trail.',
    ),
    messages,
    form,
    h('div', { class: 'download' }, download, bar, status),
    results,
  );
}

function listView(context: PageContext, items: readonly MailableContact[], more: boolean): HTMLElement[] {
  const count = `${items.length.toLocaleString('en-GB')} ${items.length === 1 ? 'person' : 'people'} on the first page${
    more ? '; more follow — download the CSV for the whole list' : ''
  }.`;
  if (items.length === 0)
    return [h('p', { class: 'count' }, 'Nobody may be emailed about this topic on this basis.')];
  const open = context.openPerson;
  return [
    h('p', { class: 'count' }, count),
    table(
      'People on this list',
      [
        {
          header: 'Email',
          cell: (row) => (open ? linkButton(row.email, () => open(row.contactId)) : row.email),
        },
        { header: 'Name', cell: (row) => row.name ?? '' },
        { header: 'Basis', cell: (row) => (row.basis === 'consent' ? 'Express consent' : 'Soft opt-in') },
        { header: 'Since', cell: (row) => dateTime(row.since) },
        { header: 'Source', cell: (row) => row.source ?? '' },
      ],
      items,
    ),
  ];
}
