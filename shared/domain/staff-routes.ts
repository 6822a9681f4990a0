/**
 * Which staff groups each staff route admits: the access table the staff function enforces and the
 * deployed API and the local server declare (infra/routes.ts builds its staff routes from it).
 */
import type { StaffGroup } from './staff-access.ts';

export interface StaffRoute {
  readonly method: 'GET';
  /** API Gateway's resource path, e.g. `/contacts/{id}`. */
  readonly path: string;
  /** Members of any of these groups may call it; nobody else. */
  readonly groups: readonly [StaffGroup, ...StaffGroup[]];
}

export const STAFF_ROUTES: readonly StaffRoute[] = [
  { method: 'GET', path: '/contacts', groups: ['marketing'] },
  { method: 'GET', path: '/contacts/{id}', groups: ['marketing', 'privacy'] },
  { method: 'GET', path: '/enquiries', groups: ['sales', 'privacy'] },
  { method: 'GET', path: '/audit', groups: ['privacy'] },
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
