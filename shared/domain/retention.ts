/** When items holding personal data expire. All times are UTC; TTL values are epoch seconds. */
import type { RetentionPolicy } from './settings.ts';

export function addMonths(from: Date, months: number): Date {
  const result = new Date(from.getTime());
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  // Clamp 31 Jan + 1 month to 28/29 Feb rather than rolling into March.
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

export function addDays(from: Date, days: number): Date {
  return new Date(from.getTime() + days * 86_400_000);
}

export function toEpochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** DynamoDB deletes expired items up to days late, so every read must treat them as gone already. */
export function isExpired(expiresAt: number | undefined, now: Date): boolean {
  return expiresAt !== undefined && expiresAt <= toEpochSeconds(now);
}

export type RetainedKind =
  | 'enquiry'
  | 'consent'
  | 'soft_opt_in'
  | 'pending'
  | 'withdrawn'
  | 'consentRecord'
  | 'audit'
  | 'request';

export function expiryFor(kind: RetainedKind, from: Date, retention: RetentionPolicy): number {
  switch (kind) {
    case 'enquiry':
      return toEpochSeconds(addMonths(from, retention.enquiryMonths));
    case 'consent':
      return toEpochSeconds(addMonths(from, retention.consentMonths));
    case 'soft_opt_in':
      return toEpochSeconds(addMonths(from, retention.softOptInMonths));
    case 'pending':
      return toEpochSeconds(addDays(from, retention.pendingDays));
    case 'withdrawn':
      return toEpochSeconds(addDays(from, retention.withdrawnDays));
    case 'consentRecord':
      return toEpochSeconds(addMonths(from, retention.consentRecordMonths));
    case 'audit':
      return toEpochSeconds(addMonths(from, retention.auditMonths));
    case 'request':
      return toEpochSeconds(addMonths(from, retention.requestMonths));
  }
}
