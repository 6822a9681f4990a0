import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type KeyRing,
  parseKeyRing,
  signToken,
  TOKEN_LIFETIME_SECONDS,
  type TokenClaims,
  type TokenPurpose,
  verifyToken,
} from '../../shared/domain/tokens.ts';

const PURPOSES: readonly TokenPurpose[] = ['unsubscribe', 'preferences', 'confirm', 'verify', 'privacy'];
const BASE64URL_AND_DOT = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';

const KEY_1 = 'first-key-0123456789abcdefghijklmnopqrstuvwxyz';
const KEY_2 = 'second-key-0123456789abcdefghijklmnopqrstuvwxy';
const KEY_3 = 'third-key-0123456789abcdefghijklmnopqrstuvwxyz';

const ring = (current: string, keys: Record<string, string>): KeyRing =>
  parseKeyRing(JSON.stringify({ current, ...keys }));

const NOW = new Date('2026-11-22T10:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const RING = ring('k2', { k2: KEY_2, k1: KEY_1 });

const claims = (overrides: Partial<TokenClaims> = {}): TokenClaims => ({
  contactId: '0123456789abcdef0123456789abcdef',
  purpose: 'unsubscribe',
  epoch: 3,
  issuedAt: NOW_SECONDS,
  ...overrides,
});

const arbitraryClaims = fc.record({
  contactId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  purpose: fc.constantFrom(...PURPOSES),
  epoch: fc.maxSafeNat(),
  issuedAt: fc.integer({ min: 0, max: 4_000_000_000 }),
});

/** A moment at which a token issued at `issuedAt` is still valid. */
const justIssued = (issuedAt: number) => new Date(issuedAt * 1000);

describe('link tokens', () => {
  it.each(PURPOSES)('round-trips the claims of a %s token', (purpose) => {
    const issued = claims({ purpose });
    const token = signToken(RING, issued);
    expect(verifyToken(RING, token, purpose, NOW)).toEqual({ ok: true, claims: issued });
  });

  it('round-trips any valid claims in a URL-safe token of at most 300 characters', () => {
    fc.assert(
      fc.property(arbitraryClaims, (issued) => {
        const token = signToken(RING, issued);
        expect(token).toMatch(/^v1\.k2\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
        expect(encodeURIComponent(token)).toBe(token);
        expect(token.length).toBeLessThanOrEqual(300);
        expect(verifyToken(RING, token, issued.purpose, justIssued(issued.issuedAt))).toEqual({
          ok: true,
          claims: issued,
        });
      }),
    );
  });

  it('has the documented format: HMAC-SHA256 over the label, key id and payload', () => {
    const token = signToken(RING, claims());
    const [version, keyId, payload, signature] = token.split('.');
    expect([version, keyId]).toEqual(['v1', 'k2']);
    expect(Buffer.from(payload ?? '', 'base64url').toString()).toBe(
      `0123456789abcdef0123456789abcdef.u.3.${NOW_SECONDS}`,
    );
    const expected = createHmac('sha256', KEY_2)
      .update(`consent-desk/link-token/v1\nk2.${payload}`)
      .digest('base64url');
    expect(signature).toBe(expected);
  });

  it('fails when any single character of a valid token is changed', () => {
    fc.assert(
      fc.property(
        arbitraryClaims,
        fc.nat(),
        fc.constantFrom(...BASE64URL_AND_DOT),
        (issued, position, replacement) => {
          const token = signToken(RING, issued);
          const index = position % token.length;
          fc.pre(token[index] !== replacement);
          const changed = token.slice(0, index) + replacement + token.slice(index + 1);
          const check = verifyToken(RING, changed, issued.purpose, justIssued(issued.issuedAt));
          expect(check.ok).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('fails when the last signature character differs only in its unused bits', () => {
    const token = signToken(RING, claims());
    const last = token.at(-1) ?? '';
    // 43 characters carry 258 bits for 256: the last character's two low bits are padding.
    const index = BASE64URL_AND_DOT.indexOf(last);
    const sibling = BASE64URL_AND_DOT[index ^ 1] ?? '';
    const changed = token.slice(0, -1) + sibling;
    expect(Buffer.from(changed.split('.')[3] ?? '', 'base64url')).toEqual(
      Buffer.from(token.split('.')[3] ?? '', 'base64url'),
    );
    expect(verifyToken(RING, changed, 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  describe('purposes are not interchangeable', () => {
    /** The one-letter codes the payload carries. */
    const PURPOSE_CODES: Record<TokenPurpose, string> = {
      unsubscribe: 'u',
      preferences: 'p',
      confirm: 'c',
      verify: 'v',
      privacy: 'r',
    };
    const pairs = PURPOSES.flatMap((issued) =>
      PURPOSES.filter((other) => other !== issued).map((other) => [issued, other] as const),
    );

    it.each(pairs)('a %s token fails as %s', (issued, other) => {
      const token = signToken(RING, claims({ purpose: issued }));
      expect(verifyToken(RING, token, other, NOW)).toEqual({ ok: false, reason: 'wrong_purpose' });
    });

    it.each(pairs)('a %s token rewritten to %s breaks its signature', (issued, other) => {
      const token = signToken(RING, claims({ purpose: issued }));
      const [version, keyId, payload, signature] = token.split('.');
      const fields = Buffer.from(payload ?? '', 'base64url')
        .toString()
        .split('.');
      fields[1] = PURPOSE_CODES[other];
      const rewritten = Buffer.from(fields.join('.')).toString('base64url');
      const forged = [version, keyId, rewritten, signature].join('.');
      expect(verifyToken(RING, forged, other, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    });
  });

  describe('key rotation', () => {
    const before = ring('k1', { k1: KEY_1 });
    const rotated = ring('k2', { k2: KEY_2, k1: KEY_1 });
    const rotatedAgain = ring('k3', { k3: KEY_3, k2: KEY_2 });

    it('signs with the current key and still verifies the previous one', () => {
      const old = signToken(before, claims());
      const fresh = signToken(rotated, claims());
      expect(old.startsWith('v1.k1.')).toBe(true);
      expect(fresh.startsWith('v1.k2.')).toBe(true);
      expect(verifyToken(rotated, old, 'unsubscribe', NOW).ok).toBe(true);
      expect(verifyToken(rotated, fresh, 'unsubscribe', NOW).ok).toBe(true);
    });

    it('refuses tokens of a key rotated out of the ring', () => {
      const old = signToken(before, claims());
      const previous = signToken(rotated, claims());
      expect(verifyToken(rotatedAgain, old, 'unsubscribe', NOW)).toEqual({
        ok: false,
        reason: 'unknown_key',
      });
      expect(verifyToken(rotatedAgain, previous, 'unsubscribe', NOW).ok).toBe(true);
    });

    it('refuses tokens from another ring that uses the same key id', () => {
      const other = ring('k1', { k1: KEY_3 });
      const token = signToken(other, claims());
      expect(verifyToken(before, token, 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    });

    it('refuses a valid token moved to another key id of the ring', () => {
      const token = signToken(before, claims());
      const moved = token.replace('v1.k1.', 'v1.k2.');
      expect(verifyToken(rotated, moved, 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    });
  });

  describe('expiry', () => {
    it('keeps the documented lifetimes', () => {
      expect(TOKEN_LIFETIME_SECONDS).toEqual({
        unsubscribe: 1095 * 86_400,
        preferences: 730 * 86_400,
        confirm: 30 * 86_400,
        verify: 14 * 86_400,
        privacy: 86_400,
      });
    });

    it.each(PURPOSES)('a %s token works until its lifetime ends, and not from then on', (purpose) => {
      const token = signToken(RING, claims({ purpose }));
      const end = (NOW_SECONDS + TOKEN_LIFETIME_SECONDS[purpose]) * 1000;
      expect(verifyToken(RING, token, purpose, new Date(end - 1)).ok).toBe(true);
      expect(verifyToken(RING, token, purpose, new Date(end))).toEqual({ ok: false, reason: 'expired' });
      expect(verifyToken(RING, token, purpose, new Date(end + 86_400_000))).toEqual({
        ok: false,
        reason: 'expired',
      });
    });

    it('accepts an issue time up to five minutes ahead of the clock, and not more', () => {
      const token = signToken(RING, claims());
      expect(verifyToken(RING, token, 'unsubscribe', new Date(NOW.getTime() - 300_000)).ok).toBe(true);
      expect(verifyToken(RING, token, 'unsubscribe', new Date(NOW.getTime() - 301_000))).toEqual({
        ok: false,
        reason: 'malformed',
      });
    });

    it('fails closed on an invalid clock', () => {
      const token = signToken(RING, claims());
      expect(verifyToken(RING, token, 'unsubscribe', new Date(Number.NaN))).toEqual({
        ok: false,
        reason: 'expired',
      });
    });
  });

  describe('malformed input', () => {
    it.each([
      ['not a string', 42],
      ['empty', ''],
      ['another version', signToken(RING, claims()).replace(/^v1/, 'v2')],
      ['a short signature', signToken(RING, claims()).slice(0, -1)],
      ['padding', `${signToken(RING, claims())}=`],
      ['over 300 characters', `v1.k2.${'A'.repeat(300)}.${'A'.repeat(43)}`],
    ])('refuses a token that is %s', (_label, token) => {
      expect(verifyToken(RING, token, 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('refuses an unknown key id', () => {
      const token = signToken(RING, claims()).replace('v1.k2.', 'v1.k9.');
      expect(verifyToken(RING, token, 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'unknown_key' });
    });

    it.each([
      ['no fields', 'abc'],
      ['an unknown purpose', `0123.x.1.${NOW_SECONDS}`],
      ['a negative epoch', `0123.u.-1.${NOW_SECONDS}`],
      ['a leading zero', `0123.u.01.${NOW_SECONDS}`],
      ['an unsafe integer', `0123.u.9999999999999999.${NOW_SECONDS}`],
      ['an extra field', `0123.u.1.${NOW_SECONDS}.1`],
    ])('refuses a correctly signed payload with %s', (_label, text) => {
      const payload = Buffer.from(text).toString('base64url');
      const signature = createHmac('sha256', KEY_2)
        .update(`consent-desk/link-token/v1\nk2.${payload}`)
        .digest('base64url');
      const token = `v1.k2.${payload}.${signature}`;
      expect(verifyToken(RING, token, 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('never throws, whatever the token', () => {
      const tokenShaped = fc
        .tuple(
          fc.stringMatching(/^[a-z0-9]{1,8}$/),
          fc.stringMatching(/^[A-Za-z0-9_-]{1,200}$/),
          fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        )
        .map(([keyId, payload, signature]) => `v1.${keyId}.${payload}.${signature}`);
      fc.assert(
        fc.property(
          fc.oneof(
            fc.anything(),
            fc.string(),
            fc.string({ unit: 'binary' }),
            fc.string({ minLength: 300, maxLength: 5_000 }),
            tokenShaped,
          ),
          fc.constantFrom(...PURPOSES),
          (token, purpose) => {
            const check = verifyToken(RING, token, purpose, NOW);
            expect(check.ok).toBe(false);
          },
        ),
        { numRuns: 1000 },
      );
    });
  });

  it.each([
    ['a contact id with other characters', { contactId: 'a.b' }],
    ['an empty contact id', { contactId: '' }],
    ['a contact id over 64 characters', { contactId: 'a'.repeat(65) }],
    ['an unknown purpose', { purpose: 'delete' as TokenPurpose }],
    ['a negative epoch', { epoch: -1 }],
    ['a fractional epoch', { epoch: 1.5 }],
    ['a fractional issue time', { issuedAt: NOW_SECONDS + 0.5 }],
  ])('refuses to sign %s', (_label, change) => {
    expect(() => signToken(RING, claims(change))).toThrow();
  });

  it('refuses to sign with a ring whose current key is missing', () => {
    expect(() => signToken({ currentKeyId: 'k9', keys: new Map() }, claims())).toThrow('not in the ring');
  });
});

describe('the key ring', () => {
  it('reads the current and the previous key', () => {
    const parsed = parseKeyRing(JSON.stringify({ current: 'k2', k2: KEY_2, k1: KEY_1 }));
    expect(parsed.currentKeyId).toBe('k2');
    expect([...parsed.keys.keys()].sort()).toEqual(['k1', 'k2']);
    expect(parsed.keys.get('k1')).toEqual(Buffer.from(KEY_1));
  });

  const SECRET = 'S3cretKeyMaterial0123456789abcdefXYZ';
  it.each([
    ['non-JSON', `{"current":"k1","k1":"${SECRET}"`, 'not valid JSON'],
    ['a JSON string', JSON.stringify(SECRET), 'JSON object'],
    ['an array', JSON.stringify([SECRET]), 'JSON object'],
    ['no current', JSON.stringify({ k1: SECRET }), '"current"'],
    ['a current that is not a key id', JSON.stringify({ current: SECRET, k1: SECRET }), '"current"'],
    ['a current not in the ring', JSON.stringify({ current: 'k2', k1: SECRET }), 'not in the ring'],
    ['a short key', JSON.stringify({ current: 'k1', k1: SECRET.slice(0, 31) }), 'at least 32'],
    ['a key that is not a string', JSON.stringify({ current: 'k1', k1: 12345 }), 'at least 32'],
    [
      'three keys',
      JSON.stringify({ current: 'k3', k3: SECRET, k2: `${SECRET}2`, k1: `${SECRET}1` }),
      'at most 2',
    ],
    ['an upper-case key id', JSON.stringify({ current: 'k1', k1: SECRET, K2: SECRET }), 'key id'],
    [
      'a key id over 8 characters',
      JSON.stringify({ current: 'k1', k1: SECRET, k123456789: SECRET }),
      'key id',
    ],
    ['key material as a key id', JSON.stringify({ current: 'k1', k1: SECRET, [SECRET]: SECRET }), 'key id'],
  ])('refuses %s without revealing key material', (_label, secretString, message) => {
    let error: unknown;
    try {
      parseKeyRing(secretString);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    const { message: text, cause } = error as Error;
    expect(text).toContain(message);
    for (const fragment of [SECRET, SECRET.slice(0, 31), SECRET.slice(0, 12)])
      expect(text).not.toContain(fragment);
    expect(cause).toBeUndefined();
  });
});
