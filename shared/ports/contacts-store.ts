/**
 * The contacts store as use cases see it: a contact's current state, history and suppression entry, and
 * the writes that change them (each conditional on what was read, failing with ContactConflictError).
 * shared/adapters/dynamodb/contacts-store.ts implements it.
 */
import type { HistoryEventType } from '../domain/consent.ts';
import type { ConsentEvent, ContactChange, ContactSnapshot } from '../domain/contact-change.ts';
import type { ContactMovePlan, HistoryEvent } from '../domain/contact-move.ts';
import type { QueuedMessage } from './mailer.ts';
import type { SubmissionMarker } from './submissions.ts';

export interface StoredContact {
  readonly contactId: string;
  readonly email: string;
  readonly name: string | undefined;
  /** Kept but excluded from every list and from MailChimp. */
  readonly restricted: boolean;
}

export interface StoredEnquiry {
  readonly enquiryId: string;
  readonly formId: string;
  readonly receivedAt: string;
  /** Only the fields the form keeps. */
  readonly fields: Readonly<Record<string, string>>;
  readonly contactId: string | undefined;
  readonly expiresAt: number;
}

/**
 * An enquiry to import, with `sender`: the contact id of the address it came from, where its reference
 * goes (as the intake writes it), so the person's enquiries are found with the rest of their data.
 */
export interface ImportedEnquiry extends StoredEnquiry {
  readonly sender: string | undefined;
}

export interface ContactState {
  readonly snapshot: ContactSnapshot;
  /** The live contact, when there is one. */
  readonly contact: StoredContact | undefined;
}

export interface ContactWrite {
  readonly now: Date;
  readonly contactId: string;
  readonly suppressionHash: string;
  /** Set on the contact (a form gives them); a link leaves them as they are. */
  readonly email?: string | undefined;
  readonly name?: string | undefined;
  readonly snapshot: ContactSnapshot;
  readonly change: ContactChange;
  readonly source: string;
  /** Recorded on the suppression entry when this change adds to it. */
  readonly reason?: string | undefined;
  /**
   * Creates a new contact already restricted (an import of restricted records); an existing contact
   * keeps its own restriction, which only `setRestriction` changes.
   */
  readonly restricted?: boolean | undefined;
}

/** Another request changed the same contact between our read and our write; read again and retry. */
export class ContactConflictError extends Error {
  override readonly name = 'ContactConflictError';
}

/** What one `write` lands together, in one transaction. */
export interface ContactsWrite {
  readonly contact?: ContactWrite | undefined;
  readonly enquiry?: StoredEnquiry | undefined;
  /**
   * The contact id of the address the enquiry came from: a reference to the enquiry is written in that
   * person's partition, so their enquiries are found with their other data (access, erasure).
   */
  readonly enquiryOwner?: string | undefined;
  /** Marks a webhook delivery as applied, in the same transaction, so a retry of it changes nothing. */
  readonly delivery?: DeliveryMarker | undefined;
  /** Emails the change calls for, queued with it so neither lands without the other. */
  readonly outbox?: readonly QueuedMessage[] | undefined;
  /** Marks an enquiry submission as answered, so a repeat within minutes gets the same answer. */
  readonly submission?: SubmissionMarker | undefined;
}

/** A webhook delivery applied, remembered until `expiresAt` (epoch seconds). */
export interface DeliveryMarker {
  readonly id: string;
  readonly expiresAt: number;
}

