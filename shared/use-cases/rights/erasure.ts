/**
 * The right to erasure, in steps a retry finishes:
 *   1. the address is suppressed for everything (reason `erasure`), so no import, sync or soft opt-in
 *      adds it back — the suppression entry holds only a keyed hash;
 *   2. the profile is marked `erasedAt`, which tells the MailChimp sync to delete the member permanently
 *      (retried by the stream until MailChimp confirms);
 *   3. the partition (topics, history, references, forwarding) and the referenced enquiries are deleted,
 *      the profile last.
 * The receipt counts what was deleted and names nobody. Audit items and the register entry stay.
 */
import { suppressionOnlyChange } from '../../domain/contact-change.ts';
import { type ErasureReceipt, erasureReceipt } from '../../domain/erasure-receipt.ts';
import { log } from '../../log.ts';
import { changeContact } from '../retry-on-conflict.ts';
import type { Person } from './marketing-rights.ts';
import type { RightsDeps } from './rights-deps.ts';

export async function eraseData(
  deps: RightsDeps,
  person: Person,
  requestId: string,
): Promise<ErasureReceipt> {
  await changeContact(deps, {
    locate: () => ({ contactId: person.contactId, suppressionHash: person.suppressionHash }),
    decide: ({ snapshot }, now) => {
      if (snapshot.suppression?.all) return { outcome: undefined };
      const change = suppressionOnlyChange({ all: true, topics: new Set() }, now);
      return {
        outcome: undefined,
        write: {
          contact: {
            now,
            contactId: person.contactId,
            suppressionHash: person.suppressionHash,
            snapshot,
            change,
            source: 'staff',
            reason: 'erasure',
          },
        },
      };
    },
  });
  const now = deps.clock();
  const deleted = await deps.personalData.erase(person.contactId, now);
  log.info('subject_request_erased', { ...deleted });
  return erasureReceipt({
    requestId,
    erasedAt: now,
    deleted,
    mailchimp: !deps.mailchimpInUse ? 'not_used' : deleted.contact > 0 ? 'pending' : 'not_a_member',
    backupRetentionDays: deps.config.retention.backupDays,
  });
}
