/**
 * Recognising a repeated enquiry submission: the same form, address and content within minutes (a double
 * click, a browser or proxy retry) is one submission. Its key hashes the form id, the address's keyed
 * contact id (never the address itself) and the kept fields and marketing choice.
 */
import { createHash } from 'node:crypto';
import type { EnquirySubmission } from '../domain/enquiry.ts';
import type { EmailHasher } from '../domain/hashing.ts';
import { toEpochSeconds } from '../domain/retention.ts';
import type { SubmissionMarker } from '../ports/submissions.ts';

/** How long a submission's first answer is given again. */
export const REPEAT_WINDOW_MINUTES = 10;

type ValidSubmission = Extract<EnquirySubmission, { kind: 'valid' }>;

export async function submissionKey(
  submission: ValidSubmission,
  emailHasher: () => Promise<EmailHasher>,
): Promise<string> {
  const { form, fields, email, marketing } = submission;
  const contactId = email ? (await emailHasher()).contactId(email) : '';
  const content = Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const choice =
    marketing.kind === 'none' || marketing.kind === 'refusal' ? [] : [...marketing.topics].sort();
  return createHash('sha256')
    .update(JSON.stringify([form.id, contactId, content, marketing.kind, choice]))
    .digest('hex');
}

export function submissionMarker(key: string, enquiryId: string | undefined, now: Date): SubmissionMarker {
  const at = toEpochSeconds(now);
  return { key, enquiryId, now: at, expiresAt: at + REPEAT_WINDOW_MINUTES * 60 };
}
