/**
 * Read, decide, write: when another request changed the same contact between our read and our conditional
 * write, the write fails with ContactConflictError and the whole step runs again on fresh state.
 */
import { ContactConflictError } from '../ports/contacts-store.ts';

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
