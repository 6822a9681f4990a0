/**
 * MailChimp webhooks: authenticating a delivery and reading what it says. Deliveries are
 * `application/x-www-form-urlencoded` with `type`, `fired_at` and `data[...]` keys. MailChimp does not
 * sign them: its protection is an unguessable secret in the webhook URL, which every delivery must carry.
 * Where a signing relay sits in front (`X-Mailchimp-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
 * "{t}.{raw body}">`), the signature is checked as well. Then what each delivery asks of us. Pure: no I/O.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ALL_TOPICS, isMailable, isSuppressed, NO_SUPPRESSION } from './consent.ts';
import type { ContactSnapshot, RequestedEvent } from './contact-change.ts';
import { isValidEmail, normaliseEmail } from './email.ts';
import type { EnquiryForm, MarketingStatement } from './settings.ts';

export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type WebhookType = 'subscribe' | 'unsubscribe' | 'profile' | 'upemail' | 'cleaned' | 'campaign';
const TYPES: ReadonlySet<string> = new Set([
  'subscribe',
  'unsubscribe',
  'profile',
  'upemail',
  'cleaned',
  'campaign',
]);

export interface WebhookDelivery {
  readonly type: WebhookType;
  readonly firedAt: string | undefined;
  /** `data[...]` keys, nested: `data[merges][FNAME]` becomes `data.merges.FNAME`. */
  readonly data: WebhookData;
}

export interface WebhookData {
  readonly [key: string]: string | WebhookData;
}

export type SignatureCheck = 'valid' | 'missing' | 'malformed' | 'stale' | 'mismatch';

/** Checks a signed delivery over its exact raw bytes, within the replay window. */
export function verifySignature(
  header: string | undefined,
  rawBody: Buffer,
  signingKey: string,
  now: Date,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return 'missing';
  const parts = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (!name || !value) return 'malformed';
    parts.set(name, [...(parts.get(name) ?? []), value]);
  }
  const timestamp = parts.get('t')?.[0];
  const signatures = parts.get('v1') ?? [];
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return 'malformed';
  // A replayed delivery outside the window is refused even with a valid signature.
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSeconds) return 'stale';
  const expected = createHmac('sha256', signingKey).update(`${timestamp}.`).update(rawBody).digest();
  const matches = signatures.some((signature) => {
    if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
    return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
  });
  return matches ? 'valid' : 'mismatch';
}

/** Compares a URL secret in constant time (hashing first makes the lengths equal). */
export function urlKeyMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Reads a delivery's form fields; `undefined` when it is not a webhook we understand. */
export function parseDelivery(fields: ReadonlyMap<string, readonly string[]>): WebhookDelivery | undefined {
  const type = fields.get('type')?.[0];
  if (!type || !TYPES.has(type)) return undefined;
  const data: Record<string, unknown> = {};
  for (const [name, values] of fields) {
    const path = /^data((?:\[[^[\]]*\])+)$/.exec(name)?.[1];
    const value = values[0];
    if (!path || value === undefined) continue;
    const keys = [...path.matchAll(/\[([^[\]]*)\]/g)].map((match) => match[1] ?? '');
    // Keys that would reach the prototype are never followed.
    if (keys.some((key) => key === '' || key === '__proto__' || key === 'constructor' || key === 'prototype'))
      continue;
    let node: Record<string, unknown> | undefined = data;
    for (const key of keys.slice(0, -1)) {
      const next: unknown = node[key];
      if (next === undefined) {
        const child: Record<string, unknown> = {};
        node[key] = child;
        node = child;
      } else if (typeof next === 'object' && next !== null) {
        node = next as Record<string, unknown>;
      } else {
        node = undefined; // a key used both as a value and as a group: keep the first
        break;
      }
    }
    const last = keys.at(-1);
    if (node && last !== undefined && node[last] === undefined) node[last] = value;
  }
  return { type: type as WebhookType, firedAt: fields.get('fired_at')?.[0], data: data as WebhookData };
}

/** A string field of the delivery's data, e.g. `field(delivery, 'email')` or `field(delivery, 'merges', 'FNAME')`. */
export function field(delivery: WebhookDelivery, ...path: string[]): string | undefined {
  let node: string | WebhookData | undefined = delivery.data;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return typeof node === 'string' ? node : undefined;
}

/**
 * When MailChimp made the change: a webhook's `fired_at` is `YYYY-MM-DD HH:MM:SS` in UTC; a reconciliation
 * passes the member's `last_changed` (ISO 8601 with an offset). `undefined` when unreadable.
 */
