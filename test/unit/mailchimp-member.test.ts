import { describe, expect, it } from 'vitest';
import type { ConsentEventType, EventSource, TopicStatus } from '../../shared/domain/consent.ts';
import {
  desiredMember,
  expressConsentSince,
  type MemberPermission,
  preferencesLinkIssuedAt,
  withdrawalOnMailchimpWord,
} from '../../shared/domain/mailchimp-member.ts';
import { addMonths, toEpochSeconds } from '../../shared/domain/retention.ts';

const config = { topics: [{ id: 'newsletter' }, { id: 'offers' }] };
const topics = (entries: Record<string, TopicStatus>) =>
  new Map(Object.entries(entries).map(([topic, status]) => [topic, { status }]));

describe('desiredMember', () => {
  it('subscribes a consenting person with a tag per topic, active where mailable', () => {
    expect(desiredMember(topics({ newsletter: 'consent' }), config)).toEqual({
      kind: 'subscribed',
      tags: [
        { name: 'topic:newsletter', active: true },
        { name: 'topic:offers', active: false },
        { name: 'soft-opt-in', active: false },
      ],
    });
  });

  it('marks a person mailable only under soft opt-in so campaigns can offer the opt-out', () => {
    expect(desiredMember(topics({ offers: 'soft_opt_in', newsletter: 'withdrawn' }), config)).toEqual({
      kind: 'subscribed',
      tags: [
        { name: 'topic:newsletter', active: false },
        { name: 'topic:offers', active: true },
        { name: 'soft-opt-in', active: true },
      ],
    });
  });

  it('drops the soft opt-in tag once any topic has express consent', () => {
    const member = desiredMember(topics({ offers: 'soft_opt_in', newsletter: 'consent' }), config);
    expect(member).toEqual({
      kind: 'subscribed',
      tags: [
        { name: 'topic:newsletter', active: true },
        { name: 'topic:offers', active: true },
        { name: 'soft-opt-in', active: false },
      ],
    });
  });

  it.each<[string, Record<string, TopicStatus>]>([
    ['nobody', {}],
    ['a pending double opt-in (MailChimp would send its own confirmation)', { newsletter: 'pending' }],
    ['a withdrawn person', { newsletter: 'withdrawn', offers: 'withdrawn' }],
    ['a person with no permission', { newsletter: 'none' }],
    ['a permission for a topic no longer offered', { retired: 'consent' }],
  ])('leaves %s unsubscribed', (_, permissions) => {
    expect(desiredMember(topics(permissions), config)).toEqual({ kind: 'unsubscribed' });
  });
});

describe('preferencesLinkIssuedAt', () => {
  const retention = { consentMonths: 24, softOptInMonths: 18 };
  const now = new Date('2027-06-01T12:00:00Z');
  /** A permission granted (or last renewed) at `grantedAt`, with the expiry the intake gives it. */
  const granted = (status: TopicStatus, since: string, grantedAt = since): MemberPermission => ({
    status,
    since,
    expiresAt: toEpochSeconds(
      addMonths(
        new Date(grantedAt),
        status === 'consent' ? retention.consentMonths : retention.softOptInMonths,
      ),
    ),
  });

  it('is the latest grant of a mailable permission, read back from its expiry', () => {
    const topics = new Map([
      ['newsletter', granted('consent', '2026-03-10T09:30:00.000Z')],
      ['offers', granted('soft_opt_in', '2026-11-22T10:00:00.000Z')],
      ['events', granted('withdrawn', '2027-05-01T00:00:00.000Z')],
    ]);
    expect(preferencesLinkIssuedAt(topics, retention, now)).toEqual(new Date('2026-11-22T10:00:00.000Z'));
  });

  it('moves with a renewal, which keeps the permission since its first grant', () => {
    const renewed = new Map([
      ['newsletter', granted('consent', '2025-01-31T08:00:00.000Z', '2026-08-31T08:00:00.000Z')],
    ]);
    expect(preferencesLinkIssuedAt(renewed, retention, now)).toEqual(new Date('2026-08-31T08:00:00.000Z'));
  });

  it('never lies after the grant, however the month arithmetic clamped the expiry', () => {
    // 31 March + 24 months is 31 March; 30 April + 18 months lands on 30 October, back on 30 April.
    for (const at of ['2026-03-31T10:00:00.000Z', '2026-01-31T10:00:00.000Z', '2026-04-30T23:59:59.000Z']) {
      for (const status of ['consent', 'soft_opt_in'] as const) {
        const issued = preferencesLinkIssuedAt(
          new Map([['t', granted(status, '2020-01-01T00:00:00.000Z', at)]]),
          retention,
          now,
        );
        expect(issued?.getTime()).toBeLessThanOrEqual(Date.parse(at));
        expect(Date.parse(at) - (issued?.getTime() ?? 0)).toBeLessThan(4 * 86_400_000);
      }
    }
  });

  it('is never later than now, and undefined when nothing is mailable', () => {
    const shortened = new Map([['newsletter', granted('consent', '2027-05-01T00:00:00.000Z')]]);
    expect(preferencesLinkIssuedAt(shortened, { consentMonths: 36, softOptInMonths: 18 }, now)).toEqual(
      new Date('2027-05-01T00:00:00.000Z'),
    );
    expect(preferencesLinkIssuedAt(shortened, { consentMonths: 12, softOptInMonths: 18 }, now)).toEqual(now);
    expect(
      preferencesLinkIssuedAt(
        new Map([['n', granted('pending', '2027-05-01T00:00:00.000Z')]]),
        retention,
        now,
      ),
    ).toBeUndefined();
  });
});

