/**
 * Local mode's sign-in: pick a name and groups, and the local server mints a local staff token (the one
 * `npm run token` prints). Only `npm start` serves the endpoint; nothing like it is deployed.
 */
import { STAFF_GROUP_DESCRIPTIONS, STAFF_GROUPS, type StaffGroup } from '../../shared/domain/staff-access.ts';
import { groupsOf, readClaims, type Session, type SignIn } from './auth.ts';
import { errorSummary, h } from './dom.ts';

const STORAGE_KEY = 'consent-desk.local-token';

export function localSignIn(): SignIn {
  return {
    async resume() {
      const token = sessionStorage.getItem(STORAGE_KEY);
      if (!token) return undefined;
      const claims = readClaims(token);
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) {
        sessionStorage.removeItem(STORAGE_KEY);
        return undefined;
      }
      return sessionFrom(token);
    },
    renderSignIn(main, signedIn) {
      main.replaceChildren(signInForm(signedIn));
    },
  };
}

function sessionFrom(token: string): Session {
  const claims = readClaims(token);
  return {
    username: String(claims['cognito:username'] ?? 'local-staff'),
    groups: groupsOf(claims['cognito:groups']),
    idToken: async () => token,
    signOut: async () => sessionStorage.removeItem(STORAGE_KEY),
  };
}

function signInForm(signedIn: (session: Session) => void): HTMLElement {
  const errors = h('div');
  const username = h('input', {
    id: 'username',
    name: 'username',
    type: 'text',
    class: 'govuk-input',
    autocomplete: 'username',
    spellcheck: 'false',
    value: 'local-staff',
  });
  const boxes = STAFF_GROUPS.map((group) =>
    h(
      'div',
      { class: 'govuk-checkboxes__item' },
      h('input', { id: `group-${group}`, name: 'groups', type: 'checkbox', value: group }),
      h('label', { for: `group-${group}` }, h('strong', {}, group), ` — ${STAFF_GROUP_DESCRIPTIONS[group]}`),
    ),
  );
  const form = h(
    'form',
    { novalidate: true },
    h('h1', { tabindex: '-1' }, 'Sign in (local)'),
    h(
      'p',
      {},
      'Local mode: choose who you are and which staff groups you belong to. In AWS, staff sign in with Cognito.',
    ),
    errors,
    h('div', { class: 'govuk-form-group' }, h('label', { for: 'username' }, 'User name'), username),
    h(
      'fieldset',
      { class: 'govuk-fieldset', id: 'groups' },
      h('legend', {}, 'Groups'),
      h('div', { class: 'govuk-checkboxes' }, ...boxes),
    ),
    h('button', { type: 'submit', class: 'govuk-button' }, 'Sign in'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const groups = boxes
      .map((box) => box.querySelector('input'))
      .filter((input): input is HTMLInputElement => input?.checked === true)
      .map((input) => input.value as StaffGroup);
    const problems: { text: string; field: string }[] = [];
    if (!/^[\p{L}\p{N}._@+-]{1,128}$/u.test(username.value))
      problems.push({ text: 'Enter a user name of letters, digits and . _ @ + -', field: 'username' });
    if (groups.length === 0)
      problems.push({ text: 'Choose at least one group', field: `group-${STAFF_GROUPS[0]}` });
    if (problems.length > 0) return errors.replaceChildren(errorSummary(problems));
    const response = await fetch('/__local/console/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: username.value, groups }),
    });
    if (!response.ok)
      return errors.replaceChildren(errorSummary([{ text: 'The local server refused the sign-in' }]));
    const { token } = (await response.json()) as { token: string };
    sessionStorage.setItem(STORAGE_KEY, token);
    signedIn(sessionFrom(token));
  });
  return form;
}
