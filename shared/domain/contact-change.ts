/**
 * Turns requested consent events (from a form, a link, the preference centre…) into the change to write:
 * the topic permissions, one append-only event per accepted transition, the suppression entry and the
 * contact's new expiry. Pure: the caller reads the current state and writes the result atomically.
 */
import {
  ALL_TOPICS,
  apply,
  type ConsentEventType,
  type ConsentState,
  type EventSource,
  isMailable,
  isSuppressed,
  outcomeOf,
  type Suppression,
  type TopicStatus,
} from './consent.ts';
import { statementHash } from './hashing.ts';
import { expiryFor, toEpochSeconds } from './retention.ts';
import type { MarketingStatement, RetentionPolicy } from './settings.ts';

export interface TopicPermission {
  readonly topic: string;
  readonly status: TopicStatus;
  /** When the current status began. */
  readonly since: string;
  readonly formId: string | undefined;
  readonly statementVersion: string | undefined;
  /** The contact's subscription epoch when this permission was last granted; links act only up to theirs. */
  readonly epoch: number;
  readonly expiresAt: number;
}

/** What we hold for an address; expired items must already be left out. */
export interface ContactSnapshot {
  readonly contact:
    | {
        readonly version: number;
        readonly epoch: number;
        /**
         * Processing restricted (UK GDPR Art. 18): permissions are still recorded but none is listed or
         * synced until the restriction is lifted.
         */
        readonly restricted?: boolean;
      }
    | undefined;
  readonly topics: ReadonlyMap<string, TopicPermission>;
  readonly suppression: (Suppression & { readonly version: number }) | undefined;
}

export interface ConsentEvent {
  readonly eventId: string;
  readonly type: ConsentEventType;
  readonly at: string;
  /** A topic id, or `*` for a withdrawal from everything. */
  readonly topic: string;
  readonly source: EventSource;
  /** Who acted: the visitor, the holder of an emailed link, a staff user id, MailChimp. */
  readonly actor: string;
  readonly formId: string | undefined;
  /** The page the form was on (origin and path only). */
  readonly page: string | undefined;
  readonly method: string | undefined;
  readonly statement: { readonly version: string; readonly hash: string } | undefined;
  readonly reason: string | undefined;
  readonly liftedSuppression: boolean;
  readonly epoch: number;
  readonly expiresAt: number;
}

export interface RequestedEvent {
  readonly type: ConsentEventType;
  readonly topic: string;
}

export interface ChangeContext {
  readonly now: Date;
  readonly retention: RetentionPolicy;
  /** Every topic the deployment offers: lifting one topic out of "all" keeps the others suppressed. */
  readonly allTopics: readonly string[];
  readonly source: EventSource;
  readonly actor: string;
  readonly formId?: string | undefined;
  readonly page?: string | undefined;
  readonly method?: string | undefined;
  /** What the person was told, for grants. */
  readonly statement?: MarketingStatement | undefined;
  readonly reason?: string | undefined;
  /**
   * Grants made through an emailed link keep that link's epoch, so the same link can undo them; without
   * it, a grant starts a new epoch and older links cannot touch it.
   */
  readonly linkEpoch?: number | undefined;
  readonly newEventId: () => string;
}

export interface ContactChange {
  /** Topic permissions to write (full items); empty when no contact is to be kept. */
  readonly topics: readonly TopicPermission[];
  readonly events: readonly ConsentEvent[];
  /** The suppression entry to write, or `undefined` to leave it as it is. */
  readonly suppression: Suppression | undefined;
  /** Write (or create) the contact: false when nothing about the person is to be kept. */
  readonly writesContact: boolean;
  readonly contactEpoch: number;
  readonly contactExpiresAt: number;
  readonly statement: (MarketingStatement & { readonly hash: string }) | undefined;
  /** Requests refused by the rules (e.g. soft opt-in after a withdrawal); counted, never an error. */
  readonly refused: number;
  /** Grants that check the suppression entry has not appeared since it was read. */
  readonly requiresUnchangedSuppression: boolean;
}

const GRANTS: ReadonlySet<ConsentEventType> = new Set([
  'consent_requested',
  'consent_confirmed',
  'consent_given',
  'soft_opt_in_granted',
]);
/** Confirming completes an earlier request: the links sent with that request must still cover it. */
const NEW_EPOCH: ReadonlySet<ConsentEventType> = new Set([
  'consent_requested',
  'consent_given',
  'soft_opt_in_granted',
]);

