/**
 * The rights that change what we may send a person: withdrawal of named topics (or all), objection to
 * direct marketing (withdraw everything and suppress the address), and restriction of processing or its
 * lifting. Each is recorded with staff as the source and the request's channel as the method.
 */
import { ALL_TOPICS } from '../../domain/consent.ts';
import { decideChange, type RequestedEvent } from '../../domain/contact-change.ts';
import { staffRecordEvent } from '../../domain/record-only-events.ts';
import { log } from '../../log.ts';
import { type ContactDecision, changeContact, retryOnConflict } from '../retry-on-conflict.ts';
import type { RightsDeps } from './rights-deps.ts';

export interface Person {
  readonly email: string;
  readonly contactId: string;
  readonly suppressionHash: string;
}

export interface StaffAction {
  /** The staff user who carried it out. */
  readonly actor: string;
  /** How the person asked (phone, post, in person…): recorded as the method. */
  readonly channel: string;
  readonly reason: string;
}

/** Withdraws `topics` (all when none are named, which also suppresses the address); counts the events. */
export function withdrawTopics(
  deps: RightsDeps,
  person: Person,
  topics: readonly string[] | undefined,
  action: StaffAction,
): Promise<{ readonly withdrawn: number }> {
  const requests: RequestedEvent[] =
    topics && topics.length > 0
      ? topics.map((topic) => ({ type: 'withdrawn', topic }))
      : [{ type: 'withdrawn', topic: ALL_TOPICS }];
  return changeContact(deps, {
    locate: () => ({ contactId: person.contactId, suppressionHash: person.suppressionHash }),
    decide: ({ state, snapshot }, now): ContactDecision<{ withdrawn: number }> => {
      const change = decideChange(snapshot, requests, {
        now,
        retention: deps.config.retention,
        allTopics: deps.config.topics.map((topic) => topic.id),
        source: 'staff',
        actor: action.actor,
        method: action.channel,
        reason: action.reason,
        newEventId: deps.newId,
      });
      const outcome = { withdrawn: change.events.length };
      if (change.events.length === 0 && !change.suppression) return { outcome };
      return {
        outcome,
        write: {
          contact: {
            now,
            contactId: person.contactId,
            suppressionHash: person.suppressionHash,
            email: state.contact?.email,
            name: state.contact?.name,
            snapshot,
            change,
            source: 'staff',
            reason: action.reason,
          },
        },
        written: () => log.info('subject_request_withdrawal', { events: change.events.length }),
      };
    },
  });
}

/**
 * Restricts processing (the contact leaves every list and is archived in MailChimp), or lifts it; the
 * history records either (`processing_restricted`, `restriction_lifted`) with who did it and how asked.
 */
export async function restrictProcessing(
  deps: RightsDeps,
  person: Person,
  lift: boolean,
  staff: Omit<StaffAction, 'reason'>,
): Promise<{ readonly restricted: boolean; readonly contactFound: boolean }> {
  const now = deps.clock();
  const record = staffRecordEvent(lift ? 'restriction_lifted' : 'processing_restricted', {
    now,
    retention: deps.config.retention,
    newEventId: deps.newId,
    actor: staff.actor,
    method: staff.channel,
    // The adapter records the contact's own epoch.
    epoch: 0,
  });
  const found = await retryOnConflict(() =>
    deps.contacts.setRestriction(person.contactId, !lift, deps.clock(), record),
  );
  return { restricted: !lift && found, contactFound: found };
}
