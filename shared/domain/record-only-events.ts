/**
 * The history events that record what staff did to a person's data without changing a permission:
 * details corrected (the fields named, never the values) and processing restricted or the restriction
 * lifted. Pure: the caller writes the event with the change it records.
 */
import { ALL_TOPICS, type RecordOnlyEventType } from './consent.ts';
import type { HistoryEvent } from './contact-move.ts';
import { expiryFor } from './retention.ts';
import type { RetentionPolicy } from './settings.ts';

export interface StaffRecordContext {
  readonly now: Date;
  readonly retention: RetentionPolicy;
  readonly newEventId: () => string;
  /** The staff user who carried it out. */
  readonly actor: string;
  /** How the person asked (phone, post, in person…). */
  readonly method: string;
  /** The contact's subscription epoch: the event belongs to no grant of its own. */
  readonly epoch: number;
}

export function staffRecordEvent(
  type: Exclude<RecordOnlyEventType, 'address_changed'>,
  context: StaffRecordContext,
  fields?: readonly string[],
): HistoryEvent {
  return {
    eventId: context.newEventId(),
    type,
    at: context.now.toISOString(),
    topic: ALL_TOPICS,
    source: 'staff',
    actor: context.actor,
    formId: undefined,
    page: undefined,
    method: context.method,
    statement: undefined,
    reason: undefined,
    liftedSuppression: false,
    epoch: context.epoch,
    expiresAt: expiryFor('consentRecord', context.now, context.retention),
    ...(fields === undefined ? {} : { fields: [...fields] }),
  };
}
