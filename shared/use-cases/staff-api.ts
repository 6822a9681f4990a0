/**
 * The staff API's reads: who may be emailed about a topic, one contact with its consent history, recent
 * enquiries, and the audit trail. Every read that returns personal data is recorded in the audit trail
 * (who, when, route, filter, subject or row count; never the data) before the data leaves: a read whose
 * audit entry cannot be written fails.
 */
import type { TopicStatus } from '../domain/consent.ts';
import type { FieldErrors } from '../domain/enquiry.ts';
import { InvalidInputError, NotFoundError } from '../domain/errors.ts';
import { expiryFor } from '../domain/retention.ts';
import type { DeploymentSettings } from '../domain/settings.ts';
import type { StaffIdentity } from '../domain/staff-access.ts';
import type { KeyRing } from '../domain/tokens.ts';
import { contactLinks } from '../email/links.ts';
import { log } from '../log.ts';
import type { ContactsRepository, StoredEvent } from '../ports/contacts-store.ts';
import type { PageCursors } from '../ports/page-cursors.ts';
import type {
  AuditEntry,
  BasisFilter,
  EnquirySummary,
  ListPosition,
  MailableContact,
  Page,
  StaffReads,
} from '../ports/staff-reads.ts';

export interface StaffDeps {
  readonly config: DeploymentSettings;
  readonly reads: StaffReads;
  readonly contacts: Pick<ContactsRepository, 'readContact' | 'readHistory'>;
  /** Signs the contact's links. */
  readonly linkKeys: () => Promise<KeyRing>;
  readonly cursors: PageCursors;
  readonly clock: () => Date;
  readonly newId: () => string;
}

/** Who is asking, and through which route: what the audit trail records. */
export interface StaffRequest {
  readonly identity: StaffIdentity;
  readonly method: string;
  readonly route: string;
  readonly requestId: string | undefined;
  readonly format: 'json' | 'csv';
}

export interface ListResult<T> {
  readonly items: T[];
  /** Pass back as `cursor` for the next page; `null` at the end of the list. */
  readonly next: string | null;
}

/** Page sizes: JSON pages for screens; CSV pages sized well inside Lambda's 6 MB response limit. */
export const PAGE_LIMITS = {
  json: { default: 100, max: 1000 },
  csv: { default: 1000, max: 5000 },
} as const;

const BASES: readonly BasisFilter[] = ['consent', 'soft_opt_in', 'any'];
const CONTACT_ID = /^[0-9a-f]{32}$/;

export async function listMailableContacts(
  deps: StaffDeps,
  request: StaffRequest,
  query: {
    readonly topic?: string;
    readonly basis?: string;
    readonly limit?: string;
    readonly cursor?: string;
  },
): Promise<ListResult<MailableContact>> {
  const errors: FieldErrors = {};
  const topic = query.topic;
  if (!topic) errors.topic = 'required';
  else if (!deps.config.topics.some((offered) => offered.id === topic)) errors.topic = 'unknown_topic';
  const basis = (query.basis ?? 'any') as BasisFilter;
  if (!BASES.includes(basis)) errors.basis = 'invalid';
  const limit = pageLimit(query.limit, request.format, errors);
  if (Object.keys(errors).length > 0 || !topic) throw new InvalidInputError(errors);

  // The cursor is bound to the filter: it cannot be replayed against another topic or basis.
  const scope = `contacts|${topic}|${basis}`;
  const page = await readPage(deps, scope, query.cursor, (after, now) =>
    deps.reads.listMailable({ topic, basis, limit, after, now }),
  );
  await audit(deps, request, { filter: { topic, basis, limit, cursor: query.cursor !== undefined }, page });
  return finish(deps, scope, page);
}

export function listRecentEnquiries(
  deps: StaffDeps,
  request: StaffRequest,
  query: PageQuery,
): Promise<ListResult<EnquirySummary>> {
  return listDated(deps, request, query, 'enquiries', (page) => deps.reads.listEnquiries(page));
}

/** The trail names staff users: reading it is itself recorded. */
export function listAuditTrail(
  deps: StaffDeps,
  request: StaffRequest,
  query: PageQuery,
): Promise<ListResult<AuditEntry>> {
  return listDated(deps, request, query, 'audit', (page) => deps.reads.listAudit(page));
}

interface PageQuery {
  readonly limit?: string | undefined;
  readonly cursor?: string | undefined;
}

/** A newest-first list with no filter but its page size. */
async function listDated<T>(
  deps: StaffDeps,
  request: StaffRequest,
  query: PageQuery,
  scope: string,
  read: (page: { limit: number; after: ListPosition | undefined; now: Date }) => Promise<Page<T>>,
): Promise<ListResult<T>> {
  const errors: FieldErrors = {};
  const limit = pageLimit(query.limit, request.format, errors);
  if (Object.keys(errors).length > 0) throw new InvalidInputError(errors);
  const page = await readPage(deps, scope, query.cursor, (after, now) => read({ limit, after, now }));
  await audit(deps, request, { filter: { limit, cursor: query.cursor !== undefined }, page });
  return finish(deps, scope, page);
}

