/**
 * What MailChimp should hold for a person, derived from their topic permissions alone, so the sync can
 * converge on it however many times a change is replayed.
 */
import { isMailable, type TopicStatus } from './consent.ts';

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
