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

/** What every page is given; state shared between pages lives here, in memory only. */
export interface PageContext {
  readonly api: StaffApi;
  readonly session: Session;
  readonly config: ConsoleConfig;
  /** Opens the Person page for this contact (only offered to groups that may read a contact). */
  readonly openPerson: ((contactId: string) => void) | undefined;
  /** The contact the Person page shows. */
  readonly selectedPerson: () => string | undefined;
}

export interface PageSpec {
  readonly name: string;
  readonly title: string;
  readonly groups: readonly StaffGroup[];
  /** Pages reached from another page (a person) are not in the navigation. */
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
  // GET /audit: privacy.
  { name: 'audit', title: 'Audit', groups: ['privacy'], inNavigation: true, render: renderAuditPage },
  // GET /contacts/{id}: marketing, privacy.
  {
    name: 'person',
    title: 'Person',
    groups: ['marketing', 'privacy'],
    inNavigation: false,
    render: renderPersonPage,
  },
];

export function pagesFor(groups: readonly StaffGroup[]): PageSpec[] {
  return PAGES.filter((page) => page.groups.some((group) => groups.includes(group)));
}
