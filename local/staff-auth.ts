/**
 * Local mode's stand-in for the staff user pool and API Gateway's Cognito authorizer. Staff tokens are
 * HS256 JWTs shaped like a Cognito ID token, signed with a key in `.data/staff-token-key` that the server
 * and `npm run token` (another process) share. Never deployed: in AWS, Cognito issues the tokens and API
 * Gateway checks them.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { StaffGroup } from '../shared/domain/staff-access.ts';
import { log } from '../shared/log.ts';
import type { LocalService } from './services.ts';

export const DEFAULT_STAFF_TOKEN_KEY_FILE = resolve(import.meta.dirname, '..', '.data', 'staff-token-key');
export const LOCAL_TOKEN_ISSUER = 'consent-desk-local';
/** Stands in for the app client id Cognito puts in `aud`. */
export const LOCAL_TOKEN_AUDIENCE = 'consent-desk-local-staff';
/** As the deployed app client's ID tokens. */
export const DEFAULT_TOKEN_MINUTES = 60;

const KEY_BYTES = 32;
const KEY_TEXT = /^[A-Za-z0-9_-]{43,}$/;
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

export type StaffTokenCheck =
  | { readonly ok: true; readonly claims: StaffTokenClaims }
  | {
      readonly ok: false;
      readonly reason:
        | 'malformed'
        | 'unsupported_algorithm'
        | 'bad_signature'
        | 'wrong_issuer'
        | 'wrong_audience'
        | 'wrong_token_use'
        | 'expired'
        | 'not_yet_valid';
    };

export interface StaffTokenRequest {
  readonly username: string;
  readonly groups: readonly StaffGroup[];
  readonly now: Date;
  readonly minutes?: number;
}

export function signStaffToken(key: Buffer, request: StaffTokenRequest): string {
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
  const signed = `${encodeSegment({ alg: 'HS256', typ: 'JWT' })}.${encodeSegment(claims)}`;
  return `${signed}.${mac(key, signed)}`;
}

/**
 * Checks what API Gateway's Cognito authorizer checks: the signature (HS256 only, whatever the header
 * asks for), then issuer, audience, token use and validity period. Never throws.
 */
export function verifyStaffToken(key: Buffer, token: string, now: Date): StaffTokenCheck {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return refused('malformed');
  const parts = token.split('.');
  if (parts.length !== 3) return refused('malformed');
  const [headerPart, payloadPart, signature] = parts as [string, string, string];
  if (!SEGMENT.test(headerPart)) return refused('malformed');
  const header = decodeSegment(headerPart);
  if (header === undefined) return refused('malformed');
  // The algorithm is ours to choose, not the token's: `none`, RS256 with our key as a "public key", etc.
  // are refused before anything else is looked at. A `crit` header names extensions we do not implement.
  if (header.alg !== 'HS256' || 'crit' in header) return refused('unsupported_algorithm');
  if (!SEGMENT.test(payloadPart) || !SEGMENT.test(signature)) return refused('malformed');
  // Compared as canonical base64url text, in constant time: a re-encoded signature does not verify either.
  const expected = Buffer.from(mac(key, `${headerPart}.${payloadPart}`));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refused('bad_signature');

  const payload = decodeSegment(payloadPart);
  if (payload === undefined) return refused('malformed');
  if (payload.iss !== LOCAL_TOKEN_ISSUER) return refused('wrong_issuer');
  if (payload.aud !== LOCAL_TOKEN_AUDIENCE) return refused('wrong_audience');
  if (payload.token_use !== 'id') return refused('wrong_token_use');
  const claims = readClaims(payload);
  if (claims === undefined) return refused('malformed');
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (nowSeconds >= claims.exp) return refused('expired');
  const notBefore = typeof payload.nbf === 'number' ? payload.nbf : claims.iat;
  if (nowSeconds < claims.iat || nowSeconds < notBefore) return refused('not_yet_valid');
  return { ok: true, claims };
}

/**
 * What API Gateway's Cognito authorizer puts in `requestContext.authorizer` for these claims: every value
 * a string, the groups comma-separated, `iat` and `exp` as dates the way it prints them.
 */
export function authorizerContext(claims: StaffTokenClaims): { claims: Record<string, string> } {
  const groups = claims['cognito:groups'] ?? [];
  return {
    claims: {
      sub: claims.sub,
      'cognito:username': claims['cognito:username'],
      ...(groups.length > 0 ? { 'cognito:groups': groups.join(',') } : {}),
      token_use: claims.token_use,
      iss: claims.iss,
      aud: claims.aud,
      auth_time: String(claims.auth_time),
      iat: authorizerDate(claims.iat),
      exp: authorizerDate(claims.exp),
    },
  };
}

/**
 * The local signing key, created on first use. Written in full under a unique name, then hard-linked into
 * place: the link fails if the file already exists, so a server and a token command starting together end
 * up with the same key, and neither ever reads a half-written file.
 */
export function loadOrCreateSigningKey(path: string = DEFAULT_STAFF_TOKEN_KEY_FILE): Buffer {
  const existing = readSigningKey(path);
  if (existing) return existing;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  // Readable by its owner only: anyone who can read it can sign in to the local staff API as anyone.
  writeFileSync(temporary, `${randomBytes(KEY_BYTES).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  const created = readSigningKey(path);
  if (!created) throw new Error(`${path} vanished while it was being created`);
  return created;
}

export interface StaffAuthServiceOptions {
  readonly keyFile?: string;
  /**
   * Wall-clock time by default, not the local clock `POST /__local/clock` moves: tokens are minted by
   * another process that cannot know how far that clock was moved.
   */
  readonly now?: () => Date;
}

/** Guards the staff routes of the local server as API Gateway's Cognito authorizer does. */
export function staffAuthService(options: StaffAuthServiceOptions = {}): LocalService {
  const keyFile = options.keyFile ?? DEFAULT_STAFF_TOKEN_KEY_FILE;
  const now = options.now ?? (() => new Date());
  return {
    name: 'staff authorizer',
    start: async () => {
      loadOrCreateSigningKey(keyFile);
    },
    authorizeStaff: async (event) => {
      const token = bearerToken(event);
      if (token === undefined) return undefined;
      // Read on every request, so a key file deleted and recreated by `npm run token` takes effect at once.
      const check = verifyStaffToken(loadOrCreateSigningKey(keyFile), token, now());
      if (!check.ok) {
        log.info('local.staff_token_refused', { reason: check.reason });
        return undefined;
      }
      return authorizerContext(check.claims);
    },
  };
}

function bearerToken(event: APIGatewayProxyEvent): string | undefined {
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() !== 'authorization' || value === undefined) continue;
    return /^Bearer +([^\s]+) *$/i.exec(value)?.[1];
  }
  return undefined;
}

function readSigningKey(path: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!KEY_TEXT.test(text)) {
    throw new Error(`${path} does not hold a staff token key (delete it, and a new one is made)`);
  }
  return Buffer.from(text, 'base64url');
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

function mac(key: Buffer, signed: string): string {
  return createHmac('sha256', key).update(signed, 'ascii').digest('base64url');
}

function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function refused(reason: Extract<StaffTokenCheck, { ok: false }>['reason']): StaffTokenCheck {
  return { ok: false, reason };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Fri Jul 29 18:52:53 UTC 2016`: how the REST API's Cognito authorizer passes `iat` and `exp`. */
function authorizerDate(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${two(date.getUTCDate())} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} UTC ` +
    `${date.getUTCFullYear()}`
  );
}
