import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseEmail, parseEmail } from '../../shared/domain/email.ts';
import { createEmailHasher } from '../../shared/domain/hashing.ts';
import { addMonths, expiryFor, isExpired, toEpochSeconds } from '../../shared/domain/retention.ts';
import { runtimeConfig, TEST_HASH_KEY } from '../support/config.ts';

describe('retention', () => {
  it('adds calendar months in UTC, clamping to the month end', () => {
    expect(addMonths(new Date('2026-01-31T12:00:00Z'), 1).toISOString()).toBe('2026-02-28T12:00:00.000Z');
    expect(addMonths(new Date('2027-11-30T00:00:00Z'), 3).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(addMonths(new Date('2026-11-22T10:00:00Z'), 24).toISOString()).toBe('2028-11-22T10:00:00.000Z');
  });

  it('uses the configured periods', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    const { retention } = runtimeConfig();
    expect(expiryFor('pending', now, retention)).toBe(toEpochSeconds(now) + 30 * 86_400);
    expect(expiryFor('soft_opt_in', now, retention)).toBe(Date.parse('2028-05-22T10:00:00Z') / 1000);
  });

  it('treats an item as expired from its TTL second on', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    expect(isExpired(toEpochSeconds(now), now)).toBe(true);
    expect(isExpired(toEpochSeconds(now) + 1, now)).toBe(false);
    expect(isExpired(undefined, now)).toBe(false);
  });
});

describe('email identity', () => {
  it('normalises case and surrounding space only', () => {
    expect(normaliseEmail('  Ada.Lovelace+News@Example.COM ')).toBe('ada.lovelace+news@example.com');
  });

  it('accepts ordinary and international addresses, refuses broken ones', () => {
    for (const ok of ['a@example.com', 'first.last+tag@sub.example.co.uk', 'josé@exämple.de'])
      expect(parseEmail(ok)).toBeDefined();
    for (const bad of [
      '',
      'a@',
      '@b.com',
      'a b@c.com',
      'a@b',
      'a@b..com',
      '.a@b.com',
      `${'a'.repeat(65)}@b.com`,
    ]) {
      expect(parseEmail(bad)).toBeUndefined();
    }
  });

  it('derives different, stable, keyed ids for contacts and suppression', () => {
    const hasher = createEmailHasher(TEST_HASH_KEY);
    const other = createEmailHasher(`${TEST_HASH_KEY}-rotated`);
    expect(hasher.contactId('a@example.com')).toMatch(/^[0-9a-f]{32}$/);
    expect(hasher.suppressionHash('a@example.com')).toMatch(/^[0-9a-f]{64}$/);
    expect(hasher.contactId('a@example.com')).toBe(hasher.contactId('a@example.com'));
    expect(hasher.suppressionHash('a@example.com').startsWith(hasher.contactId('a@example.com'))).toBe(false);
    expect(other.contactId('a@example.com')).not.toBe(hasher.contactId('a@example.com'));
    expect(() => createEmailHasher('short')).toThrow('at least 32');
  });

  it('never lets two addresses share an id', () => {
    const hasher = createEmailHasher(TEST_HASH_KEY);
    fc.assert(
      fc.property(fc.emailAddress(), fc.emailAddress(), (a, b) => {
        fc.pre(a !== b);
        expect(hasher.contactId(a)).not.toBe(hasher.contactId(b));
      }),
    );
  });
});
