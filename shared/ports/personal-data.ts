/**
 * Everything held on one person, found from their address's contact id and suppression hash, and the
 * deletions an erasure makes. shared/adapters/dynamodb/personal-data.ts implements it.
 */
import type { HeldData, HeldTopic } from '../domain/access-bundle.ts';
import type { ErasedKind } from '../domain/erasure-receipt.ts';
import type { Relationship } from '../domain/relationship.ts';
import type { StoredEnquiry, StoredEvent } from './contacts-store.ts';

/** A topic as the bundle shows it, with where its latest change came from. */
export interface HeldTopicItem extends HeldTopic {
  readonly source: string | undefined;
}

/** As stored, expired-but-not-yet-deleted items included: the caller marks them. */
export interface HeldRecords {
  readonly profile:
    | {
        readonly email: string;
        readonly name: string | undefined;
        readonly restricted: boolean;
        readonly expiresAt: number | undefined;
        /** A business contact's relationship (legitimate interest or contract), if held. */
        readonly relationship?: Relationship | undefined;
      }
    | undefined;
  readonly topics: readonly HeldTopicItem[];
  readonly history: readonly StoredEvent[];
  readonly enquiries: readonly StoredEnquiry[];
  readonly suppression: HeldData['suppression'];
  /** The contact moved to another address: this partition forwards to it. */
  readonly movedTo: string | undefined;
}

export interface PersonalDataStore {
  /** Without a suppression hash (the address is not known yet) the suppression entry is not read. */
  findHeld(contactId: string, suppressionHash: string | undefined): Promise<HeldRecords>;
  /**
   * Deletes the person's partition and the enquiries it references. The profile is first marked with
   * `erasedAt` (the MailChimp sync's signal to delete the member permanently) and deleted last.
   */
  erase(contactId: string, now: Date): Promise<Record<ErasedKind, number>>;
  /** Sets (or leaves) name, phone, company and email in the fields of the person's enquiries. */
  rectifyEnquiries(
    contactId: string,
    changes: { readonly [field in 'name' | 'phone' | 'company' | 'email']?: string | undefined },
  ): Promise<number>;
}
