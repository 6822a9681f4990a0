import { describe, expect, it } from 'vitest';
import { parseAppConfig } from '../../shared/config/schema.ts';
import { exampleConfig } from '../support/config.ts';

const base = () => structuredClone(exampleConfig);

describe('the config file', () => {
  it('accepts the example and fills defaults', () => {
    const config = parseAppConfig({
      ...base(),
      retention: undefined,
      waf: undefined,
      deletionProtection: undefined,
    });
    expect(config.retention).toEqual({
      enquiryMonths: 12,
      softOptInMonths: 18,
      consentMonths: 24,
      pendingDays: 30,
      withdrawnDays: 30,
      consentRecordMonths: 72,
      auditMonths: 72,
      backupDays: 35,
      requestMonths: 72,
      keepUntilWithdrawn: [],
    });
    expect(config.waf).toEqual({ enabled: true, rateLimitPer5Minutes: 300 });
    expect(config.deletionProtection).toBe(true);
    expect(config.forms.find((form) => form.id === 'callback')).toMatchObject({
      store: false,
      honeypot: 'website',
      turnstile: false,
      marketing: { mode: 'none' },
    });
  });

  it.each([0, 36, 7.5])('refuses a point-in-time recovery window of %s days', (backupDays) => {
    expect(() => parseAppConfig({ ...base(), retention: { backupDays } })).toThrow(/backupDays/);
  });

  it.each([
    [
      'a success URL off the allowed origins',
      (c: ReturnType<typeof base>) =>
        void Object.assign(c.forms[0] ?? {}, { successUrl: 'https://evil.example/thanks' }),
      'origin is not in allowedOrigins',
    ],
    [
      'a required field that is not kept',
      (c: ReturnType<typeof base>) => void Object.assign(c.forms[2] ?? {}, { required: ['email'] }),
      'email is required but not kept',
    ],
    ['an unknown topic', (c: ReturnType<typeof base>) => void c.topics.splice(1, 1), 'unknown topic offers'],
    [
      'a duplicate form id',
      (c: ReturnType<typeof base>) => void Object.assign(c.forms[1] ?? {}, { id: 'contact' }),
      'duplicate form id',
    ],
    [
      'a marketing form that drops email',
      (c: ReturnType<typeof base>) =>
        void Object.assign(c.forms[0] ?? {}, { keep: ['name', 'message'], required: ['name'] }),
      'marketing forms must keep email',
    ],
    [
      'a plain-http success URL',
      (c: ReturnType<typeof base>) =>
        void Object.assign(c.forms[0] ?? {}, { successUrl: 'http://www.example.co.uk/x' }),
      'https://',
    ],
  ])('refuses %s', (_label, change, message) => {
    const config = base();
    change(config);
    expect(() => parseAppConfig(config)).toThrow(message);
  });
});
