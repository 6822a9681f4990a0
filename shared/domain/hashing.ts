/**
 * Keyed hashes of a normalised email address. The plain address is never a key: a table export alone
 * cannot be joined to a mailing list, and a suppression entry keeps no readable address.
 * Each use has its own label, so a suppression hash cannot be matched to a contact id.
 */
import { createHash, createHmac } from 'node:crypto';
import { normaliseEmail } from './email.ts';

const CONTACT_ID_LABEL = 'consent-desk/contact-id/v1\n';
const SUPPRESSION_LABEL = 'consent-desk/suppression/v1\n';

export interface EmailHasher {
  contactId(normalisedEmail: string): string;
  suppressionHash(normalisedEmail: string): string;
}

export function createEmailHasher(key: string): EmailHasher {
  if (key.length < 32) throw new Error('The email-hashing key must be at least 32 characters');
  // Hashed in canonical form whatever the caller passes, so one mailbox can never have two suppression entries.
  const hmac = (label: string, email: string) =>
    createHmac('sha256', key).update(label).update(normaliseEmail(email)).digest();
  return {
    // 128 bits is ample against collisions for any contact list, and keeps ids short in URLs.
    contactId: (email) => hmac(CONTACT_ID_LABEL, email).subarray(0, 16).toString('hex'),
    suppressionHash: (email) => hmac(SUPPRESSION_LABEL, email).toString('hex'),
  };
}

/** SHA-256 of a statement text: what the person was told, provable later against the stored text. */
export function statementHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
