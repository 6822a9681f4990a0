/**
 * Business contacts held for the relationship, not for marketing: lawful basis `legitimate_interest`
 * (with the reference of the legitimate interests assessment, from the config) or `contract` (with the
 * contract's reference). A relationship never puts anyone on a marketing list or in MailChimp: only a
 * topic permission (consent, soft opt-in) does. An objection ends it.
 */
import { parseEmail } from './email.ts';
import type { FieldErrors } from './enquiry.ts';
import type { RelationshipField, RelationshipSettings } from './settings.ts';

export { RELATIONSHIP_FIELDS, type RelationshipField, type RelationshipSettings } from './settings.ts';

export type RelationshipBasis = 'legitimate_interest' | 'contract';
const BASES: readonly RelationshipBasis[] = ['legitimate_interest', 'contract'];

export interface Relationship {
  readonly basis: RelationshipBasis;
  /** The LIA reference (legitimate interest) or the contract's reference. */
  readonly reference: string;
  /** When it was first recorded (ISO). */
  readonly since: string;
  readonly details: Readonly<Partial<Record<RelationshipField, string>>>;
}

export interface RelationshipInput {
  readonly email: string;
  readonly name: string | undefined;
  readonly basis: RelationshipBasis;
  readonly reference: string;
  readonly details: Readonly<Partial<Record<RelationshipField, string>>>;
}

const MAX: Readonly<Record<RelationshipField | 'name' | 'reference', number>> = {
  name: 100,
  company: 200,
  phone: 40,
  job_title: 100,
  postal_address: 500,
  reference: 100,
};

/** A staff request to record or update a business contact; field reasons, never values, when invalid. */
export function parseRelationshipInput(
  body: unknown,
  settings: RelationshipSettings,
):
  | { readonly kind: 'valid'; readonly value: RelationshipInput }
  | { readonly kind: 'invalid'; readonly fields: FieldErrors } {
  const fields: FieldErrors = {};
  const input =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  const text = (key: string): string | undefined => {
    const value = input[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      fields[key] = 'invalid';
      return undefined;
    }
    const trimmed = value.trim();
    if (trimmed.length > (MAX[key as keyof typeof MAX] ?? 0)) fields[key] = 'too_long';
    return trimmed || undefined;
  };
  const allowed = new Set(['email', 'name', 'basis', 'contractReference', ...settings.fields]);
  for (const key of Object.keys(input)) if (!allowed.has(key)) fields[key] = 'not_allowed';

  const rawEmail = input.email;
  const email = typeof rawEmail === 'string' ? parseEmail(rawEmail) : undefined;
  if (rawEmail === undefined) fields.email = 'required';
  else if (!email) fields.email = 'invalid_email';
  const basis = input.basis as RelationshipBasis;
  if (input.basis === undefined) fields.basis = 'required';
  else if (!BASES.includes(basis)) fields.basis = 'invalid';
  const name = text('name');
  const contractReference =
    typeof input.contractReference === 'string' ? input.contractReference.trim() : undefined;
  if (contractReference && contractReference.length > MAX.reference) fields.contractReference = 'too_long';
  if (basis === 'contract' && !contractReference) fields.contractReference = 'required';
  if (basis === 'legitimate_interest' && input.contractReference !== undefined)
    fields.contractReference = 'not_allowed';
  const details: Partial<Record<RelationshipField, string>> = {};
  for (const field of settings.fields) {
    const value = text(field);
    if (value !== undefined) details[field] = value;
  }
  if (Object.keys(fields).length > 0 || !email) return { kind: 'invalid', fields };
  return {
    kind: 'valid',
    value: {
      email,
      name,
      basis,
      reference: basis === 'contract' ? (contractReference as string) : settings.legitimateInterestReference,
      details,
    },
  };
}
