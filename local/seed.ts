/**
 * Seed data for local mode. `POST /__local/seed {"contacts": N, "seed"?: S}` starts a job in the server
 * process (which holds the email-hashing key, the table and the local clock) that writes N synthetic
 * people (local/seed-people.ts) through the contacts repository's bulk import; `GET /__local/seed` reports
 * its progress and, once done, the people of each kind, the items written, the time taken and how many
 * people each marketing list (topic and basis) must show. The job does not depend on any request staying
 * open. No email is sent for seeded people; the stream still carries them to the MailChimp emulator.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createContactsRepository } from '../shared/adapters/dynamodb/contacts-store.ts';
import { type RuntimeConfig, toRuntimeConfig } from '../shared/config/schema.ts';
import type { MailableStatus } from '../shared/domain/consent.ts';
import { createEmailHasher } from '../shared/domain/hashing.ts';
import { describeError, log } from '../shared/log.ts';
import type { ContactsRepository } from '../shared/ports/contacts-store.ts';
import { LOCAL_AWS } from './dynamodb.ts';
import { SEED_KINDS, type SeedKind, type SeedOptions, type SeedPerson, seedPeople } from './seed-people.ts';
import {
  jsonResponse,
  type LocalClock,
  type LocalRequest,
  type LocalResponse,
  type LocalService,
  type LocalServiceContext,
} from './services.ts';

export const MAX_SEED_CONTACTS = 1_000_000;
export const DEFAULT_SEED = 1;
/** People generated and imported at a time: small enough that generating never holds the server up. */
const CHUNK_SIZE = 500;

export interface SeedRequest {
  readonly contacts: number;
  readonly seed: number;
}

/** What `GET /__local/seed` answers (counts so far while running). */
export interface SeedStatus {
  readonly state: 'idle' | 'running' | 'done' | 'failed';
  readonly seed?: number;
  readonly requested?: number;
  /** People written so far. */
  readonly people?: number;
  readonly items?: number;
  readonly enquiries?: number;
  readonly kinds?: Readonly<Record<SeedKind, number>>;
  /** People each list must show at `asOf`: topic -> basis -> count. */
  readonly mailable?: Readonly<Record<string, Readonly<Record<MailableStatus, number>>>>;
  /** The (local) time the histories end at, and what `mailable` is counted at. */
  readonly asOf?: string;
  readonly elapsedMs?: number;
  readonly error?: string;
}

export interface SeedServiceOptions {
  /** The email-hashing key the handlers use (`EMAIL_HASH_KEY`), read when a job starts. */
  readonly emailHashKey?: () => string | undefined;
  /** The stream syncs to a real MailChimp audience: seeding is refused. */
  readonly syncsToRealMailchimp?: boolean;
}

export function seedService(options: SeedServiceOptions = {}): LocalService {
  let target:
    | { contacts: ContactsRepository; config: RuntimeConfig; clock: LocalClock; client: DynamoDBClient }
    | undefined;
  let job: Job | undefined;
  /** A job being set up: a second request meanwhile must not start another. */
  let starting = false;

  return {
    name: 'seed',
    routes: [
      {
        method: 'GET',
        path: '/__local/seed',
        handle: () => jsonResponse(200, job?.status() ?? { state: 'idle' }),
      },
      {
        method: 'POST',
        path: '/__local/seed',
        handle: async (request) => {
          if (!target) return jsonResponse(503, { message: 'The seed service has not started' });
          // Synthetic people must never reach a real audience (the stream would subscribe them all).
          if (options.syncsToRealMailchimp)
            return jsonResponse(409, {
              message:
                'Seeding is off while local mode syncs to a real MailChimp audience (MAILCHIMP_API_KEY)',
            });
          const parsed = readSeedRequest(request);
          if (typeof parsed === 'string') return jsonResponse(400, { message: parsed });
          if (starting || job?.status().state === 'running')
            return jsonResponse(409, { message: 'A seed job is already running: GET /__local/seed' });
          const key = (options.emailHashKey ?? (() => process.env.EMAIL_HASH_KEY))();
          if (!key) return jsonResponse(500, { message: 'EMAIL_HASH_KEY is not set in the server' });
          const seedOptions: SeedOptions = {
            seed: parsed.seed,
            now: target.clock.now(),
            config: target.config,
            hasher: createEmailHasher(key),
          };
          starting = true;
          try {
            if (await alreadySeeded(target.contacts, seedOptions))
              return jsonResponse(409, {
                message: `Seed ${parsed.seed} has already been written to this table: choose another seed`,
              });
            job = new Job(target.contacts, seedOptions, parsed.contacts);
            return seedAccepted(job.status());
          } finally {
            starting = false;
          }
        },
      },
    ],

    async start(context: LocalServiceContext) {
      const client = new DynamoDBClient({ endpoint: context.dynamoDb.endpoint, ...LOCAL_AWS });
      const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
      target = {
        contacts: createContactsRepository(db, context.dynamoDb.tableName),
        config: toRuntimeConfig(context.config),
        clock: context.clock,
        client,
      };
    },

    async stop() {
      await job?.stop();
      target?.client.destroy();
    },
  };
}

