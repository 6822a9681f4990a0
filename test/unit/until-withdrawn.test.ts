import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { parseAppConfig, retentionSchema } from '../../shared/config/schema.ts';
import { type ContactSnapshot, decideChange } from '../../shared/domain/contact-change.ts';
import { preferencesLinkIssuedAt } from '../../shared/domain/mailchimp-member.ts';
import { expiryFor, isExpired, UNTIL_WITHDRAWN } from '../../shared/domain/retention.ts';
import { exampleConfig } from '../support/config.ts';

const base = () => structuredClone(exampleConfig) as unknown as Record<string, unknown>;
const NOW = new Date('2026-11-22T10:00:00Z');

describe('keeping marketing permission until withdrawn (config)', () => {
  it('is refused on its own, citing the ICO', () => {
    expect(() => parseAppConfig({ ...base(), retention: { keepUntilWithdrawn: ['consent'] } })).toThrow(
      /marketing\.repermission or retention\.reviewMonths: the ICO[\s\S]*at retention\.keepUntilWithdrawn/,
    );
    expect(() => parseAppConfig({ ...base(), retention: { keepUntilWithdrawn: ['soft_opt_in'] } })).toThrow(
      /ICO expects consent/,
    );
  });

  it('is accepted with a review interval', () => {
    const config = parseAppConfig({
      ...base(),
      retention: { keepUntilWithdrawn: ['consent', 'soft_opt_in'], reviewMonths: 12 },
    });
    expect(config.retention).toMatchObject({
      keepUntilWithdrawn: ['consent', 'soft_opt_in'],
      reviewMonths: 12,
    });
  });

  it('is accepted with re-permission', () => {
    const config = parseAppConfig({
      ...base(),
      retention: { keepUntilWithdrawn: ['consent'] },
      marketing: { repermission: { daysBefore: [30, 7] } },
    });
    expect(config.marketing).toEqual({ confirmationWindowHours: 24, repermission: { daysBefore: [30, 7] } });
  });

  it.each([
    [{ repermission: { daysBefore: [] } }],
    [{ repermission: { daysBefore: [0] } }],
    [{ repermission: {} }],
  ])('refuses a re-permission setting without positive days (%j)', (marketing) => {
    expect(() => parseAppConfig({ ...base(), marketing })).toThrow(/repermission/);
  });

  it.each([[['forever']], [['pending']], ['consent']])('refuses keepUntilWithdrawn %j', (keep) => {
    expect(() =>
      parseAppConfig({ ...base(), retention: { keepUntilWithdrawn: keep, reviewMonths: 12 } }),
    ).toThrow(/keepUntilWithdrawn/);
  });

  it.each([0, -1, 1.5])('refuses a review interval of %s months', (reviewMonths) => {
    expect(() => parseAppConfig({ ...base(), retention: { reviewMonths } })).toThrow(/reviewMonths/);
  });
});

describe('a permission kept until withdrawn', () => {
  const retention = z.parse(retentionSchema, { keepUntilWithdrawn: ['consent'], reviewMonths: 12 });

  it('gets no TTL expiry for that basis only', () => {
    expect(expiryFor('consent', NOW, retention)).toBe(UNTIL_WITHDRAWN);
    expect(expiryFor('soft_opt_in', NOW, retention)).toBeLessThan(UNTIL_WITHDRAWN);
    expect(expiryFor('pending', NOW, retention)).toBeLessThan(UNTIL_WITHDRAWN);
    expect(isExpired(UNTIL_WITHDRAWN, new Date('9999-12-31T23:59:58Z'))).toBe(false);
  });

  const decide = (events: Parameters<typeof decideChange>[1], snapshot = EMPTY) =>
    decideChange(snapshot, events, {
      now: NOW,
      retention,
      allTopics: ['newsletter', 'offers'],
      source: 'form',
      actor: 'visitor',
      formId: 'contact',
      method: 'html_form',
      statement: { version: '1', text: 'Tick to get the newsletter.' },
      newEventId: () => 'event-1',
    });
  const EMPTY: ContactSnapshot = { contact: undefined, topics: new Map(), suppression: undefined };

  it('leaves the topic and the contact without an expiry, and the other basis with its own', () => {
    const change = decide([
      { type: 'consent_given', topic: 'newsletter' },
      { type: 'soft_opt_in_granted', topic: 'offers' },
    ]);
    const byTopic = new Map(change.topics.map((topic) => [topic.topic, topic.expiresAt]));
    expect(byTopic.get('newsletter')).toBe(UNTIL_WITHDRAWN);
    expect(byTopic.get('offers')).toBe(expiryFor('soft_opt_in', NOW, retention));
    expect(change.contactExpiresAt).toBe(UNTIL_WITHDRAWN);
  });

  it('starts the withdrawn-contact clock once withdrawn', () => {
    const granted = decide([{ type: 'consent_given', topic: 'newsletter' }]);
    const snapshot: ContactSnapshot = {
      contact: { version: 1, epoch: granted.contactEpoch },
      topics: new Map(granted.topics.map((topic) => [topic.topic, topic])),
      suppression: undefined,
    };
    const withdrawn = decide([{ type: 'withdrawn', topic: 'newsletter' }], snapshot);
    expect(withdrawn.contactExpiresAt).toBe(expiryFor('withdrawn', NOW, retention));
    expect(withdrawn.topics[0]).toMatchObject({ status: 'withdrawn', expiresAt: withdrawn.contactExpiresAt });
  });

  it('issues its preferences link as of the grant, never in the future', () => {
    const topics = new Map([
      [
        'newsletter',
        { status: 'consent' as const, since: '2026-01-10T09:00:00.000Z', expiresAt: UNTIL_WITHDRAWN },
      ],
    ]);
    expect(preferencesLinkIssuedAt(topics, retention, NOW)).toEqual(new Date('2026-01-10T09:00:00.000Z'));
  });
});
