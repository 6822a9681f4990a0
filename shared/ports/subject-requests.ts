/**
 * The register of data-subject requests as use cases see it: each request with who it concerns, what was
 * asked and what was done, listed by due date; and the access bundles staff download.
 * shared/adapters/dynamodb/subject-requests.ts implements it.
 */
import type { SubjectRequest } from '../domain/subject-request.ts';
import type { QueuedMessage } from './mailer.ts';
import type { ListPosition, Page } from './staff-reads.ts';

/** What a rectification changes. */
export interface RequestedChanges {
  readonly name?: string | undefined;
  readonly phone?: string | undefined;
  readonly company?: string | undefined;
  readonly email?: string | undefined;
}

/** What the person asked for, by type of request. */
export interface RequestInput {
  readonly changes?: RequestedChanges | undefined;
  /** Withdrawal: the topics named; none means all. */
  readonly topics?: readonly string[] | undefined;
  /** Restriction: lift it rather than set it. */
  readonly lift?: boolean | undefined;
  /** Complaint text, kept only here. */
  readonly details?: string | undefined;
  /** What a complaint made on the complaint form is about (one of the form's choices). */
  readonly about?: string | undefined;
}

export interface RegisterEntry {
  readonly request: SubjectRequest;
  /** The canonical address; removed once an erasure is carried out. */
  readonly email: string | undefined;
  /** The contact id of that address; removed with it. */
  readonly contactId: string | undefined;
  readonly input: RequestInput;
  /** What was done: an access summary, an erasure receipt, the changes made. Never personal data. */
  readonly result: Readonly<Record<string, unknown>> | undefined;
  /** When the request finished (completed, refused, closed, cancelled). */
  readonly finishedAt: string | undefined;
}

export type RegisterList = 'open' | 'finished';

export interface RequestRegister {
  /**
   * Adds a new entry (and, while unfinished, its reference in the person's partition), with the emails
   * it calls for queued in the same transaction.
   */
  add(entry: RegisterEntry, expiresAt: number, outbox?: readonly QueuedMessage[]): Promise<void>;
  read(requestId: string, now: Date): Promise<RegisterEntry | undefined>;
  /**
   * Replaces an entry read at `seenVersion`; a ConflictError when it changed since. Keeps the person's
   * open-request reference in step (removed once the request finishes or the entry loses its contact).
   * The emails the change calls for are queued in the same transaction.
   */
  replace(
    entry: RegisterEntry,
    seenVersion: number,
    expiresAt: number,
    outbox?: readonly QueuedMessage[],
  ): Promise<void>;
  /** Open requests earliest due first; finished ones newest first. */
  list(query: {
    readonly list: RegisterList;
    readonly limit: number;
    readonly after: ListPosition | undefined;
  }): Promise<Page<RegisterEntry>>;
  /** The ids of a person's unfinished requests. */
  openRequestsOf(contactId: string): Promise<string[]>;
  saveExport(requestId: string, bundle: string, expiresAt: number): Promise<void>;
  /** The bundle's JSON text, or `undefined` once it has expired. */
  readExport(requestId: string, now: Date): Promise<string | undefined>;
}
