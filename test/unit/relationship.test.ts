import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAppConfig } from '../../shared/config/schema.ts';
import { parseRelationshipInput, type RelationshipSettings } from '../../shared/domain/relationship.ts';
import { exampleConfig } from '../support/config.ts';

const SETTINGS: RelationshipSettings = {
  legitimateInterestReference: 'LIA-1',
  fields: ['company', 'phone'],
  months: 24,
};

describe('a business contact request', () => {
  it('takes the LIA reference from the config for legitimate interest', () => {
    expect(
      parseRelationshipInput(
        { email: ' Pat@Example.com ', basis: 'legitimate_interest', company: 'P Ltd' },
        SETTINGS,
      ),
    ).toEqual({
      kind: 'valid',
      value: {
        email: 'pat@example.com',
        name: undefined,
        basis: 'legitimate_interest',
        reference: 'LIA-1',
        details: { company: 'P Ltd' },
      },
    });
  });

  it('needs the contract reference for a contract, and refuses it for legitimate interest', () => {
    expect(parseRelationshipInput({ email: 'a@example.com', basis: 'contract' }, SETTINGS)).toEqual({
      kind: 'invalid',
      fields: { contractReference: 'required' },
    });
    expect(
      parseRelationshipInput(
        { email: 'a@example.com', basis: 'contract', contractReference: 'C-9' },
        SETTINGS,
      ),
    ).toMatchObject({ kind: 'valid', value: { reference: 'C-9' } });
    expect(
      parseRelationshipInput(
        { email: 'a@example.com', basis: 'legitimate_interest', contractReference: 'C-9' },
        SETTINGS,
      ),
    ).toMatchObject({ kind: 'invalid', fields: { contractReference: 'not_allowed' } });
  });

  it('refuses details the deployment does not hold, and bad values, naming no value', () => {
    const parsed = parseRelationshipInput(
      { email: 'nope', basis: 'friend', postal_address: '1 High St', name: 'x'.repeat(101) },
      SETTINGS,
    );
    expect(parsed).toEqual({
      kind: 'invalid',
      fields: { postal_address: 'not_allowed', email: 'invalid_email', basis: 'invalid', name: 'too_long' },
    });
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.anything(), (body) => void parseRelationshipInput(body, SETTINGS)));
  });
});

describe('the relationships config', () => {
  it('defaults its fields and period, and refuses an unknown field', () => {
    const base = structuredClone(exampleConfig) as unknown as Record<string, unknown>;
    expect(
      parseAppConfig({ ...base, relationships: { legitimateInterestReference: 'LIA-1' } }).relationships,
    ).toEqual({ legitimateInterestReference: 'LIA-1', fields: ['company', 'phone'], months: 24 });
    expect(() =>
      parseAppConfig({
        ...base,
        relationships: { legitimateInterestReference: 'LIA-1', fields: ['shoe_size'] },
      }),
    ).toThrow(/relationships/);
  });
});
