/**
 * Local mode's stand-in for the staff user pool and API Gateway's Cognito authorizer: the signing key in
 * `.data/staff-token-key` that the server and `npm run token` (another process) share, and the authorizer
 * in front of the staff routes (the tokens themselves are in staff-token.ts). Never deployed: in AWS,
 * Cognito issues the tokens and API Gateway checks them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { log } from '../shared/log.ts';
import type { LocalService } from './services.ts';
import { type StaffTokenClaims, verifyStaffToken } from './staff-token.ts';

export {
  DEFAULT_TOKEN_MINUTES,
  LOCAL_TOKEN_AUDIENCE,
  LOCAL_TOKEN_ISSUER,
  type StaffTokenCheck,
  type StaffTokenClaims,
  type StaffTokenRequest,
  signStaffToken,
  verifyStaffToken,
} from './staff-token.ts';

export const DEFAULT_STAFF_TOKEN_KEY_FILE = resolve(import.meta.dirname, '..', '.data', 'staff-token-key');
const KEY_BYTES = 32;
const KEY_TEXT = /^[A-Za-z0-9_-]{43,}$/;

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
      const check = await verifyStaffToken(loadOrCreateSigningKey(keyFile), token, now());
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
