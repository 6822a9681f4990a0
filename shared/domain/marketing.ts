/**
 * Marketing permission captured with an enquiry: given what we already hold for the address, what changes
 * and which consent events record it. Pure: the caller reads the current state and writes the decision.
 *
 * Rules (PRODUCT.md §3):
 * - express consent needs a positive action and lifts a suppression (the event says so);
 * - soft opt-in never overrides a suppression, a withdrawal or an existing express consent;
 * - taking the opt-out offered at collection is a refusal of marketing: every live permission is withdrawn
 *   and the address is suppressed, so a later sale cannot re-add it.
 */
import type { MarketingStatement, RetentionConfig } from '../config/schema.ts';
import type { MarketingIntent } from './enquiry.ts';
import { statementHash } from './hashing.ts';
import { expiryFor, isExpired } from './retention.ts';

export type TopicStatus = 'pending' | 'consent' | 'soft_opt_in' | 'withdrawn';
export type MailableBasis = 'consent' | 'soft_opt_in';

export interface TopicPermission {
  readonly topic: string;
  readonly status: TopicStatus;
  /** When the current status began. */
  readonly since: string;
  readonly formId: string;
  readonly statementVersion: string | undefined;
  readonly expiresAt: number;
}

/** What we hold for an address before the enquiry; expired items must already be left out. */
export interface MarketingSnapshot {
  readonly contact: { readonly version: number; readonly createdAt: string } | undefined;
  readonly topics: ReadonlyMap<string, TopicPermission>;
  readonly suppressed: boolean;
}

export type ConsentEventType = 'consent_given' | 'soft_opt_in_granted' | 'withdrawn';

export interface ConsentEvent {
  readonly eventId: string;
  readonly type: ConsentEventType;
  readonly at: string;
  readonly topic: string;
  readonly source: 'form';
  readonly formId: string;
  /** The page the form was on (origin and path only). */
  readonly page: string | undefined;
  readonly method: 'html_form' | 'json';
  readonly statement: { readonly version: string; readonly hash: string } | undefined;
  readonly reason: 'refused_at_collection' | undefined;
  readonly liftedSuppression: boolean;
  readonly expiresAt: number;
}

export interface MarketingDecision {
  /** Topic permissions to write (full items). */
  readonly topics: readonly TopicPermission[];
  readonly events: readonly ConsentEvent[];
  /** The contact's expiry after the change: the latest of its permissions. */
  readonly contactExpiresAt: number;
  readonly suppression: 'lift' | 'add' | 'keep';
  /** Soft opt-in depends on the address not being suppressed at write time. */
  readonly requiresNoSuppression: boolean;
  /** The statement the events refer to, stored once by hash. */
  readonly statement: (MarketingStatement & { readonly hash: string }) | undefined;
  /** Soft opt-in was asked for and refused by a suppression or withdrawal (counted, never logged with data). */
  readonly softOptInBlocked: boolean;
}

export interface DecisionContext {
  readonly now: Date;
  readonly retention: RetentionConfig;
  readonly formId: string;
  readonly page: string | undefined;
  readonly method: 'html_form' | 'json';
  readonly newEventId: () => string;
}

const MAILABLE: ReadonlySet<TopicStatus> = new Set(['consent', 'soft_opt_in']);

export function isMailable(status: TopicStatus): status is MailableBasis {
  return MAILABLE.has(status);
}

