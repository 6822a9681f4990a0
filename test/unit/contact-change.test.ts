import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { retentionSchema } from '../../shared/config/schema.ts';
import {
  ALL_TOPICS,
  type ConsentEventType,
  EVENT_TYPES,
  NO_SUPPRESSION,
  replay,
  type Suppression,
  type TopicStatus,
} from '../../shared/domain/consent.ts';
import {
  type ChangeContext,
  type ConsentEvent,
  type ContactChange,
  type ContactSnapshot,
  decideChange,
  type RequestedEvent,
  type TopicPermission,
} from '../../shared/domain/contact-change.ts';
import { statementHash } from '../../shared/domain/hashing.ts';
import { addDays, addMonths, expiryFor, toEpochSeconds } from '../../shared/domain/retention.ts';

const NOW = new Date('2026-11-22T10:00:00Z');
const AT = NOW.toISOString();
const RETENTION = z.parse(retentionSchema, {});
const TOPICS = ['newsletter', 'offers', 'events'] as const;
const STATEMENT = { version: '2026-11', text: 'Tick to receive our monthly newsletter by email.' };

const context = (overrides: Partial<ChangeContext> = {}): ChangeContext => {
  let next = 0;
  return {
    now: NOW,
    retention: RETENTION,
    allTopics: TOPICS,
    source: 'form',
    actor: 'visitor',
    formId: 'contact',
    page: 'https://www.example.co.uk/contact',
    method: 'html_form',
    statement: STATEMENT,
    newEventId: () => `event-${++next}`,
    ...overrides,
  };
};

const EMPTY: ContactSnapshot = { contact: undefined, topics: new Map(), suppression: undefined };

const permission = (
  topic: string,
  status: TopicStatus,
  overrides: Partial<TopicPermission> = {},
): TopicPermission => ({
  topic,
  status,
  since: '2026-01-10T09:00:00.000Z',
  formId: 'contact',
  statementVersion: '2025-01',
  epoch: 1,
  expiresAt: status === 'withdrawn' ? 0 : expiryFor(status === 'none' ? 'withdrawn' : status, NOW, RETENTION),
  ...overrides,
});

const contactWith = (
  permissions: readonly TopicPermission[],
  extra: { epoch?: number; suppression?: Suppression } = {},
): ContactSnapshot => ({
  contact: { version: 3, epoch: extra.epoch ?? 1 },
  topics: new Map(permissions.map((item) => [item.topic, item])),
  suppression: extra.suppression && { ...extra.suppression, version: 1 },
});

const suppressionOf = (topics: readonly string[], all = false) => ({
  all,
  topics: new Set(topics),
  version: 1,
});

/** The snapshot a later read would give once `change` is written, as the repository stores it. */
function written(snapshot: ContactSnapshot, change: ContactChange): ContactSnapshot {
  const topics = new Map(snapshot.topics);
  for (const item of change.topics) topics.set(item.topic, item);
  const next = change.suppression;
  const version = (snapshot.suppression?.version ?? 0) + 1;
  return {
    contact: change.writesContact
      ? { version: (snapshot.contact?.version ?? 0) + 1, epoch: change.contactEpoch }
      : snapshot.contact,
    topics,
    suppression:
      next === undefined
        ? snapshot.suppression
        : next.all || next.topics.size > 0
          ? { ...next, version }
          : undefined,
  };
}

