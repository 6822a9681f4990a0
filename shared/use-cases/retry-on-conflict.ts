/**
 * Read, decide, write: a change to a contact reads its current state and suppression entry, decides on
 * them, and writes conditionally on what was read. When another request changed the same contact between
 * the read and the write, the write fails with ContactConflictError and the whole step runs again on
 * fresh state. Once a change lands, the permission metrics count it.
 */
import type { ContactSnapshot } from '../domain/contact-change.ts';
import {
  ContactConflictError,
  type ContactState,
  type ContactsRepository,
  type ContactsWrite,
} from '../ports/contacts-store.ts';
import { countPermissionChanges } from './permission-metrics.ts';

/** Tries in all; a contact changed this often at once is left to the caller's own retry. */
const MAX_ATTEMPTS = 3;

/**
 * Runs `step` until it writes without a conflict, at most MAX_ATTEMPTS times. Before another try,
 * `onConflict` may settle the outcome instead (e.g. the same delivery was applied meanwhile) by returning
 * anything but `undefined`.
 */
export async function retryOnConflict<T>(
  step: () => Promise<T>,
  onConflict?: (attempt: number) => Promise<T | undefined> | T | undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof ContactConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      const settled = await onConflict?.(attempt);
      if (settled !== undefined) return settled;
    }
  }
}

/** The contact a change is about; `state` when the caller has read it already (to find the contact). */
export interface ContactToChange {
  readonly contactId: string;
  readonly suppressionHash: string;
  readonly state?: ContactState | undefined;
}

/** What a decision reads: the contact's state, and the snapshot with its suppression entry. */
export interface ContactRead {
  readonly now: Date;
  readonly contactId: string;
  readonly suppressionHash: string;
  readonly state: ContactState;
  readonly snapshot: ContactSnapshot;
}

/** A decision: its outcome, and the write that carries it out (none when nothing changes). */
export interface ContactDecision<T> {
  readonly outcome: T;
  readonly write?: ContactsWrite | undefined;
  /** Runs once the write has landed (to log what was applied). */
  readonly written?: (() => void) | undefined;
}

/** What `decide` is given: always a read when `locate` always names a contact. */
type ReadFor<Found> = Found extends ContactToChange ? ContactRead : ContactRead | undefined;

/**
 * One read-decide-write step, retried on conflict. `locate` names the contact afresh on each try (links
 * follow a moved contact); when it names none, `decide` gets no read (an enquiry without marketing still
 * writes the enquiry). The contact and its suppression entry are read together, then `decide` answers
 * the outcome and the write, which is written conditionally on that read.
 */
export async function changeContact<T, Found extends ContactToChange | undefined>(
  deps: { readonly contacts: ContactsRepository; readonly clock: () => Date },
  step: {
    readonly locate: (now: Date) => Promise<Found> | Found;
    readonly decide: (read: ReadFor<Found>, now: Date) => Promise<ContactDecision<T>> | ContactDecision<T>;
    readonly onConflict?: (attempt: number) => Promise<T | undefined> | T | undefined;
  },
): Promise<T> {
  return retryOnConflict(async () => {
    const now = deps.clock();
    const found = await step.locate(now);
    const read = found && (await readContact(deps.contacts, found, now));
    const decision = await step.decide(read as ReadFor<Found>, now);
    if (decision.write) {
      await deps.contacts.write(decision.write);
      if (decision.write.contact) countPermissionChanges(decision.write.contact);
      decision.written?.();
    }
    return decision.outcome;
  }, step.onConflict);
}

async function readContact(
  contacts: ContactsRepository,
  found: ContactToChange,
  now: Date,
): Promise<ContactRead> {
  const [state, suppression] = await Promise.all([
    found.state ?? contacts.readContact(found.contactId, now),
    contacts.readSuppression(found.suppressionHash),
  ]);
  return {
    now,
    contactId: found.contactId,
    suppressionHash: found.suppressionHash,
    state,
    snapshot: { ...state.snapshot, suppression },
  };
}
