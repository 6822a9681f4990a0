/**
 * What MailChimp should hold for a person, derived from their topic permissions alone, so the sync can
 * converge on it however many times a change is replayed.
 */
import {
  ALL_TOPICS,
  type EventSource,
  type HistoryEventType,
  isMailable,
  type TopicStatus,
} from './consent.ts';
import type { ContactSnapshot, RequestedEvent } from './contact-change.ts';
import { addMonths, UNTIL_WITHDRAWN } from './retention.ts';
import type { RetentionPolicy } from './settings.ts';

export interface MemberTagState {
  readonly name: string;
  readonly active: boolean;
}

export type DesiredMember =
  | { readonly kind: 'subscribed'; readonly tags: readonly MemberTagState[] }
  | { readonly kind: 'unsubscribed' };

export interface MemberConfig {
  readonly topics: readonly { readonly id: string }[];
}

/** Campaigns to soft opt-in people must offer the opt-out prominently; this tag lets them segment. */
export const SOFT_OPT_IN_TAG = 'soft-opt-in';

export function topicTag(topicId: string): string {
  return `topic:${topicId}`;
}

/**
 * Subscribed while any configured topic is mailable. Pending people are left out: our own double opt-in
 * confirms them, and MailChimp's `pending` would send MailChimp's confirmation email as well. Topics no
 * longer configured are ignored, since nothing could be sent about them.
 */
export function desiredMember(
  topics: ReadonlyMap<string, { readonly status: TopicStatus }>,
  config: MemberConfig,
): DesiredMember {
  const mailable = config.topics
    .map((topic) => ({ id: topic.id, status: topics.get(topic.id)?.status ?? 'none' }))
    .filter((topic) => isMailable(topic.status));
  if (mailable.length === 0) return { kind: 'unsubscribed' };
  const mailableIds = new Set(mailable.map((topic) => topic.id));
  return {
    kind: 'subscribed',
    tags: [
      ...config.topics.map((topic) => ({ name: topicTag(topic.id), active: mailableIds.has(topic.id) })),
      { name: SOFT_OPT_IN_TAG, active: mailable.every((topic) => topic.status === 'soft_opt_in') },
    ],
  };
}

/** What MailChimp holds for a member, as far as comparing it with our store goes. */
export interface HeldMember {
  readonly status: string;
  /** The names of the member's tags. */
  readonly tags: readonly string[];
}

/** Not mailable there: nothing to correct for someone we may not mail either. */
const NOT_SUBSCRIBED = new Set(['unsubscribed', 'cleaned', 'archived', 'transactional']);

/**
 * Whether MailChimp holds what our store calls for: a restricted contact is absent or archived there;
 * someone with nothing mailable is absent or not subscribed; someone mailable is subscribed (or pending,
 * waiting on MailChimp's own confirmation) with each topic tag on exactly when its permission is mailable.
 */
export function memberMatches(
  desired: DesiredMember,
  restricted: boolean,
  member: HeldMember | undefined,
): boolean {
  if (restricted) return member === undefined || member.status === 'archived';
  if (desired.kind === 'unsubscribed') return member === undefined || NOT_SUBSCRIBED.has(member.status);
  if (member?.status === 'pending') return true;
  if (member?.status !== 'subscribed') return false;
  return desired.tags.every((tag) => member.tags.includes(tag.name) === tag.active);
}

export interface MemberPermission {
  readonly status: TopicStatus;
  /** When the current status began (ISO). */
  readonly since: string;
  /** Epoch seconds; moved forward by every grant or renewal. */
  readonly expiresAt: number;
}

/**
 * The issue time of the preferences link a member carries: the person's latest grant or renewal of a mailable
 * permission, read back from its expiry, never the time of the sync. The same permissions therefore always
 * give the same link (a replayed stream batch sends an identical body), and a renewal issues a fresh link,
 * so it keeps working as long as the permission does. Undefined when nothing is mailable.
 */