export interface ContactDetail {
  readonly id: string;
  readonly email: string;
  readonly name: string | undefined;
  readonly restricted: boolean;
  readonly topics: {
    readonly topic: string;
    readonly status: TopicStatus;
    readonly since: string;
    readonly formId: string | undefined;
    readonly statementVersion: string | undefined;
    readonly expiresAt: string;
  }[];
  /** Oldest first, each grant with the exact statement text the person was shown. */
  readonly history: (StoredEvent & { readonly statementText: string | undefined })[];
  readonly unsubscribeUrl: string;
  readonly preferencesUrl: string;
}

export async function readContactDetail(
  deps: StaffDeps,
  request: StaffRequest,
  contactId: string,
  apiBaseUrl: string,
): Promise<ContactDetail> {
  // Ids are hex keyed hashes: anything else is not a contact, and is not looked up.
  if (!CONTACT_ID.test(contactId)) throw new NotFoundError();
  const now = deps.clock();
  const state = await deps.contacts.readContact(contactId, now);
  const contact = state.contact;
  if (!contact) throw new NotFoundError();
  const history = await deps.contacts.readHistory(contactId);
  const statements = await deps.reads.readStatements(
    history.flatMap((event) => (event.statementHash ? [event.statementHash] : [])),
  );
  const links = contactLinks({
    ring: await deps.linkKeys(),
    baseUrl: deps.config.publicBaseUrl ?? apiBaseUrl,
    contactId,
    epoch: state.snapshot.contact?.epoch ?? 0,
    now,
  });
  await recordStaffAudit(deps, request, { subject: contactId, rows: 1, filter: {} });
  return {
    id: contactId,
    email: contact.email,
    name: contact.name,
    restricted: contact.restricted,
    topics: [...state.snapshot.topics.values()].map((permission) => ({
      topic: permission.topic,
      status: permission.status,
      since: permission.since,
      formId: permission.formId,
      statementVersion: permission.statementVersion,
      expiresAt: new Date(permission.expiresAt * 1000).toISOString(),
    })),
    history: history.map((event) => ({
      ...event,
      statementText: event.statementHash ? statements.get(event.statementHash)?.text : undefined,
    })),
    unsubscribeUrl: links.unsubscribeUrl,
    preferencesUrl: links.preferencesUrl,
  };
}

function pageLimit(text: string | undefined, format: 'json' | 'csv', errors: FieldErrors): number {
  const bounds = PAGE_LIMITS[format];
  if (text === undefined) return bounds.default;
  const limit = /^[1-9][0-9]{0,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit <= bounds.max)) {
    errors.limit = 'invalid';
    return bounds.default;
  }
  return limit;
}

async function readPage<T>(
  deps: StaffDeps,
  scope: string,
  cursor: string | undefined,
  read: (after: ListPosition | undefined, now: Date) => Promise<Page<T>>,
): Promise<Page<T>> {
  const now = deps.clock();
  let after: ListPosition | undefined;
  if (cursor !== undefined) {
    after = await deps.cursors.open(cursor, scope, now);
    if (after === undefined) throw new InvalidInputError({ cursor: 'invalid' });
  }
  return read(after, now);
}

async function finish<T>(deps: StaffDeps, scope: string, page: Page<T>): Promise<ListResult<T>> {
  const next = page.next ? await deps.cursors.sign(scope, page.next, deps.clock()) : null;
  return { items: page.items, next };
}

async function audit<T>(
  deps: StaffDeps,
  request: StaffRequest,
  input: { readonly filter: AuditEntry['filter']; readonly page: Page<T> },
): Promise<void> {
  await recordStaffAudit(deps, request, { filter: input.filter, rows: input.page.items.length });
  log.info('staff_list_read', {
    route: request.route,
    rows: input.page.items.length,
    readUnits: input.page.readUnits,
    more: input.page.next !== undefined,
  });
}

/**
 * Records a staff read or action in the audit trail: who, when, which route and request, the filter or the
 * subject; never the data. Shared by the staff reads and the request register.
 */
export async function recordStaffAudit(
  deps: Pick<StaffDeps, 'clock' | 'newId' | 'config'> & { readonly reads: Pick<StaffReads, 'recordAudit'> },
  request: StaffRequest,
  input: {
    readonly filter: AuditEntry['filter'];
    readonly rows: number;
    readonly subject?: string | undefined;
  },
): Promise<void> {
  const now = deps.clock();
  await deps.reads.recordAudit(
    {
      auditId: deps.newId(),
      at: now.toISOString(),
      actor: { subject: request.identity.subject, username: request.identity.username },
      groups: [...request.identity.groups],
      method: request.method,
      route: request.route,
      filter: input.filter,
      subject: input.subject,
      rows: input.rows,
      format: request.format,
      requestId: request.requestId,
    },
    expiryFor('audit', now, deps.config.retention),
  );
}
