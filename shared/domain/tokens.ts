/**
 * Signed link tokens for the links in our emails (unsubscribe, preferences, double opt-in confirm).
 *
 *   v1.<keyId>.<payload>.<signature>
 *
 * All parts are URL-safe as they are (base64url, no padding). The payload carries the contact id, the
 * purpose, the contact's epoch and the issue time; the signature is HMAC-SHA256 over a label, the key id
 * and the payload, so neither the purpose nor the key id can be swapped without the key.
 *
 * Keys live in a ring of at most two: the current key signs, the previous one still verifies. Rotation
 * adds a new key id, points `current` at it and keeps the previous key; a key dropped from the ring
 * invalidates every link it signed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `verify`: a person confirming a subject request is theirs; its id stands where a contact id would.
 * `privacy`: the privacy centre, opened for the address the link was emailed to.
 */
export type TokenPurpose = 'unsubscribe' | 'preferences' | 'confirm' | 'verify' | 'privacy';

export interface TokenClaims {
  readonly contactId: string;
  readonly purpose: TokenPurpose;
  /** The contact's epoch when the link was issued; lets callers reject links from before a reset. */
  readonly epoch: number;
  /** Epoch seconds. */
  readonly issuedAt: number;
}

export interface KeyRing {
  readonly currentKeyId: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

export type TokenCheck =
  | { readonly ok: true; readonly claims: TokenClaims }
  | {
      readonly ok: false;
      readonly reason: 'malformed' | 'unknown_key' | 'bad_signature' | 'wrong_purpose' | 'expired';
    };

const DAY = 24 * 60 * 60;

/**
 * How long a link works after it was issued.
 * - unsubscribe: links must keep working for at least a year after the email was sent; 3 years covers
 *   the longest retention (express consent, 24 months after the last interaction) with margin.
 * - preferences: 2 years, the longest retention itself.
 * - confirm: the 30-day window in which a double opt-in stays pending.
 * - verify: 14 days for a person to confirm a subject request is theirs (a request is one-off).
 * - privacy: 24 hours: the link shows and changes everything held on a person, so it lives briefly.
 * As the ring keeps only the current and the previous key, a link survives one rotation but not two, so
 * the signing key should not be rotated more often than yearly.
 */
export const TOKEN_LIFETIME_SECONDS: Readonly<Record<TokenPurpose, number>> = Object.freeze({
  unsubscribe: 1095 * DAY,
  preferences: 730 * DAY,
  confirm: 30 * DAY,
  verify: 14 * DAY,
  privacy: DAY,
});

/** Allowance for clocks that disagree between the issuing and the verifying function. */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

// Separates these MACs from any other use of HMAC-SHA256 with the same key.
const MAC_LABEL = 'consent-desk/link-token/v1\n';
const VERSION = 'v1';
const MAX_TOKEN_LENGTH = 300;
const MAX_KEYS = 2;
const MIN_KEY_LENGTH = 32;
const KEY_ID = /^[a-z0-9]{1,8}$/;
const CONTACT_ID = /^[A-Za-z0-9_-]{1,64}$/;
// 32 bytes of HMAC-SHA256 are exactly 43 base64url characters.
const TOKEN = /^v1\.([a-z0-9]{1,8})\.([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{43})$/;
// No field can contain '.', so the payload splits one way only.
const PAYLOAD = /^([A-Za-z0-9_-]{1,64})\.([upcvr])\.(0|[1-9][0-9]{0,15})\.(0|[1-9][0-9]{0,15})$/;

const PURPOSE_CODE: Readonly<Record<TokenPurpose, string>> = {
  unsubscribe: 'u',
  preferences: 'p',
  confirm: 'c',
  verify: 'v',
  privacy: 'r',
};
const PURPOSE_BY_CODE: ReadonlyMap<string, TokenPurpose> = new Map(
  Object.entries(PURPOSE_CODE).map(([purpose, code]) => [code, purpose as TokenPurpose]),
);

/**
 * Reads the ring from its Secrets Manager value, `{"current":"k2","k2":"<key>","k1":"<previous key>"}`.
 * Error messages name the problem and never include the secret's content.
 */
export function parseKeyRing(secretString: string): KeyRing {
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    // No cause: JSON.parse messages quote the input, which is key material.
    throw new Error('The token signing key ring is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error('The token signing key ring must be a JSON object');
  const { current, ...entries } = json as Record<string, unknown>;
  if (typeof current !== 'string' || !KEY_ID.test(current))
    throw new Error('The token signing key ring needs "current", a key id of 1-8 characters a-z 0-9');
  const keys = new Map<string, Buffer>();
  for (const [keyId, key] of Object.entries(entries)) {
    // The id itself is not echoed: a mangled secret could have key material in that position.
    if (!KEY_ID.test(keyId))
      throw new Error('The token signing key ring has a key id other than 1-8 a-z 0-9');
    if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH)
      throw new Error(
        `Token signing key "${keyId}" must be a string of at least ${MIN_KEY_LENGTH} characters`,
      );
    keys.set(keyId, Buffer.from(key, 'utf8'));
  }
  if (!keys.has(current)) throw new Error(`The current token signing key "${current}" is not in the ring`);
  if (keys.size > MAX_KEYS)
    throw new Error(
      `The token signing key ring holds ${keys.size} keys; at most ${MAX_KEYS} (current and previous)`,
    );
  return { currentKeyId: current, keys };
}

export function signToken(ring: KeyRing, claims: TokenClaims): string {
  const key = ring.keys.get(ring.currentKeyId);
  if (!key || !KEY_ID.test(ring.currentKeyId))
    throw new Error('The current token signing key is not in the ring');
  const { contactId, purpose, epoch, issuedAt } = claims;
  if (!CONTACT_ID.test(contactId))
    throw new Error('A token contact id must be 1-64 characters A-Z a-z 0-9 _ -');
  if (!Object.hasOwn(PURPOSE_CODE, purpose)) throw new Error('Unknown token purpose');
  if (!Number.isSafeInteger(epoch) || epoch < 0)
    throw new Error('A token epoch must be a non-negative integer');
  if (!Number.isSafeInteger(issuedAt) || issuedAt < 0)
    throw new Error('A token issue time must be non-negative integer epoch seconds');
  const payload = Buffer.from(`${contactId}.${PURPOSE_CODE[purpose]}.${epoch}.${issuedAt}`, 'utf8').toString(
    'base64url',
  );
  return `${VERSION}.${ring.currentKeyId}.${payload}.${mac(key, ring.currentKeyId, payload)}`;
}

/** Checks a token from a request for one purpose. Never throws, whatever `token` is. */
export function verifyToken(ring: KeyRing, token: unknown, purpose: TokenPurpose, now: Date): TokenCheck {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return fail('malformed');
  const parts = TOKEN.exec(token);
  if (!parts) return fail('malformed');
  const [, keyId = '', payload = '', signature = ''] = parts;
  const key = ring.keys.get(keyId);
  if (!key) return fail('unknown_key');
  // Compares the base64url text, so a signature with altered unused trailing bits cannot pass either.
  // Constant time: the regex fixed the length at 43, the same as the expected text.
  const expected = Buffer.from(mac(key, keyId, payload), 'latin1');
  const given = Buffer.from(signature, 'latin1');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return fail('bad_signature');

  const fields = PAYLOAD.exec(Buffer.from(payload, 'base64url').toString('utf8'));
  if (!fields) return fail('malformed');
  const [, contactId = '', code = '', epochText = '', issuedAtText = ''] = fields;
  const tokenPurpose = PURPOSE_BY_CODE.get(code);
  const epoch = Number(epochText);
  const issuedAt = Number(issuedAtText);
  if (!tokenPurpose || !Number.isSafeInteger(epoch) || !Number.isSafeInteger(issuedAt))
    return fail('malformed');
  if (tokenPurpose !== purpose) return fail('wrong_purpose');

  const nowMs = now instanceof Date ? now.getTime() : Number.NaN;
  // Without a usable clock no expiry can be shown to be in the future: fail closed.
  if (!Number.isFinite(nowMs)) return fail('expired');
  if (issuedAt * 1000 > nowMs + MAX_CLOCK_SKEW_MS) return fail('malformed');
  if ((issuedAt + TOKEN_LIFETIME_SECONDS[purpose]) * 1000 <= nowMs) return fail('expired');
  return { ok: true, claims: { contactId, purpose, epoch, issuedAt } };
}

function mac(key: Buffer, keyId: string, payload: string): string {
  return createHmac('sha256', key).update(MAC_LABEL).update(`${keyId}.${payload}`).digest('base64url');
}

function fail(reason: Extract<TokenCheck, { ok: false }>['reason']): TokenCheck {
  return { ok: false, reason };
}
