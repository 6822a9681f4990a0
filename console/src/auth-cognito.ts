/**
 * Sign-in in AWS: Cognito managed login, authorization code with PKCE, through oidc-client-ts. Tokens stay
 * in this tab's sessionStorage (gone when the tab closes), are refreshed before they expire, and are
 * revoked and cleared on sign-out.
 */
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { groupsOf, type Session, type SignIn } from './auth.ts';
import type { CognitoConsoleConfig } from './config.ts';
import { h } from './dom.ts';

export function cognitoSignIn(config: CognitoConsoleConfig): SignIn {
  // The console's own URL without query or hash: the callback and logout URL registered on the app client.
  const consoleUrl = `${location.origin}${location.pathname}`;
  const manager = new UserManager({
    authority: config.authority,
    client_id: config.clientId,
    redirect_uri: consoleUrl,
    post_logout_redirect_uri: consoleUrl,
    response_type: 'code',
    scope: 'openid email profile',
    // Given here rather than discovered, so the browser talks to the Cognito domain only (see the CSP).
    metadata: {
      issuer: config.authority,
      authorization_endpoint: `${config.domain}/oauth2/authorize`,
      token_endpoint: `${config.domain}/oauth2/token`,
      revocation_endpoint: `${config.domain}/oauth2/revoke`,
      userinfo_endpoint: `${config.domain}/oauth2/userInfo`,
    },
    loadUserInfo: false,
    automaticSilentRenew: true,
    revokeTokenTypes: ['refresh_token'],
    // sessionStorage, not localStorage: tokens do not outlive the tab.
    userStore: new WebStorageStateStore({ store: sessionStorage }),
    stateStore: new WebStorageStateStore({ store: sessionStorage }),
  });

  const sessionOf = (user: { profile: Record<string, unknown> }): Session => ({
    username: String(user.profile['cognito:username'] ?? user.profile.email ?? user.profile.sub),
    groups: groupsOf(user.profile['cognito:groups']),
    async idToken() {
      let current = await manager.getUser();
      if (!current || current.expires_in === undefined || current.expires_in < 60)
        current = await manager.signinSilent();
      if (!current?.id_token) throw new Error('Signed out');
      return current.id_token;
    },
    async signOut() {
      await manager.revokeTokens().catch(() => {});
      await manager.removeUser();
      const logout = new URL(`${config.domain}/logout`);
      logout.searchParams.set('client_id', config.clientId);
      logout.searchParams.set('logout_uri', consoleUrl);
      location.assign(logout.href);
    },
  });

  return {
    async resume() {
      const query = new URLSearchParams(location.search);
      if (query.has('code') && query.has('state')) {
        await manager.signinRedirectCallback();
        // The code and state are spent: keep them out of the address bar and history.
        history.replaceState(null, '', `${location.pathname}#/`);
      }
      const user = await manager.getUser();
      return user && !user.expired ? sessionOf(user) : undefined;
    },
    renderSignIn(main) {
      const button = h('button', { type: 'button', class: 'govuk-button' }, 'Sign in');
      button.addEventListener('click', () => void manager.signinRedirect());
      main.replaceChildren(
        h('h1', { tabindex: '-1' }, 'Sign in'),
        h('p', {}, 'Sign in with your staff account and your authenticator app.'),
        button,
      );
    },
  };
}
