/**
 * The consent state machine. Per contact and per topic a permission is `none`, `pending` (double opt-in
 * asked, not yet confirmed), `consent`, `soft_opt_in` or `withdrawn`; per address a suppression entry
 * lists the topics (or `all`) that must never be re-granted except by a fresh express consent.
 *
 * Every accepted transition produces exactly one append-only event, and the current state is what
 * replaying those events gives (`replay`). `TRANSITIONS` is the rule table; docs/consent-model.md is
 * generated from it.
 */

export type TopicStatus = 'none' | 'pending' | 'consent' | 'soft_opt_in' | 'withdrawn';
export type MailableStatus = 'consent' | 'soft_opt_in';

export type ConsentEventType =
  /** A consent-mode form with double opt-in was ticked: confirmation still needed. */
  | 'consent_requested'
  /** The confirmation link was used. */
  | 'consent_confirmed'
  /** A positive, express action: a ticked box, a topic switched on in the preference centre. */
  | 'consent_given'
  /** PECR reg 22: a sale or negotiation, with the opt-out offered and not taken. */
  | 'soft_opt_in_granted'
  /** Unsubscribe, a topic switched off, an objection, or the opt-out taken at collection. */
  | 'withdrawn';

/** Where a change came from; `import`: staff imported an existing list, each row with its evidence. */
export type EventSource = 'form' | 'link' | 'preference_centre' | 'staff' | 'mailchimp' | 'import';

export type Outcome =
  | {
      readonly kind: 'moves';
      readonly to: TopicStatus;
      readonly liftsSuppression: boolean;
      readonly suppresses: boolean;
    }
  | { readonly kind: 'unchanged'; readonly why: string }
  | { readonly kind: 'refused'; readonly why: string };

const moves = (to: TopicStatus, effects: { lifts?: boolean; suppresses?: boolean } = {}): Outcome => ({
  kind: 'moves',
  to,
  liftsSuppression: effects.lifts ?? false,
  suppresses: effects.suppresses ?? false,
});
const unchanged = (why: string): Outcome => ({ kind: 'unchanged', why });
const refused = (why: string): Outcome => ({ kind: 'refused', why });

export const TOPIC_STATUSES: readonly TopicStatus[] = [
  'none',
  'pending',
  'consent',
  'soft_opt_in',
  'withdrawn',
];
export const EVENT_TYPES: readonly ConsentEventType[] = [
  'consent_requested',
  'consent_confirmed',
  'consent_given',
  'soft_opt_in_granted',
  'withdrawn',
];

const SUPPRESSED = refused('the topic is suppressed: only express consent can lift that');
const WITHDRAW = moves('withdrawn', { suppresses: true });

/**
 * What each event does to a topic in each status, for a topic that is not suppressed. On a suppressed
 * topic every grant except express consent (`consent_given`, `consent_confirmed`) is refused.
 */
export const TRANSITIONS: Readonly<Record<TopicStatus, Readonly<Record<ConsentEventType, Outcome>>>> = {
  none: {
    consent_requested: moves('pending'),
    consent_confirmed: refused('nothing is pending'),
    consent_given: moves('consent', { lifts: true }),
    soft_opt_in_granted: moves('soft_opt_in'),
    withdrawn: WITHDRAW,
  },
  pending: {
    consent_requested: moves('pending'),
    consent_confirmed: moves('consent', { lifts: true }),
    consent_given: moves('consent', { lifts: true }),
    soft_opt_in_granted: moves('soft_opt_in'),
    withdrawn: WITHDRAW,
  },
  consent: {
    consent_requested: unchanged('express consent is already held'),
    consent_confirmed: unchanged('already confirmed'),
    consent_given: moves('consent', { lifts: true }),
    soft_opt_in_granted: unchanged('express consent is the stronger basis'),
    withdrawn: WITHDRAW,
  },
  soft_opt_in: {
    // Recorded (a confirmation email goes out), but stays mailable under soft opt-in until confirmed.
    consent_requested: moves('soft_opt_in'),
    consent_confirmed: moves('consent', { lifts: true }),
    consent_given: moves('consent', { lifts: true }),
    soft_opt_in_granted: moves('soft_opt_in'),
    withdrawn: WITHDRAW,
  },
  withdrawn: {
    consent_requested: moves('pending'),
    consent_confirmed: refused('nothing is pending'),
    consent_given: moves('consent', { lifts: true }),
    soft_opt_in_granted: refused('soft opt-in never follows a withdrawal'),
    withdrawn: unchanged('already withdrawn'),
  },
};

/** Express consent is the only thing that may act on a suppressed topic. */
const LIFTS_SUPPRESSION: ReadonlySet<ConsentEventType> = new Set(['consent_given', 'consent_confirmed']);