export interface ContactsRepository {
  /** The contact's partition (profile and permissions, not the history), without its suppression entry. */
  readContact(contactId: string, now: Date): Promise<ContactState>;
  readSuppression(suppressionHash: string): Promise<ContactSnapshot['suppression']>;
  /** Writes a contact change and/or an enquiry, atomically. */
  write(write: ContactsWrite): Promise<void>;
  /**
   * Bulk-writes contacts that do not exist yet, with the enquiries that go with them: for seeding and
   * imports into addresses known to be new. Each contact gets exactly the items `write` would give it,
   * but through BatchWriteItem and without conditions, so nothing guards against clobbering: a write
   * that would update or delete anything is refused. Answers how many items were written.
   */
  importNew(batch: {
    readonly contacts: readonly ContactWrite[];
    readonly enquiries?: readonly ImportedEnquiry[] | undefined;
  }): Promise<{ readonly items: number }>;
  /** A contact's consent history, oldest first. */
  readHistory(contactId: string): Promise<StoredEvent[]>;
  /**
   * Restricts processing of a live contact, or lifts the restriction: its permissions leave (or rejoin)
   * the list index, and `record` (if given) joins the history in the same transaction, with the contact's
   * epoch. `false` when there is no live contact.
   */
  setRestriction(
    contactId: string,
    restricted: boolean,
    now: Date,
    record?: HistoryEvent | undefined,
  ): Promise<boolean>;
  /** Appends a record-only event to a live contact's history (its version as read, else a conflict). */
  recordEvent(change: {
    readonly contactId: string;
    readonly version: number;
    readonly event: HistoryEvent;
  }): Promise<void>;
  /**
   * Moves a live contact, its permissions and its whole history to a new address's id (the adapter's
   * address-move saga). Conflict: the contact changed since it was read, or a live contact holds the new id.
   */
  moveContact(move: ContactMove): Promise<void>;
  /** Finishes carrying the history of a contact that moved away from `contactId`; `false` if none waits. */
  finishMove(contactId: string, now: Date): Promise<boolean>;
  /**
   * Where the contact that lived at `contactId` moved, and whose move it was (`source`: `mailchimp` for
   * MailChimp's own address change); `undefined` when it did not move (or the forwarding is gone).
   */
  readMove(
    contactId: string,
  ): Promise<{ readonly movedTo: string; readonly source: string | undefined } | undefined>;
  /** The id of the contact that `contactId` names now: itself, or where it moved (links name old ids). */
  currentContactId(contactId: string, now: Date): Promise<string>;
  /** Sets (or removes) a contact's name on its profile and its topics' copies. */
  setName(change: NameChange): Promise<void>;
  /** Whether a webhook delivery has been applied already. */
  hasDelivery(deliveryId: string, now: Date): Promise<boolean>;
  /**
   * Contacts whose latest change lies after `after` (a `position` from an earlier answer, or an ISO time)
   * and at or before `until` (ISO), oldest change first, at most `limit`. A contact changed again later
   * moves to its new place, so each is listed once, at its latest change.
   */
  changedContacts(after: string, until: string, limit: number): Promise<ChangedContact[]>;
}

export interface ChangedContact {
  readonly contactId: string;
  /** ISO time of the contact's latest change. */
  readonly changedAt: string;
  /** Where this contact sits in the list: the next page starts after it. */
  readonly position: string;
}

export type StoredEvent = Omit<ConsentEvent, 'statement' | 'type'> & {
  readonly type: HistoryEventType;
  /** The fields a `details_rectified` event names (never their values). */
  readonly fields?: readonly string[];
  readonly statementVersion?: string;
  readonly statementHash?: string;
};

/** A live contact moving to a new address, as `decideEmailChange` planned it. */
export interface ContactMove {
  readonly now: Date;
  /** The contact as decided on: the move is refused (a conflict) if it changed since. */
  readonly from: { readonly contactId: string; readonly version: number };
  readonly to: {
    readonly contactId: string;
    readonly email: string;
    readonly suppressionHash: string;
    /** The new address's suppression entry as read: the move is conditional on it. */
    readonly suppression: ContactSnapshot['suppression'];
  };
  readonly plan: ContactMovePlan;
  /** `source` on the carried permissions: MailChimp made the change, so its sync has nothing to send. */
  readonly source: string;
  /** `source` on the permissions the move withdrew, which MailChimp does not know about yet. */
  readonly withdrawalSource: string;
  /** Recorded on the new address's suppression entry when the move adds to it. */
  readonly reason: string;
  /** Until when the old id forwards to the new one (epoch seconds): links already sent name the old id. */
  readonly forwardUntil: number;
  readonly delivery?: DeliveryMarker | undefined;
}

/** A name changed elsewhere (MailChimp's profile page), for the profile and the copies on its topics. */
export interface NameChange {
  readonly now: Date;
  readonly contactId: string;
  /** The profile version read: the change is refused (a conflict) if it moved on since. */
  readonly version: number;
  /** The contact's topic ids: each carries a copy of the name. */
  readonly topics: readonly string[];
  /** `undefined` removes the name. */
  readonly name: string | undefined;
  readonly source: string;
  readonly delivery?: DeliveryMarker | undefined;
  /** Recorded in the history with the change (a correction made by staff). */
  readonly record?: HistoryEvent | undefined;
}

/** One change to a contact's profile or topic item, as the table's stream reported it. */
export interface ContactItemChanged {
  /** Names the stream record, for redelivering the contact's records after a failure. */
  readonly recordId: string | undefined;
  readonly contactId: string;
  readonly item: 'profile' | 'topic' | 'other';
  readonly kind: 'insert' | 'modify' | 'remove';
  /** Deleted by the table's TTL rather than by any of our writes. */
  readonly expired: boolean;
  /** When the change was made (epoch ms), as far as the record tells: the sync's lag runs from here. */
  readonly changedAt?: number | undefined;
  readonly before: ContactItemImage | undefined;
  readonly after: ContactItemImage | undefined;
}

/** What the MailChimp sync needs of an item's image before or after a change. */
export interface ContactItemImage {
  readonly email: string | undefined;
  /** Where the change came from (`mailchimp` for MailChimp's own). */
  readonly source: string | undefined;
  readonly restricted: boolean;
  /** The profile is marked for erasure. */
  readonly erased: boolean;
}