describe('expressConsentSince', () => {
  const event = (type: ConsentEventType, at: string, source: EventSource = 'form') => ({ type, at, source });
  const unsubscribedAt = '2026-11-22T10:00:00+00:00';

  it('counts express consent given here a second or more after MailChimp last changed the person', () => {
    expect(expressConsentSince([event('consent_given', '2026-11-22T10:00:01.000Z')], unsubscribedAt)).toBe(
      true,
    );
    expect(
      expressConsentSince([event('consent_confirmed', '2026-11-23T08:00:00.000Z', 'link')], unsubscribedAt),
    ).toBe(true);
  });

  it('lets the refusal win within the same second, and before it', () => {
    expect(expressConsentSince([event('consent_given', '2026-11-22T10:00:00.999Z')], unsubscribedAt)).toBe(
      false,
    );
    expect(expressConsentSince([event('consent_given', '2026-11-21T10:00:00.000Z')], unsubscribedAt)).toBe(
      false,
    );
  });

  it('counts a consent in the same second only after our own withdrawal that MailChimp was echoing', () => {
    const withdrawnHere = event('withdrawn', '2026-11-22T10:00:00.289Z', 'link');
    const consent = event('consent_given', '2026-11-22T10:00:00.575Z', 'preference_centre');
    expect(expressConsentSince([withdrawnHere, consent], unsubscribedAt)).toBe(true);
    // A withdrawal after the consent, or one sourced from MailChimp, explains nothing.
    expect(
      expressConsentSince([consent, event('withdrawn', '2026-11-22T10:00:00.700Z', 'link')], unsubscribedAt),
    ).toBe(false);
    expect(
      expressConsentSince(
        [event('withdrawn', '2026-11-22T10:00:00.100Z', 'mailchimp'), consent],
        unsubscribedAt,
      ),
    ).toBe(false);
  });

  it('never counts a soft opt-in, a request still to be confirmed, or anything sourced from MailChimp', () => {
    const later = '2026-12-01T00:00:00.000Z';
    expect(
      expressConsentSince(
        [
          event('soft_opt_in_granted', later),
          event('consent_requested', later),
          event('withdrawn', later),
          event('consent_given', later, 'mailchimp'),
        ],
        unsubscribedAt,
      ),
    ).toBe(false);
  });

  it('counts nothing against a time it cannot read', () => {
    expect(expressConsentSince([event('consent_given', '2026-12-01T00:00:00.000Z')], 'not a time')).toBe(
      false,
    );
  });
});

describe('withdrawalOnMailchimpWord', () => {
  const held = (topic: string, status: TopicStatus, since: string) => ({
    topic,
    status,
    since,
    formId: undefined,
    statementVersion: undefined,
    epoch: 1,
    expiresAt: 0,
  });
  const snapshot = (...topics: ReturnType<typeof held>[]) => ({
    contact: { version: 1, epoch: 1 },
    topics: new Map(topics.map((topic) => [topic.topic, topic])),
    suppression: undefined,
  });
  const changedAt = new Date('2026-11-22T10:00:00Z');

  it('withdraws everything when nothing was granted here after MailChimp changed the person', () => {
    const everything = [{ type: 'withdrawn', topic: '*' }];
    expect(
      withdrawalOnMailchimpWord(
        snapshot(held('newsletter', 'consent', '2026-11-22T10:00:00.999Z')),
        changedAt,
      ),
    ).toEqual(everything);
    expect(
      withdrawalOnMailchimpWord(snapshot(held('newsletter', 'consent', '2026-12-01T00:00:00Z')), undefined),
    ).toEqual(everything);
  });

  it('spares express consent and requests granted later, and withdraws the rest one by one', () => {
    const later = '2026-11-22T10:00:01.000Z';
    expect(
      withdrawalOnMailchimpWord(
        snapshot(
          held('newsletter', 'consent', later),
          held('offers', 'soft_opt_in', later),
          held('events', 'withdrawn', '2026-11-01T00:00:00Z'),
        ),
        changedAt,
      ),
    ).toEqual([{ type: 'withdrawn', topic: 'offers' }]);
  });
});
