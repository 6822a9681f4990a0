import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidEmail, normaliseEmail, parseEmail } from '../../shared/domain/email.ts';
import { createEmailHasher } from '../../shared/domain/hashing.ts';

describe('the email rule', () => {
  it('takes an address as typed to one canonical form', () => {
    expect(parseEmail('  Ada.Lovelace+News@Example.COM ')).toBe('ada.lovelace+news@example.com');
    expect(parseEmail('josé@exämple.de')).toBe('josé@xn--exmple-cua.de');
    expect(parseEmail('JOSÉ@XN--EXMPLE-CUA.DE')).toBe('josé@xn--exmple-cua.de');
    // The decomposed é (e + combining acute) is the same person as the composed one.
    expect(parseEmail('jose\u0301@example.com')).toBe('jos\u00e9@example.com');
    expect(parseEmail("o'brien@example.com")).toBe("o'brien@example.com");
  });

  it.each([
    ['a right-to-left override', 'ab\u202ecd@example.com'],
    ['a zero-width space', 'zw\u200b@example.com'],
    ['a zero-width joiner in the domain', 'a@exa\u200dmple.com'],
    ['a no-break space', 'a\u00a0b@example.com'],
    ['angle brackets', '<script>@example.com'],
    ['a comment', 'john(comment)@example.com'],
    ['a quote', 'o\'brien"x@example.com'],
    ['a quoted local part', '"john smith"@example.com'],
    ['a backslash', 'a\\b@example.com'],
    ['a control character', 'a\u0007b@example.com'],
    ['no domain dot', 'a@localhost'],
    ['an address literal', 'a@[127.0.0.1]'],
    ['an all-digit top-level domain', 'a@1.2.3.4'],
    ['a label starting with a hyphen', 'a@-example.com'],
    ['a label over 63 characters', `a@${'b'.repeat(64)}.com`],
    ['a local part over 64 octets', `${'é'.repeat(33)}@example.com`],
    [
      'an address over 254 characters',
      `a@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.fghij.com`,
    ],
    ['two @', 'a@b@example.com'],
    ['a leading dot', '.a@example.com'],
    ['a double dot', 'a..b@example.com'],
    ['an empty local part', '@example.com'],
  ])('refuses %s', (_why, address) => {
    expect(parseEmail(address)).toBeUndefined();
  });

  it('only calls canonical forms valid', () => {
    expect(isValidEmail('a@example.com')).toBe(true);
    expect(isValidEmail('A@example.com')).toBe(false);
    expect(isValidEmail('josé@exämple.de')).toBe(false);
  });

  it('never accepts a control, format or invisible character, whatever is typed', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
        (local, domain) => {
          for (const input of [`${local}@${domain}.com`, `${local}@example.com`, `a@${domain}`]) {
            const email = parseEmail(input);
            if (email !== undefined) {
              expect(/[\p{Cc}\p{Cf}]/u.test(email)).toBe(false);
              expect(parseEmail(email)).toBe(email);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws and is idempotent on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (input) => {
        const once = normaliseEmail(input);
        expect(normaliseEmail(once)).toBe(once);
      }),
    );
  });
});

describe('keyed hashes of an address', () => {
  it('are taken from the canonical form, so a differently typed address is the same contact and suppression', () => {
    const hasher = createEmailHasher('k'.repeat(32));
    expect(hasher.suppressionHash(' JOSÉ@exämple.DE ')).toBe(
      hasher.suppressionHash('josé@xn--exmple-cua.de'),
    );
    expect(hasher.contactId('jose\u0301@example.com')).toBe(hasher.contactId('jos\u00e9@example.com'));
  });
});
