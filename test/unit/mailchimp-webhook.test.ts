import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { parseRuntimeConfig, retentionSchema } from '../../shared/config/schema.ts';
import {
  ALL_TOPICS,
  isMailable,
  isSuppressed,
  NO_SUPPRESSION,
  type Suppression,
  type TopicStatus,
} from '../../shared/domain/consent.ts';
import {
  type ContactChange,
  type ContactSnapshot,
  decideChange,
  type TopicPermission,
} from '../../shared/domain/contact-change.ts';
import { decideEmailChange } from '../../shared/domain/contact-move.ts';
import {
  deliveryId,
  emailChange,
  field,
  firedAt,
  MAILCHIMP_SIGNUP_METHOD,
  MAILCHIMP_SIGNUP_STATEMENT,
  MAX_NAME_LENGTH,
  mergedName,
  notSuperseded,
  parseDelivery,
  signupTopics,
  subscribeRequests,
  urlKeyMatches,
  verifySignature,
} from '../../shared/domain/mailchimp-webhook.ts';
import { expiryFor } from '../../shared/domain/retention.ts';
import { runtimeConfig } from '../support/config.ts';

const KEY = 'webhook-signing-key-0123456789abcdef';
const NOW = new Date('2026-11-22T10:00:00Z');
const T = Math.floor(NOW.getTime() / 1000);
const BODY = Buffer.from(
  'type=unsubscribe&fired_at=2026-11-22+10%3A00%3A00&data%5Baction%5D=unsub&data%5Breason%5D=manual&data%5Bemail%5D=ada%40example.com&data%5Bmerges%5D%5BFNAME%5D=Ada&data%5Blist_id%5D=abc',
);
const sign = (t: number, body: Buffer, key = KEY) =>
  `t=${t},v1=${createHmac('sha256', key).update(`${t}.`).update(body).digest('hex')}`;
const fieldsOf = (body: Buffer) => {
  const map = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(body.toString()))
    map.set(name, [...(map.get(name) ?? []), value]);
  return map;
};

const RETENTION = z.parse(retentionSchema, {});
const TOPICS = ['newsletter', 'offers'] as const;
const SIGNUP = [...TOPICS];
const EMPTY: ContactSnapshot = { contact: undefined, topics: new Map(), suppression: undefined };

const permission = (topic: string, status: TopicStatus): TopicPermission => ({
  topic,
  status,
  since: '2026-01-10T09:00:00.000Z',
  formId: 'contact',
  statementVersion: '2026-01',
  epoch: 1,
  expiresAt: status === 'withdrawn' ? 0 : expiryFor(status === 'none' ? 'withdrawn' : status, NOW, RETENTION),
});

const holding = (permissions: readonly TopicPermission[], suppression?: Suppression): ContactSnapshot => ({
  contact: { version: 1, epoch: 1 },
  topics: new Map(permissions.map((item) => [item.topic, item])),
  suppression: suppression && { ...suppression, version: 1 },
});

/** The snapshot after a change is written, as the repository would store it. */
function written(snapshot: ContactSnapshot, change: ContactChange): ContactSnapshot {
  const topics = new Map(snapshot.topics);
  for (const item of change.topics) topics.set(item.topic, item);
  const next = change.suppression;
  return {
    contact: change.writesContact
      ? { version: (snapshot.contact?.version ?? 0) + 1, epoch: change.contactEpoch }
      : snapshot.contact,
    topics,
    suppression:
      next === undefined
        ? snapshot.suppression
        : next.all || next.topics.size > 0
          ? { ...next, version: (snapshot.suppression?.version ?? 0) + 1 }
          : undefined,
  };
}

function withdrawEverything(snapshot: ContactSnapshot, newEventId: () => string): ContactChange {
  return decideChange(snapshot, [{ type: 'withdrawn', topic: ALL_TOPICS }], {
    now: NOW,
    retention: RETENTION,
    allTopics: TOPICS,
    source: 'mailchimp',
    actor: 'mailchimp',
    newEventId,
  });
}

