import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALL_TOPICS,
  apply,
  type ConsentEventType,
  type ConsentState,
  EMPTY_STATE,
  EVENT_TYPES,
  isMailable,
  isSuppressed,
  outcomeOf,
  type RecordedEvent,
  replay,
  TOPIC_STATUSES,
  TRANSITIONS,
} from '../../shared/domain/consent.ts';
import { renderConsentModel } from '../../shared/domain/consent-model-doc.ts';

const TOPICS = ['newsletter', 'offers', 'events'] as const;

const arbitraryEvent: fc.Arbitrary<RecordedEvent> = fc.oneof(
  fc.record({ type: fc.constantFrom(...EVENT_TYPES), topic: fc.constantFrom(...TOPICS) }),
  // Mostly withdrawals from everything; any other type with `*` must be ignored.
  fc.record({
    type: fc.oneof(
      { weight: 4, arbitrary: fc.constant<ConsentEventType>('withdrawn') },
      { weight: 1, arbitrary: fc.constantFrom(...EVENT_TYPES) },
    ),
    topic: fc.constant(ALL_TOPICS),
  }),
);
const arbitraryEvents = fc.array(arbitraryEvent, { maxLength: 40 });

/** Every intermediate state of a replay, with the event that led to it and whether it was accepted. */
function* steps(events: readonly RecordedEvent[]) {
  let state: ConsentState = EMPTY_STATE;
  for (const event of events) {
    const before = state;
    const next = apply(before, event, TOPICS);
    state = next ?? before;
    yield { event, before, after: state, accepted: next !== undefined };
  }
}

const statusOf = (state: ConsentState, topic: string) => state.topics.get(topic) ?? 'none';

describe('docs/consent-model.md', () => {
  it('is exactly what renderConsentModel() generates from the code', () => {
    expect(readFileSync('docs/consent-model.md', 'utf8')).toBe(renderConsentModel());
  });
});

describe('the transition table', () => {
  it('has an outcome for every status and event type, and nothing else', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...TOPIC_STATUSES].sort());
    for (const status of TOPIC_STATUSES) {
      expect(Object.keys(TRANSITIONS[status]).sort()).toEqual([...EVENT_TYPES].sort());
      for (const type of EVENT_TYPES) {
        for (const suppressed of [false, true]) {
          const outcome = outcomeOf(status, type, suppressed);
          expect(['moves', 'unchanged', 'refused']).toContain(outcome.kind);
          if (outcome.kind === 'moves') expect(TOPIC_STATUSES).toContain(outcome.to);
          else expect(outcome.why).not.toBe('');
        }
      }
    }
  });

  it('never follows a withdrawal with a soft opt-in', () => {
    expect(TRANSITIONS.withdrawn.soft_opt_in_granted).toEqual({
      kind: 'refused',
      why: 'soft opt-in never follows a withdrawal',
    });
  });

  it('refuses a soft opt-in on a suppressed topic, and a consent request does not lift the suppression', () => {
    for (const status of TOPIC_STATUSES) {
      expect(outcomeOf(status, 'soft_opt_in_granted', true).kind).toBe('refused');
      const requested = outcomeOf(status, 'consent_requested', true);
      if (requested.kind === 'moves') expect(requested.liftsSuppression).toBe(false);
    }
    expect(outcomeOf('none', 'consent_requested', true)).toMatchObject({ kind: 'moves', to: 'pending' });
  });

  it('lets only consent_given and consent_confirmed lift a suppression', () => {
    const lifting = new Set<ConsentEventType>();
    for (const status of TOPIC_STATUSES) {
      for (const type of EVENT_TYPES) {
        const outcome = outcomeOf(status, type, true);
        if (outcome.kind === 'moves' && outcome.liftsSuppression) {
          lifting.add(type);
          expect(outcome.to).toBe('consent');
        }
      }
    }
    expect([...lifting].sort()).toEqual(['consent_confirmed', 'consent_given']);
  });

  it('suppresses the topic on every withdrawal, and only on a withdrawal', () => {
    for (const status of TOPIC_STATUSES) {
      for (const type of EVENT_TYPES) {
        const outcome = TRANSITIONS[status][type];
        const suppresses = outcome.kind === 'moves' && outcome.suppresses;
        expect(suppresses).toBe(type === 'withdrawn' && status !== 'withdrawn');
        if (suppresses) expect(outcome).toMatchObject({ to: 'withdrawn' });
      }
    }
  });

  it('records nothing for a withdrawal of a topic already withdrawn', () => {
    expect(TRANSITIONS.withdrawn.withdrawn.kind).toBe('unchanged');
    const withdrawn = replay([{ type: 'withdrawn', topic: 'offers' }], TOPICS);
    expect(apply(withdrawn, { type: 'withdrawn', topic: 'offers' }, TOPICS)).toBeUndefined();
  });
});