describe('granting', () => {
  it('grants soft opt-in to a new address with one event recording the statement', () => {
    const change = decideChange(EMPTY, [{ type: 'soft_opt_in_granted', topic: 'offers' }], context());
    const expiresAt = toEpochSeconds(addMonths(NOW, 18));
    expect(change).toEqual({
      topics: [
        {
          topic: 'offers',
          status: 'soft_opt_in',
          since: AT,
          formId: 'contact',
          statementVersion: '2026-11',
          epoch: 1,
          expiresAt,
        },
      ],
      events: [
        {
          eventId: 'event-1',
          type: 'soft_opt_in_granted',
          at: AT,
          topic: 'offers',
          source: 'form',
          actor: 'visitor',
          formId: 'contact',
          page: 'https://www.example.co.uk/contact',
          method: 'html_form',
          statement: { version: '2026-11', hash: statementHash(STATEMENT.text) },
          reason: undefined,
          liftedSuppression: false,
          epoch: 1,
          expiresAt: toEpochSeconds(addMonths(NOW, 72)),
        },
      ],
      suppression: undefined,
      writesContact: true,
      contactEpoch: 1,
      contactExpiresAt: expiresAt,
      statement: { ...STATEMENT, hash: statementHash(STATEMENT.text) },
      refused: 0,
      requiresUnchangedSuppression: true,
    } satisfies ContactChange);
  });

  it('lets express consent lift a topic suppression, and the event says so', () => {
    const snapshot = { ...EMPTY, suppression: suppressionOf(['offers', 'newsletter']) };
    const change = decideChange(snapshot, [{ type: 'consent_given', topic: 'offers' }], context());
    expect(change.suppression).toEqual({ all: false, topics: new Set(['newsletter']) });
    expect(change.events).toEqual([
      expect.objectContaining({ type: 'consent_given', topic: 'offers', liftedSuppression: true }),
    ]);
    expect(change.topics).toEqual([expect.objectContaining({ topic: 'offers', status: 'consent' })]);

    const last = decideChange(
      { ...EMPTY, suppression: suppressionOf(['offers']) },
      [{ type: 'consent_given', topic: 'offers' }],
      context(),
    );
    // Empty: the repository deletes the entry.
    expect(last.suppression).toEqual({ all: false, topics: new Set() });
  });

  it('keeps every other topic suppressed when consent lifts one out of all', () => {
    const snapshot = { ...EMPTY, suppression: suppressionOf([], true) };
    const change = decideChange(snapshot, [{ type: 'consent_given', topic: 'newsletter' }], context());
    expect(change.suppression).toEqual({ all: false, topics: new Set(['offers', 'events']) });
    expect(change.events[0]?.liftedSuppression).toBe(true);
  });

  it('records no lifting when nothing was suppressed', () => {
    const change = decideChange(EMPTY, [{ type: 'consent_given', topic: 'newsletter' }], context());
    expect(change.events[0]?.liftedSuppression).toBe(false);
    expect(change.suppression).toBeUndefined();
  });

  it('renews a consent topic on a soft opt-in, without an event', () => {
    const yearAgo = addMonths(NOW, -12);
    const consent = permission('offers', 'consent', {
      epoch: 2,
      expiresAt: expiryFor('consent', yearAgo, RETENTION),
    });
    const change = decideChange(
      contactWith([consent], { epoch: 2 }),
      [{ type: 'soft_opt_in_granted', topic: 'offers' }],
      context({ formId: 'quote' }),
    );
    const renewedUntil = toEpochSeconds(addMonths(NOW, 24));
    expect(change.topics).toEqual([{ ...consent, expiresAt: renewedUntil }]);
    expect(change.events).toEqual([]);
    expect(change).toMatchObject({
      writesContact: true,
      contactEpoch: 2,
      contactExpiresAt: renewedUntil,
      refused: 0,
      statement: undefined,
      requiresUnchangedSuppression: false,
    });
  });
});

describe('granting again', () => {
  it('renews a consent given again: new term, the newer statement, one event', () => {
    const yearAgo = addMonths(NOW, -12);
    const held = permission('newsletter', 'consent', { expiresAt: expiryFor('consent', yearAgo, RETENTION) });
    const change = decideChange(
      contactWith([held]),
      [{ type: 'consent_given', topic: 'newsletter' }],
      context(),
    );
    expect(change.topics).toEqual([
      {
        ...held,
        statementVersion: STATEMENT.version,
        epoch: 2,
        expiresAt: toEpochSeconds(addMonths(NOW, 24)),
      },
    ]);
    expect(change.events.map((event) => event.type)).toEqual(['consent_given']);
    expect(change.contactExpiresAt).toBe(toEpochSeconds(addMonths(NOW, 24)));
  });

  it('records a double opt-in request from a soft opt-in contact, who stays mailable meanwhile', () => {
    const held = permission('newsletter', 'soft_opt_in');
    const change = decideChange(
      contactWith([held]),
      [{ type: 'consent_requested', topic: 'newsletter' }],
      context(),
    );
    expect(change.events.map((event) => event.type)).toEqual(['consent_requested']);
    expect(change.topics).toEqual([
      expect.objectContaining({ topic: 'newsletter', status: 'soft_opt_in', epoch: 2 }),
    ]);
  });

  it('renews, without an event, a consent ticked again on a double opt-in form', () => {
    const yearAgo = addMonths(NOW, -12);
    const held = permission('newsletter', 'consent', { expiresAt: expiryFor('consent', yearAgo, RETENTION) });
    const change = decideChange(
      contactWith([held]),
      [{ type: 'consent_requested', topic: 'newsletter' }],
      context(),
    );
    expect(change.events).toEqual([]);
    expect(change.topics).toEqual([{ ...held, expiresAt: toEpochSeconds(addMonths(NOW, 24)) }]);
  });
});