describe('verifySignature', () => {
  it('accepts a signature over the exact raw body within five minutes', () => {
    expect(verifySignature(sign(T, BODY), BODY, KEY, NOW)).toBe('valid');
    expect(verifySignature(sign(T - 299, BODY), BODY, KEY, NOW)).toBe('valid');
  });

  it('refuses stale, missing, malformed and mismatched signatures', () => {
    expect(verifySignature(sign(T - 301, BODY), BODY, KEY, NOW)).toBe('stale');
    expect(verifySignature(sign(T + 301, BODY), BODY, KEY, NOW)).toBe('stale');
    expect(verifySignature(undefined, BODY, KEY, NOW)).toBe('missing');
    expect(verifySignature('nonsense', BODY, KEY, NOW)).toBe('malformed');
    expect(verifySignature(`t=${T}`, BODY, KEY, NOW)).toBe('malformed');
    expect(verifySignature(sign(T, BODY, 'another-key-0123456789abcdef'), BODY, KEY, NOW)).toBe('mismatch');
    expect(verifySignature(sign(T, Buffer.concat([BODY, Buffer.from('&x=1')])), BODY, KEY, NOW)).toBe(
      'mismatch',
    );
  });

  it('fails for any single changed byte of the body, and never throws', () => {
    fc.assert(
      fc.property(fc.nat(BODY.length - 1), fc.integer({ min: 1, max: 255 }), (index, delta) => {
        const tampered = Buffer.from(BODY);
        tampered[index] = ((tampered[index] ?? 0) + delta) % 256;
        expect(verifySignature(sign(T, BODY), tampered, KEY, NOW)).toBe('mismatch');
      }),
    );
    fc.assert(
      fc.property(fc.string(), (header) => {
        expect(['missing', 'malformed', 'stale', 'mismatch']).toContain(
          verifySignature(header, BODY, KEY, NOW),
        );
      }),
    );
  });
});

describe('urlKeyMatches', () => {
  it('matches only the exact key', () => {
    expect(urlKeyMatches('s3cret-key-value', 's3cret-key-value')).toBe(true);
    expect(urlKeyMatches('s3cret-key-valuE', 's3cret-key-value')).toBe(false);
    expect(urlKeyMatches('s3cret', 's3cret-key-value')).toBe(false);
    expect(urlKeyMatches(undefined, 's3cret-key-value')).toBe(false);
  });
});

describe('parseDelivery', () => {
  it('reads the type and nested data keys', () => {
    const delivery = parseDelivery(fieldsOf(BODY));
    expect(delivery?.type).toBe('unsubscribe');
    expect(delivery && field(delivery, 'email')).toBe('ada@example.com');
    expect(delivery && field(delivery, 'merges', 'FNAME')).toBe('Ada');
    expect(delivery && field(delivery, 'merges', 'LNAME')).toBeUndefined();
  });

  it('ignores unknown types and prototype-reaching keys', () => {
    expect(parseDelivery(fieldsOf(Buffer.from('type=hack&data[email]=x')))).toBeUndefined();
    const delivery = parseDelivery(
      fieldsOf(Buffer.from('type=profile&data[__proto__][polluted]=1&data[constructor][x]=1')),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(delivery?.data).toEqual({});
  });

  it('never throws on arbitrary fields', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 20 }), (entries) => {
        const map = new Map<string, string[]>([['type', ['cleaned']]]);
        for (const [name, value] of entries) map.set(name, [value]);
        expect(() => parseDelivery(map)).not.toThrow();
      }),
    );
  });
});

describe('deliveryId', () => {
  it('is the same for the same delivery and differs otherwise', () => {
    expect(deliveryId(BODY)).toBe(deliveryId(Buffer.from(BODY)));
    expect(deliveryId(BODY)).not.toBe(deliveryId(Buffer.concat([BODY, Buffer.from('&')])));
  });
});

const delivery = (type: string, data: Record<string, string>) =>
  parseDelivery(
    fieldsOf(
      Buffer.from(
        new URLSearchParams({
          type,
          fired_at: '2026-11-22 10:00:00',
          ...Object.fromEntries(Object.entries(data).map(([name, value]) => [`data${name}`, value])),
        }).toString(),
      ),
    ),
  );

