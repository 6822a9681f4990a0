/**
 * The staff console's entry: reads config.json, signs the person in (Cognito or local), then draws the
 * shell (header, navigation for their groups, sign-out) and the page the hash names.
 */
import { createStaffApi } from './api.ts';
import type { Session, SignIn } from './auth.ts';
import { cognitoSignIn } from './auth-cognito.ts';
import { localSignIn } from './auth-local.ts';
import { type ConsoleConfig, loadConsoleConfig } from './config.ts';
import { h } from './dom.ts';
import { type PageContext, type PersonChoice, pagesFor } from './pages.ts';
import { currentPage, goTo, onPageChange } from './router.ts';

async function boot(): Promise<void> {
  const main = document.getElementById('main');
  if (!main) throw new Error('index.html has no #main');
  let config: ConsoleConfig;
  try {
    config = await loadConsoleConfig();
  } catch {
    main.replaceChildren(
      h('h1', {}, 'The console is not set up'),
      h('p', {}, 'Its config.json could not be read.'),
    );
    return;
  }
  const signIn: SignIn = config.mode === 'local' ? localSignIn() : cognitoSignIn(config);
  const session = await signIn.resume().catch(() => undefined);
  if (session) showConsole(config, session, main);
  else signIn.renderSignIn(main, (signedIn) => showConsole(config, signedIn, main));
  main.querySelector('h1')?.focus();
}

function showConsole(config: ConsoleConfig, session: Session, main: HTMLElement): void {
  const pages = pagesFor(session.groups);
  const apiBaseUrl = config.mode === 'local' ? location.origin : config.apiBaseUrl;
  let selectedPerson: PersonChoice | undefined;
  const context: PageContext = {
    api: createStaffApi(apiBaseUrl, () => session.idToken()),
    session,
    config,
    openPerson: pages.some((page) => page.name === 'person')
      ? (contactId) => {
          selectedPerson = { contactId };
          goTo('person');
        }
      : undefined,
    selectedPerson: () => selectedPerson,
    choosePerson: (person) => {
      selectedPerson = person;
    },
  };

  const signOut = h('button', { type: 'button', class: 'link-button header__sign-out' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    await session.signOut();
    location.hash = '';
    location.reload();
  });
  const links = pages
    .filter((page) => page.inNavigation)
    .map((page) =>
      h('a', { href: `#/${page.name}`, class: 'nav__link', 'data-page': page.name }, page.title),
    );
  document
    .getElementById('header-account')
    ?.replaceChildren(
      h(
        'span',
        { class: 'header__user' },
        `${session.username} (${session.groups.join(', ') || 'no groups'})`,
      ),
      signOut,
    );
  document
    .getElementById('navigation')
    ?.replaceChildren(h('ul', {}, ...links.map((link) => h('li', {}, link))));

  onPageChange((name) => {
    const page = pages.find((candidate) => candidate.name === name);
    if (!page) {
      const first = pages.find((candidate) => candidate.inNavigation);
      if (first) return goTo(first.name);
      main.replaceChildren(
        h('h1', { tabindex: '-1' }, 'No pages for your groups'),
        h('p', {}, 'Ask an administrator to add you to the marketing, sales or privacy group.'),
      );
      return;
    }
    for (const link of links) {
      if (link.dataset.page === currentPage()) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${page.title} – Consent Desk staff console`;
    main.replaceChildren(page.render(context));
    main.querySelector('h1')?.focus();
  });
}

void boot();
