/**
 * Opaque, tamper-evident paging cursors for the staff API.
 *
 *   <payload>.<keyId>.<signature>
 *
 * The payload (base64url JSON) holds the scope the cursor was issued for (route and filter), where the
 * query stopped, and the issue time. The signature is HMAC-SHA256 under the link-signing key ring with its
 * own label, so a cursor can neither be forged nor moved to another list, filter or index partition:
 * a caller who edits the filter keeps the signature of the old one, which no longer matches.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KeyRing } from './tokens.ts';

/** Where a DynamoDB query resumes: key attribute names to string values. */
export type PageKey = Readonly<Record<string, string>>;

/** Long enough to page through a large export by hand; short enough that an old cursor is worthless. */
export const CURSOR_LIFETIME_SECONDS = 24 * 60 * 60;

// Separates these MACs from the link tokens made with the same keys.
const MAC_LABEL = 'consent-desk/page-cursor/v1\n';
const MAX_CURSOR_LENGTH = 2048;
const CURSOR = /^([A-Za-z0-9_-]{1,1900})\.([a-z0-9]{1,8})\.([A-Za-z0-9_-]{43})$/;
const MAX_CLOCK_SKEW_SECONDS = 300;

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

export function signCursor(ring: KeyRing, scope: string, key: PageKey, now: Date): string {
  const signingKey = ring.keys.get(ring.currentKeyId);
  if (!signingKey) throw new Error('The current signing key is not in the ring');
  const payload = Buffer.from(
    JSON.stringify({ s: scope, k: key, t: Math.floor(now.getTime() / 1000) }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${ring.currentKeyId}.${mac(signingKey, ring.currentKeyId, payload)}`;
}

/**
 * The position a cursor holds, when it was signed by us, for this scope, recently. Throws
 * InvalidCursorError (whose message names no value) for anything else, whatever `cursor` is.
 */
export function verifyCursor(ring: KeyRing, cursor: unknown, scope: string, now: Date): PageKey {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH) throw invalid();
  const parts = CURSOR.exec(cursor);
  if (!parts) throw invalid();
  const [, payload = '', keyId = '', signature = ''] = parts;
  const signingKey = ring.keys.get(keyId);
  if (!signingKey) throw invalid();
  // Constant time: the pattern fixed the signature's length at 43, the same as the expected text.
  const expected = Buffer.from(mac(signingKey, keyId, payload), 'latin1');
  if (!timingSafeEqual(Buffer.from(signature, 'latin1'), expected)) throw invalid();

  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof decoded !== 'object' || decoded === null) throw invalid();
  const { s, k, t } = decoded as { s?: unknown; k?: unknown; t?: unknown };
  if (s !== scope) throw invalid();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t > nowSeconds + MAX_CLOCK_SKEW_SECONDS)
    throw invalid();
  if (t + CURSOR_LIFETIME_SECONDS <= nowSeconds) throw invalid();
  if (typeof k !== 'object' || k === null || Array.isArray(k)) throw invalid();
  const entries = Object.entries(k);
  if (entries.length === 0 || entries.some(([, value]) => typeof value !== 'string')) throw invalid();
  return Object.fromEntries(entries) as PageKey;
}

function mac(key: Buffer, keyId: string, payload: string): string {
  return createHmac('sha256', key).update(MAC_LABEL).update(`${keyId}.${payload}`).digest('base64url');
}

function invalid(): InvalidCursorError {
  return new InvalidCursorError('The cursor is not valid for this list');
}