describe('emailChange', () => {
  it("reads upemail's old and new address, normalised", () => {
    const upemail = delivery('upemail', {
      '[list_id]': 'abc',
      '[new_id]': '51aa6e2b3a',
      '[new_email]': ' Ada@Example.org ',
      '[old_email]': 'ada@example.com',
    });
    expect(upemail && emailChange(upemail)).toEqual({ from: 'ada@example.com', to: 'ada@example.org' });
  });

  it('is undefined unless both addresses are valid', () => {
    const deliveries: Record<string, string>[] = [
      { '[old_email]': 'ada@example.com' },
      { '[new_email]': 'ada@example.org' },
      { '[old_email]': 'ada@example.com', '[new_email]': 'not an address' },
    ];
    for (const data of deliveries) {
      const upemail = delivery('upemail', data);
      expect(upemail && emailChange(upemail)).toBeUndefined();
    }
  });
});

describe('mergedName', () => {
  const profile = (merges: Record<string, string>) => {
    const parsed = delivery(
      'profile',
      Object.fromEntries(Object.entries(merges).map(([tag, value]) => [`[merges][${tag}]`, value])),
    );
    if (!parsed) throw new Error('unparsed');
    return mergedName(parsed);
  };

  it('joins FNAME and LNAME, trimmed', () => {
    expect(profile({ FNAME: '  Ada ', LNAME: ' King ' })).toBe('Ada King');
    expect(profile({ FNAME: 'Ada', LNAME: '' })).toBe('Ada');
    expect(profile({ LNAME: 'Lovelace' })).toBe('Lovelace');
    expect(profile({ FNAME: 'Ada\n\tMary', LNAME: 'King' })).toBe('Ada Mary King');
  });

  it("is '' when both are blank and undefined when neither is sent", () => {
    expect(profile({ FNAME: ' ', LNAME: '' })).toBe('');
    expect(profile({ EMAIL: 'ada@example.com' })).toBeUndefined();
  });

  it('keeps at most 100 characters, never splitting a character', () => {
    expect(profile({ FNAME: 'A'.repeat(80), LNAME: 'B'.repeat(80) })).toBe(
      `${'A'.repeat(80)} ${'B'.repeat(19)}`,
    );
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 120 }),
        fc.string({ maxLength: 120 }),
        (first, last) => {
          const name = profile({ FNAME: first, LNAME: last }) ?? '';
          expect(Array.from(name).length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
          expect(name).toBe(name.trim());
          expect(name.isWellFormed()).toBe(true);
        },
      ),
    );
  });
});

describe('signupTopics', () => {
  it('defaults to the topics of consent-mode forms, and follows the setting when given', () => {
    const config = runtimeConfig();
    expect(signupTopics(config)).toEqual(['newsletter']);
    expect(signupTopics({ ...config, mailchimpSignupTopics: ['offers'] })).toEqual(['offers']);
    expect(signupTopics({ ...config, mailchimpSignupTopics: [] })).toEqual([]);
  });

  it('must name configured topics', () => {
    expect(() => parseRuntimeConfig({ ...runtimeConfig(), mailchimpSignupTopics: ['sweets'] })).toThrow(
      /unknown topic sweets[\s\S]*mailchimpSignupTopics/,
    );
  });
});

describe('subscribeRequests', () => {
  it('confirms a pending double opt-in, and records nothing else', () => {
    const snapshot = holding([permission('newsletter', 'pending'), permission('offers', 'withdrawn')]);
    expect(subscribeRequests(snapshot, SIGNUP)).toEqual([{ type: 'consent_confirmed', topic: 'newsletter' }]);
  });

  it("records express consent in MailChimp's form for the signup topics of someone new", () => {
    expect(subscribeRequests(EMPTY, SIGNUP)).toEqual([
      { type: 'consent_given', topic: 'newsletter' },
      { type: 'consent_given', topic: 'offers' },
    ]);
  });

  it('never grants a withdrawn or suppressed topic, nor anything to a suppressed address', () => {
    expect(subscribeRequests(holding([permission('newsletter', 'withdrawn')]), SIGNUP)).toEqual([
      { type: 'consent_given', topic: 'offers' },
    ]);
    expect(subscribeRequests(holding([], { all: false, topics: new Set(['offers']) }), SIGNUP)).toEqual([
      { type: 'consent_given', topic: 'newsletter' },
    ]);
    expect(subscribeRequests(holding([], { all: true, topics: new Set() }), SIGNUP)).toEqual([]);
    expect(
      subscribeRequests(
        holding([permission('newsletter', 'pending')], { all: true, topics: new Set() }),
        SIGNUP,
      ),
    ).toEqual([]);
  });

  it('takes a subscribe for someone already mailable as our own sync’s echo', () => {
    expect(subscribeRequests(holding([permission('offers', 'soft_opt_in')]), SIGNUP)).toEqual([]);
  });
});

