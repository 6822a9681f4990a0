/** What an import must know about addresses before it adds anyone: who is held already, who is suppressed. */
import type { Suppression } from '../domain/consent.ts';

export interface ImportCandidate {
  readonly contactId: string;
  readonly suppressionHash: string;
}

export interface ImportChecks {
  /** Of these addresses: the contact ids with a live contact, and the suppression entries by hash. */
  check(
    candidates: readonly ImportCandidate[],
    now: Date,
  ): Promise<{
    readonly held: ReadonlySet<string>;
    readonly suppressions: ReadonlyMap<string, Suppression>;
  }>;
}
