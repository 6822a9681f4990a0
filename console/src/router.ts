/**
 * Hash routes that only name pages (`#/lists`, `#/person`): what a page is about (a person, a filter) stays
 * in memory, so no email address or contact id ever lands in the address bar, history or a referrer.
 */

export type PageName = string;

export function currentPage(): PageName {
  return location.hash.replace(/^#\/?/, '').split(/[/?]/, 1)[0] ?? '';
}

export function goTo(page: PageName): void {
  if (currentPage() === page) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = `#/${page}`;
}

export function onPageChange(show: (page: PageName) => void): void {
  window.addEventListener('hashchange', () => {
    // `#main` (the skip link) is an in-page jump, not a page.
    if (location.hash === '' || location.hash.startsWith('#/')) show(currentPage());
  });
  show(currentPage());
}
