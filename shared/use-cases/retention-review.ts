/**
 * The retention review (`GET /review?withinDays=N`, privacy): who may be emailed now but lapses within N
 * days unless they interact again, and why they are held (the basis and the last interaction it runs from).
 * Topic by topic from the list index, a page at a time, behind a signed cursor bound to N; audited like
 * every staff read of personal data.
 */
import type { MailableStatus } from '../domain/consent.ts';
import type { FieldErrors } from '../domain/enquiry.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { addDays, addMonths } from '../domain/retention.ts';
import type { ListPosition } from '../ports/staff-reads.ts';
import {
  type ListResult,
  PAGE_LIMITS,
  recordStaffAudit,
  type StaffDeps,
  type StaffRequest,
} from './staff-api.ts';

export interface ReviewRow {
  readonly contactId: string;
  readonly email: string;
  readonly name: string | undefined;
  readonly topic: string;
  readonly basis: MailableStatus;
  /** When this permission began. */
  readonly since: string;
  /** The interaction its retention runs from (the permission's expiry less the basis's period). */
  readonly lastInteraction: string;
  readonly expiresAt: string;
  readonly why: string;
}

/** Three years: beyond the longest default retention (24 months), so a review can see everyone. */
const MAX_DAYS = 1096;
/** The topic a cursor resumes in, kept beside the list position (which only the adapter can read). */
const TOPIC = 'reviewTopic';

export async function reviewExpiring(
  deps: StaffDeps,
  request: StaffRequest,
  query: { readonly withinDays?: string; readonly limit?: string; readonly cursor?: string },
): Promise<ListResult<ReviewRow>> {
  const errors: FieldErrors = {};
  const days = wholeNumber(query.withinDays ?? '30', 1, MAX_DAYS);
  if (days === undefined) errors.withinDays = 'invalid';
  const bounds = PAGE_LIMITS.json;
  const limit = query.limit === undefined ? bounds.default : wholeNumber(query.limit, 1, bounds.max);
  if (limit === undefined) errors.limit = 'invalid';
  if (days === undefined || limit === undefined) throw new InvalidInputError(errors);

  const now = deps.clock();
  const scope = `review|${days}`;
  const topics = deps.config.topics.map((topic) => topic.id);
  let topicIndex = 0;
  let after: ListPosition | undefined;
  if (query.cursor !== undefined) {
    const position = await deps.cursors.open(query.cursor, scope, now);
    const resumed = position && resume(position, topics);
    if (!resumed) throw new InvalidInputError({ cursor: 'invalid' });
    ({ topicIndex, after } = resumed);
  }
  const topic = topics[topicIndex] ?? '';
  const page = await deps.reads.listExpiring({ topic, until: addDays(now, days), limit, after, now });
  const retention = deps.config.retention;
  const items = page.items.map((item): ReviewRow => {
    const months = item.basis === 'consent' ? retention.consentMonths : retention.softOptInMonths;
    const expiresAt = new Date(item.expiresAt * 1000);
    return {
      contactId: item.contactId,
      email: item.email,
      name: item.name,
      topic: item.topic,
      basis: item.basis,
      since: item.since,
      lastInteraction: addMonths(expiresAt, -months).toISOString(),
      expiresAt: expiresAt.toISOString(),
      why:
        item.basis === 'consent'
          ? `express consent, kept ${months} months after the last interaction`
          : `soft opt-in (PECR reg 22), kept ${months} months after the last interaction`,
    };
  });
  // Within the topic, or at the start of the next one.
  const nextTopic = topics[topicIndex + 1];
  const next: ListPosition | undefined = page.next
    ? { ...page.next, [TOPIC]: topic }
    : nextTopic !== undefined
      ? { [TOPIC]: nextTopic }
      : undefined;
  await recordStaffAudit(deps, request, {
    filter: { withinDays: days, topic, limit, cursor: query.cursor !== undefined },
    rows: items.length,
  });
  return { items, next: next ? await deps.cursors.sign(scope, next, now) : null };
}

/** Which topic a cursor resumes in, and where in its list (nowhere yet: from its start). */
function resume(
  position: ListPosition,
  topics: readonly string[],
): { topicIndex: number; after: ListPosition | undefined } | undefined {
  const { [TOPIC]: topic, ...rest } = position;
  const topicIndex = topic === undefined ? -1 : topics.indexOf(topic);
  if (topicIndex < 0) return undefined;
  return { topicIndex, after: Object.keys(rest).length > 0 ? rest : undefined };
}

function wholeNumber(text: string, min: number, max: number): number | undefined {
  if (!/^\d{1,6}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}
