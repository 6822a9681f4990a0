/**
 * Local seed data: the people are the same for the same seed, the mix is the documented one, and every
 * person's stored state is what their recorded events replay to, within the retention rules.
 */
import { describe, expect, it } from 'vitest';
import { SEED_KINDS, SEED_MIX, type SeedKind, type SeedPerson, seedPeople } from '../../local/seed-people.ts';
import { replay } from '../../shared/domain/consent.ts';
import { createEmailHasher } from '../../shared/domain/hashing.ts';
import { addMonths, toEpochSeconds } from '../../shared/domain/retention.ts';
import { runtimeConfig, TEST_HASH_KEY } from '../support/config.ts';

const NOW = new Date('2026-11-22T10:00:00Z');
const NOW_SECONDS = toEpochSeconds(NOW);
const config = runtimeConfig();
const hasher = createEmailHasher(TEST_HASH_KEY);
const TOPICS = config.topics.map((topic) => topic.id);

const people = (seed: number, from: number, count: number, options: { now?: Date } = {}) => [
  ...seedPeople({ seed, now: options.now ?? NOW, config, hasher }, from, count),
];

/** Maps and Sets as plain arrays, so two generations can be compared as values. */
const asJson = (value: unknown) =>
  JSON.stringify(value, (_, inner) =>
    inner instanceof Map || inner instanceof Set ? [...inner] : (inner as unknown),
  );

const SAMPLE = people(7, 0, 4000);
const byKind = (kind: SeedKind) => SAMPLE.filter((person) => person.kind === kind);
const eventTypes = (person: SeedPerson) => person.contact?.change.events.map((event) => event.type) ?? [];

