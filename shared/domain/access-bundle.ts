/**
 * The access and portability bundle (UK GDPR Art. 15 and 20): one machine-readable JSON document of
 * everything held about an address — the person's details, every topic with its basis and expiry, the
 * whole consent history with the exact statement texts, the enquiries as stored, the suppression state,
 * what MailChimp was last sent, who receives the data, and when each item will be deleted. Pure: the
 * caller gathers the items (expired-but-not-yet-deleted ones included) and passes them in.
 */

import type { Relationship } from './relationship.ts';

export const ACCESS_BUNDLE_SCHEMA = 'consent-desk/access-bundle/v1';

/** Who the data goes to, as processors: named in every bundle. */
export interface Recipient {
  readonly name: string;
  readonly role: string;
  readonly purpose: string;
}

export interface HeldTopic {
  readonly topic: string;
  readonly status: string;
  readonly since: string;
  readonly formId: string | undefined;
  readonly statementVersion: string | undefined;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export interface HeldEvent {
  readonly at: string;
  readonly type: string;
  readonly topic: string;
  readonly source: string;
  readonly formId: string | undefined;
  readonly page: string | undefined;
  readonly method: string | undefined;
  readonly statementVersion: string | undefined;
  readonly statementHash: string | undefined;
  /** The exact text shown, looked up by its hash. */
  readonly statementText: string | undefined;
  readonly reason: string | undefined;
  /** The fields a correction changed (never their values). */
  readonly fields?: readonly string[] | undefined;
  readonly expiresAt: number;
}

export interface HeldEnquiry {
  readonly enquiryId: string;
  readonly formId: string;
  readonly receivedAt: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly expiresAt: number;
}

export interface HeldData {
  readonly email: string;
  readonly contact:
    | {
        readonly contactId: string;
        readonly name: string | undefined;
        readonly restricted: boolean;
        readonly expiresAt: number | undefined;
        readonly relationship?: Relationship | undefined;
      }
    | undefined;
  readonly topics: readonly HeldTopic[];
  readonly history: readonly HeldEvent[];
  readonly enquiries: readonly HeldEnquiry[];
  readonly suppression:
    | { readonly all: boolean; readonly topics: readonly string[]; readonly reason: string | undefined }
    | undefined;
  /** What the sync last sent MailChimp for this person, when the deployment uses MailChimp. */
  readonly mailchimp: { readonly status: string; readonly tags: readonly string[] } | undefined;
}

export interface AccessBundle {
  readonly schema: typeof ACCESS_BUNDLE_SCHEMA;
  readonly generatedAt: string;
  readonly controller: string;
  readonly subject: { readonly email: string; readonly name: string | null };
  readonly restricted: boolean;
  /** Held as a business contact (legitimate interest or contract), with the details kept for it. */
  readonly relationship: Relationship | null;
  readonly topics: readonly (Omit<HeldTopic, 'expiresAt'> & Deletion)[];
  readonly consentHistory: readonly (Omit<HeldEvent, 'expiresAt'> & Deletion)[];
  readonly enquiries: readonly (Omit<HeldEnquiry, 'expiresAt'> & Deletion)[];
  readonly suppression: {
    readonly suppressed: boolean;
    readonly allTopics: boolean;
    readonly topics: readonly string[];
    readonly reason: string | null;
    readonly note: string;
  };
  readonly mailchimp: { readonly status: string; readonly tags: readonly string[] } | null;
  readonly recipients: readonly Recipient[];
  readonly deletion: { readonly profileDeletedAt: string | null; readonly note: string };
}

/** When an item will be deleted, and whether that time has passed (it is deleted within days). */
interface Deletion {
  readonly deletedAt: string;
  readonly expired: boolean;
}

function deletion(expiresAt: number, now: Date): Deletion {
  return { deletedAt: new Date(expiresAt * 1000).toISOString(), expired: expiresAt * 1000 <= now.getTime() };
}

export function buildAccessBundle(
  held: HeldData,
  context: { readonly now: Date; readonly controller: string; readonly recipients: readonly Recipient[] },
): AccessBundle {
  const { now } = context;
  return {
    schema: ACCESS_BUNDLE_SCHEMA,
    generatedAt: now.toISOString(),
    controller: context.controller,
    subject: { email: held.email, name: held.contact?.name ?? null },
    restricted: held.contact?.restricted ?? false,
    relationship: held.contact?.relationship ?? null,
    topics: held.topics.map(({ expiresAt, ...topic }) => ({ ...topic, ...deletion(expiresAt, now) })),
    consentHistory: [...held.history]
      .sort((a, b) => a.at.localeCompare(b.at))
      .map(({ expiresAt, ...event }) => ({ ...event, ...deletion(expiresAt, now) })),
    enquiries: [...held.enquiries]
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))
      .map(({ expiresAt, ...enquiry }) => ({ ...enquiry, ...deletion(expiresAt, now) })),
    suppression: {
      suppressed:
        held.suppression !== undefined && (held.suppression.all || held.suppression.topics.length > 0),
      allTopics: held.suppression?.all ?? false,
      topics: [...(held.suppression?.topics ?? [])],
      reason: held.suppression?.reason ?? null,
      note: 'A suppression entry keeps only a keyed hash of the address, so that it is never added again.',
    },
    mailchimp: held.mailchimp ? { status: held.mailchimp.status, tags: [...held.mailchimp.tags] } : null,
    recipients: context.recipients,
    deletion: {
      profileDeletedAt:
        held.contact?.expiresAt !== undefined ? new Date(held.contact.expiresAt * 1000).toISOString() : null,
      note: 'Items are deleted automatically at their deletion time, or at once on an erasure request.',
    },
  };
}