export function preferencesLinkIssuedAt(
  topics: ReadonlyMap<string, MemberPermission>,
  retention: Pick<RetentionPolicy, 'consentMonths' | 'softOptInMonths'>,
  now: Date,
): Date | undefined {
  let latest: number | undefined;
  for (const permission of topics.values()) {
    if (!isMailable(permission.status)) continue;
    const months = permission.status === 'consent' ? retention.consentMonths : retention.softOptInMonths;
    const since = Date.parse(permission.since);
    // A permission kept until withdrawn never renews its expiry: its grant is when the status began.
    if (permission.expiresAt >= UNTIL_WITHDRAWN) {
      if (Number.isFinite(since)) latest = Math.max(latest ?? since, since);
      continue;
    }
    // Month arithmetic clamps the day, so going back lands on or just before the grant: never after it.
    const granted = addMonths(new Date(permission.expiresAt * 1000), -months).getTime();
    const at = Math.max(granted, Number.isFinite(since) ? since : granted);
    latest = Math.max(latest ?? at, at);
  }
  // A retention shortened since the grant would point past today, and a token issued in the future is refused.
  return latest === undefined ? undefined : new Date(Math.min(latest, now.getTime()));
}

/** Express consent: a positive action by the person, the only thing that may re-subscribe them. */
const EXPRESS_CONSENT: ReadonlySet<HistoryEventType> = new Set(['consent_given', 'consent_confirmed']);

export interface RecordedConsent {
  readonly type: HistoryEventType;
  readonly at: string;
  readonly source: EventSource;
}

/**
 * Whether the person gave express consent here after MailChimp last changed them (`lastChanged`, whole
 * seconds), e.g. ticked our form's box again after unsubscribing in a MailChimp email. MailChimp's time has
 * whole seconds, so a consent within the same second does not count: when in doubt, the refusal wins.
 * The one exception is no doubt at all: MailChimp's change in that second was our own withdrawal passed on
 * by the sync (one of ours is recorded in that second), and the consent came after it. A soft opt-in never
 * counts.
 */
export function expressConsentSince(events: readonly RecordedConsent[], lastChanged: string): boolean {
  const changedAt = Date.parse(lastChanged);
  if (!Number.isFinite(changedAt)) return false;
  const inThatSecond = (at: number) => at >= changedAt && at < changedAt + 1000;
  const ourWithdrawals = events
    .filter((event) => event.type === 'withdrawn' && event.source !== 'mailchimp')
    .map((event) => Date.parse(event.at))
    .filter(inThatSecond);
  return events.some((event) => {
    if (!EXPRESS_CONSENT.has(event.type) || event.source === 'mailchimp') return false;
    const at = Date.parse(event.at);
    return at >= changedAt + 1000 || (inThatSecond(at) && ourWithdrawals.some((withdrawn) => withdrawn < at));
  });
}

/**
 * The withdrawal MailChimp's "no" (its compliance state, or a forgotten address) stands for here, decided
 * on the contact as it is now. The sync saw the contact earlier: express consent or a consent request made
 * after `asOf` (MailChimp's change, whole seconds; else when the sync read the contact) is newer than
 * MailChimp's word, and is never withdrawn on it. Everything else is, each topic on its own then.
 */
export function withdrawalOnMailchimpWord(
  snapshot: ContactSnapshot,
  asOf: Date | undefined,
): RequestedEvent[] {
  const everything: RequestedEvent[] = [{ type: 'withdrawn', topic: ALL_TOPICS }];
  if (!asOf) return everything;
  const newer = (since: string) => Date.parse(since) >= asOf.getTime() + 1000;
  const held = [...snapshot.topics.values()];
  const kept = held.filter(
    (topic) => (topic.status === 'consent' || topic.status === 'pending') && newer(topic.since),
  );
  if (kept.length === 0) return everything;
  return held
    .filter((topic) => !kept.includes(topic) && topic.status !== 'withdrawn')
    .map((topic): RequestedEvent => ({ type: 'withdrawn', topic: topic.topic }));
}
