/**
 * `npm run token -- --groups marketing,privacy [--user alice] [--minutes 60]`: prints a staff token for
 * the local server (`npm start`), signed with the local key in `.data/staff-token-key`. Only the token goes
 * to stdout, so `TOKEN=$(npm run -s token -- --groups marketing)` works. Local mode only: in AWS, staff
 * sign in to Cognito.
 */
import { parseArgs } from 'node:util';
import { isStaffGroup, STAFF_GROUPS, type StaffGroup } from '../shared/domain/staff-access.ts';
import {
  DEFAULT_STAFF_TOKEN_KEY_FILE,
  DEFAULT_TOKEN_MINUTES,
  loadOrCreateSigningKey,
  signStaffToken,
} from './staff-auth.ts';

const DEFAULT_USER = 'local-staff';
const MAX_MINUTES = 24 * 60;
/** Letters, digits and the punctuation Cognito user names commonly use; no spaces or control characters. */
const USER_NAME = /^[\p{L}\p{N}._@+-]{1,128}$/u;

export const USAGE = `Usage: npm run token -- --groups <group,...> [--user <name>] [--minutes <n>]

Prints a staff token for the local server: send it as "Authorization: Bearer <token>".

  --groups <list>   staff groups, comma-separated (or repeated): ${STAFF_GROUPS.join(', ')}
  --user <name>     the user name in the token (default ${DEFAULT_USER})
  --minutes <n>     how long it is valid, 1 to ${MAX_MINUTES} (default ${DEFAULT_TOKEN_MINUTES})
  --help            show this text`;

export interface TokenOptions {
  readonly groups: readonly StaffGroup[];
  readonly username: string;
  readonly minutes: number;
}

/** A mistake in the command line: exit code 2, the message and the usage. */
export class TokenUsageError extends Error {
  override readonly name = 'TokenUsageError';
}

/** The options, or `undefined` for `--help`. */
export function parseTokenArgs(argv: readonly string[]): TokenOptions | undefined {
  let values: { groups?: string[]; user?: string; minutes?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        groups: { type: 'string', multiple: true },
        user: { type: 'string' },
        minutes: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new TokenUsageError((error as Error).message);
  }
  if (values.help) return undefined;

  const names = (values.groups ?? [])
    .flatMap((list) => list.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0)
    throw new TokenUsageError(`Give --groups, one or more of ${STAFF_GROUPS.join(', ')}`);
  const unknown = names.filter((name) => !isStaffGroup(name));
  if (unknown.length > 0) {
    throw new TokenUsageError(
      `Unknown group${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `"${name}"`).join(', ')}: ` +
        `staff groups are ${STAFF_GROUPS.join(', ')}`,
    );
  }

  const username = values.user ?? DEFAULT_USER;
  if (!USER_NAME.test(username)) {
    throw new TokenUsageError('--user takes up to 128 letters, digits and . _ @ + -');
  }
  const minutesText = values.minutes ?? String(DEFAULT_TOKEN_MINUTES);
  const minutes = Number(minutesText);
  if (!/^\d{1,5}$/.test(minutesText) || minutes < 1 || minutes > MAX_MINUTES) {
    throw new TokenUsageError(`--minutes takes a whole number from 1 to ${MAX_MINUTES}`);
  }
  return { groups: [...new Set(names as StaffGroup[])], username, minutes };
}

export interface TokenCommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Runs the command; answers its exit code: 0, 2 for a usage mistake, 1 for anything else. */
export async function runTokenCommand(
  argv: readonly string[],
  io: TokenCommandIo,
  options: { readonly keyFile?: string; readonly now?: Date } = {},
): Promise<number> {
  let parsed: TokenOptions | undefined;
  try {
    parsed = parseTokenArgs(argv);
  } catch (error) {
    if (!(error instanceof TokenUsageError)) throw error;
    io.err(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === undefined) {
    io.out(USAGE);
    return 0;
  }
  const keyFile = options.keyFile ?? DEFAULT_STAFF_TOKEN_KEY_FILE;
  const now = options.now ?? new Date();
  try {
    const token = await signStaffToken(loadOrCreateSigningKey(keyFile), { ...parsed, now });
    io.out(token);
  } catch (error) {
    io.err(`Could not make a token: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const until = new Date(now.getTime() + parsed.minutes * 60_000).toISOString();
  io.err(`Token for ${parsed.username} in ${parsed.groups.join(', ')}, valid until ${until}.`);
  return 0;
}

if (import.meta.main) {
  process.exitCode = await runTokenCommand(process.argv.slice(2), {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  });
}
