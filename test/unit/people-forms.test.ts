import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  interpretComplaint,
  interpretLinkRequest,
  MAX_COMPLAINT_CHARS,
} from '../../shared/domain/people-forms.ts';

const form = (fields: Record<string, string | string[]>) =>
  new Map(Object.entries(fields).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]));

const TURNSTILE_ON = { honeypot: 'website', turnstile: true };

describe('the privacy centre link request', () => {
  it('takes one address, canonical', () => {
    expect(interpretLinkRequest(undefined, form({ email: ' Ada@Example.COM ' }))).toEqual({
      kind: 'valid',
      email: 'ada@example.com',
      turnstileToken: undefined,
    });
  });

  it('names the field and the reason, never the value', () => {
    expect(interpretLinkRequest(undefined, form({ email: 'not-an-address' }))).toEqual({
      kind: 'invalid',
      fields: { email: 'invalid_email' },
    });
    expect(interpretLinkRequest(undefined, form({}))).toEqual({
      kind: 'invalid',
      fields: { email: 'required' },
    });
    expect(interpretLinkRequest(undefined, form({ email: ['a@example.com', 'b@example.com'] }))).toEqual({
      kind: 'invalid',
      fields: { email: 'repeated' },
    });
  });

  it('treats a filled honeypot as a bot, before anything else is checked', () => {
    expect(interpretLinkRequest(undefined, form({ website: 'http://spam', email: 'x' }))).toEqual({
      kind: 'spam',
    });
    expect(interpretLinkRequest({ honeypot: 'fax', turnstile: false }, form({ fax: '1' }))).toEqual({
      kind: 'spam',
    });
  });

  it('needs the Turnstile token when Turnstile is on', () => {
    expect(interpretLinkRequest(TURNSTILE_ON, form({ email: 'a@example.com' }))).toEqual({
      kind: 'invalid',
      fields: { 'cf-turnstile-response': 'required' },
    });
    expect(
      interpretLinkRequest(TURNSTILE_ON, form({ email: 'a@example.com', 'cf-turnstile-response': 'tok' })),
    ).toEqual({ kind: 'valid', email: 'a@example.com', turnstileToken: 'tok' });
  });
});

describe('a complaint', () => {
  const valid = { email: 'c@example.com', about: 'marketing_emails', details: 'You kept emailing me.' };

  it('keeps the address, what it is about and the text', () => {
    expect(interpretComplaint(undefined, form(valid))).toEqual({
      kind: 'valid',
      email: 'c@example.com',
      about: 'marketing_emails',
      details: 'You kept emailing me.',
      turnstileToken: undefined,
    });
  });

  it(`takes at most ${MAX_COMPLAINT_CHARS} characters, and only the offered subjects`, () => {
    expect(
      interpretComplaint(undefined, form({ ...valid, details: 'x'.repeat(MAX_COMPLAINT_CHARS) })).kind,
    ).toBe('valid');
    expect(
      interpretComplaint(undefined, form({ ...valid, details: 'x'.repeat(MAX_COMPLAINT_CHARS + 1) })),
    ).toEqual({ kind: 'invalid', fields: { details: 'too_long' } });
    expect(interpretComplaint(undefined, form({ ...valid, about: 'other' }))).toEqual({
      kind: 'invalid',
      fields: { about: 'invalid' },
    });
    expect(interpretComplaint(undefined, form({ email: 'c@example.com' }))).toEqual({
      kind: 'invalid',
      fields: { about: 'required', details: 'required' },
    });
  });

  it('never throws, and answers only field names and fixed reasons, whatever is sent', () => {
    const reasons = new Set(['required', 'repeated', 'invalid', 'invalid_email', 'too_long']);
    const names = new Set(['email', 'about', 'details']);
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.array(fc.string(), { maxLength: 3 })), (fields) => {
        const result = interpretComplaint(undefined, new Map(Object.entries(fields)));
        if (result.kind !== 'invalid') return;
        for (const [name, reason] of Object.entries(result.fields)) {
          expect(names).toContain(name);
          expect(reasons).toContain(reason);
        }
      }),
    );
  });
});
