/**
 * `npm run seed -- --contacts 100000 [--seed 42]`: asks the running local server (`npm start`, on PORT or
 * 3000) to seed synthetic people, follows the job's progress and prints what was written and what each
 * marketing list must now show. The job runs inside the server: Ctrl-C here only stops watching it.
 */
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, MAX_SEED_CONTACTS, type SeedRequest, type SeedStatus } from './seed.ts';

export const USAGE = `Usage: npm run seed -- --contacts <n> [--seed <s>]

Writes <n> synthetic people (1 to ${MAX_SEED_CONTACTS}) into the running local server's table (start it
with npm start first; PORT picks its port, default 3000).

  --contacts <n>  how many people
  --seed <s>      which people, 0 to 4294967295 (default ${DEFAULT_SEED}): the same seed gives the same people
  --help          show this text`;

/** A mistake in the command line: exit code 2, the message and the usage. */
export class SeedUsageError extends Error {
  override readonly name = 'SeedUsageError';
}

/** The request, or `undefined` for `--help`. */
export function parseSeedArgs(argv: readonly string[]): SeedRequest | undefined {
  let values: { contacts?: string; seed?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        contacts: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new SeedUsageError((error as Error).message);
  }
  if (values.help) return undefined;
  if (values.contacts === undefined) throw new SeedUsageError('Give --contacts <n>');
  const contacts = wholeNumber(values.contacts);
  if (contacts === undefined || contacts < 1 || contacts > MAX_SEED_CONTACTS)
    throw new SeedUsageError(`--contacts must be a whole number from 1 to ${MAX_SEED_CONTACTS}`);
  const seed = values.seed === undefined ? DEFAULT_SEED : wholeNumber(values.seed);
  if (seed === undefined || seed > 0xffff_ffff)
    throw new SeedUsageError('--seed must be a whole number from 0 to 4294967295');
  return { contacts, seed };
}

function wholeNumber(text: string): number | undefined {
  const plain = text.replaceAll('_', '').replaceAll(',', '');
  return /^\d{1,10}$/.test(plain) ? Number(plain) : undefined;
}

export interface SeedRunIo {
  readonly out: (line: string) => void;
  /** Rewrites the current line where the output is a terminal. */
  readonly progress: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly fetch: typeof fetch;
}

/** A failure to report: the message only, exit code 1. */
export class SeedRunError extends Error {
  override readonly name = 'SeedRunError';
}

const POLL_MS = 1_000;
/** The server answers 503 while DynamoDB Local and the handlers start. */
const STARTING_RETRIES = 60;

export async function runSeed(baseUrl: string, request: SeedRequest, io: SeedRunIo): Promise<SeedStatus> {
  const url = `${baseUrl}/__local/seed`;
  let started: Response | undefined;
  for (let attempt = 0; !started; attempt++) {
    const response = await call(io, url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
    if (response.status === 503 && attempt < STARTING_RETRIES) {
      if (attempt === 0) io.out('The local server is still starting…');
      await io.sleep(POLL_MS);
      continue;
    }
    started = response;
  }
  if (started.status === 404)
    throw new SeedRunError(`${baseUrl} does not offer seeding: is it an up-to-date npm start?`);
  if (started.status !== 202) throw new SeedRunError(await messageOf(started));
  io.out(`Seeding ${request.contacts} people (seed ${request.seed}) into ${baseUrl}…`);

  for (;;) {
    await io.sleep(POLL_MS);
    const response = await call(io, url, {});
    if (response.status !== 200) throw new SeedRunError(await messageOf(response));
    const status = (await response.json()) as SeedStatus;
    if (status.state === 'running') {
      io.progress(progressLine(status));
      continue;
    }
    io.progress('');
    if (status.state === 'done') return status;
    throw new SeedRunError(`Seeding failed: ${status.error ?? status.state}`);
  }
}

async function call(io: SeedRunIo, url: string, init: RequestInit): Promise<Response> {
  try {
    return await io.fetch(url, init);
  } catch {
    throw new SeedRunError(
      `No local server answers at ${new URL(url).origin}: start it with npm start first (or set PORT to its port)`,
    );
  }
}

async function messageOf(response: Response): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as { message?: unknown };
  return typeof body.message === 'string' ? body.message : `The server answered ${response.status}`;
}

function progressLine(status: SeedStatus): string {
  const people = status.people ?? 0;
  const requested = status.requested ?? 1;
  const seconds = (status.elapsedMs ?? 0) / 1000;
  const rate = seconds > 0 ? Math.round(people / seconds) : 0;
  return `  ${people} / ${requested} people (${Math.floor((people * 100) / requested)}%), ${status.items ?? 0} items, ${rate} people/s`;
}

/** The summary printed when the job is done. */
export function summary(status: SeedStatus): string[] {
  const lines = [
    `Seeded ${status.people} people (seed ${status.seed}) in ${((status.elapsedMs ?? 0) / 1000).toFixed(1)} s: ${status.items} items, ${status.enquiries} enquiries.`,
    '',
    'People by kind:',
    ...Object.entries(status.kinds ?? {}).map(([kind, count]) => `  ${kind.padEnd(12)} ${count}`),
    '',
    `Mailable as of ${status.asOf} (what GET /contacts lists):`,
    ...Object.entries(status.mailable ?? {}).map(
      ([topic, bases]) =>
        `  ${topic.padEnd(12)} consent ${bases.consent}, soft_opt_in ${bases.soft_opt_in}, any ${bases.consent + bases.soft_opt_in}`,
    ),
  ];
  if ((status.kinds?.expired ?? 0) > 0)
    lines.push('', 'Expired people are past their TTL: the TTL sweeper deletes them within a minute.');
  return lines;
}

async function main(): Promise<void> {
  try {
    const request = parseSeedArgs(process.argv.slice(2));
    if (!request) {
      console.log(USAGE);
      return;
    }
    const port = process.env.PORT === undefined || process.env.PORT === '' ? '3000' : process.env.PORT;
    if (!/^\d{1,5}$/.test(port)) throw new SeedUsageError('PORT must be a port number');
    const tty = process.stdout.isTTY === true;
    const status = await runSeed(`http://127.0.0.1:${port}`, request, {
      out: (line) => console.log(line),
      progress: (line) => {
        if (tty) process.stdout.write(`\r\x1b[2K${line}`);
      },
      sleep: (ms) => delay(ms),
      fetch,
    });
    for (const line of summary(status)) console.log(line);
  } catch (error) {
    if (error instanceof SeedUsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    console.error(error instanceof Error ? error.message : 'Seeding failed');
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
