/**
 * Building the console's DOM: elements from plain data with text set as text (never as HTML, so nothing a
 * person typed into a form can become markup), and the GOV.UK Design System patterns the pages share.
 */

type Child = Node | string | number | false | null | undefined;
type Attributes = Record<string, string | boolean | undefined>;

/** `h('a', { href: '#/lists' }, 'Lists')`. Attributes only, no inline handlers or styles: the CSP allows neither. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...texts(children));
  return element;
}

function texts(children: Child[]): (Node | string)[] {
  return children.flatMap((child) =>
    child === false || child === null || child === undefined
      ? []
      : [typeof child === 'number' ? String(child) : child],
  );
}

export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => Child;
}

/** GOV.UK table: a caption, column headers with scope, one row per item. */
export function table<T>(caption: string, columns: readonly Column<T>[], rows: readonly T[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h(
      'table',
      { class: 'govuk-table' },
      h('caption', { class: 'govuk-table__caption' }, caption),
      h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { scope: 'col' }, column.header)))),
      h(
        'tbody',
        {},
        ...rows.map((row) => h('tr', {}, ...columns.map((column) => h('td', {}, column.cell(row))))),
      ),
    ),
  );
}

/** GOV.UK summary list: key and value pairs. */
export function summaryList(entries: readonly (readonly [string, Child])[]): HTMLElement {
  return h(
    'dl',
    { class: 'govuk-summary-list' },
    ...entries.map(([key, value]) =>
      h('div', { class: 'govuk-summary-list__row' }, h('dt', {}, key), h('dd', {}, value ?? '')),
    ),
  );
}

/** GOV.UK error summary: what went wrong, each error linked to its field; focused so it is read out. */
export function errorSummary(
  errors: readonly { readonly text: string; readonly field?: string }[],
): HTMLElement {
  const summary = h(
    'div',
    { class: 'govuk-error-summary', role: 'alert', tabindex: '-1' },
    h('h2', {}, 'There is a problem'),
    h(
      'ul',
      {},
      ...errors.map((error) =>
        h('li', {}, error.field ? h('a', { href: `#${error.field}` }, error.text) : error.text),
      ),
    ),
  );
  for (const link of summary.querySelectorAll('a')) {
    // Hash links would be taken as page routes: move focus to the field instead.
    link.addEventListener('click', (event) => {
      event.preventDefault();
      document.getElementById(link.getAttribute('href')?.slice(1) ?? '')?.focus();
    });
  }
  queueMicrotask(() => summary.focus());
  return summary;
}

/** GOV.UK notification banner: news about the page, e.g. a finished download. */
export function notificationBanner(title: string, ...content: Child[]): HTMLElement {
  return h(
    'div',
    { class: 'govuk-notification-banner', role: 'region', 'aria-label': title },
    h('h2', { class: 'govuk-notification-banner__title' }, title),
    h('div', { class: 'govuk-notification-banner__content' }, ...content),
  );
}

/** A button that looks like a link, for actions that keep their data in memory rather than in a URL. */
export function linkButton(text: string, onClick: () => void, label?: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'link-button', 'aria-label': label }, text);
  button.addEventListener('click', onClick);
  return button;
}

export function dateTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : `${date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })} UTC`;
}

/** A calendar date (`YYYY-MM-DD`, a deadline's day) in words: `3 Jan 2027`. */
export function calendarDate(day: string): string {
  const date = new Date(`${day}T12:00:00Z`);
  return Number.isNaN(date.getTime())
    ? day
    : date.toLocaleDateString('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });
}

/** Hands the file to the browser's download, then lets the memory go. */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
