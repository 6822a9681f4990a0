/**
 * `POST /relationships`: staff record or update a business contact held under legitimate interest (the
 * deployment's LIA reference) or a contract (its reference). The person gets a profile but no topic
 * permission, so they are on no marketing list and not in MailChimp unless they also give consent or
 * soft opt-in; they appear in GET /people, access exports, rectification and erasure like anyone held.
 * Someone who objected is not held under legitimate interest again (an objection ends that processing).
 */
import { ConflictError, InvalidInputError } from '../domain/errors.ts';
import { parseRelationshipInput, type Relationship } from '../domain/relationship.ts';
import { addMonths, toEpochSeconds } from '../domain/retention.ts';
import { log } from '../log.ts';
import type { RightsDeps } from './rights/rights-deps.ts';
import { recordStaffAudit, type StaffRequest } from './staff-api.ts';

export interface RecordedRelationship {
  readonly contactId: string;
  readonly created: boolean;
  readonly relationship: Relationship;
}

/** Suppression reasons that mean the person objected to being held for our interests. */
const OBJECTED = new Set(['objection_to_direct_marketing', 'erasure']);

export async function recordRelationship(
  deps: RightsDeps,
  staff: StaffRequest,
  body: unknown,
): Promise<RecordedRelationship> {
  const settings = deps.config.relationships;
  if (!settings) throw new InvalidInputError({ basis: 'not_allowed' });
  const parsed = parseRelationshipInput(body, settings);
  if (parsed.kind === 'invalid') throw new InvalidInputError(parsed.fields);
  const input = parsed.value;
  const hasher = await deps.emailHasher();
  const contactId = hasher.contactId(input.email);
  const now = deps.clock();
  if (input.basis === 'legitimate_interest') {
    const { suppression } = await deps.personalData.findHeld(contactId, hasher.suppressionHash(input.email));
    if (suppression?.all && OBJECTED.has(suppression.reason ?? '')) throw new ConflictError();
  }
  const relationship: Relationship = {
    basis: input.basis,
    reference: input.reference,
    since: now.toISOString(),
    details: input.details,
  };
  const { created } = await deps.relationships.record({
    now,
    contactId,
    email: input.email,
    name: input.name,
    relationship,
    expiresAt: toEpochSeconds(addMonths(now, settings.months)),
  });
  await recordStaffAudit(deps, staff, {
    subject: contactId,
    rows: 1,
    filter: { basis: input.basis, created },
  });
  log.info('relationship_recorded', { basis: input.basis, created });
  const stored = await deps.relationships.read(contactId, now);
  return { contactId, created, relationship: stored ?? relationship };
}
