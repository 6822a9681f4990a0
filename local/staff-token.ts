/**
 * Local staff tokens: HS256 JWTs shaped like a Cognito ID token, signed and verified with `jose`. Never
 * deployed: in AWS, Cognito issues the tokens and API Gateway's authorizer checks them.
 */
import { createHash } from 'node:crypto';
import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { StaffGroup } from '../shared/domain/staff-access.ts';

export const LOCAL_TOKEN_ISSUER = 'consent-desk-local';
/** Stands in for the app client id Cognito puts in `aud`. */
export const LOCAL_TOKEN_AUDIENCE = 'consent-desk-local-staff';
/** As the deployed app client's ID tokens. */
export const DEFAULT_TOKEN_MINUTES = 60;

/** The only algorithm accepted, whatever a token's header asks for. */
const ALGORITHM = 'HS256';
/** Far above any token we issue; stops a huge header from costing a hash and a parse. */
const MAX_TOKEN_LENGTH = 8192;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const MAX_NAME_LENGTH = 128;

/** The payload of a Cognito ID token, as far as the staff API reads it. */
export interface StaffTokenClaims {
  readonly sub: string;
  readonly 'cognito:username': string;
  /** Cognito leaves the claim out for a user in no group. */
  readonly 'cognito:groups'?: readonly string[];
  readonly token_use: 'id';
  readonly iss: string;
  readonly aud: string;
  /** Epoch seconds, like the rest. */
  readonly auth_time: number;
  readonly iat: number;
  readonly exp: number;
}

export type StaffTokenRefusal =
  | 'malformed'
  | 'unsupported_algorithm'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_token_use'
  | 'expired'
  | 'not_yet_valid';

export type StaffTokenCheck =
  | { readonly ok: true; readonly claims: StaffTokenClaims }
  | { readonly ok: false; readonly reason: StaffTokenRefusal };

export interface StaffTokenRequest {
  readonly username: string;
  readonly groups: readonly StaffGroup[];
  readonly now: Date;
  readonly minutes?: number;
}

export async function signStaffToken(key: Uint8Array, request: StaffTokenRequest): Promise<string> {
  const minutes = request.minutes ?? DEFAULT_TOKEN_MINUTES;
  if (!Number.isInteger(minutes) || minutes < 1) throw new RangeError('minutes must be a positive integer');
  const iat = Math.floor(request.now.getTime() / 1000);
  const claims: StaffTokenClaims = {
    sub: localSubject(request.username),
    'cognito:username': request.username,
    ...(request.groups.length > 0 ? { 'cognito:groups': [...new Set(request.groups)] } : {}),
    token_use: 'id',
    iss: LOCAL_TOKEN_ISSUER,
    aud: LOCAL_TOKEN_AUDIENCE,
    auth_time: iat,
    iat,
    exp: iat + minutes * 60,
  };
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' }).sign(key);
}

/**
 * Checks what API Gateway's Cognito authorizer checks: the signature (HS256 only, whatever the header
 * asks for), then issuer, audience, token use and validity period. Never throws.
 */
export async function verifyStaffToken(key: Uint8Array, token: string, now: Date): Promise<StaffTokenCheck> {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return refused('malformed');
  const parts = token.split('.');
  if (parts.length !== 3) return refused('malformed');
  const [headerPart, payloadPart, signature] = parts as [string, string, string];
  if (!SEGMENT.test(headerPart)) return refused('malformed');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return refused('malformed');
  }
  // The algorithm is ours to choose, not the token's: `none`, RS256 with our key as a "public key", etc.
  // are refused before anything else is looked at. A `crit` header names extensions we do not implement.
  if (header.alg !== ALGORITHM || 'crit' in header) return refused('unsupported_algorithm');
  if (!SEGMENT.test(payloadPart) || !SEGMENT.test(signature)) return refused('malformed');
  // Only the canonical base64url text of a signature counts: a re-encoded one does not verify either.
  if (Buffer.from(signature, 'base64url').toString('base64url') !== signature)
    return refused('bad_signature');

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      issuer: LOCAL_TOKEN_ISSUER,
      audience: LOCAL_TOKEN_AUDIENCE,
      currentDate: now,
    }));
  } catch (error) {
    return refusalFor(error);
  }
  const checked = checkClaims(payload);
  if (!checked.ok) return checked;
  // `jose` leaves `iat` alone; a token is not valid before it was issued.
  if (Math.floor(now.getTime() / 1000) < checked.claims.iat) return refused('not_yet_valid');
  return checked;
}

/** Why `jose` refused a token. A refused time claim counts only once the rest of the claims are sound. */
function refusalFor(error: unknown): StaffTokenCheck {
  if (error instanceof errors.JWSSignatureVerificationFailed) return refused('bad_signature');
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return refused('unsupported_algorithm');
  if (error instanceof errors.JWTExpired || error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return refused('wrong_issuer');
    if (error.claim === 'aud') return refused('wrong_audience');
    if (error.reason !== 'check_failed') return refused('malformed');
    const checked = checkClaims(error.payload);
    if (!checked.ok) return checked;
    return refused(error instanceof errors.JWTExpired ? 'expired' : 'not_yet_valid');
  }
  return refused('malformed');
}

/** Exactly our issuer and audience, an ID token, and well-formed claims. */
function checkClaims(payload: JWTPayload): StaffTokenCheck {
  if (payload.iss !== LOCAL_TOKEN_ISSUER) return refused('wrong_issuer');
  if (payload.aud !== LOCAL_TOKEN_AUDIENCE) return refused('wrong_audience');
  if (payload.token_use !== 'id') return refused('wrong_token_use');
  const claims = readClaims(payload);
  return claims === undefined ? refused('malformed') : { ok: true, claims };
}

function readClaims(payload: Record<string, unknown>): StaffTokenClaims | undefined {
  const { sub, iat, exp } = payload;
  const username = payload['cognito:username'];
  const groups = payload['cognito:groups'];
  const authTime = payload.auth_time ?? iat;
  if (!isName(sub) || !isName(username)) return undefined;
  if (groups !== undefined && !(Array.isArray(groups) && groups.every((group) => typeof group === 'string')))
    return undefined;
  if (!isEpochSeconds(iat) || !isEpochSeconds(exp) || !isEpochSeconds(authTime) || exp <= iat)
    return undefined;
  return {
    sub,
    'cognito:username': username,
    ...(groups === undefined ? {} : { 'cognito:groups': groups as string[] }),
    token_use: 'id',
    iss: LOCAL_TOKEN_ISSUER,
    aud: LOCAL_TOKEN_AUDIENCE,
    auth_time: authTime,
    iat,
    exp,
  };
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH;
}

function isEpochSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The same user always gets the same `sub`, as in a real user pool, shaped like Cognito's UUIDs. */
function localSubject(username: string): string {
  const hex = createHash('sha256').update(`consent-desk/local-staff-sub/v1\n${username}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function refused(reason: StaffTokenRefusal): StaffTokenCheck {
  return { ok: false, reason };
}
