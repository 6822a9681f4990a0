/**
 * The receipt an erasure leaves behind: what was deleted (counts per kind), when, what became of the
 * MailChimp member, and the day after which no backup holds the data. It names no person: the request it
 * answers is found by its id, and the address survives only as the suppression entry's keyed hash.
 */
import { addDays } from './retention.ts';

export const ERASED_KINDS = [
  'contact',
  'topics',
  'consentEvents',
  'enquiries',
  'movedLinks',
  'deliveryMarkers',
  'unsentEmails',
] as const;
export type ErasedKind = (typeof ERASED_KINDS)[number];

/** `pending`: the sync deletes the member permanently and retries until MailChimp confirms. */
export type MailchimpErasure = 'pending' | 'deleted' | 'not_a_member' | 'not_used';

export interface ErasureReceipt {
  readonly requestId: string;
  readonly erasedAt: string;
  readonly deleted: Readonly<Record<ErasedKind, number>>;
  readonly mailchimp: MailchimpErasure;
  /** The address stays suppressed by its keyed hash, so no import, sync or soft opt-in re-adds it. */
  readonly suppressed: true;
  /** Point-in-time recovery keeps a copy this long; after this instant no backup holds the data. */
  readonly backupsClearAt: string;
}

export function erasureReceipt(input: {
  readonly requestId: string;
  readonly erasedAt: Date;
  readonly deleted: Partial<Record<ErasedKind, number>>;
  readonly mailchimp: MailchimpErasure;
  readonly backupRetentionDays: number;
}): ErasureReceipt {
  const deleted = Object.fromEntries(ERASED_KINDS.map((kind) => [kind, input.deleted[kind] ?? 0])) as Record<
    ErasedKind,
    number
  >;
  return {
    requestId: input.requestId,
    erasedAt: input.erasedAt.toISOString(),
    deleted,
    mailchimp: input.mailchimp,
    suppressed: true,
    backupsClearAt: addDays(input.erasedAt, input.backupRetentionDays).toISOString(),
  };
}