describe('refusing', () => {
  it('refuses soft opt-in on a suppressed topic without writing it', () => {
    const change = decideChange(
      { ...EMPTY, suppression: suppressionOf(['offers']) },
      [{ type: 'soft_opt_in_granted', topic: 'offers' }],
      context(),
    );
    expect(change).toMatchObject({
      topics: [],
      events: [],
      suppression: undefined,
      writesContact: false,
      refused: 1,
    });
  });

  it('refuses soft opt-in on a withdrawn topic, even with no suppression entry', () => {
    const change = decideChange(
      contactWith([
        permission('newsletter', 'consent'),
        // Stored withdrawals carry the contact's expiry.
        permission('offers', 'withdrawn', { expiresAt: expiryFor('consent', NOW, RETENTION) }),
      ]),
      [{ type: 'soft_opt_in_granted', topic: 'offers' }],
      context(),
    );
    expect(change).toMatchObject({ topics: [], events: [], writesContact: false, refused: 1 });
  });

  it('keeps only a suppression entry for a refusal from an unknown address', () => {
    const change = decideChange(
      EMPTY,
      [{ type: 'withdrawn', topic: 'offers' }],
      context({ reason: 'refused_at_collection' }),
    );
    expect(change).toMatchObject({
      topics: [],
      events: [],
      suppression: { all: false, topics: new Set(['offers']) },
      writesContact: false,
      statement: undefined,
      refused: 0,
      requiresUnchangedSuppression: false,
    });
  });
});

describe('withdrawing from everything', () => {
  const snapshot = contactWith(
    [
      permission('newsletter', 'consent', { epoch: 2 }),
      permission('offers', 'soft_opt_in', { epoch: 3 }),
      permission('events', 'pending', { epoch: 3 }),
    ],
    { epoch: 3 },
  );
  const unsubscribe = context({
    source: 'link',
    actor: 'link holder',
    formId: undefined,
    page: undefined,
    method: undefined,
    statement: undefined,
    reason: 'unsubscribed',
  });

  it('withdraws every live topic with one event and suppresses all', () => {
    const change = decideChange(snapshot, [{ type: 'withdrawn', topic: ALL_TOPICS }], unsubscribe);
    const contactExpiresAt = toEpochSeconds(addDays(NOW, 30));
    expect(change.topics.map((item) => [item.topic, item.status, item.epoch, item.expiresAt])).toEqual([
      ['newsletter', 'withdrawn', 2, contactExpiresAt],
      ['offers', 'withdrawn', 3, contactExpiresAt],
      ['events', 'withdrawn', 3, contactExpiresAt],
    ]);
    expect(change.events).toEqual([
      expect.objectContaining({
        type: 'withdrawn',
        topic: ALL_TOPICS,
        source: 'link',
        reason: 'unsubscribed',
        statement: undefined,
        liftedSuppression: false,
        epoch: 3,
      }),
    ]);
    expect(change).toMatchObject({
      suppression: { all: true, topics: new Set() },
      writesContact: true,
      contactEpoch: 3,
      contactExpiresAt,
      requiresUnchangedSuppression: false,
    });
  });

  it('changes nothing when repeated', () => {
    const first = decideChange(snapshot, [{ type: 'withdrawn', topic: ALL_TOPICS }], unsubscribe);
    const again = decideChange(
      written(snapshot, first),
      [{ type: 'withdrawn', topic: ALL_TOPICS }],
      unsubscribe,
    );
    expect(again).toMatchObject({
      topics: [],
      events: [],
      suppression: undefined,
      writesContact: false,
      refused: 0,
    });
  });
});