describe('seed people', () => {
  it('are the same for the same seed, and any range can be made on its own', () => {
    expect(asJson(people(7, 0, 300))).toBe(asJson(SAMPLE.slice(0, 300)));
    expect(asJson(people(7, 250, 20))).toBe(asJson(SAMPLE.slice(250, 270)));
  });

  it('differ between seeds, with addresses that can never collide', () => {
    const other = people(8, 0, 300);
    const emails = new Set([...SAMPLE.slice(0, 300), ...other].map((person) => person.contact?.email));
    expect(emails.size).toBe(600);
    expect(other.map((person) => person.kind)).not.toEqual(SAMPLE.slice(0, 300).map((person) => person.kind));
  });

  it('are synthetic: reserved example domains and the drama phone range', () => {
    for (const person of SAMPLE.slice(0, 500)) {
      expect(person.contact?.email).toMatch(/^[a-z]+\.[a-z]+\.7\.\d+@example\.(com|org|net)$/);
      for (const enquiry of person.enquiries) expect(enquiry.fields.phone).toMatch(/^07700 900\d{3}$/);
    }
  });

  it('follow the documented mix, with every kind among the first people', () => {
    expect(
      SAMPLE.slice(0, SEED_KINDS.length)
        .map((person) => person.kind)
        .sort(),
    ).toEqual([...SEED_KINDS].sort());
    expect(Object.values(SEED_MIX).reduce((sum, share) => sum + share, 0)).toBe(100);
    for (const kind of SEED_KINDS) {
      const share = (byKind(kind).length * 100) / SAMPLE.length;
      expect(Math.abs(share - SEED_MIX[kind]), kind).toBeLessThan(1.5);
    }
    const mailable = SAMPLE.filter((person) => person.mailable.length > 0).length;
    expect(mailable / SAMPLE.length).toBeGreaterThan(0.75);
  });

  it('each have the history of their kind, as the forms, links and preference centre record it', () => {
    const histories = (kind: SeedKind) => new Set(byKind(kind).map((person) => eventTypes(person).join(',')));
    expect(histories('consent')).toEqual(new Set(['consent_requested,consent_confirmed']));
    expect(histories('soft_opt_in')).toEqual(new Set(['soft_opt_in_granted']));
    expect(histories('pending')).toEqual(new Set(['consent_requested']));
    expect(histories('refused')).toEqual(new Set(['']));
    for (const person of byKind('both'))
      expect([...eventTypes(person)].sort()).toEqual([
        'consent_confirmed',
        'consent_requested',
        'soft_opt_in_granted',
      ]);
    for (const person of [...byKind('withdrawn'), ...byKind('suppressed')])
      expect(eventTypes(person).at(-1)).toBe('withdrawn');
    for (const person of byKind('suppressed')) {
      expect(person.contact?.change.events.at(-1)).toMatchObject({ topic: '*', source: 'link' });
      expect(person.contact?.change.suppression).toMatchObject({ all: true });
    }
    for (const person of byKind('withdrawn'))
      expect(person.contact?.change.events.at(-1)).toMatchObject({ source: 'preference_centre' });
    for (const person of byKind('refused')) {
      expect(person.contact?.change.writesContact).toBe(false);
      expect(person.contact?.change.suppression?.topics).toEqual(new Set(['offers']));
      expect(person.enquiries).toEqual([expect.objectContaining({ formId: 'quote', contactId: undefined })]);
    }
  });

  it('hold exactly the state their recorded events replay to', () => {
    for (const person of SAMPLE) {
      const change = person.contact?.change;
      // A refusal from an unknown address keeps no contact and no events, only the suppression entry.
      if (!change?.writesContact) continue;
      const state = replay(change.events, TOPICS);
      expect(new Map(change.topics.map((topic) => [topic.topic, topic.status]))).toEqual(state.topics);
      const suppression = change.suppression ?? { all: false, topics: new Set() };
      expect({ all: suppression.all, topics: suppression.topics }).toEqual(state.suppression);
    }
  });

  it('are written as new contacts, with a TTL on everything that holds personal data', () => {
    for (const person of SAMPLE) {
      const write = person.contact;
      if (!write) continue;
      expect(write.snapshot.contact).toBeUndefined();
      for (const topic of write.change.topics) expect(topic.expiresAt).toBeGreaterThan(0);
      for (const event of write.change.events) expect(event.expiresAt).toBeGreaterThan(NOW_SECONDS);
      if (write.change.writesContact && person.kind !== 'expired')
        expect(write.change.contactExpiresAt).toBeGreaterThan(NOW_SECONDS);
    }
    for (const person of byKind('expired'))
      expect(person.contact?.change.contactExpiresAt).toBeLessThanOrEqual(NOW_SECONDS);
  });

  it('list as mailable exactly the live, unrestricted consents and soft opt-ins', () => {
    const expected = (kind: SeedKind) => new Set(byKind(kind).map((person) => asJson(person.mailable)));
    expect(expected('consent')).toEqual(new Set([asJson([{ topic: 'newsletter', basis: 'consent' }])]));
    expect(expected('soft_opt_in')).toEqual(new Set([asJson([{ topic: 'offers', basis: 'soft_opt_in' }])]));
    for (const kind of ['pending', 'suppressed', 'expired', 'restricted', 'refused'] as const)
      expect(expected(kind), kind).toEqual(new Set(['[]']));
    for (const person of byKind('restricted')) {
      expect(person.contact?.restricted).toBe(true);
      expect(person.contact?.change.topics.map((topic) => topic.status)).toEqual([
        expect.stringMatching(/^(consent|soft_opt_in)$/),
      ]);
    }
    // A withdrawal of one topic of two leaves the other mailable.
    expect(byKind('withdrawn').some((person) => person.mailable.length === 1)).toBe(true);
    expect(byKind('withdrawn').some((person) => person.mailable.length === 0)).toBe(true);
  });

  it('spread grants over the retention period, and keep enquiries only while they would be kept', () => {
    const since = byKind('soft_opt_in').map((person) =>
      Date.parse(person.contact?.change.topics[0]?.since ?? ''),
    );
    const oldest = Math.min(...since);
    expect(oldest).toBeLessThan(addMonths(NOW, -12).getTime());
    expect(oldest).toBeGreaterThan(addMonths(NOW, -config.retention.softOptInMonths).getTime());
    const enquiryCutoff = addMonths(NOW, -config.retention.enquiryMonths).getTime();
    for (const person of SAMPLE)
      for (const enquiry of person.enquiries) {
        expect(Date.parse(enquiry.receivedAt)).toBeGreaterThan(enquiryCutoff);
        expect(enquiry.expiresAt).toBeGreaterThan(NOW_SECONDS);
        const form = config.forms.find((candidate) => candidate.id === enquiry.formId);
        for (const field of Object.keys(enquiry.fields)) expect(form?.keep).toContain(field);
      }
    expect(byKind('expired').every((person) => person.enquiries.length === 0)).toBe(true);
  });

  it('leave out kinds the configured forms cannot produce', () => {
    const softOnly = runtimeConfig({
      forms: config.forms.filter((form) => form.marketing.mode !== 'consent'),
    });
    const kinds = new Set(
      [...seedPeople({ seed: 1, now: NOW, config: softOnly, hasher }, 0, 500)].map((person) => person.kind),
    );
    expect(kinds).toEqual(
      new Set(['soft_opt_in', 'withdrawn', 'suppressed', 'expired', 'restricted', 'refused']),
    );
    expect(() => [
      ...seedPeople({ seed: 1, now: NOW, config: runtimeConfig({ forms: [] }), hasher }, 0, 1),
    ]).toThrow(/no form that records marketing permission/);
  });
});
