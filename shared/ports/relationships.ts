/** Business contacts held for the relationship: recorded on the person's profile, never as a permission. */
import type { Relationship } from '../domain/relationship.ts';

export interface RelationshipRecord {
  readonly now: Date;
  readonly contactId: string;
  readonly email: string;
  readonly name: string | undefined;
  readonly relationship: Relationship;
  /** Epoch seconds: the profile is kept at least this long (a later marketing permission may keep it longer). */
  readonly expiresAt: number;
}

export interface RelationshipStore {
  /** Creates the profile, or records the relationship on the live one; `created` says which. */
  record(record: RelationshipRecord): Promise<{ readonly created: boolean }>;
  /** The relationship held on a live profile, if any. */
  read(contactId: string, now: Date): Promise<Relationship | undefined>;
  /** Corrects details held with the relationship (rectification); `false` when there is none. */
  correct(
    contactId: string,
    details: Readonly<Partial<Record<'phone' | 'company', string>>>,
    now: Date,
  ): Promise<boolean>;
  /** Ends the relationship (an objection); `false` when there was none. */
  end(contactId: string, now: Date): Promise<boolean>;
}
