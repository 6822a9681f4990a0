/**
 * What staff send to the register, checked field by field: a new request and the actions on one. Errors
 * name the field and the rule broken, never the value sent.
 */

import { parseEmail } from '../domain/email.ts';
import type { FieldErrors } from '../domain/enquiry.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { Topic } from '../domain/settings.ts';
import {
  REFUSAL_REASONS,
  REQUEST_CHANNELS,
  REQUEST_TYPES,
  type RefusalReason,
  type RequestChannel,
  type RequestType,
} from '../domain/subject-request.ts';
import type { RequestInput } from '../ports/subject-requests.ts';

export const MAX_DETAILS = 2000;
const MAX_TEXT = 200;
/** A request may be logged a little after the clock of whoever typed its time. */
const FUTURE_SKEW_MS = 5 * 60 * 1000;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export interface NewRequestInput {
  readonly type: RequestType;
  readonly channel: RequestChannel;
  readonly email: string;
  readonly receivedAt: Date;
  /** How staff confirmed identity, or `undefined` when the person must confirm by link. */
  readonly verifiedBy: string | undefined;
  readonly input: RequestInput;
}

const FIELDS_BY_TYPE: Readonly<Record<RequestType, readonly string[]>> = {
  access: [],
  erasure: [],
  rectification: ['changes'],
  restriction: ['lift'],
  objection: [],
  withdrawal: ['topics'],
  complaint: ['details'],
};
const COMMON = ['type', 'email', 'channel', 'receivedAt', 'identity'];

export function parseNewRequest(body: unknown, now: Date, topics: readonly Topic[]): NewRequestInput {
  const errors: FieldErrors = {};
  const input = isObject(body) ? body : {};
  if (!isObject(body)) errors.body = 'invalid';
  const type = oneOf(input.type, REQUEST_TYPES, 'type', errors);
  const channel = oneOf(input.channel, REQUEST_CHANNELS, 'channel', errors);
  const email = typeof input.email === 'string' ? parseEmail(input.email) : undefined;
  if (!email) errors.email = input.email === undefined ? 'required' : 'invalid';

  let receivedAt = now;
  if (input.receivedAt !== undefined) {
    const text = input.receivedAt;
    const parsed = typeof text === 'string' && ISO_TIME.test(text) ? new Date(text) : undefined;
    if (!parsed || Number.isNaN(parsed.getTime())) errors.receivedAt = 'invalid';
    else if (parsed.getTime() > now.getTime() + FUTURE_SKEW_MS) errors.receivedAt = 'in_the_future';
    else receivedAt = parsed;
  }

  let verifiedBy: string | undefined;
  const identity = input.identity;
  if (type !== 'complaint' || identity !== undefined) {
    if (!isObject(identity) || typeof identity.verified !== 'boolean') errors.identity = 'required';
    else if (identity.verified) {
      if (!isText(identity.method, MAX_TEXT)) errors['identity.method'] = 'required';
      else verifiedBy = identity.method.trim();
    }
  }

  for (const name of Object.keys(input)) {
    if (!COMMON.includes(name) && !(type && FIELDS_BY_TYPE[type].includes(name)))
      errors[name] = 'not_allowed';
  }
  const requestInput: { -readonly [K in keyof RequestInput]: RequestInput[K] } = {};
  if (type === 'rectification') requestInput.changes = parseChanges(input.changes, errors);
  if (type === 'withdrawal' && input.topics !== undefined) {
    const known = new Set(topics.map((topic) => topic.id));
    if (!Array.isArray(input.topics) || !input.topics.every((topic) => typeof topic === 'string'))
      errors.topics = 'invalid';
    else if (!input.topics.every((topic) => known.has(topic))) errors.topics = 'unknown_topic';
    else requestInput.topics = [...new Set(input.topics as string[])];
  }
  if (type === 'restriction' && input.lift !== undefined) {
    if (typeof input.lift !== 'boolean') errors.lift = 'invalid';
    else requestInput.lift = input.lift;
  }
  if (type === 'complaint') {
    if (input.details !== undefined && !isText(input.details, MAX_DETAILS)) errors.details = 'invalid';
    else if (typeof input.details === 'string') requestInput.details = input.details;
  }
  if (Object.keys(errors).length > 0 || !type || !channel || !email) throw new InvalidInputError(errors);
  // A complaint needs no identity check: it is acknowledged and handled by staff.
  if (type === 'complaint') verifiedBy = verifiedBy ?? 'not_required';
  return { type, channel, email, receivedAt, verifiedBy, input: requestInput };
}

/** A rectification's changes (`name`, `phone`, `company`, `email`), each checked; errors named `changes.<field>`. */
export function parseChanges(value: unknown, errors: FieldErrors): RequestInput['changes'] {
  if (!isObject(value)) {
    errors.changes = value === undefined ? 'required' : 'invalid';
    return undefined;
  }
  const changes: Record<string, string> = {};
  for (const [name, given] of Object.entries(value)) {
    if (name === 'email') {
      const email = typeof given === 'string' ? parseEmail(given) : undefined;
      if (!email) errors['changes.email'] = 'invalid';
      else changes.email = email;
    } else if (name === 'name' || name === 'phone' || name === 'company') {
      if (!isText(given, MAX_TEXT)) errors[`changes.${name}`] = 'invalid';
      else changes[name] = given.trim();
    } else errors[`changes.${name}`] = 'not_allowed';
  }
  if (Object.keys(changes).length === 0 && !Object.keys(errors).some((key) => key.startsWith('changes')))
    errors.changes = 'required';
  return changes;
}

export type ParsedAction =
  | { readonly kind: 'verify'; readonly method: string }
  | { readonly kind: 'extend'; readonly reason: string }
  | { readonly kind: 'refuse'; readonly reason: RefusalReason; readonly explanation: string }
  | { readonly kind: 'close'; readonly outcome: string }
  | { readonly kind: 'cancel' };

export const ACTIONS = ['verify', 'extend', 'refuse', 'close', 'cancel'] as const;

export function parseAction(kind: ParsedAction['kind'], body: unknown): ParsedAction {
  const input = isObject(body) ? body : {};
  const errors: FieldErrors = {};
  const text = (name: string, max: number): string => {
    const value = input[name];
    if (!isText(value, max)) {
      errors[name] = value === undefined ? 'required' : 'invalid';
      return '';
    }
    return value.trim();
  };
  let action: ParsedAction;
  switch (kind) {
    case 'verify':
      action = { kind, method: text('method', MAX_TEXT) };
      break;
    case 'extend':
      action = { kind, reason: text('reason', MAX_DETAILS) };
      break;
    case 'refuse': {
      const reason = oneOf(input.reason, REFUSAL_REASONS, 'reason', errors);
      const explanation =
        input.explanation === undefined && reason !== 'other' ? '' : text('explanation', MAX_DETAILS);
      action = { kind, reason: reason ?? 'other', explanation };
      break;
    }
    case 'close':
      action = { kind, outcome: text('outcome', MAX_DETAILS) };
      break;
    case 'cancel':
      action = { kind };
      break;
  }
  if (Object.keys(errors).length > 0) throw new InvalidInputError(errors);
  return action;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.trim().length > 0 && value.length <= max;
}

function oneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  field: string,
  errors: FieldErrors,
): T | undefined {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  errors[field] = value === undefined ? 'required' : 'invalid';
  return undefined;
}
