/**
 * Which staff groups each staff route admits: the access table the staff function enforces and the
 * deployed API and the local server declare (infra/routes.ts builds its staff routes from it).
 */
import type { StaffGroup } from './staff-access.ts';

export interface StaffRoute {
  readonly method: 'GET' | 'POST';
  /**
   * The function that serves it: `staff` only reads (its grants are read-only but for the audit trail);
   * `rights` carries out data-subject requests and may change and delete anything held on a person; it
   * also imports existing clients and records business contacts.
   */
  readonly servedBy: 'staff' | 'rights';
  /** API Gateway's resource path, e.g. `/contacts/{id}`. */
  readonly path: string;
  /** Members of any of these groups may call it; nobody else. */
  readonly groups: readonly [StaffGroup, ...StaffGroup[]];
}

export const STAFF_ROUTES: readonly StaffRoute[] = [
  { method: 'GET', path: '/contacts', servedBy: 'staff', groups: ['marketing'] },
  { method: 'GET', path: '/contacts/{id}', servedBy: 'staff', groups: ['marketing', 'privacy'] },
  { method: 'GET', path: '/enquiries', servedBy: 'staff', groups: ['sales', 'privacy'] },
  { method: 'GET', path: '/audit', servedBy: 'staff', groups: ['privacy'] },
  // The retention review: who lapses soon and on which basis, for the privacy lead's periodic review.
  { method: 'GET', path: '/review', servedBy: 'staff', groups: ['privacy'] },
  // Data-subject rights: marketing may see what is held on an address (to honour an objection quickly),
  // but only the privacy team handles requests, which reveal and delete personal data.
  { method: 'GET', path: '/people', servedBy: 'rights', groups: ['privacy', 'marketing'] },
  { method: 'POST', path: '/subject-requests', servedBy: 'rights', groups: ['privacy'] },
  { method: 'GET', path: '/subject-requests', servedBy: 'rights', groups: ['privacy'] },
  { method: 'GET', path: '/subject-requests/{id}', servedBy: 'rights', groups: ['privacy'] },
  { method: 'GET', path: '/subject-requests/{id}/export', servedBy: 'rights', groups: ['privacy'] },
  // Importing existing clients or subscribers adds people to marketing lists: marketing runs it, privacy
  // answers for the evidence each row must carry.
  { method: 'POST', path: '/imports', servedBy: 'rights', groups: ['privacy', 'marketing'] },
  // Business contacts held for the relationship (never marketing): the people who deal with clients.
  { method: 'POST', path: '/relationships', servedBy: 'rights', groups: ['sales', 'privacy'] },
  ...(['verify', 'extend', 'refuse', 'close', 'cancel'] as const).map(
    (action): StaffRoute => ({
      method: 'POST',
      path: `/subject-requests/{id}/${action}`,
      servedBy: 'rights',
      groups: ['privacy'],
    }),
  ),
];

/**
 * The groups admitted to the staff route with this method and resource path (an event's `httpMethod` and
 * `resource`, e.g. `/contacts/{id}`). None for a public or unknown route, so a check against them denies
 * by default. HEAD is answered by the GET route, as the local server routes it.
 */
export function admittedGroups(method: string, resource: string): readonly StaffGroup[] {
  const find = (wanted: string) =>
    STAFF_ROUTES.find((route) => route.method === wanted && route.path === resource);
  const route = find(method) ?? (method === 'HEAD' ? find('GET') : undefined);
  return route?.groups ?? [];
}
