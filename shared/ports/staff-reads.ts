/**
 * What staff read, as use cases see it: who may be emailed about a topic, recent enquiries, statement
 * texts and the audit trail of those reads. shared/adapters/dynamodb/staff-reads.ts implements it.
 */
import type { MailableStatus } from '../domain/consent.ts';

export type BasisFilter = MailableStatus | 'any';

/** Where a list resumes: the key attributes of the last item returned (table and gsi1 keys). */
export type ListPosition = Readonly<Record<string, string>>;

export interface Page<T> {
  readonly items: T[];
  /** Absent at the end of the list. A page may hold fewer than `limit` items before the end. */
  readonly next: ListPosition | undefined;
  /** Read capacity units the page's queries consumed (`ReturnConsumedCapacity`). */
  readonly readUnits: number;
}

export interface MailableContact {
  readonly contactId: string;
  readonly email: string;
  readonly name: string | undefined;
  readonly topic: string;
  readonly basis: MailableStatus;
  /** When this permission began. */
  readonly since: string;
  /** Where the latest change came from (`form`, `link`, `preference_centre`, `mailchimp`, …). */
  readonly source: string | undefined;
  readonly formId: string | undefined;
}

/** A mailable permission whose retention ends soon: who, on which basis, and when it lapses. */
export interface ExpiringPermission extends MailableContact {
  /** Epoch seconds: when the permission lapses unless the person interacts again. */
  readonly expiresAt: number;
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
  /** The staff user: Cognito `sub` and user name. */
  readonly actor: { readonly subject: string; readonly username: string };
  readonly groups: readonly string[];
  readonly method: string;
  readonly route: string;
  /** The filter asked for (topic, basis, page size, whether a cursor was given); never personal data. */
  readonly filter: Readonly<Record<string, string | number | boolean>>;
  /** The contact read, for single-contact reads. */
  readonly subject: string | undefined;
  /** Rows returned. */
  readonly rows: number;
  readonly format: 'json' | 'csv';
  readonly requestId: string | undefined;
}

export interface StoredStatement {
  readonly hash: string;
  readonly version: string;
  readonly text: string;
}

export interface StaffReads {
  listMailable(query: {
    readonly topic: string;
    readonly basis: BasisFilter;
    readonly limit: number;
    readonly after: ListPosition | undefined;
    readonly now: Date;
  }): Promise<Page<MailableContact>>;
  /** Mailable permissions on `topic` still live at `now` and lapsing by `until`, in the list's order. */
  listExpiring(query: {
    readonly topic: string;
    readonly until: Date;
    readonly limit: number;
    readonly after: ListPosition | undefined;
    readonly now: Date;
  }): Promise<Page<ExpiringPermission>>;
  listEnquiries(query: {
    readonly limit: number;
    readonly after: ListPosition | undefined;
    readonly now: Date;
  }): Promise<Page<EnquirySummary>>;
  listAudit(query: {
    readonly limit: number;
    readonly after: ListPosition | undefined;
    readonly now: Date;
  }): Promise<Page<AuditEntry>>;
  /** Statement texts by hash; unknown hashes are left out. */
  readStatements(hashes: readonly string[]): Promise<Map<string, StoredStatement>>;
  /** Appends to the audit trail; never overwrites an entry. */
  recordAudit(entry: AuditEntry, expiresAt: number): Promise<void>;
}
