import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signedPageCursors } from '../../shared/adapters/page-cursors.ts';
import {
  CURSOR_LIFETIME_SECONDS,
  InvalidCursorError,
  signCursor,
  verifyCursor,
} from '../../shared/domain/page-cursor.ts';
import { type KeyRing, parseKeyRing } from '../../shared/domain/tokens.ts';

const ring: KeyRing = parseKeyRing(JSON.stringify({ current: 'k2', k2: 'b'.repeat(40), k1: 'a'.repeat(40) }));
const oldRing: KeyRing = parseKeyRing(JSON.stringify({ current: 'k1', k1: 'a'.repeat(40) }));
const strangerRing: KeyRing = parseKeyRing(JSON.stringify({ current: 'k2', k2: 'c'.repeat(40) }));
const now = new Date('2026-11-22T10:00:00Z');
const key = { pk: 'CONTACT#abc', sk: 'TOPIC#newsletter', gsi1pk: 'TOPIC#newsletter', gsi1sk: 'consent#abc' };
const scope = 'contacts|newsletter|consent';

describe('page cursors', () => {
  it('give back the position they were signed with, for the same scope', () => {
    const cursor = signCursor(ring, scope, key, now);
    expect(verifyCursor(ring, cursor, scope, now)).toEqual(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_.-]+$/);
  });

  it('refuse another scope: a cursor cannot widen or move its filter', () => {
    const cursor = signCursor(ring, scope, key, now);
    expect(() => verifyCursor(ring, cursor, 'contacts|newsletter|any', now)).toThrow(InvalidCursorError);
    expect(() => verifyCursor(ring, cursor, 'contacts|offers|consent', now)).toThrow(InvalidCursorError);
  });

  it('refuse a payload re-encoded with another position under the old signature', () => {
    const cursor = signCursor(ring, scope, key, now);
    const [, keyId, signature] = cursor.split('.');
    const forged = Buffer.from(
      JSON.stringify({ s: scope, k: { ...key, gsi1pk: 'ENQUIRIES' }, t: Math.floor(now.getTime() / 1000) }),
    ).toString('base64url');
    expect(() => verifyCursor(ring, `${forged}.${keyId}.${signature}`, scope, now)).toThrow(
      InvalidCursorError,
    );
  });

  it('verify with the previous key after a rotation, and not with a stranger key', () => {
    const cursor = signCursor(oldRing, scope, key, now);
    expect(verifyCursor(ring, cursor, scope, now)).toEqual(key);
    expect(() => verifyCursor(strangerRing, signCursor(ring, scope, key, now), scope, now)).toThrow(
      InvalidCursorError,
    );
  });

  it('expire after their lifetime', () => {
    const cursor = signCursor(ring, scope, key, now);
    const later = new Date(now.getTime() + CURSOR_LIFETIME_SECONDS * 1000);
    expect(() => verifyCursor(ring, cursor, scope, later)).toThrow(InvalidCursorError);
    expect(verifyCursor(ring, cursor, scope, new Date(later.getTime() - 1000))).toEqual(key);
  });

  it('fail on any changed character', () => {
    const cursor = signCursor(ring, scope, key, now);
    fc.assert(
      fc.property(
        fc.nat({ max: cursor.length - 1 }),
        fc.constantFrom(...'AZaz09-_.x'),
        (position, replacement) => {
          fc.pre(cursor[position] !== replacement);
          const changed = `${cursor.slice(0, position)}${replacement}${cursor.slice(position + 1)}`;
          expect(() => verifyCursor(ring, changed, scope, now)).toThrow(InvalidCursorError);
        },
      ),
    );
  });

  it('never throw anything but InvalidCursorError, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (input) => {
        expect(() => verifyCursor(ring, input, scope, now)).toThrow(InvalidCursorError);
      }),
    );
  });
});

describe('the page-cursors port, signed with the key ring', () => {
  const cursors = signedPageCursors(async () => ring);

  it('opens what it signed, for the same scope', async () => {
    const cursor = await cursors.sign(scope, key, now);
    expect(await cursors.open(cursor, scope, now)).toEqual(key);
  });

  it('opens nothing it did not sign for this scope, and says no more', async () => {
    const cursor = await cursors.sign(scope, key, now);
    expect(await cursors.open(cursor, 'contacts|offers|consent', now)).toBeUndefined();
    expect(await cursors.open(signCursor(strangerRing, scope, key, now), scope, now)).toBeUndefined();
    expect(await cursors.open('not-a-cursor', scope, now)).toBeUndefined();
  });

  it('lets a failure to read the keys through rather than calling the cursor invalid', async () => {
    const unavailable = signedPageCursors(async () => {
      throw new Error('Secrets Manager unavailable');
    });
    await expect(unavailable.open('x.k1.y', scope, now)).rejects.toThrow('Secrets Manager unavailable');
  });
});