export function decideChange(
  snapshot: ContactSnapshot,
  requests: readonly RequestedEvent[],
  context: ChangeContext,
): ContactChange {
  const at = context.now.toISOString();
  const statement = context.statement
    ? { ...context.statement, hash: statementHash(context.statement.text) }
    : undefined;
  const epochBefore = snapshot.contact?.epoch ?? 0;
  const grantEpoch = context.linkEpoch ?? epochBefore + 1;
  let state: ConsentState = {
    topics: new Map([...snapshot.topics].map(([topic, permission]) => [topic, permission.status])),
    suppression: snapshot.suppression ?? { all: false, topics: new Set() },
  };
  const permissions = new Map(snapshot.topics);
  const events: ConsentEvent[] = [];
  let refused = 0;
  let granted = false;

  for (const request of requests) {
    const before = state;
    const next = apply(state, request, context.allTopics);
    if (!next) {
      const status = state.topics.get(request.topic) ?? 'none';
      const outcome = outcomeOf(status, request.type, isSuppressed(state.suppression, request.topic));
      if (outcome.kind === 'refused') refused++;
      else if (GRANTS.has(request.type) && isMailable(status)) {
        // Nothing to record, but a fresh interaction: the permission lives on from today.
        const current = permissions.get(request.topic);
        if (current) permissions.set(request.topic, renewed(current, context));
      }
      continue;
    }
    state = next;
    const isGrant = GRANTS.has(request.type);
    const startsEpoch = NEW_EPOCH.has(request.type) && context.linkEpoch === undefined;
    granted ||= startsEpoch;
    for (const [topic, status] of next.topics) {
      // The requested topic is rewritten even when its status stays (a renewed grant starts a new term).
      if (before.topics.get(topic) === status && topic !== request.topic) continue;
      const previous = permissions.get(topic);
      permissions.set(topic, {
        topic,
        status,
        since: previous?.status === status ? previous.since : at,
        formId: context.formId ?? previous?.formId,
        statementVersion: isGrant ? statement?.version : previous?.statementVersion,
        epoch:
          startsEpoch || (isGrant && context.linkEpoch !== undefined)
            ? grantEpoch
            : (previous?.epoch ?? epochBefore),
        expiresAt:
          status === 'withdrawn'
            ? 0
            : expiryFor(status === 'none' ? 'withdrawn' : status, context.now, context.retention),
      });
    }
    const lifted =
      isGrant &&
      isSuppressed(before.suppression, request.topic) &&
      !isSuppressed(next.suppression, request.topic);
    events.push({
      eventId: context.newEventId(),
      type: request.type,
      at,
      topic: request.topic,
      source: context.source,
      actor: context.actor,
      formId: context.formId,
      page: context.page,
      method: context.method,
      statement: isGrant && statement ? { version: statement.version, hash: statement.hash } : undefined,
      reason: request.type === 'withdrawn' ? context.reason : undefined,
      liftedSuppression: lifted,
      epoch: startsEpoch ? grantEpoch : (permissions.get(request.topic)?.epoch ?? epochBefore),
      expiresAt: expiryFor('consentRecord', context.now, context.retention),
    });
  }

  const live = [...permissions.values()].filter((permission) => permission.status !== 'withdrawn');
  const contactExpiresAt =
    live.length > 0
      ? Math.max(...live.map((permission) => permission.expiresAt))
      : expiryFor('withdrawn', context.now, context.retention);
  // A withdrawal is remembered for as long as anything about the person is: it stops a later soft opt-in.
  for (const permission of permissions.values()) {
    if (permission.status === 'withdrawn' && permission.expiresAt !== contactExpiresAt) {
      permissions.set(permission.topic, { ...permission, expiresAt: contactExpiresAt });
    }
  }
  const changedTopics = [...permissions.values()].filter(
    (permission) => snapshot.topics.get(permission.topic) !== permission,
  );
  const suppressionChanged = !sameSuppression(snapshot.suppression, state.suppression);
  // Someone we hold nothing on, who is not now giving permission, is kept only as a suppression entry.
  const writesContact =
    snapshot.contact !== undefined ? changedTopics.length > 0 || events.length > 0 : live.length > 0;

  return {
    topics: writesContact ? changedTopics : [],
    events: writesContact ? events : [],
    suppression: suppressionChanged ? state.suppression : undefined,
    writesContact,
    contactEpoch: granted ? grantEpoch : epochBefore,
    contactExpiresAt,
    statement: writesContact && events.some((event) => event.statement) ? statement : undefined,
    refused,
    requiresUnchangedSuppression: events.some((event) => GRANTS.has(event.type)),
  };
}

function renewed(permission: TopicPermission, context: ChangeContext): TopicPermission {
  const expiresAt = expiryFor(
    isMailable(permission.status) ? permission.status : 'withdrawn',
    context.now,
    context.retention,
  );
  return expiresAt > permission.expiresAt ? { ...permission, expiresAt } : permission;
}

function sameSuppression(before: Suppression | undefined, after: Suppression): boolean {
  if (!before) return !after.all && after.topics.size === 0;
  return (
    before.all === after.all &&
    before.topics.size === after.topics.size &&
    [...after.topics].every((t) => before.topics.has(t))
  );
}

export { ALL_TOPICS };

/** Writes only the suppression entry: no contact is created or touched. */
export function suppressionOnlyChange(suppression: ContactChange['suppression'], now: Date): ContactChange {
  return {
    topics: [],
    events: [],
    suppression,
    writesContact: false,
    contactEpoch: 0,
    contactExpiresAt: toEpochSeconds(now),
    statement: undefined,
    refused: 0,
    requiresUnchangedSuppression: false,
  };
}
