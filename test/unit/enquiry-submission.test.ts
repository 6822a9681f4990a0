import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpretSubmission } from '../../shared/domain/enquiry.ts';
import { runtimeConfig } from '../support/config.ts';
import { fields } from '../support/intake.ts';

const config = runtimeConfig();
const valid = { form: 'contact', name: 'Ada', email: 'Ada@Example.com ', message: 'Hello' };

describe('interpretSubmission', () => {
  it('keeps only the fields the form keeps, with the email normalised', () => {
    const result = interpretSubmission(config, fields({ ...valid, favourite: 'blue', password: 'x' }));
    expect(result).toMatchObject({
      kind: 'valid',
      fields: { name: 'Ada', email: 'ada@example.com', message: 'Hello' },
      marketing: { kind: 'none' },
    });
    if (result.kind === 'valid')
      expect(Object.keys(result.fields).sort()).toEqual(['email', 'message', 'name']);
  });

  it('drops kept-elsewhere fields the chosen form does not keep', () => {
    const result = interpretSubmission(
      config,
      fields({ form: 'callback', name: 'Ada', phone: '+44 20 7946 0000', email: 'a@example.com' }),
    );
    expect(result.kind === 'valid' && result.fields).toEqual({ name: 'Ada', phone: '+44 20 7946 0000' });
  });

  it('uses the contact form by default and refuses unknown forms', () => {
    const { form: _ignored, ...noForm } = valid;
    expect(interpretSubmission(config, fields(noForm))).toMatchObject({
      kind: 'valid',
      form: { id: 'contact' },
    });
    expect(interpretSubmission(config, fields({ ...valid, form: 'missing' }))).toEqual({
      kind: 'invalid',
      form: undefined,
      fields: { form: 'unknown_form' },
    });
  });

  it.each([
    [{ email: '' }, { email: 'required' }],
    [{ email: 'no-at-sign' }, { email: 'invalid_email' }],
    [{ email: 'a@b' }, { email: 'invalid_email' }],
    [{ email: 'a..b@example.com' }, { email: 'invalid_email' }],
    [{ name: 'x'.repeat(201) }, { name: 'too_long' }],
    [{ name: 'Ada\nLovelace' }, { name: 'invalid' }],
    [{ message: 'bell\u0007' }, { message: 'invalid' }],
    [{ phone: 'call me maybe' }, { phone: 'invalid_phone' }],
    [{ name: ['Ada', 'Grace'] }, { name: 'repeated' }],
    [{ topics: ['newsletter', 'sweets'] }, { topics: 'unknown_topic' }],
    [{ statement_version: '1999-01' }, { statement_version: 'unknown_version' }],
  ])('refuses %j with %j', (change, reasons) => {
    expect(interpretSubmission(config, fields({ ...valid, ...change }))).toMatchObject({
      kind: 'invalid',
      fields: reasons,
    });
  });

  it('accepts multi-line messages', () => {
    expect(interpretSubmission(config, fields({ ...valid, message: 'one\r\ntwo\tthree' })).kind).toBe(
      'valid',
    );
  });

  it.each(['on', 'yes', 'true', '1', 'YES'])('treats marketing_consent=%s as a positive action', (value) => {
    expect(interpretSubmission(config, fields({ ...valid, marketing_consent: value }))).toMatchObject({
      marketing: { kind: 'express_consent', topics: ['newsletter'], statement: { version: '2026-11' } },
    });
  });

  it.each(['', 'no', 'false', '0', 'off', 'maybe'])(
    'does not treat marketing_consent=%j as consent',
    (value) => {
      expect(interpretSubmission(config, fields({ ...valid, marketing_consent: value }))).toMatchObject({
        marketing: { kind: 'none' },
      });
    },
  );

  it('needs an email address to record consent', () => {
    const onlyMessage = runtimeConfig({
      forms: config.forms.map((form) => (form.id === 'contact' ? { ...form, required: ['message'] } : form)),
    });
    expect(
      interpretSubmission(onlyMessage, fields({ message: 'Hi', marketing_consent: 'yes' })),
    ).toMatchObject({
      kind: 'invalid',
      fields: { email: 'required' },
    });
  });

  it('reads the soft opt-in form: opt-out not taken is soft opt-in, taken is a refusal', () => {
    const quote = { form: 'quote', name: 'Joan', email: 'joan@example.com', message: 'A quote please' };
    expect(interpretSubmission(config, fields(quote))).toMatchObject({
      marketing: { kind: 'soft_opt_in', topics: ['offers'] },
    });
    expect(interpretSubmission(config, fields({ ...quote, marketing_opt_out: 'on' }))).toMatchObject({
      marketing: { kind: 'refusal', topics: ['offers'] },
    });
    // A consent tick means nothing on a soft-opt-in form, and vice versa.
    expect(interpretSubmission(config, fields({ ...quote, marketing_consent: 'yes' }))).toMatchObject({
      marketing: { kind: 'soft_opt_in' },
    });
    expect(interpretSubmission(config, fields({ ...valid, marketing_opt_out: 'yes' }))).toMatchObject({
      marketing: { kind: 'none' },
    });
  });

  it('records the statement version the visitor saw', () => {
    const withHistory = runtimeConfig({
      forms: config.forms.map((form) =>
        form.marketing.mode === 'consent'
          ? {
              ...form,
              marketing: {
                ...form.marketing,
                previousStatements: [{ version: '2025-01', text: 'Old words' }],
              },
            }
          : form,
      ),
    });
    expect(
      interpretSubmission(
        withHistory,
        fields({ ...valid, marketing_consent: 'yes', statement_version: '2025-01' }),
      ),
    ).toMatchObject({
      marketing: { kind: 'express_consent', statement: { version: '2025-01', text: 'Old words' } },
    });
  });

  it('recognises a filled honeypot, before any validation', () => {
    expect(interpretSubmission(config, fields({ website: 'http://spam', email: 'nonsense' }))).toMatchObject({
      kind: 'spam',
    });
    expect(interpretSubmission(config, fields({ ...valid, website: '  ' })).kind).toBe('valid');
  });

  it('never throws and never puts a submitted value in its reasons, whatever arrives', () => {
    const reasons = new Set([
      'required',
      'too_long',
      'invalid',
      'invalid_email',
      'invalid_phone',
      'unknown_form',
      'unknown_topic',
      'unknown_version',
      'repeated',
    ]);
    const names = fc.constantFrom(
      'form',
      'name',
      'email',
      'phone',
      'company',
      'message',
      'topic',
      'topics',
      'marketing_consent',
      'marketing_opt_out',
      'statement_version',
      'website',
      'other',
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(names, fc.array(fc.string(), { minLength: 1, maxLength: 3 })), { maxLength: 12 }),
        (entries) => {
          const result = interpretSubmission(config, new Map(entries));
          if (result.kind === 'invalid') {
            for (const reason of Object.values(result.fields)) expect(reasons.has(reason)).toBe(true);
          }
        },
      ),
    );
  });
});