export function firedAt(delivery: WebhookDelivery): Date | undefined {
  const given = delivery.firedAt ?? '';
  const webhook = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(given);
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(given);
  if (!webhook && !iso) return undefined;
  const at = new Date(webhook ? `${webhook[1]}T${webhook[2]}Z` : given);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/**
 * The requests a delivery fired at `fired` still stands for: a topic we changed after MailChimp's change
 * (a consent given again in our preference centre) is newer news, and MailChimp's older word never undoes
 * it. `fired_at` counts whole seconds, so only a change after the end of that second is known to be later;
 * within the same second the delivery applies (a withdrawal errs on the side of not mailing).
 */
export function notSuperseded(
  snapshot: ContactSnapshot,
  requests: readonly RequestedEvent[],
  fired: Date | undefined,
): RequestedEvent[] {
  if (!fired) return [...requests];
  const endOfSecond = fired.getTime() + 1000;
  const changedLater = (topic: string) => {
    const held = topic === ALL_TOPICS ? [...snapshot.topics.values()] : [snapshot.topics.get(topic)];
    return held.some((permission) => permission !== undefined && Date.parse(permission.since) >= endOfSecond);
  };
  return requests.filter((request) => !changedLater(request.topic));
}

/** A stable id for a delivery, so MailChimp's retries of the same one have a single effect. */
export function deliveryId(rawBody: Buffer): string {
  return createHash('sha256').update(rawBody).digest('hex');
}

/** The longest name kept from MailChimp's `FNAME` and `LNAME`. */
export const MAX_NAME_LENGTH = 100;

/**
 * Recorded with express consent given in MailChimp's own signup form. Its wording is set in MailChimp and
 * we never see it, so the record says exactly that instead of pretending to know the text.
 */
export const MAILCHIMP_SIGNUP_STATEMENT: MarketingStatement = {
  version: 'mailchimp-signup-form',
  text: "Given in MailChimp's own signup form. Its wording is kept in MailChimp and is not known here.",
};
export const MAILCHIMP_SIGNUP_METHOD = 'mailchimp_form';

/** An `upemail` delivery's old and new address, normalised; `undefined` unless both are valid. */
export function emailChange(delivery: WebhookDelivery): { from: string; to: string } | undefined {
  const from = normaliseEmail(field(delivery, 'old_email') ?? '');
  const to = normaliseEmail(field(delivery, 'new_email') ?? '');
  return isValidEmail(from) && isValidEmail(to) ? { from, to } : undefined;
}

/**
 * The name a delivery gives (`FNAME` and `LNAME` joined, trimmed, at most 100 characters): `''` when both
 * are blank, `undefined` when the delivery has neither field.
 */
export function mergedName(delivery: WebhookDelivery): string | undefined {
  const first = field(delivery, 'merges', 'FNAME');
  const last = field(delivery, 'merges', 'LNAME');
  if (first === undefined && last === undefined) return undefined;
  const joined = [first, last]
    .map((part) => (part ?? '').replace(/[\p{Cc}\s]+/gu, ' ').trim())
    .filter((part) => part !== '')
    .join(' ');
  // By code point, so a character outside the BMP is never cut in half.
  return Array.from(joined).slice(0, MAX_NAME_LENGTH).join('').trim();
}

/** The topics MailChimp's signup form stands for: configured, or else those of every consent-mode form. */
export function signupTopics(config: {
  readonly forms: readonly EnquiryForm[];
  readonly mailchimpSignupTopics?: readonly string[] | undefined;
}): string[] {
  if (config.mailchimpSignupTopics) return [...config.mailchimpSignupTopics];
  const topics = config.forms.flatMap((form) =>
    form.marketing.mode === 'consent' ? form.marketing.topics : [],
  );
  return [...new Set(topics)];
}

/**
 * What a `subscribe` asks of a contact. It confirms a double opt-in we started; otherwise it is express
 * consent given in MailChimp's signup form, for the signup topics only, and never for a suppressed topic or
 * one the person withdrew (a withdrawal is not undone by MailChimp). Someone who already holds a mailable
 * permission is on the audience through our own sync: a subscribe then is that sync's echo (deliveries do
 * not say who made the change), and records nothing.
 */
export function subscribeRequests(snapshot: ContactSnapshot, topics: readonly string[]): RequestedEvent[] {
  const suppression = snapshot.suppression ?? NO_SUPPRESSION;
  const held = [...snapshot.topics.values()];
  const pending = held.filter(
    (topic) => topic.status === 'pending' && !isSuppressed(suppression, topic.topic),
  );
  if (pending.length > 0) {
    return pending.map((topic): RequestedEvent => ({ type: 'consent_confirmed', topic: topic.topic }));
  }
  if (held.some((topic) => isMailable(topic.status))) return [];
  return topics
    .filter(
      (topic) =>
        !isSuppressed(suppression, topic) && (snapshot.topics.get(topic)?.status ?? 'none') === 'none',
    )
    .map((topic): RequestedEvent => ({ type: 'consent_given', topic }));
}
