/**
 * A contact's address changes (MailChimp's `upemail`). Contact ids are keyed hashes of the address, so the
 * contact is re-created under the new address's id, with its permissions and history. This decides what
 * arrives there; the repository copies and deletes. Pure.
 *
 * Never more mailable than before: the old address's suppression entry follows the person (the new
 * address's entry becomes the union of both), every topic suppressed there arrives withdrawn, and a live
 * contact already at the new address is never merged with the moving one.
 */
import {
  ALL_TOPICS,
  type EventSource,
  type HistoryEventType,
  isSuppressed,
  NO_SUPPRESSION,
  type Suppression,
} from './consent.ts';
import type { ConsentEvent, ContactSnapshot, TopicPermission } from './contact-change.ts';
import { expiryFor } from './retention.ts';
import type { RetentionPolicy } from './settings.ts';

/**
 * An event of a contact's history; `address_changed` names no address, old or new, and
 * `details_rectified` names the fields corrected (`fields`), never their values.
 */
export type HistoryEvent = Omit<ConsentEvent, 'type'> & {
  readonly type: HistoryEventType;
  readonly fields?: readonly string[] | undefined;
};

export interface MovedTopic {
  readonly permission: TopicPermission;
  /** Withdrawn by the move because the new address is suppressed for it: MailChimp must hear of it. */
  readonly withdrawnByMove: boolean;
}

export interface ContactMovePlan {
  /** Every permission of the contact, as it is to be written under the new id. */
  readonly topics: readonly MovedTopic[];
  /** Appended to the moved history: `address_changed`, then any withdrawal the move made. */
  readonly events: readonly HistoryEvent[];
  /** The new address's suppression entry to write; `undefined` leaves it as it is. */
  readonly suppression: Suppression | undefined;
  readonly contactExpiresAt: number;
}

export type EmailChangeDecision =
  /** Nothing held that the change concerns. */
  | { readonly kind: 'nothing' }
  /** Nothing to move, but the old address's suppression must follow the person to the new one. */
  | { readonly kind: 'suppress'; readonly suppression: Suppression }
  /**
   * Both addresses hold a live contact. They are not merged: the one at the new address is left as it is,
   * and the one at the old address (an address MailChimp no longer holds) withdraws from everything.
   */
  | { readonly kind: 'address_in_use' }
  | { readonly kind: 'move'; readonly plan: ContactMovePlan };

export interface MoveContext {
  readonly now: Date;
  readonly retention: RetentionPolicy;
  /** Why topics the new address is suppressed for were withdrawn, e.g. `mailchimp_upemail:suppressed`. */
  readonly reason: string;
  readonly newEventId: () => string;
  /** Who moved the contact: MailChimp (`upemail`, the default) or staff correcting the address. */
  readonly by?:
    | { readonly source: EventSource; readonly actor: string; readonly method?: string }
    | undefined;
}

/** `from` and `to` are the old and new address's snapshots, each with its own suppression entry. */
export function decideEmailChange(
  from: ContactSnapshot,
  to: ContactSnapshot,
  context: MoveContext,
): EmailChangeDecision {
  const suppression = unionOf(from.suppression, to.suppression);
  if (!from.contact) {
    if (to.contact || sameSuppression(to.suppression, suppression)) return { kind: 'nothing' };
    return { kind: 'suppress', suppression };
  }
  if (to.contact) return { kind: 'address_in_use' };
  return {
    kind: 'move',
    plan: planMove(from, suppression, !sameSuppression(to.suppression, suppression), context),
  };
}

function planMove(
  from: ContactSnapshot,
  suppression: Suppression,
  suppressionChanged: boolean,
  context: MoveContext,
): ContactMovePlan {
  const at = context.now.toISOString();
  const epoch = from.contact?.epoch ?? 0;
  const recordExpiresAt = expiryFor('consentRecord', context.now, context.retention);
  const event = (type: HistoryEventType, topic: string, permissionEpoch: number): HistoryEvent => ({
    eventId: context.newEventId(),
    type,
    at,
    topic,
    source: context.by?.source ?? 'mailchimp',
    actor: context.by?.actor ?? 'mailchimp',
    formId: undefined,
    page: undefined,
    method: context.by?.method,
    statement: undefined,
    reason: type === 'withdrawn' ? context.reason : undefined,
    liftedSuppression: false,
    epoch: permissionEpoch,
    expiresAt: recordExpiresAt,
  });

  const moved = [...from.topics.values()].map((permission): MovedTopic => {
    const withdraws = permission.status !== 'withdrawn' && isSuppressed(suppression, permission.topic);
    return {
      permission: withdraws ? { ...permission, status: 'withdrawn', since: at } : permission,
      withdrawnByMove: withdraws,
    };
  });
  const withdrawn = moved.filter((topic) => topic.withdrawnByMove).map((topic) => topic.permission);
  const events: HistoryEvent[] = [event('address_changed', ALL_TOPICS, epoch)];
  if (withdrawn.length > 0 && suppression.all) events.push(event('withdrawn', ALL_TOPICS, epoch));
  else for (const topic of withdrawn) events.push(event('withdrawn', topic.topic, topic.epoch));

  const live = moved.filter((topic) => topic.permission.status !== 'withdrawn');
  const contactExpiresAt =
    live.length > 0
      ? Math.max(...live.map((topic) => topic.permission.expiresAt))
      : expiryFor('withdrawn', context.now, context.retention);
  // As for any change: a withdrawal is remembered for as long as anything about the person is.
  const topics = moved.map((topic) =>
    topic.permission.status === 'withdrawn' && topic.permission.expiresAt !== contactExpiresAt
      ? { ...topic, permission: { ...topic.permission, expiresAt: contactExpiresAt } }
      : topic,
  );
  return {
    topics,
    events,
    suppression: suppressionChanged ? suppression : undefined,
    contactExpiresAt,
  };
}

function unionOf(a: Suppression | undefined, b: Suppression | undefined): Suppression {
  const first = a ?? NO_SUPPRESSION;
  const second = b ?? NO_SUPPRESSION;
  if (first.all || second.all) return { all: true, topics: new Set() };
  return { all: false, topics: new Set([...first.topics, ...second.topics]) };
}

function sameSuppression(read: Suppression | undefined, next: Suppression): boolean {
  const before = read ?? NO_SUPPRESSION;
  if (before.all || next.all) return before.all === next.all;
  return before.topics.size === next.topics.size && [...next.topics].every((t) => before.topics.has(t));
}
