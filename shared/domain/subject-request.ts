/**
 * The request register's state machine: a data-subject request (or complaint) is received, waits for the
 * person's identity when staff could not confirm it, is carried out, refused or cancelled; a complaint is
 * acknowledged and closed with an outcome. Every step appends to the request's log. Pure: the caller
 * reads the request, asks here what an action does, and writes the result with a version check.
 */
import {
  acknowledgeByDate,
  type CalendarDate,
  extendedDueDate,
  isPastDue,
  type RequestClockRules,
  responseDueDate,
} from './request-clock.ts';

export const REQUEST_TYPES = [
  'access',
  'erasure',
  'rectification',
  'restriction',
  'objection',
  'withdrawal',
  'complaint',
] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export const REQUEST_CHANNELS = ['email', 'phone', 'post', 'in_person', 'web', 'mailchimp'] as const;
export type RequestChannel = (typeof REQUEST_CHANNELS)[number];

export const REFUSAL_REASONS = [
  'manifestly_unfounded',
  'excessive',
  'identity_not_confirmed',
  'other',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type RequestStatus =
  /** Staff could not confirm identity: a verification link went to the address; no clock yet. */
  | 'awaiting_verification'
  /** Identity confirmed, the right not yet carried out (or its first attempt failed and will be retried). */
  | 'in_progress'
  /** A complaint, acknowledged and waiting for its outcome. */
  | 'open'
  | 'completed'
  | 'refused'
  | 'closed'
  | 'cancelled';

export const FINISHED: ReadonlySet<RequestStatus> = new Set(['completed', 'refused', 'closed', 'cancelled']);

export type RequestEventKind =
  | 'received'
  | 'verification_sent'
  | 'verified'
  | 'extended'
  | 'carried_out'
  | 'refused'
  | 'closed'
  | 'cancelled';

/** One line of a request's log. `actor` is a staff user name, `person` (the emailed link) or `system`. */
export interface RequestLogEntry {
  readonly at: string;
  readonly kind: RequestEventKind;
  readonly actor: string;
  /** Safe, non-personal words: the verification method, the extension or refusal reason, the outcome. */
  readonly note?: string;
}

export interface SubjectRequest {
  readonly id: string;
  readonly type: RequestType;
  readonly channel: RequestChannel;
  readonly status: RequestStatus;
  readonly receivedAt: string;
  /** When the one-month clock started: receipt, or the day identity was confirmed. */
  readonly clockStartedAt: string | null;
  readonly dueAt: CalendarDate | null;
  readonly extended: boolean;
  /** Complaints only: received + 30 days. */
  readonly acknowledgeBy: CalendarDate | null;
  readonly log: readonly RequestLogEntry[];
  readonly version: number;
}

export type RequestAction =
  | { readonly kind: 'verify'; readonly method: string }
  | { readonly kind: 'carried_out'; readonly summary: string }
  | { readonly kind: 'extend'; readonly reason: string }
  | { readonly kind: 'refuse'; readonly reason: RefusalReason }
  | { readonly kind: 'close'; readonly outcome: string }
  | { readonly kind: 'cancel' };

/** Why an action cannot be taken; the use case turns it into a conflict for the caller. */
export type ActionRefusal =
  | 'finished'
  | 'not_awaiting_verification'
  | 'not_a_complaint'
  | 'complaints_are_closed_not_refused'
  | 'already_extended'
  | 'extension_after_due_date'
  | 'no_clock'
  | 'not_in_progress';

export type ActionResult =
  | { readonly ok: true; readonly request: SubjectRequest }
  | { readonly ok: false; readonly why: ActionRefusal };

export interface NewRequest {
  readonly id: string;
  readonly type: RequestType;
  readonly channel: RequestChannel;
  readonly receivedAt: Date;
  /** How staff confirmed identity; `undefined` when they could not and the person must confirm by link. */
  readonly verifiedBy: string | undefined;
  readonly actor: string;
}

/**
 * A new register entry. A complaint needs no identity check and is open at once; any other request with
 * identity confirmed starts its clock at receipt and is carried out next; otherwise it waits for the link.
 */
export function receiveRequest(input: NewRequest, now: Date, rules: RequestClockRules): SubjectRequest {
  const at = now.toISOString();
  const receivedAt = input.receivedAt.toISOString();
  const base = {
    id: input.id,
    type: input.type,
    channel: input.channel,
    receivedAt,
    extended: false,
    version: 1,
  };
  const received: RequestLogEntry = { at, kind: 'received', actor: input.actor, note: input.channel };
  if (input.type === 'complaint') {
    return {
      ...base,
      status: 'open',
      clockStartedAt: receivedAt,
      dueAt: null,
      acknowledgeBy: acknowledgeByDate(input.receivedAt),
      log: [received],
    };
  }
  if (input.verifiedBy === undefined) {
    return {
      ...base,
      status: 'awaiting_verification',
      clockStartedAt: null,
      dueAt: null,
      acknowledgeBy: null,
      log: [received, { at, kind: 'verification_sent', actor: 'system' }],
    };
  }
  return {
    ...base,
    status: 'in_progress',
    clockStartedAt: receivedAt,
    dueAt: responseDueDate(input.receivedAt, rules),
    acknowledgeBy: null,
    log: [received, { at, kind: 'verified', actor: input.actor, note: input.verifiedBy }],
  };
}

/** What an action does to a request, or why it cannot be taken. */
export function actOnRequest(
  request: SubjectRequest,
  action: RequestAction,
  actor: string,
  now: Date,
  rules: RequestClockRules,
): ActionResult {
  if (FINISHED.has(request.status)) return { ok: false, why: 'finished' };
  const at = now.toISOString();
  const next = (changes: Partial<SubjectRequest>, entry: RequestLogEntry): ActionResult => ({
    ok: true,
    request: { ...request, ...changes, log: [...request.log, entry], version: request.version + 1 },
  });

  switch (action.kind) {
    case 'verify':
      if (request.status !== 'awaiting_verification') return { ok: false, why: 'not_awaiting_verification' };
      // The clock starts when the identity evidence arrives, not at receipt.
      return next(
        { status: 'in_progress', clockStartedAt: at, dueAt: responseDueDate(now, rules) },
        { at, kind: 'verified', actor, note: action.method },
      );
    case 'carried_out':
      if (request.status !== 'in_progress') return { ok: false, why: 'not_in_progress' };
      return next({ status: 'completed' }, { at, kind: 'carried_out', actor, note: action.summary });
    case 'extend':
      if (request.type === 'complaint') return { ok: false, why: 'not_a_complaint' };
      if (request.extended) return { ok: false, why: 'already_extended' };
      if (!request.clockStartedAt || !request.dueAt) return { ok: false, why: 'no_clock' };
      // The person must be told within the first month: no extension once the first due date has passed.
      if (isPastDue(request.dueAt, now)) return { ok: false, why: 'extension_after_due_date' };
      return next(
        { extended: true, dueAt: extendedDueDate(new Date(request.clockStartedAt), rules) },
        { at, kind: 'extended', actor, note: action.reason },
      );
    case 'refuse':
      if (request.type === 'complaint') return { ok: false, why: 'complaints_are_closed_not_refused' };
      return next({ status: 'refused' }, { at, kind: 'refused', actor, note: action.reason });
    case 'close':
      if (request.type !== 'complaint') return { ok: false, why: 'not_a_complaint' };
      return next({ status: 'closed' }, { at, kind: 'closed', actor, note: action.outcome });
    case 'cancel':
      return next({ status: 'cancelled' }, { at, kind: 'cancelled', actor });
  }
}

/** Unfinished and past its due date (complaints: past the day they had to be acknowledged by). */
export function isOverdue(request: SubjectRequest, now: Date): boolean {
  if (FINISHED.has(request.status)) return false;
  const due = request.type === 'complaint' ? request.acknowledgeBy : request.dueAt;
  return due !== null && isPastDue(due, now);
}

/** The day the register sorts by: the due date, the acknowledgement date, or for unverified ones none. */
export function registerDate(request: SubjectRequest): CalendarDate | null {
  return request.type === 'complaint' ? request.acknowledgeBy : request.dueAt;
}
