import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MarketingIntent } from '../../shared/domain/enquiry.ts';
import { statementHash } from '../../shared/domain/hashing.ts';
import {
  decideMarketing,
  type MarketingSnapshot,
  type TopicPermission,
  type TopicStatus,
} from '../../shared/domain/marketing.ts';
import { toEpochSeconds } from '../../shared/domain/retention.ts';
import { runtimeConfig } from '../support/config.ts';

const now = new Date('2026-11-22T10:00:00Z');
const statement = { version: 'v1', text: 'We may email you.' };
let counter = 0;
const context = {
  now,
  retention: runtimeConfig().retention,
  formId: 'quote',
  page: 'https://www.example.co.uk/quote',
  method: 'html_form' as const,
  newEventId: () => `event-${++counter}`,
};

const empty: MarketingSnapshot = { contact: undefined, topics: new Map(), suppressed: false };
const withTopic = (status: TopicStatus, extra: Partial<MarketingSnapshot> = {}): MarketingSnapshot => ({
  contact: { version: 3, createdAt: '2026-01-01T00:00:00Z' },
  topics: new Map([['offers', permission('offers', status)]]),
  suppressed: false,
  ...extra,
});
function permission(topic: string, status: TopicStatus): TopicPermission {
  return {
    topic,
    status,
    since: '2026-01-01T00:00:00Z',
    formId: 'quote',
    statementVersion: 'v0',
    expiresAt: toEpochSeconds(now) + 86_400,
  };
}
const softOptIn: MarketingIntent = { kind: 'soft_opt_in', topics: ['offers'], statement };
const consent: MarketingIntent = { kind: 'express_consent', topics: ['offers'], statement };
const refusal: MarketingIntent = { kind: 'refusal', topics: ['offers'], statement };

describe('decideMarketing', () => {
  it('changes nothing for an enquiry without a marketing choice', () => {
    expect(decideMarketing({ kind: 'none' }, withTopic('consent'), context)).toBeUndefined();
  });

  it('grants soft opt-in to a new address, with one event recording the statement shown', () => {
    const decision = decideMarketing(softOptIn, empty, context);
    expect(decision?.topics).toEqual([
      expect.objectContaining({
        topic: 'offers',
        status: 'soft_opt_in',
        since: now.toISOString(),
        expiresAt: Date.parse('2028-05-22T10:00:00Z') / 1000,
      }),
    ]);
    expect(decision?.events).toEqual([
      expect.objectContaining({
        type: 'soft_opt_in_granted',
        statement: { version: 'v1', hash: statementHash(statement.text) },
        liftedSuppression: false,
      }),
    ]);
    expect(decision?.requiresNoSuppression).toBe(true);
  });

  it.each([
    ['suppressed', { ...empty, suppressed: true }],
    ['withdrawn', withTopic('withdrawn')],
  ])('never grants soft opt-in to a %s address', (_label, snapshot) => {
    const decision = decideMarketing(softOptIn, snapshot, context);
    expect(decision?.topics ?? []).toEqual([]);
    expect(decision?.events ?? []).toEqual([]);
    expect(decision?.softOptInBlocked).toBe(true);
  });

  it('never downgrades express consent to soft opt-in, but counts the enquiry as an interaction', () => {
    const decision = decideMarketing(softOptIn, withTopic('consent'), context);
    expect(decision?.topics).toEqual([
      expect.objectContaining({ status: 'consent', expiresAt: Date.parse('2028-11-22T10:00:00Z') / 1000 }),
    ]);
    expect(decision?.events).toEqual([]);
  });

  it('lets a positive express consent lift a suppression, and says so', () => {
    const decision = decideMarketing(consent, { ...empty, suppressed: true }, context);
    expect(decision?.suppression).toBe('lift');
    expect(decision?.events).toEqual([
      expect.objectContaining({ type: 'consent_given', liftedSuppression: true }),
    ]);
  });

  it('turns a refusal into withdrawals of every live permission plus a suppression', () => {
    const snapshot = withTopic('soft_opt_in', {
      topics: new Map([
        ['offers', permission('offers', 'soft_opt_in')],
        ['newsletter', permission('newsletter', 'consent')],
      ]),
    });
    const decision = decideMarketing(refusal, snapshot, context);
    expect(decision?.suppression).toBe('add');
    expect(decision?.topics.map((topic) => [topic.topic, topic.status])).toEqual([
      ['offers', 'withdrawn'],
      ['newsletter', 'withdrawn'],
    ]);
    expect(decision?.events.map((event) => [event.type, event.reason])).toEqual([
      ['withdrawn', 'refused_at_collection'],
      ['withdrawn', 'refused_at_collection'],
    ]);
    expect(decision?.contactExpiresAt).toBe(toEpochSeconds(now) + 30 * 86_400);
  });

  it('records a refusal from an unknown address as a suppression only', () => {
    const decision = decideMarketing(refusal, empty, context);
    expect(decision).toMatchObject({ suppression: 'add', topics: [], events: [] });
  });

  it('keeps a withdrawal for as long as the contact lives', () => {
    const snapshot = withTopic('withdrawn');
    const decision = decideMarketing(
      { kind: 'express_consent', topics: ['newsletter'], statement },
      snapshot,
      context,
    );
    const offers = decision?.topics.find((topic) => topic.topic === 'offers');
    expect(offers?.status).toBe('withdrawn');
    expect(offers?.expiresAt).toBe(decision?.contactExpiresAt);
  });

  it('never grants soft opt-in while suppressed or withdrawn, whatever the sequence of enquiries', () => {
    const intents = fc.constantFrom<MarketingIntent>(softOptIn, refusal, consent, { kind: 'none' });
    const starts = fc.constantFrom<MarketingSnapshot>(
      empty,
      { ...empty, suppressed: true },
      withTopic('withdrawn'),
      withTopic('soft_opt_in'),
      withTopic('consent'),
    );
    fc.assert(
      fc.property(starts, fc.array(intents, { maxLength: 8 }), (start, sequence) => {
        let snapshot = start;
        for (const intent of sequence) {
          const decision = decideMarketing(intent, snapshot, context);
          const blocked = snapshot.suppressed || snapshot.topics.get('offers')?.status === 'withdrawn';
          if (blocked && intent.kind !== 'express_consent') {
            expect(
              decision?.topics.some(
                (topic) => topic.status === 'soft_opt_in' || topic.status === 'consent',
              ) ?? false,
            ).toBe(false);
            expect(decision?.events.some((event) => event.type !== 'withdrawn') ?? false).toBe(false);
          }
          if (!decision) continue;
          const topics = new Map(snapshot.topics);
          for (const topic of decision.topics) topics.set(topic.topic, topic);
          const suppressed =
            decision.suppression === 'add'
              ? true
              : decision.suppression === 'lift'
                ? false
                : snapshot.suppressed;
          snapshot = {
            contact: snapshot.contact ?? { version: 0, createdAt: now.toISOString() },
            topics,
            suppressed,
          };
        }
      }),
    );
  });
});
