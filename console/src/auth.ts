/**
 * What the console knows about the person signed in, whichever way they signed in (Cognito managed login in
 * AWS, the local sign-in in local mode). The groups only decide which pages are shown: the API enforces.
 */
import { isStaffGroup, type StaffGroup } from '../../shared/domain/staff-access.ts';
import { admittedGroups } from '../../shared/domain/staff-routes.ts';

export interface Session {
  readonly username: string;
  readonly groups: readonly StaffGroup[];
  /** The ID token the API's Cognito authorizer checks; refreshed when it is about to expire. */
  idToken(): Promise<string>;
  signOut(): Promise<void>;
}

export interface SignIn {
  /** The session already established (after a reload, or on return from managed login), if any. */
  resume(): Promise<Session | undefined>;
  /** Draws the sign-in screen into `main`; calls `signedIn` when done (local) or leaves the page (Cognito). */
  renderSignIn(main: HTMLElement, signedIn: (session: Session) => void): void;
}

/** Whether the person's groups admit them to a staff route (`/subject-requests/{id}`): to offer only what works. */
export function mayCall(session: Session, method: 'GET' | 'POST', resource: string): boolean {
  return admittedGroups(method, resource).some((group) => session.groups.includes(group));
}

/** The groups in a token's `cognito:groups` claim (an array in the token itself). */
export function groupsOf(claim: unknown): StaffGroup[] {
  return Array.isArray(claim) ? claim.filter(isStaffGroup) : [];
}

/** The claims of a JWT, unverified: only for showing who is signed in. The API verifies the token. */
export function readClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  try {
    const text = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(text, (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}