/** `undefined` when the enquiry changes nothing about marketing and the contact need not be touched. */
export function decideMarketing(
  intent: MarketingIntent,
  snapshot: MarketingSnapshot,
  context: DecisionContext,
): MarketingDecision | undefined {
  if (intent.kind === 'none') return undefined;
  const at = context.now.toISOString();
  const statement = { ...intent.statement, hash: statementHash(intent.statement.text) };
  const eventBase = {
    at,
    source: 'form' as const,
    formId: context.formId,
    page: context.page,
    method: context.method,
    expiresAt: expiryFor('consentRecord', context.now, context.retention),
  };
  const permission = (topic: string, status: TopicStatus, since: string): TopicPermission => ({
    topic,
    status,
    since,
    formId: context.formId,
    statementVersion: status === 'withdrawn' ? undefined : statement.version,
    expiresAt: expiryFor(status, context.now, context.retention),
  });

  const writes: TopicPermission[] = [];
  const events: ConsentEvent[] = [];
  let suppression: MarketingDecision['suppression'] = 'keep';
  let softOptInBlocked = false;

  switch (intent.kind) {
    case 'express_consent': {
      if (snapshot.suppressed) suppression = 'lift';
      for (const topic of intent.topics) {
        writes.push(permission(topic, 'consent', at));
        events.push({
          ...eventBase,
          eventId: context.newEventId(),
          type: 'consent_given',
          topic,
          statement: { version: statement.version, hash: statement.hash },
          reason: undefined,
          liftedSuppression: suppression === 'lift',
        });
      }
      break;
    }
    case 'soft_opt_in': {
      for (const topic of intent.topics) {
        const current = snapshot.topics.get(topic);
        if (snapshot.suppressed || current?.status === 'withdrawn') {
          softOptInBlocked = true;
          continue;
        }
        if (current?.status === 'consent') {
          // The stronger basis stays; this enquiry is a fresh interaction, so it lives on from today.
          writes.push({
            ...current,
            expiresAt: Math.max(current.expiresAt, expiryFor('consent', context.now, context.retention)),
          });
          continue;
        }
        writes.push(permission(topic, 'soft_opt_in', current?.status === 'soft_opt_in' ? current.since : at));
        events.push({
          ...eventBase,
          eventId: context.newEventId(),
          type: 'soft_opt_in_granted',
          topic,
          statement: { version: statement.version, hash: statement.hash },
          reason: undefined,
          liftedSuppression: false,
        });
      }
      break;
    }
    case 'refusal': {
      if (!snapshot.suppressed) suppression = 'add';
      for (const current of snapshot.topics.values()) {
        if (current.status === 'withdrawn') continue;
        writes.push(permission(current.topic, 'withdrawn', at));
        events.push({
          ...eventBase,
          eventId: context.newEventId(),
          type: 'withdrawn',
          topic: current.topic,
          statement: { version: statement.version, hash: statement.hash },
          reason: 'refused_at_collection',
          liftedSuppression: false,
        });
      }
      break;
    }
  }

  if (writes.length === 0 && suppression === 'keep') {
    return softOptInBlocked ? { ...emptyDecision(snapshot, context.now), softOptInBlocked } : undefined;
  }
  const after = new Map(snapshot.topics);
  for (const write of writes) after.set(write.topic, write);
  const contactExpiresAt = contactExpiry(after, context);
  // A withdrawal must be remembered for as long as anything about the person is: it is what stops a
  // later soft opt-in for that topic.
  for (const topic of after.values()) {
    if (topic.status === 'withdrawn' && topic.expiresAt < contactExpiresAt) {
      after.set(topic.topic, { ...topic, expiresAt: contactExpiresAt });
    }
  }
  const changed = [...after.values()].filter((topic) => snapshot.topics.get(topic.topic) !== topic);
  return {
    topics: changed,
    events,
    contactExpiresAt,
    suppression,
    requiresNoSuppression: intent.kind === 'soft_opt_in' && writes.length > 0,
    statement: events.length > 0 ? statement : undefined,
    softOptInBlocked,
  };
}

function emptyDecision(snapshot: MarketingSnapshot, now: Date): MarketingDecision {
  const live = [...snapshot.topics.values()].filter((topic) => !isExpired(topic.expiresAt, now));
  return {
    topics: [],
    events: [],
    contactExpiresAt: Math.max(0, ...live.map((topic) => topic.expiresAt)),
    suppression: 'keep',
    requiresNoSuppression: false,
    statement: undefined,
    softOptInBlocked: false,
  };
}

/**
 * A contact lives as long as its longest-lived permission. Once nothing is mailable it is kept only
 * briefly (`withdrawnDays`); the suppression entry, holding no readable address, is what remains.
 */
function contactExpiry(topics: ReadonlyMap<string, TopicPermission>, context: DecisionContext): number {
  const mailable = [...topics.values()].filter((topic) => topic.status !== 'withdrawn');
  if (mailable.length === 0) return expiryFor('withdrawn', context.now, context.retention);
  return Math.max(...mailable.map((topic) => topic.expiresAt));
}
