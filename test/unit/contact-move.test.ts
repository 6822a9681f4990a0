import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { retentionSchema } from '../../shared/config/schema.ts';
import type { Suppression, TopicStatus } from '../../shared/domain/consent.ts';
import type { ContactSnapshot, TopicPermission } from '../../shared/domain/contact-change.ts';
import { decideEmailChange, type MoveContext } from '../../shared/domain/contact-move.ts';
import { addDays, expiryFor, toEpochSeconds } from '../../shared/domain/retention.ts';

const NOW = new Date('2026-11-22T10:00:00Z');
const AT = NOW.toISOString();
const RETENTION = z.parse(retentionSchema, {});
const RECORD_EXPIRY = expiryFor('consentRecord', NOW, RETENTION);

const context = (): MoveContext => {
  let next = 0;
  return {
    now: NOW,
    retention: RETENTION,
    reason: 'mailchimp_upemail:suppressed',
    newEventId: () => `event-${++next}`,
  };
};

const permission = (topic: string, status: TopicStatus, expiresAt = 2_000_000_000): TopicPermission => ({
  topic,
  status,
  since: '2026-01-10T09:00:00.000Z',
  formId: 'contact',
  statementVersion: '2026-01',
  epoch: 2,
  expiresAt,
});

const suppressed = (topics: readonly string[], all = false) => ({ all, topics: new Set(topics), version: 4 });

const snapshot = (
  permissions: readonly TopicPermission[] | undefined,
  suppression?: Suppression & { version: number },
): ContactSnapshot => ({
  contact: permissions ? { version: 7, epoch: 3 } : undefined,
  topics: new Map((permissions ?? []).map((item) => [item.topic, item])),
  suppression,
});

const NOBODY = snapshot(undefined);

describe('decideEmailChange', () => {
  it('moves the permissions as they are and records the move without any address', () => {
    const held = [permission('newsletter', 'consent'), permission('offers', 'soft_opt_in', 1_900_000_000)];
    const decision = decideEmailChange(snapshot(held), NOBODY, context());

    expect(decision).toEqual({
      kind: 'move',
      plan: {
        topics: held.map((item) => ({ permission: item, withdrawnByMove: false })),
        events: [
          {
            eventId: 'event-1',
            type: 'address_changed',
            at: AT,
            topic: '*',
            source: 'mailchimp',
            actor: 'mailchimp',
            formId: undefined,
            page: undefined,
            method: undefined,
            statement: undefined,
            reason: undefined,
            liftedSuppression: false,
            epoch: 3,
            expiresAt: RECORD_EXPIRY,
          },
        ],
        suppression: undefined,
        contactExpiresAt: 2_000_000_000,
      },
    });
    expect(JSON.stringify(decision)).not.toContain('@');
  });

  it('withdraws each topic the new address is suppressed for, and only those', () => {
    const decision = decideEmailChange(
      snapshot([permission('newsletter', 'consent'), permission('offers', 'soft_opt_in', 1_900_000_000)]),
      snapshot(undefined, suppressed(['newsletter'])),
      context(),
    );
    if (decision.kind !== 'move') throw new Error(decision.kind);
    const { topics, events, suppression, contactExpiresAt } = decision.plan;
    expect(contactExpiresAt).toBe(1_900_000_000);
    expect(topics).toEqual([
      {
        permission: { ...permission('newsletter', 'withdrawn'), since: AT, expiresAt: 1_900_000_000 },
        withdrawnByMove: true,
      },
      { permission: permission('offers', 'soft_opt_in', 1_900_000_000), withdrawnByMove: false },
    ]);
    expect(events.map(({ type, topic, reason, epoch }) => ({ type, topic, reason, epoch }))).toEqual([
      { type: 'address_changed', topic: '*', reason: undefined, epoch: 3 },
      { type: 'withdrawn', topic: 'newsletter', reason: 'mailchimp_upemail:suppressed', epoch: 2 },
    ]);
    expect(suppression).toBeUndefined();
  });

  it('withdraws everything, in one event, when the new address is suppressed for everything', () => {
    const decision = decideEmailChange(
      snapshot([permission('newsletter', 'consent'), permission('offers', 'pending')]),
      snapshot(undefined, suppressed([], true)),
      context(),
    );
    if (decision.kind !== 'move') throw new Error(decision.kind);
    const expiry = toEpochSeconds(addDays(NOW, RETENTION.withdrawnDays));
    expect(decision.plan.contactExpiresAt).toBe(expiry);
    expect(decision.plan.topics.map(({ permission: item }) => [item.status, item.expiresAt])).toEqual([
      ['withdrawn', expiry],
      ['withdrawn', expiry],
    ]);
    expect(decision.plan.events.map(({ type, topic }) => `${type} ${topic}`)).toEqual([
      'address_changed *',
      'withdrawn *',
    ]);
  });

  it("carries the old address's suppression to the new one", () => {
    const decision = decideEmailChange(
      snapshot(
        [permission('newsletter', 'consent'), permission('offers', 'withdrawn', 0)],
        suppressed(['offers']),
      ),
      snapshot(undefined, suppressed(['events'])),
      context(),
    );
    if (decision.kind !== 'move') throw new Error(decision.kind);
    expect(decision.plan.suppression).toEqual({ all: false, topics: new Set(['events', 'offers']) });
    expect(decision.plan.topics.map(({ permission: item }) => item.status)).toEqual(['consent', 'withdrawn']);
    expect(decision.plan.topics[1]?.withdrawnByMove).toBe(false);
  });

  it('never merges with a live contact at the new address', () => {
    expect(
      decideEmailChange(snapshot([permission('newsletter', 'consent')]), snapshot([]), context()),
    ).toEqual({ kind: 'address_in_use' });
  });

  it('with nobody at the old address, only carries its suppression, and never onto a live contact', () => {
    expect(decideEmailChange(snapshot(undefined, suppressed([], true)), NOBODY, context())).toEqual({
      kind: 'suppress',
      suppression: { all: true, topics: new Set() },
    });
    expect(
      decideEmailChange(
        snapshot(undefined, suppressed(['offers'])),
        snapshot(undefined, suppressed(['offers'])),
        context(),
      ),
    ).toEqual({ kind: 'nothing' });
    expect(decideEmailChange(snapshot(undefined, suppressed(['offers'])), snapshot([]), context())).toEqual({
      kind: 'nothing',
    });
    expect(decideEmailChange(NOBODY, NOBODY, context())).toEqual({ kind: 'nothing' });
  });
});