describe('withdrawing from everything', () => {
  it('withdraws every live topic, suppresses all, and is unchanged when repeated', () => {
    const state = replay(
      [
        { type: 'consent_given', topic: 'newsletter' },
        { type: 'soft_opt_in_granted', topic: 'offers' },
        { type: 'consent_requested', topic: 'events' },
        { type: 'withdrawn', topic: ALL_TOPICS },
      ],
      TOPICS,
    );
    expect(state).toEqual({
      topics: new Map([
        ['newsletter', 'withdrawn'],
        ['offers', 'withdrawn'],
        ['events', 'withdrawn'],
      ]),
      suppression: { all: true, topics: new Set() },
    });
    expect(apply(state, { type: 'withdrawn', topic: ALL_TOPICS }, TOPICS)).toBeUndefined();
    expect(apply(EMPTY_STATE, { type: 'consent_given', topic: ALL_TOPICS }, TOPICS)).toBeUndefined();
  });

  it('keeps the other topics suppressed when express consent lifts one out of all', () => {
    const state = replay(
      [
        { type: 'withdrawn', topic: ALL_TOPICS },
        { type: 'consent_given', topic: 'newsletter' },
      ],
      TOPICS,
    );
    expect(state.suppression).toEqual({ all: false, topics: new Set(['offers', 'events']) });
    expect(apply(state, { type: 'soft_opt_in_granted', topic: 'offers' }, TOPICS)).toBeUndefined();
  });
});

describe('replaying events', () => {
  it('is deterministic: the same events give the same state', () => {
    fc.assert(
      fc.property(arbitraryEvents, (events) => {
        const first = replay(events, TOPICS);
        expect(replay(structuredClone(events), TOPICS)).toEqual(first);
        expect([...steps(events)].at(-1)?.after ?? EMPTY_STATE).toEqual(first);
      }),
    );
  });

  it('keeps a withdrawn topic unmailable until a later express consent for it', () => {
    fc.assert(
      fc.property(arbitraryEvents, (events) => {
        const blocked = new Set<string>();
        for (const { event, after, accepted } of steps(events)) {
          if (event.type === 'withdrawn') {
            for (const topic of event.topic === ALL_TOPICS ? TOPICS : [event.topic]) blocked.add(topic);
          }
          const express = event.type === 'consent_given' || event.type === 'consent_confirmed';
          if (express && accepted) blocked.delete(event.topic);
          for (const topic of blocked) expect(isMailable(statusOf(after, topic))).toBe(false);
        }
      }),
    );
  });

  it('never makes a suppressed topic soft opt-in, and never suppresses a mailable one', () => {
    fc.assert(
      fc.property(arbitraryEvents, (events) => {
        for (const { event, before, after } of steps(events)) {
          if (event.topic !== ALL_TOPICS && isSuppressed(before.suppression, event.topic)) {
            expect(statusOf(after, event.topic)).not.toBe('soft_opt_in');
          }
          for (const [topic, status] of after.topics) {
            if (isMailable(status)) expect(isSuppressed(after.suppression, topic)).toBe(false);
          }
        }
      }),
    );
  });

  it('leaves the state untouched when apply returns undefined, so refused events do not count', () => {
    fc.assert(
      fc.property(arbitraryEvents, (events) => {
        const accepted: RecordedEvent[] = [];
        for (const step of steps(events)) {
          const copy = structuredClone(step.before);
          const next = apply(step.before, step.event, TOPICS);
          expect(step.before).toEqual(copy);
          if (next === undefined) expect(step.after).toBe(step.before);
          else accepted.push(step.event);
        }
        expect(replay(accepted, TOPICS)).toEqual(replay(events, TOPICS));
      }),
    );
  });
});