describe('no sequence of webhooks makes a withdrawn or suppressed topic mailable', () => {
  const ADDRESSES = ['a', 'b', 'c'] as const;
  type Address = (typeof ADDRESSES)[number];
  type World = Map<Address, ContactSnapshot>;

  const arbitraryStatus = fc.constantFrom<TopicStatus>('pending', 'consent', 'soft_opt_in', 'withdrawn');
  /**
   * A consistent starting point, as the rules leave it: every withdrawal suppressed its topic, nothing
   * mailable is suppressed, and `all` only where nothing is live.
   */
  const arbitrarySnapshot: fc.Arbitrary<ContactSnapshot> = fc
    .record({
      contact: fc.boolean(),
      statuses: fc.dictionary(fc.constantFrom(...TOPICS), arbitraryStatus),
      suppressed: fc.subarray([...TOPICS]),
      all: fc.boolean(),
    })
    .map(({ contact, statuses, suppressed, all }) => {
      const topics = contact
        ? new Map(Object.entries(statuses).map(([topic, status]) => [topic, permission(topic, status)]))
        : new Map<string, TopicPermission>();
      const mailable = [...topics.values()]
        .filter((item) => isMailable(item.status))
        .map((item) => item.topic);
      const live = [...topics.values()].some((item) => item.status !== 'withdrawn');
      const withdrawn = [...topics.values()]
        .filter((item) => item.status === 'withdrawn')
        .map((item) => item.topic);
      const suppressedTopics = [...new Set([...suppressed, ...withdrawn])].filter(
        (topic) => !mailable.includes(topic),
      );
      const suppression =
        all && !live
          ? { all: true, topics: new Set<string>(), version: 1 }
          : suppressedTopics.length > 0
            ? { all: false, topics: new Set(suppressedTopics), version: 1 }
            : undefined;
      return { contact: contact ? { version: 1, epoch: 1 } : undefined, topics, suppression };
    });
  const address = fc.constantFrom(...ADDRESSES);
  const arbitraryDelivery = fc.oneof(
    fc.record({ type: fc.constantFrom('subscribe', 'unsubscribe', 'cleaned', 'profile'), at: address }),
    fc.record({ type: fc.constant('upemail'), at: address, to: address }),
  );

  const forbiddenIn = (snapshot: ContactSnapshot): Set<string> => {
    const suppression = snapshot.suppression ?? NO_SUPPRESSION;
    return new Set([
      ...TOPICS.filter((topic) => isSuppressed(suppression, topic)),
      ...[...snapshot.topics.values()]
        .filter((item) => item.status === 'withdrawn')
        .map((item) => item.topic),
    ]);
  };

  it('holds for every address and wherever its contact moves', () => {
    fc.assert(
      fc.property(
        fc.tuple(arbitrarySnapshot, arbitrarySnapshot, arbitrarySnapshot),
        fc.array(arbitraryDelivery, { maxLength: 15 }),
        (initial, deliveries) => {
          const world: World = new Map(ADDRESSES.map((name, index) => [name, initial[index] ?? EMPTY]));
          const forbidden = new Map(ADDRESSES.map((name) => [name, forbiddenIn(world.get(name) ?? EMPTY)]));
          let next = 0;
          const newEventId = () => `event-${++next}`;

          for (const step of deliveries) {
            const at = world.get(step.at) ?? EMPTY;
            if (step.type === 'upemail' && 'to' in step && step.to !== step.at) {
              const target = world.get(step.to) ?? EMPTY;
              const decision = decideEmailChange(at, target, {
                now: NOW,
                retention: RETENTION,
                reason: 'mailchimp_upemail:suppressed',
                newEventId,
              });
              if (decision.kind === 'suppress') {
                world.set(step.to, { ...target, suppression: { ...decision.suppression, version: 2 } });
              } else if (decision.kind === 'address_in_use') {
                world.set(step.at, written(at, withdrawEverything(at, newEventId)));
              } else if (decision.kind === 'move') {
                world.set(step.to, {
                  contact: at.contact,
                  topics: new Map(decision.plan.topics.map(({ permission: item }) => [item.topic, item])),
                  suppression: decision.plan.suppression
                    ? { ...decision.plan.suppression, version: 2 }
                    : target.suppression,
                });
                world.set(step.at, { contact: undefined, topics: new Map(), suppression: at.suppression });
                const carried = forbidden.get(step.at) ?? new Set();
                forbidden.set(step.to, new Set([...(forbidden.get(step.to) ?? []), ...carried]));
              }
            } else if (step.type === 'unsubscribe' || step.type === 'cleaned') {
              world.set(step.at, written(at, withdrawEverything(at, newEventId)));
            } else if (step.type === 'subscribe') {
              const requests = subscribeRequests(at, SIGNUP);
              const change = decideChange(at, requests, {
                now: NOW,
                retention: RETENTION,
                allTopics: TOPICS,
                source: 'mailchimp',
                actor: 'mailchimp',
                method: MAILCHIMP_SIGNUP_METHOD,
                statement: MAILCHIMP_SIGNUP_STATEMENT,
                newEventId,
              });
              world.set(step.at, written(at, change));
            }

            for (const name of ADDRESSES) {
              const snapshot = world.get(name) ?? EMPTY;
              const banned = forbidden.get(name) ?? new Set();
              for (const item of snapshot.topics.values()) {
                if (banned.has(item.topic)) expect(isMailable(item.status)).toBe(false);
              }
              forbidden.set(name, new Set([...banned, ...forbiddenIn(snapshot)]));
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('firedAt', () => {
  const at = (given: string | undefined) => firedAt({ type: 'unsubscribe', firedAt: given, data: {} });

  it("reads a webhook's fired_at as UTC, and a reconciliation's ISO time with its offset", () => {
    expect(at('2026-11-22 10:00:05')).toEqual(new Date('2026-11-22T10:00:05Z'));
    expect(at('2026-11-22T11:00:05+01:00')).toEqual(new Date('2026-11-22T10:00:05Z'));
  });

  it('reads nothing else', () => {
    for (const given of [undefined, '', 'yesterday', '2026-11-22', '2026-13-45 99:00:00', '1700000000']) {
      expect(at(given)).toBeUndefined();
    }
  });
});

describe('notSuperseded', () => {
  const fired = new Date('2026-11-22T10:00:05Z');
  const since = (topic: string, status: TopicStatus, at: string): TopicPermission => ({
    ...permission(topic, status),
    since: at,
  });
  const withdrawAll = [{ type: 'withdrawn' as const, topic: ALL_TOPICS }];

  it('keeps what MailChimp says when nothing here changed after it', () => {
    const snapshot = holding([since('newsletter', 'consent', '2026-11-22T10:00:05.999Z')]);
    expect(notSuperseded(snapshot, withdrawAll, fired)).toEqual(withdrawAll);
    expect(notSuperseded(snapshot, withdrawAll, undefined)).toEqual(withdrawAll);
  });

  it('drops a request about a topic changed here after the second MailChimp fired in', () => {
    const snapshot = holding([
      since('newsletter', 'consent', '2026-11-22T10:00:06.000Z'),
      since('offers', 'soft_opt_in', '2026-11-01T00:00:00.000Z'),
    ]);
    expect(notSuperseded(snapshot, withdrawAll, fired)).toEqual([]);
    expect(
      notSuperseded(
        snapshot,
        [
          { type: 'withdrawn', topic: 'newsletter' },
          { type: 'withdrawn', topic: 'offers' },
        ],
        fired,
      ),
    ).toEqual([{ type: 'withdrawn', topic: 'offers' }]);
  });
});