function seedAccepted(status: SeedStatus): LocalResponse {
  const response = jsonResponse(202, status);
  return { ...response, headers: { ...response.headers, Location: '/__local/seed' } };
}

/** `{"contacts": N, "seed"?: S}`, or why not. */
export function readSeedRequest(request: Pick<LocalRequest, 'body'>): SeedRequest | string {
  const usage = `Send {"contacts": N, "seed": S}: N a whole number from 1 to ${MAX_SEED_CONTACTS}, S (optional, default ${DEFAULT_SEED}) a whole number from 0 to 4294967295`;
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    return usage;
  }
  if (typeof body !== 'object' || body === null) return usage;
  const { contacts, seed = DEFAULT_SEED } = body as { contacts?: unknown; seed?: unknown };
  if (!Number.isInteger(contacts) || (contacts as number) < 1 || (contacts as number) > MAX_SEED_CONTACTS)
    return usage;
  if (!Number.isInteger(seed) || (seed as number) < 0 || (seed as number) > 0xffff_ffff) return usage;
  return { contacts: contacts as number, seed: seed as number };
}

/** The same seed twice would overwrite its own people without conditions: look for its first few. */
async function alreadySeeded(contacts: ContactsRepository, options: SeedOptions): Promise<boolean> {
  for (const person of seedPeople(options, 0, 10)) {
    if (!person.contact?.change.writesContact) continue;
    const { contact } = await contacts.readContact(person.contact.contactId, options.now);
    if (contact) return true;
  }
  return false;
}

class Job {
  #state: 'running' | 'done' | 'failed' = 'running';
  #people = 0;
  #items = 0;
  #enquiries = 0;
  #error: string | undefined;
  readonly #kinds = Object.fromEntries(SEED_KINDS.map((kind) => [kind, 0])) as Record<SeedKind, number>;
  readonly #mailable: Record<string, Record<MailableStatus, number>>;
  readonly #startedAt = Date.now();
  #finishedAt: number | undefined;
  #stopped = false;
  readonly #running: Promise<void>;

  constructor(
    private readonly contacts: ContactsRepository,
    private readonly options: SeedOptions,
    private readonly requested: number,
  ) {
    this.#mailable = Object.fromEntries(
      options.config.topics.map((topic) => [topic.id, { consent: 0, soft_opt_in: 0 }]),
    );
    log.info('local.seed.started', { seed: options.seed, requested });
    this.#running = this.#run()
      .then(
        () => {
          this.#state = 'done';
          log.info('local.seed.done', { seed: options.seed, people: this.#people, items: this.#items });
        },
        (error: unknown) => {
          this.#state = 'failed';
          // Our own errors and DynamoDB's name no person; the message is what the caller needs.
          this.#error = error instanceof Error ? `${error.name}: ${error.message}` : 'failed';
          log.error('local.seed.failed', {
            seed: options.seed,
            people: this.#people,
            ...describeError(error),
          });
        },
      )
      .finally(() => {
        this.#finishedAt = Date.now();
      });
  }

  status(): SeedStatus {
    return {
      state: this.#state,
      seed: this.options.seed,
      requested: this.requested,
      people: this.#people,
      items: this.#items,
      enquiries: this.#enquiries,
      kinds: { ...this.#kinds },
      mailable: structuredClone(this.#mailable),
      asOf: this.options.now.toISOString(),
      elapsedMs: (this.#finishedAt ?? Date.now()) - this.#startedAt,
      ...(this.#error ? { error: this.#error } : {}),
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  async #run(): Promise<void> {
    // The next chunk is generated while the one before it is being written.
    let writing: Promise<void> = Promise.resolve();
    for (let from = 0; from < this.requested && !this.#stopped; from += CHUNK_SIZE) {
      const people = [...seedPeople(this.options, from, Math.min(CHUNK_SIZE, this.requested - from))];
      await writing;
      if (this.#stopped) return;
      writing = this.#write(people);
    }
    await writing;
  }

  async #write(people: readonly SeedPerson[]): Promise<void> {
    const enquiries = people.flatMap((person) => person.enquiries);
    const { items } = await this.contacts.importNew({
      contacts: people.flatMap((person) => (person.contact ? [person.contact] : [])),
      enquiries,
    });
    for (const person of people) {
      this.#kinds[person.kind] += 1;
      for (const { topic, basis } of person.mailable) {
        const counts = this.#mailable[topic];
        if (counts) counts[basis] += 1;
      }
    }
    this.#people += people.length;
    this.#items += items;
    this.#enquiries += enquiries.length;
  }
}
