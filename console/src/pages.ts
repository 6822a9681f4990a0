/**
 * Which pages each staff group sees: the page table. A page is listed for a person who belongs to any of its
 * groups, matching the groups the API admits to the routes the page calls (infra/routes.ts). Adding a page
 * is one row here and one module in pages/.
 */
import type { StaffGroup } from '../../shared/domain/staff-access.ts';
import type { StaffApi } from './api.ts';
import type { Session } from './auth.ts';
import type { ConsoleConfig } from './config.ts';
import { renderAuditPage } from './pages/audit.ts';
import { renderEnquiriesPage } from './pages/enquiries.ts';
import { renderListsPage } from './pages/lists.ts';
import { renderPersonPage } from './pages/person.ts';
import { renderRequestsPage } from './pages/requests.ts';

/** Whom the Person page shows: a contact opened from a list or an enquiry, or an address searched for. */
export type PersonChoice = { readonly contactId: string } | { readonly email: string };

/** What every page is given; state shared between pages lives here, in memory only. */
export interface PageContext {
  readonly api: StaffApi;
  readonly session: Session;
  readonly config: ConsoleConfig;
  /** Opens the Person page for this contact (only offered to groups that may read a contact). */
  readonly openPerson: ((contactId: string) => void) | undefined;
  /** Whom the Person page shows; kept in memory only, never in the address. */
  readonly selectedPerson: () => PersonChoice | undefined;
  readonly choosePerson: (person: PersonChoice) => void;
}

export interface PageSpec {
  readonly name: string;
  readonly title: string;
  readonly groups: readonly StaffGroup[];
  /** Whether the navigation links to it (every page today; one reached only from another would not be). */
  readonly inNavigation: boolean;
  render(context: PageContext): HTMLElement;
}

export const PAGES: readonly PageSpec[] = [
  // GET /contacts: marketing.
  { name: 'lists', title: 'Lists', groups: ['marketing'], inNavigation: true, render: renderListsPage },
  // GET /enquiries: sales, privacy.
  {
    name: 'enquiries',
    title: 'Enquiries',
    groups: ['sales', 'privacy'],
    inNavigation: true,
    render: renderEnquiriesPage,
  },
  // GET /people and GET /contacts/{id}: marketing, privacy (its actions, POST /subject-requests: privacy).
  {
    name: 'person',
    title: 'Person',
    groups: ['marketing', 'privacy'],
    inNavigation: true,
    render: renderPersonPage,
  },
  // The request register, GET|POST /subject-requests[/{id}[/…]]: privacy.
  {
    name: 'requests',
    title: 'Requests',
    groups: ['privacy'],
    inNavigation: true,
    render: renderRequestsPage,
  },
  // GET /audit: privacy.
  { name: 'audit', title: 'Audit', groups: ['privacy'], inNavigation: true, render: renderAuditPage },
];

export function pagesFor(groups: readonly StaffGroup[]): PageSpec[] {
  return PAGES.filter((page) => page.groups.some((group) => groups.includes(group)));
}