export interface Suppression {
  /** Every topic, present and future: an unsubscribe from everything, an objection, an erasure. */
  readonly all: boolean;
  readonly topics: ReadonlySet<string>;
}

export const NO_SUPPRESSION: Suppression = { all: false, topics: new Set() };

export function isSuppressed(suppression: Suppression, topic: string): boolean {
  return suppression.all || suppression.topics.has(topic);
}

export function isMailable(status: TopicStatus): status is MailableStatus {
  return status === 'consent' || status === 'soft_opt_in';
}

/** What an event does to one topic, given whether that topic is suppressed. */
export function outcomeOf(status: TopicStatus, type: ConsentEventType, suppressed: boolean): Outcome {
  if (suppressed && !LIFTS_SUPPRESSION.has(type) && type !== 'withdrawn') {
    return type === 'consent_requested' ? TRANSITIONS[status][type] : SUPPRESSED;
  }
  return TRANSITIONS[status][type];
}

/** The suppression after an accepted transition of `topic`. */
export function nextSuppression(
  suppression: Suppression,
  topic: string,
  outcome: Outcome,
  allTopics: readonly string[],
): Suppression {
  if (outcome.kind !== 'moves') return suppression;
  if (outcome.suppresses) {
    if (suppression.all || suppression.topics.has(topic)) return suppression;
    return { all: false, topics: new Set([...suppression.topics, topic]) };
  }
  if (outcome.liftsSuppression && isSuppressed(suppression, topic)) {
    // Lifting one topic out of "all" keeps every other topic suppressed.
    const topics = new Set(suppression.all ? allTopics : suppression.topics);
    topics.delete(topic);
    return { all: false, topics };
  }
  return suppression;
}

/** The contact-level state the events of one contact describe. */
export interface ConsentState {
  readonly topics: ReadonlyMap<string, TopicStatus>;
  readonly suppression: Suppression;
}

/** The topic of a withdrawal from everything: one event for every topic, present and future. */
export const ALL_TOPICS = '*';

/**
 * Recorded in a contact's history but changing no permission: `address_changed` (the contact moved to a
 * new address: MailChimp's `upemail`, or a rectification), `details_rectified` (name, phone or company
 * corrected: the event names the fields, never the values), `processing_restricted` and
 * `restriction_lifted` (UK GDPR Art. 18).
 */
export type RecordOnlyEventType =
  | 'address_changed'
  | 'details_rectified'
  | 'processing_restricted'
  | 'restriction_lifted';

/** What a contact's history holds: the transitions above, and the record-only events. */
export type HistoryEventType = ConsentEventType | RecordOnlyEventType;

const RECORD_ONLY: ReadonlySet<HistoryEventType> = new Set<RecordOnlyEventType>([
  'address_changed',
  'details_rectified',
  'processing_restricted',
  'restriction_lifted',
]);

export function isRecordOnly(type: HistoryEventType): type is RecordOnlyEventType {
  return RECORD_ONLY.has(type);
}

export interface RecordedEvent {
  readonly type: HistoryEventType;
  /** A topic id, or `ALL_TOPICS` for a withdrawal from everything. */
  readonly topic: string;
}

export const EMPTY_STATE: ConsentState = { topics: new Map(), suppression: NO_SUPPRESSION };

/** Applies one event; `undefined` when the event would be refused or change nothing (no event is kept). */
export function apply(
  state: ConsentState,
  event: RecordedEvent,
  allTopics: readonly string[],
): ConsentState | undefined {
  if (event.topic === ALL_TOPICS) return event.type === 'withdrawn' ? withdrawEverything(state) : undefined;
  if (isRecordOnly(event.type)) return undefined;
  const status = state.topics.get(event.topic) ?? 'none';
  const outcome = outcomeOf(status, event.type, isSuppressed(state.suppression, event.topic));
  if (outcome.kind !== 'moves') return undefined;
  const topics = new Map(state.topics);
  topics.set(event.topic, outcome.to);
  return { topics, suppression: nextSuppression(state.suppression, event.topic, outcome, allTopics) };
}

function withdrawEverything(state: ConsentState): ConsentState | undefined {
  const live = [...state.topics].filter(([, status]) => status !== 'withdrawn' && status !== 'none');
  if (state.suppression.all && live.length === 0) return undefined;
  const topics = new Map(state.topics);
  for (const [topic] of live) topics.set(topic, 'withdrawn');
  return { topics, suppression: { all: true, topics: new Set() } };
}

/** The state a contact's event history describes, replayed from the start. */
export function replay(
  events: readonly RecordedEvent[],
  allTopics: readonly string[],
  start = EMPTY_STATE,
): ConsentState {
  let state = start;
  for (const event of events) state = apply(state, event, allTopics) ?? state;
  return state;
}
