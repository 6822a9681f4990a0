import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAppConfig } from '../../shared/config/schema.ts';
import {
  BACKUP_DAYS,
  jsonFilesInExamples,
  POLICY_EXAMPLE_FILES,
  type PolicyExampleFile,
  policyExamplePath,
} from '../support/policy-examples.ts';

const load = (file: PolicyExampleFile) =>
  parseAppConfig(JSON.parse(readFileSync(policyExamplePath(file), 'utf8')));

describe('the example policy configs', () => {
  it('are exactly the five listed', () => {
    expect(jsonFilesInExamples()).toEqual([...POLICY_EXAMPLE_FILES]);
  });

  it.each(POLICY_EXAMPLE_FILES)('%s passes the real config schema', (file) => {
    expect(() => load(file)).not.toThrow();
    expect(load(file).retention.backupDays).toBe(BACKUP_DAYS[file]);
  });

  it('A offers only an opt-in newsletter, with double opt-in', () => {
    const config = load('a-newsletter.json');
    const marketing = config.forms.map((form) => form.marketing).filter((m) => m.mode !== 'none');
    expect(marketing).toEqual([expect.objectContaining({ mode: 'consent', confirmation: 'double_opt_in' })]);
    expect(config.retention).toMatchObject({ consentMonths: 18, reviewMonths: 18, keepUntilWithdrawn: [] });
  });

  it('B keeps nothing typed into its contact form, and syncs MailChimp', () => {
    const config = load('b-clients.json');
    expect(config.forms.find((form) => form.id === 'contact')).toMatchObject({ store: false });
    expect(config.mailchimp).toBeDefined();
    // "Marketing data kept until consent is withdrawn", with the review the ICO expects.
    expect(config.retention).toMatchObject({
      keepUntilWithdrawn: ['consent', 'soft_opt_in'],
      reviewMonths: 12,
    });
  });

  it('C asks for marketing only by express consent', () => {
    const modes = load('c-explicit-consent.json').forms.map((form) => form.marketing.mode);
    expect(modes.every((mode) => mode === 'consent' || mode === 'none')).toBe(true);
    expect(modes).toContain('consent');
  });

  it.each(POLICY_EXAMPLE_FILES)('%s never uses soft opt-in on a web form', (file) => {
    // Soft opt-in in these policies comes only from client records (B's import), never a web form.
    expect(load(file).forms.map((form) => form.marketing.mode)).not.toContain('soft_opt_in');
  });

  it('E keeps the message, the address and the contact details of an enquiry', () => {
    const contact = load('e-service-only.json').forms.find((form) => form.id === 'contact');
    expect(contact).toMatchObject({ store: true, acknowledge: true });
    expect(contact?.keep).toEqual(expect.arrayContaining(['message', 'email', 'name', 'phone', 'company']));
  });
});