describe('epochs and expiry', () => {
  it('bumps the contact epoch once per granting change; withdrawn topics keep theirs', () => {
    const snapshot = contactWith(
      [permission('offers', 'soft_opt_in', { epoch: 2 }), permission('events', 'consent', { epoch: 4 })],
      { epoch: 4 },
    );
    const change = decideChange(
      snapshot,
      [
        { type: 'consent_given', topic: 'newsletter' },
        { type: 'consent_given', topic: 'offers' },
        { type: 'withdrawn', topic: 'events' },
      ],
      context(),
    );
    expect(change.contactEpoch).toBe(5);
    expect(change.topics.map((item) => [item.topic, item.epoch])).toEqual([
      ['offers', 5],
      ['events', 4],
      ['newsletter', 5],
    ]);
    expect(change.events.map((event) => [event.type, event.topic, event.epoch])).toEqual([
      ['consent_given', 'newsletter', 5],
      ['consent_given', 'offers', 5],
      ['withdrawn', 'events', 4],
    ]);

    const withdrawal = decideChange(
      written(snapshot, change),
      [{ type: 'withdrawn', topic: 'offers' }],
      context(),
    );
    expect(withdrawal.contactEpoch).toBe(5);
    expect(withdrawal.topics).toContainEqual(expect.objectContaining({ topic: 'offers', epoch: 5 }));
    expect(withdrawal.events.map((event) => event.epoch)).toEqual([5]);
  });

  it('keeps a withdrawn topic exactly as long as the contact', () => {
    const consentUntil = toEpochSeconds(addMonths(NOW, 20));
    const snapshot = contactWith([
      permission('newsletter', 'consent', { expiresAt: consentUntil }),
      permission('offers', 'soft_opt_in'),
    ]);
    const change = decideChange(snapshot, [{ type: 'withdrawn', topic: 'offers' }], context());
    expect(change.contactExpiresAt).toBe(consentUntil);
    expect(change.topics).toEqual([
      expect.objectContaining({ topic: 'offers', status: 'withdrawn', expiresAt: consentUntil }),
    ]);

    // A later grant that outlives it carries the withdrawn topic along.
    const later = decideChange(
      written(snapshot, change),
      [{ type: 'consent_given', topic: 'events' }],
      context({ now: addMonths(NOW, 6) }),
    );
    const extended = toEpochSeconds(addMonths(addMonths(NOW, 6), 24));
    expect(later.contactExpiresAt).toBe(extended);
    expect(later.topics).toContainEqual(
      expect.objectContaining({ topic: 'offers', status: 'withdrawn', expiresAt: extended }),
    );
  });

  it('expires a contact with nothing live after withdrawnDays', () => {
    const change = decideChange(
      contactWith([permission('newsletter', 'consent')]),
      [{ type: 'withdrawn', topic: 'newsletter' }],
      context(),
    );
    const expected = toEpochSeconds(addDays(NOW, RETENTION.withdrawnDays));
    expect(change.contactExpiresAt).toBe(expected);
    expect(change.topics).toEqual([expect.objectContaining({ status: 'withdrawn', expiresAt: expected })]);
  });
});

describe('replaying the recorded events', () => {
  const arbitraryRequest: fc.Arbitrary<RequestedEvent> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({ type: fc.constantFrom(...EVENT_TYPES), topic: fc.constantFrom(...TOPICS) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constantFrom<ConsentEventType>('withdrawn', 'withdrawn', 'consent_given'),
        topic: fc.constant(ALL_TOPICS),
      }),
    },
  );

  it('gives the stored state: replay of every event equals the accumulated snapshot', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(arbitraryRequest, { minLength: 1, maxLength: 3 }), { maxLength: 25 }),
        (changes) => {
          let snapshot = EMPTY;
          const events: ConsentEvent[] = [];
          // Events replay from the suppression the address had when its contact was first written.
          let start: Suppression = NO_SUPPRESSION;
          changes.forEach((requests, index) => {
            const now = new Date(NOW.getTime() + index * 60_000);
            const before = snapshot;
            const change = decideChange(before, requests, context({ now }));
            events.push(...change.events);
            snapshot = written(before, change);
            if (!before.contact) start = (snapshot.contact ? before : snapshot).suppression ?? NO_SUPPRESSION;

            const replayed = replay(events, TOPICS, { topics: new Map(), suppression: start });
            expect(replayed.topics).toEqual(
              new Map([...snapshot.topics].map(([topic, item]) => [topic, item.status])),
            );
            const stored = snapshot.suppression ?? NO_SUPPRESSION;
            expect({
              all: replayed.suppression.all,
              topics: [...replayed.suppression.topics].sort(),
            }).toEqual({
              all: stored.all,
              topics: [...stored.topics].sort(),
            });
          });
        },
      ),
    );
  });
});
