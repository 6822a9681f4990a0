/**
 * MailChimp keys an audience member by the MD5 of the lower-cased address (its "subscriber hash").
 * MD5 is MailChimp's choice of identifier, not a protection: never use this as a keyed or secret hash
 * (see `hashing.ts` for those).
 */
import { createHash } from 'node:crypto';

export function subscriberHash(email: string): string {
  return createHash('md5').update(email.toLowerCase(), 'utf8').digest('hex');
}
