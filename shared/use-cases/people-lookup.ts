/**
 * `GET /people?email=`: what is held on an address at a glance, for staff answering a person (their
 * topics, suppression, restriction, how many enquiries, their open requests). Audited like every staff read.
 */
import { parseEmail } from '../domain/email.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { isExpired } from '../domain/retention.ts';
import type { RightsDeps } from './rights/rights-deps.ts';
import type { StaffRequest } from './staff-api.ts';
import { recordStaffAudit } from './staff-api.ts';

export interface PersonSummary {
  readonly email: string;
  readonly contactId: string | null;
  readonly topics: { readonly topic: string; readonly status: string; readonly since: string }[];
  readonly suppressed: {
    readonly all: boolean;
    readonly topics: readonly string[];
    readonly reason: string | null;
  } | null;
  readonly restricted: boolean;
  /** Held as a business contact: the basis and its reference (never a marketing permission). */
  readonly relationship: {
    readonly basis: string;
    readonly reference: string;
    readonly since: string;
  } | null;
  readonly enquiries: number;
  readonly openRequests: string[];
}

export async function lookUpPerson(
  deps: RightsDeps,
  staff: StaffRequest,
  query: { readonly email?: string | undefined },
): Promise<PersonSummary> {
  const email = query.email === undefined ? undefined : parseEmail(query.email);
  if (!email) throw new InvalidInputError({ email: query.email === undefined ? 'required' : 'invalid' });
  const hasher = await deps.emailHasher();
  const contactId = hasher.contactId(email);
  const now = deps.clock();
  const [held, openRequests] = await Promise.all([
    deps.personalData.findHeld(contactId, hasher.suppressionHash(email)),
    deps.register.openRequestsOf(contactId),
  ]);
  const live = held.profile && !isExpired(held.profile.expiresAt, now) ? held.profile : undefined;
  const enquiries = held.enquiries.filter((enquiry) => !isExpired(enquiry.expiresAt, now)).length;
  await recordStaffAudit(deps, staff, {
    subject: contactId,
    rows: live ? 1 : 0,
    filter: { lookup: 'email' },
  });
  return {
    email,
    contactId: live ? contactId : null,
    topics: live
      ? held.topics
          .filter((topic) => !isExpired(topic.expiresAt, now))
          .map(({ topic, status, since }) => ({ topic, status, since }))
      : [],
    suppressed: held.suppression
      ? {
          all: held.suppression.all,
          topics: held.suppression.topics,
          reason: held.suppression.reason ?? null,
        }
      : null,
    restricted: live?.restricted ?? false,
    relationship: live?.relationship
      ? {
          basis: live.relationship.basis,
          reference: live.relationship.reference,
          since: live.relationship.since,
        }
      : null,
    enquiries,
    openRequests,
  };
}
