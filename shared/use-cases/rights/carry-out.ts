/**
 * Carries out a verified request at once: the right it names, applied to the address it names. Answers
 * the result to keep on the request (never personal data) and a one-line summary for its log.
 */
import type { RegisterEntry } from '../../ports/subject-requests.ts';
import { provideAccess } from './access.ts';
import { eraseData } from './erasure.ts';
import { type Person, restrictProcessing, withdrawTopics } from './marketing-rights.ts';
import { rectifyData } from './rectification.ts';
import type { RightsDeps } from './rights-deps.ts';

export interface CarriedOut {
  readonly result: Readonly<Record<string, unknown>>;
  readonly summary: string;
}

export async function carryOutRight(
  deps: RightsDeps,
  entry: RegisterEntry,
  actor: string,
): Promise<CarriedOut> {
  const { request, input } = entry;
  if (!entry.email) throw new Error('The request names no address');
  const hasher = await deps.emailHasher();
  const person: Person = {
    email: entry.email,
    contactId: hasher.contactId(entry.email),
    suppressionHash: hasher.suppressionHash(entry.email),
  };
  const staff = { actor, channel: request.channel };
  if (request.type === 'complaint') throw new Error('A complaint is closed by staff, not carried out');
  switch (request.type) {
    case 'access': {
      const result = await provideAccess(deps, person, request.id);
      return { result: { ...result }, summary: 'bundle prepared' };
    }
    case 'erasure': {
      const receipt = await eraseData(deps, person, request.id);
      return { result: { receipt }, summary: 'data erased' };
    }
    case 'rectification': {
      const result = await rectifyData(deps, person, input.changes ?? {}, staff);
      return {
        result: {
          fieldsChanged: result.fieldsChanged,
          enquiriesChanged: result.enquiriesChanged,
          contactFound: result.contactFound,
          addressMoved: result.movedTo !== undefined,
        },
        summary: `fields changed: ${result.fieldsChanged.join(', ') || 'none'}`,
      };
    }
    case 'restriction': {
      const result = await restrictProcessing(deps, person, input.lift === true, staff);
      return {
        result: { ...result, lifted: input.lift === true },
        summary: input.lift ? 'restriction lifted' : 'processing restricted',
      };
    }
    case 'objection': {
      const result = await withdrawTopics(deps, person, undefined, {
        ...staff,
        reason: 'objection_to_direct_marketing',
      });
      // An objection also ends processing for our legitimate interests: the business relationship.
      const relationshipEnded = await deps.relationships.end(person.contactId, deps.clock());
      return {
        result: { ...result, suppressed: true, relationshipEnded },
        summary: `all marketing withdrawn, address suppressed${relationshipEnded ? ', relationship ended' : ''}`,
      };
    }
    case 'withdrawal': {
      const result = await withdrawTopics(deps, person, input.topics, {
        ...staff,
        reason: 'withdrawn_by_request',
      });
      return {
        result: { ...result, topics: input.topics?.length ? [...input.topics] : 'all' },
        summary: `withdrawn: ${input.topics?.length ? input.topics.join(', ') : 'all topics'}`,
      };
    }
  }
}
