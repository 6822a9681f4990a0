/**
 * The staff API client: one function per staff route, each sending the signed-in person's ID token. Lists
 * come a page at a time; the next page is named by the cursor in the body (`next`) or, for CSV, in the
 * `X-Next-Cursor` header.
 */
import type { RequestAction } from '../../shared/domain/subject-request.ts';
import type { PersonSummary, RequestBody, RequestDetail, RequestSummary } from './rights-types.ts';

export type Basis = 'any' | 'consent' | 'soft_opt_in';

export interface ListPage<T> {
  readonly items: T[];
  readonly next: string | null;
}

export interface MailableContact {
  readonly contactId: string;
  readonly email: string;
  readonly name: string | undefined;
  readonly topic: string;
  readonly basis: 'consent' | 'soft_opt_in';
  readonly since: string;
  readonly source: string | undefined;
  readonly formId: string | undefined;
}

export interface EnquirySummary {
  readonly enquiryId: string;
  readonly formId: string;
  readonly receivedAt: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly contactId: string | undefined;
}

export interface AuditEntry {
  readonly auditId: string;
  readonly at: string;
  readonly actor: { readonly subject: string; readonly username: string };
  readonly groups: readonly string[];
  readonly method: string;
  readonly route: string;
  readonly filter: Readonly<Record<string, string | number | boolean>>;
  readonly subject: string | undefined;
  readonly rows: number;
  readonly format: 'json' | 'csv';
}

export interface ContactDetail {
  readonly id: string;
  readonly email: string;
  readonly name: string | undefined;
  readonly restricted: boolean;
  readonly topics: readonly {
    readonly topic: string;
    readonly status: string;
    readonly since: string;
    readonly formId: string | undefined;
    readonly statementVersion: string | undefined;
    readonly expiresAt: string;
  }[];
  readonly history: readonly {
    readonly eventId: string;
    readonly type: string;
    readonly at: string;
    readonly topic: string;
    readonly source: string;
    readonly formId: string | undefined;
    readonly page: string | undefined;
    readonly statementVersion?: string;
    readonly statementText: string | undefined;
    readonly reason: string | undefined;
  }[];
  readonly unsubscribeUrl: string;
  readonly preferencesUrl: string;
}

/** A refused or failed call; 401 means the sign-in has run out. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly fields: Readonly<Record<string, string>> = {},
  ) {
    super(`The staff API answered ${status}`);
  }
}

export interface StaffApi {
  listContacts(query: { topic: string; basis: Basis; cursor?: string }): Promise<ListPage<MailableContact>>;
  /** One page of the list as CSV (each page starts with the header row). */
  contactsCsvPage(query: {
    topic: string;
    basis: Basis;
    cursor?: string;
  }): Promise<{ csv: string; next: string | null }>;
  readContact(contactId: string): Promise<ContactDetail>;
  listEnquiries(cursor?: string): Promise<ListPage<EnquirySummary>>;
  listAudit(cursor?: string): Promise<ListPage<AuditEntry>>;
  /** What is held at an address: the address goes to the API only, never into the console's URL. */
  lookUpPerson(email: string): Promise<PersonSummary>;
  logRequest(body: RequestBody): Promise<RequestDetail>;
  listRequests(status: RequestStatusFilter, cursor?: string): Promise<ListPage<RequestSummary>>;
  readRequest(requestId: string): Promise<RequestDetail>;
  /** An access request's bundle, as a file to save (fetched with the token in a header, not a URL). */
  requestExport(requestId: string): Promise<Blob>;
  actOnRequest(requestId: string, kind: StaffAction, body?: Record<string, string>): Promise<RequestDetail>;
}

export type RequestStatusFilter = 'open' | 'overdue' | 'completed' | 'all';
/** The actions staff take on a request (the rest of the register's actions are the system's own). */
export type StaffAction = Exclude<RequestAction['kind'], 'carried_out'>;

/** CSV pages at the API's largest size: fewer round trips for a long list. */
export const CSV_PAGE_SIZE = 5000;

export function createStaffApi(baseUrl: string, idToken: () => Promise<string>): StaffApi {
  async function call(
    path: string,
    query: Record<string, string | undefined>,
    accept = 'application/json',
    body?: unknown,
  ) {
    const url = new URL(path.replace(/^\//, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, value);
    const response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        Accept: accept,
        Authorization: `Bearer ${await idToken()}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // The token is the only credential: no cookies, and no referrer to the API.
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
    if (!response.ok) {
      const answer = (await response.json().catch(() => ({}))) as { fields?: Record<string, string> };
      throw new ApiError(response.status, answer.fields ?? {});
    }
    return response;
  }
  const json = async <T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> =>
    (await call(path, query)).json() as Promise<T>;
  const post = async <T>(path: string, body: unknown): Promise<T> =>
    (await call(path, {}, 'application/json', body)).json() as Promise<T>;
  const requestPath = (requestId: string) => `/subject-requests/${encodeURIComponent(requestId)}`;

  return {
    listContacts: ({ topic, basis, cursor }) => json('/contacts', { topic, basis, cursor }),
    async contactsCsvPage({ topic, basis, cursor }) {
      const response = await call(
        '/contacts',
        { topic, basis, cursor, limit: String(CSV_PAGE_SIZE) },
        'text/csv',
      );
      return { csv: await response.text(), next: response.headers.get('X-Next-Cursor') };
    },
    readContact: (contactId) => json(`/contacts/${encodeURIComponent(contactId)}`),
    listEnquiries: (cursor) => json('/enquiries', { cursor }),
    listAudit: (cursor) => json('/audit', { cursor }),
    lookUpPerson: (email) => json('/people', { email }),
    logRequest: (body) => post('/subject-requests', body),
    listRequests: (status, cursor) => json('/subject-requests', { status, cursor }),
    readRequest: (requestId) => json(requestPath(requestId)),
    requestExport: async (requestId) => (await call(`${requestPath(requestId)}/export`, {})).blob(),
    actOnRequest: (requestId, kind, body = {}) => post(`${requestPath(requestId)}/${kind}`, body),
  };
}

/** Plain words for a failed call, never quoting anything the API sent back. */
export function failureMessage(error: unknown): string {
  if (!(error instanceof ApiError))
    return 'The staff API could not be reached. Check your connection and try again.';
  if (error.status === 401) return 'Your sign-in has expired. Sign out and sign in again.';
  if (error.status === 403) return 'Your staff groups do not allow this.';
  if (error.status === 404) return 'Not found: the person may have been erased.';
  if (error.status === 409) return 'This cannot be done now: the request has changed or is finished.';
  if (error.status === 429) return 'Too many requests at once. Wait a moment and try again.';
  return 'Something went wrong. Try again.';
}
